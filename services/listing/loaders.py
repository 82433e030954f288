"""Bulk loaders for files on disk (a region migrating its history, the demo region).

Same rules as the HTTP API, one transaction per file, audited as the command-line actor.
`progress` is called with the number of bytes read so far.
"""

from __future__ import annotations

import getpass
import io
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pydantic import TypeAdapter, ValidationError

from services.listing.db import units as unit_repo
from services.listing.db.clock import change_moment
from services.listing.db.listings_import import import_listings
from services.listing.db.models import audit_head, audit_log
from services.listing.db.register_import import ImportResult, import_register
from shared.audit import AuditLog
from shared.auth import Principal, Role
from shared.db import Database
from shared.errors import Unprocessable
from shared.schemas.listing import Unit, UnitIn
from shared.settings import Settings

Progress = Callable[[int], None]
_units = TypeAdapter(list[Unit])


def cli_principal() -> Principal:
    """Who a file import is recorded as in the audit log."""
    return Principal(sub=f"cli:{getpass.getuser()}", roles=frozenset({Role.region_admin}))


def _audit(settings: Settings) -> AuditLog:
    return AuditLog(audit_log, audit_head, settings.hash_key)


def _text(binary: IO[bytes]) -> io.TextIOWrapper:
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


def import_register_stream(
    db: Database,
    audit: AuditLog,
    principal: Principal | None,
    binary: IO[bytes],
    *,
    source: str,
    request_id: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """A register extract from the HTTP body or a file: one transaction, stage, validate,
    merge and audit, or nothing at all."""
    with db.sessionmaker() as session, session.begin():
        tick = (lambda _rows: progress(binary.tell())) if progress else None
        try:
            result = import_register(
                session, _text(binary), now=change_moment(session), progress=tick
            )
        except UnicodeDecodeError as exc:
            raise Unprocessable(
                "the file is not UTF-8 text",
                errors=[{"row": None, "field": "body", "message": "not valid UTF-8"}],
            ) from exc
        audit.record(
            session,
            principal=principal,
            action="register.import",
            entity_type="register",
            request_id=request_id,
            details={
                "source": source,
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
    return result


def import_register_file(
    db: Database, settings: Settings, path: Path, *, progress: Progress | None = None
) -> ImportResult:
    """`halsoval listing import-register FILE`: the HTTP import's rules for a file on disk."""
    with path.open("rb") as binary:
        return import_register_stream(
            db, _audit(settings), cli_principal(), binary, source="file", progress=progress
        )


def import_units_file(db: Database, settings: Settings, path: Path) -> tuple[int, int]:
    """`halsoval listing import-units FILE.json`: a JSON list of units; (created, updated)."""
    try:
        units = _units.validate_json(path.read_bytes())
    except ValidationError as exc:
        raise Unprocessable(
            "the units file is not a valid list of units",
            errors=[
                {
                    "row": (e["loc"][0] + 1) if e["loc"] and isinstance(e["loc"][0], int) else None,
                    "field": ".".join(str(p) for p in e["loc"][1:]) or "file",
                    "message": e["msg"],
                }
                for e in exc.errors()
            ],
        ) from exc
    created = 0
    with db.sessionmaker() as session, session.begin():
        for u in units:
            _, new = unit_repo.upsert_unit(
                session, u.hsa_id, UnitIn.model_validate(u.model_dump(exclude={"hsa_id"}))
            )
            created += new
        _audit(settings).record(
            session,
            principal=cli_principal(),
            action="unit.import",
            entity_type="unit",
            details={"created": created, "updated": len(units) - created},
        )
    return created, len(units) - created


def import_listings_file(
    db: Database, settings: Settings, path: Path, *, progress: Progress | None = None
) -> int:
    """`halsoval listing import-listings FILE.csv`: historic listings, all or nothing."""
    with path.open("rb") as binary, db.sessionmaker() as session, session.begin():
        tick = (lambda _rows: progress(binary.tell())) if progress else None
        added = import_listings(session, _text(binary), now=change_moment(session), progress=tick)
        _audit(settings).record(
            session,
            principal=cli_principal(),
            action="listing.import",
            entity_type="listing",
            details={"source": "file", "added": added},
        )
    return added
