"""Bulk loaders for files on disk (a region migrating its history, the demo region).

Adapters from a file to the service's use cases: same rules as the HTTP API, one transaction
per file, audited as the command-line actor. `progress` is called with the bytes read so far.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

from pydantic import Field, TypeAdapter, ValidationError

from services.listing import service
from services.listing.api.schemas import UnitFileEntry
from services.listing.db.models import audit_head, audit_log
from services.listing.db.register_import import ImportResult
from services.listing.domain.region import RegionScope
from services.listing.service import Progress
from services.listing.settings import ListingConfig
from shared.audit import AuditLog
from shared.auth import Principal, Role
from shared.db import Database
from shared.errors import Unprocessable
from shared.schemas.listing import Unit
from shared.settings import Settings

# More units than any region has (Sweden has about 1 200 health centres): a bound, not a quota.
MAX_UNITS_IN_FILE = 10_000
_units = TypeAdapter(Annotated[list[UnitFileEntry], Field(max_length=MAX_UNITS_IN_FILE)])


def cli_principal() -> Principal:
    """Who a file import is recorded as in the audit log."""
    return Principal(sub=f"cli:{getpass.getuser()}", roles=frozenset({Role.region_admin}))


def _audit(settings: Settings) -> AuditLog:
    return AuditLog(audit_log, audit_head, settings.hash_key)


def import_register_file(
    db: Database, settings: Settings, path: Path, *, progress: Progress | None = None
) -> ImportResult:
    """`halsoval listing import-register FILE`: the HTTP import's rules for a file on disk."""
    with path.open("rb") as binary:
        return service.import_register_stream(
            sessions=db.sessionmaker,
            audit=_audit(settings),
            principal=cli_principal(),
            binary=binary,
            source="file",
            progress=progress,
        )


def _units_file(path: Path) -> list[Unit]:
    """The units of a JSON file, checked as PUT /v1/units checks a body; 422 naming each entry
    and field that is not a valid unit."""
    try:
        entries = _units.validate_json(path.read_bytes())
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
    return [Unit.model_validate(e.model_dump()) for e in entries]


def import_units_file(
    db: Database, settings: Settings, path: Path, *, region: RegionScope | None = None
) -> tuple[int, int]:
    """`halsoval listing import-units FILE.json`: a JSON list of units of the region (REGION_CODE
    unless given); (created, updated)."""
    units = _units_file(path)
    with db.sessionmaker() as session:
        return service.import_units(
            session=session,
            audit=_audit(settings),
            principal=cli_principal(),
            region=region or ListingConfig().region,
            units=units,
        )


def import_listings_file(
    db: Database, settings: Settings, path: Path, *, progress: Progress | None = None
) -> int:
    """`halsoval listing import-listings FILE.csv`: historic listings, all or nothing."""
    with path.open("rb") as binary:
        return service.import_listing_history(
            sessions=db.sessionmaker,
            audit=_audit(settings),
            principal=cli_principal(),
            binary=binary,
            progress=progress,
        )
