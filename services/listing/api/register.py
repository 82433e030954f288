"""Population-register import: a CSV body of any size, streamed to disk, all or nothing."""

from __future__ import annotations

import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from services.listing.api.deps import get_audit, request_id
from services.listing.loaders import import_register_stream
from services.listing.settings import MAX_IMPORT_BYTES
from shared.auth import Principal, Role, require_roles
from shared.context import ServiceContext, context_of
from shared.errors import HalsovalError, PayloadTooLarge

router = APIRouter(prefix="/v1/register", tags=["register"])
Importer = Annotated[Principal, Depends(require_roles(Role.region_admin, Role.service))]
SPOOL_IN_MEMORY = 8 * 1024 * 1024


class UnsupportedMediaType(HalsovalError):
    status_code = 415
    title = "Unsupported media type"


@router.post("/import", status_code=200)
async def import_register_csv(request: Request, principal: Importer) -> dict[str, Any]:
    """Import a register extract (text/csv); 422 lists every bad row and nothing is written."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() not in ("text/csv", "application/csv"):
        raise UnsupportedMediaType("the body must be text/csv")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_IMPORT_BYTES:
                raise PayloadTooLarge(f"the register file is larger than {MAX_IMPORT_BYTES} bytes")
            spool.write(chunk)
        spool.seek(0)
        result = await run_in_threadpool(
            import_register_stream,
            context_of(request.app, ServiceContext).db,
            get_audit(request),
            principal,
            spool,
            source="http",
            request_id=request_id(request),
        )
    finally:
        spool.close()
    return {"inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged}
