"""Reading and verifying a service's audit trail: GET /v1/audit and `audit-verify`.

Only region_admin reads the trail. Searching by person takes the identity number in a
POST body (never a URL) and compares keyed hashes; the search itself is audited, because
asking "what happened to this person" is a person-level read.
"""

# No `from __future__ import annotations` here: the routes' Annotated aliases are local to
# make_audit_router, and FastAPI must resolve them at runtime.
import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shared.audit import AuditLog, audit_tables
from shared.auth import Principal, Role, require_roles
from shared.db import make_engine, make_metadata
from shared.deps import request_id
from shared.ids import parse_identity_number
from shared.values import FilterText, Moment, NonNegativeInt64

MAX_PAGE = 500


class AuditEntry(BaseModel):
    """One audit row as stored; `person_hash` is the keyed hash, never the number."""

    id: int
    at: dt.datetime
    actor_sub: str
    actor_roles: list[str]
    action: str
    entity_type: str
    entity_id: str | None
    person_hash: str | None
    request_id: str | None
    outcome: str
    details: dict[str, Any] | None
    prev_hash: str
    row_hash: str


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_after_id: int | None = Field(
        description="pass as after_id for the next page; null when this is the last page"
    )


class AuditFilter(BaseModel):
    """Filters shared by the GET query and the POST search body."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: Moment | None = Field(default=None, alias="from")
    to: Moment | None = None
    actor: FilterText | None = None
    action: FilterText | None = None
    entity_type: FilterText | None = None
    entity_id: FilterText | None = None
    after_id: NonNegativeInt64 = 0
    limit: int = Field(default=100, ge=1, le=MAX_PAGE)


class AuditSearch(AuditFilter):
    """POST /v1/audit/search: the identity number travels only in this body."""

    personnummer: str | None = None

    @field_validator("personnummer")
    @classmethod
    def _valid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse_identity_number(value).value
        except ValueError as exc:
            raise ValueError(f"not a valid identity number: {exc}") from None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _query(audit: AuditLog, f: AuditFilter, person_hash: str | None) -> Select[Any]:
    c = audit.log.c
    q = select(audit.log).where(c.id > f.after_id)
    if f.from_ is not None:
        q = q.where(c.at >= _aware(f.from_))
    if f.to is not None:
        q = q.where(c.at < _aware(f.to))
    for column, value in (
        (c.actor_sub, f.actor),
        (c.action, f.action),
        (c.entity_type, f.entity_type),
        (c.entity_id, f.entity_id),
        (c.person_hash, person_hash),
    ):
        if value is not None:
            q = q.where(column == value)
    return q.order_by(c.id).limit(f.limit + 1)


def _page(session: Session, audit: AuditLog, f: AuditFilter, person_hash: str | None) -> AuditPage:
    rows = list(session.execute(_query(audit, f, person_hash)).mappings())
    more = len(rows) > f.limit
    rows = rows[: f.limit]
    items = []
    for r in rows:
        items.append(
            AuditEntry(
                id=r["id"],
                at=_aware(r["at"]),
                actor_sub=r["actor_sub"],
                actor_roles=r["actor_roles"].split(),
                action=r["action"],
                entity_type=r["entity_type"],
                entity_id=r["entity_id"],
                person_hash=r["person_hash"],
                request_id=r["request_id"],
                outcome=r["outcome"],
                details=json.loads(r["details"]) if r["details"] else None,
                prev_hash=r["prev_hash"],
                row_hash=r["row_hash"],
            )
        )
    return AuditPage(items=items, next_after_id=items[-1].id if more and items else None)


def make_audit_router(
    *,
    get_session: Callable[..., Any],
    audit: AuditLog,
    get_read_session: Callable[..., Any] | None = None,
) -> APIRouter:
    """GET /v1/audit and POST /v1/audit/search for one service, region_admin only.

    GET reads through a read session (on SQLite it never waits behind a long write); the
    search may write its own audit row, so it takes a writing session.
    """
    router = APIRouter(prefix="/v1/audit", tags=["audit"])
    Admin = Annotated[Principal, Depends(require_roles(Role.region_admin))]
    SessionDep = Annotated[Session, Depends(get_session)]
    ReadSessionDep = Annotated[Session, Depends(get_read_session or get_session)]

    @router.get("", response_model=AuditPage)
    def list_audit(
        _principal: Admin,
        session: ReadSessionDep,
        from_: Annotated[Moment | None, Query(alias="from")] = None,
        to: Annotated[Moment | None, Query()] = None,
        actor: Annotated[FilterText | None, Query()] = None,
        action: Annotated[FilterText | None, Query()] = None,
        entity_type: Annotated[FilterText | None, Query()] = None,
        entity_id: Annotated[FilterText | None, Query()] = None,
        after_id: Annotated[NonNegativeInt64, Query()] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    ) -> AuditPage:
        """The audit trail, oldest first, filtered by time, actor and entity."""
        f = AuditFilter(
            **{"from": from_},
            to=to,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            after_id=after_id,
            limit=limit,
        )
        return _page(session, audit, f, None)

    @router.post("/search", response_model=AuditPage)
    def search_audit(
        body: AuditSearch, principal: Admin, session: SessionDep, request: Request
    ) -> AuditPage:
        """Like GET, plus a person filter; the number is hashed, and the search is audited."""
        person_hash = audit.person_hash(body.personnummer) if body.personnummer else None
        page = _page(session, audit, body, person_hash)
        if body.personnummer:
            audit.record(
                session,
                principal=principal,
                action="audit.search_person",
                entity_type="audit_log",
                personnummer=body.personnummer,
                request_id=request_id(request),
                details={"results": len(page.items)},
            )
            session.commit()
        return page

    return router


def verify_command(database_url: str, *, echo: Callable[[str], None] = typer.echo) -> int:
    """Verify a service's chain; prints each problem and the head to record elsewhere.

    Returns the exit code: 0 intact, 1 broken.
    """
    log, head = audit_tables(make_metadata())
    audit = AuditLog(log=log, head=head, hash_key="")
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            problems = audit.verify_chain(session)
            last_id, last_hash = audit.head_state(session)
    finally:
        engine.dispose()
    for problem in problems:
        echo(f"BROKEN: {problem}")
    if problems:
        echo(f"audit chain is broken: {len(problems)} problem(s)")
        return 1
    echo(f"audit chain intact: {last_id} rows, head {last_hash}")
    return 0


def add_audit_verify_command(app: typer.Typer, database_url: Callable[[], str]) -> None:
    """Register `audit-verify` on a service's typer app (`halsoval <service> audit-verify`)."""

    @app.command("audit-verify")
    def audit_verify(
        url: Annotated[
            str | None, typer.Option("--database-url", help="defaults to the service's own")
        ] = None,
    ) -> None:
        """Check that the audit trail's hash chain is intact (exit 1 if not)."""
        raise typer.Exit(verify_command(url or database_url()))
