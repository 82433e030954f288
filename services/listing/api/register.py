"""Population-register import: a CSV body of any size, streamed to disk, all or nothing."""

from __future__ import annotations

import tempfile
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from services.listing import service
from services.listing.api.deps import AdminOrService, AuditDep, RequestIdDep, SessionsDep
from services.listing.settings import MAX_IMPORT_BYTES
from shared.errors import HalsovalError, PayloadTooLarge
from shared.openapi import problem_responses

router = APIRouter(prefix="/v1/register", tags=["register"])
SPOOL_IN_MEMORY = 8 * 1024 * 1024


class UnsupportedMediaType(HalsovalError):
    status_code = 415
    title = "Unsupported media type"


@router.post(
    "/import",
    status_code=200,
    responses=problem_responses(415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_register_csv(
    request: Request,
    principal: AdminOrService,
    sessions: SessionsDep,
    audit: AuditDep,
    rid: RequestIdDep,
) -> dict[str, Any]:
    """Import a register extract (text/csv, UTF-8, comma separated, header first); 422 lists
    every bad row (numbered as a spreadsheet shows them: the header is row 1) and nothing is
    written; 415 for a body that is not CSV."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() not in ("text/csv", "application/csv"):
        raise UnsupportedMediaType("the body must be text/csv")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_IMPORT_BYTES:
                raise PayloadTooLarge(f"the register file is larger than {MAX_IMPORT_BYTES} bytes")
            spool.write(chunk)
        spool.seek(0)
        # The import is blocking database work of up to minutes: off the event loop.
        result = await run_in_threadpool(
            service.import_register_stream,
            sessions=sessions,
            audit=audit,
            principal=principal,
            binary=spool,
            source="http",
            request_id=rid,
        )
    return {"inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged}
