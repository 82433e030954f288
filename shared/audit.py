"""Append-only audit trail, chained by hash, in every service's own database.

Patientdatalagen asks that access to personal data is logged and can be followed up.
Each row records who, when, what and the outcome; an identity number only ever appears
as a keyed hash. Each row's hash covers the previous row's hash, so deleting or editing
a row breaks the chain, which `verify_chain` detects.

The table definitions below are part of each service's first migration: never change
them in place, add a migration instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.ids import InvalidIdentityNumber, keyed_hash, parse_identity_number

GENESIS = "0" * 64


def audit_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The audit log and its one-row head (the lock that serialises appends)."""
    log = Table(
        "audit_log",
        metadata,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("at", DateTime(timezone=True), nullable=False, index=True),
        Column("actor_sub", String(200), nullable=False, index=True),
        Column("actor_roles", String(200), nullable=False),
        Column("action", String(100), nullable=False),
        Column("entity_type", String(50), nullable=False, index=True),
        Column("entity_id", String(200), nullable=True, index=True),
        Column("person_hash", String(64), nullable=True, index=True),
        Column("request_id", String(64), nullable=True),
        Column("outcome", String(50), nullable=False),
        Column("details", Text, nullable=True),
        Column("prev_hash", String(64), nullable=False),
        Column("row_hash", String(64), nullable=False),
    )
    head = Table(
        "audit_head",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("last_id", BigInteger, nullable=False),
        Column("last_hash", String(64), nullable=False),
    )
    return log, head


def row_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _hashed_fields(row: dict[str, Any]) -> dict[str, Any]:
    at = row["at"]
    if isinstance(at, dt.datetime):
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        at = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return {
        "id": row["id"],
        "at": at,
        "actor_sub": row["actor_sub"],
        "actor_roles": row["actor_roles"],
        "action": row["action"],
        "entity_type": row["entity_type"],
        "entity_id": row["entity_id"],
        "person_hash": row["person_hash"],
        "request_id": row["request_id"],
        "outcome": row["outcome"],
        "details": row["details"],
    }


@dataclass
class AuditLog:
    """Writes and checks one service's chain."""

    log: Table
    head: Table
    hash_key: str

    def _lock_head(self, session: Session) -> tuple[int, str]:
        """Lock the head row (creating it on first use) so appends are strictly serial."""
        query = (
            select(self.head.c.last_id, self.head.c.last_hash)
            .where(self.head.c.id == 1)
            .with_for_update()
        )
        head = session.execute(query).first()
        if head is None:
            try:
                # A savepoint, so a concurrent first append that wins the insert leaves our
                # transaction usable: we then lock the row it created.
                with session.begin_nested():
                    session.execute(self.head.insert().values(id=1, last_id=0, last_hash=GENESIS))
            except IntegrityError:
                pass
            head = session.execute(query).first()
        assert head is not None
        return int(head.last_id), str(head.last_hash)

    def record(
        self,
        session: Session,
        *,
        principal: Principal | None,
        action: str,
        entity_type: str,
        entity_id: str | None = None,
        personnummer: str | None = None,
        request_id: str | None = None,
        outcome: str = "ok",
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append a row in the caller's transaction: the audit row commits with the change."""
        last_id, prev = self._lock_head(session)
        row: dict[str, Any] = {
            "id": last_id + 1,
            "at": dt.datetime.now(dt.UTC),
            "actor_sub": principal.sub if principal else "anonymous",
            "actor_roles": " ".join(sorted(r.value for r in principal.roles)) if principal else "",
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "person_hash": self.person_hash(personnummer) if personnummer else None,
            "request_id": request_id,
            "outcome": outcome,
            "details": json.dumps(details, sort_keys=True, default=str) if details else None,
        }
        digest = row_digest(prev, _hashed_fields(row))
        session.execute(self.log.insert().values(**row, prev_hash=prev, row_hash=digest))
        session.execute(
            update(self.head).where(self.head.c.id == 1).values(last_id=row["id"], last_hash=digest)
        )

    def person_hash(self, personnummer: str) -> str:
        """The keyed hash of the canonical form, so 19121212-1212 and 191212121212 match."""
        try:
            canonical = parse_identity_number(personnummer).value
        except InvalidIdentityNumber:
            canonical = personnummer.strip()
        return keyed_hash(canonical, self.hash_key)

    def head_state(self, session: Session) -> tuple[int, str]:
        """The newest row's id and hash: worth recording outside the database now and then,
        since only an outside copy detects someone who truncates the log *and* rewrites the head."""
        head = session.execute(select(self.head).where(self.head.c.id == 1)).mappings().first()
        return (0, GENESIS) if head is None else (int(head["last_id"]), str(head["last_hash"]))

    def verify_chain(self, session: Session, *, batch_size: int = 5000) -> list[str]:
        """Every break in the chain, as readable problems; an empty list means intact."""
        problems: list[str] = []
        prev, expected_id = GENESIS, 1
        query = select(self.log).order_by(self.log.c.id).execution_options(yield_per=batch_size)
        for row in session.execute(query).mappings():
            if row["id"] != expected_id:
                problems.append(f"row {expected_id} is missing (next is {row['id']})")
            if row["prev_hash"] != prev:
                problems.append(f"row {row['id']}: previous-hash link is broken")
            if row_digest(row["prev_hash"], _hashed_fields(dict(row))) != row["row_hash"]:
                problems.append(f"row {row['id']}: contents do not match its hash")
            prev, expected_id = row["row_hash"], int(row["id"]) + 1
        head = session.execute(select(self.head).where(self.head.c.id == 1)).mappings().first()
        if head is None and expected_id > 1:
            problems.append("the audit head row is missing")
        if head is not None and (head["last_id"] != expected_id - 1 or head["last_hash"] != prev):
            problems.append("the newest rows have been removed (head does not match the last row)")
        return problems
