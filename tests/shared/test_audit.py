"""The audit chain: appends, tampering detection, concurrent appends, the read API, verify."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared.app import create_service_app
from shared.audit import AuditLog, audit_tables
from shared.audit_api import make_audit_router, verify_command
from shared.auth import Principal, Role, mint_token
from shared.db import Database, make_engine
from shared.ids import keyed_hash, make_identity_number
from shared.settings import Settings

PNR = make_identity_number(dt.date(1980, 5, 17), 123)
OTHER_PNR = make_identity_number(dt.date(1991, 1, 2), 456)
ADMIN = Principal(sub="admin@region", roles=frozenset({Role.region_admin}))


@pytest.fixture
def db(new_database_url: Callable[[str], str]) -> Iterator[tuple[Engine, AuditLog]]:
    url = new_database_url("audit")
    engine = make_engine(url)
    metadata = MetaData()
    log, head = audit_tables(metadata)
    metadata.create_all(engine)
    yield engine, AuditLog(log=log, head=head, hash_key="k")
    engine.dispose()


def _fill(engine: Engine, audit: AuditLog, n: int = 5) -> None:
    for i in range(n):
        with Session(engine) as s:
            audit.record(
                s,
                principal=ADMIN,
                action="listing.read",
                entity_type="person",
                entity_id=f"e{i}",
                personnummer=PNR if i % 2 else None,
                request_id=f"r{i}",
                details={"i": i},
            )
            s.commit()


def _verify(engine: Engine, audit: AuditLog) -> list[str]:
    with Session(engine) as s:
        return audit.verify_chain(s)


def test_a_fresh_chain_verifies_and_hashes_the_number(db: tuple[Engine, AuditLog]) -> None:
    engine, audit = db
    assert _verify(engine, audit) == []
    _fill(engine, audit)
    assert _verify(engine, audit) == []
    with Session(engine) as s:
        rows = list(s.execute(select(audit.log).order_by(audit.log.c.id)).mappings())
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[1]["person_hash"] == keyed_hash(PNR, "k")
    assert all(PNR not in str(dict(r)) for r in rows)
    assert rows[0]["actor_sub"] == "admin@region" and rows[0]["actor_roles"] == "region_admin"


def test_hyphenated_and_plain_numbers_hash_alike(db: tuple[Engine, AuditLog]) -> None:
    _, audit = db
    assert audit.person_hash(PNR[:8] + "-" + PNR[8:]) == audit.person_hash(PNR)


def test_an_edited_row_is_detected(db: tuple[Engine, AuditLog]) -> None:
    engine, audit = db
    _fill(engine, audit)
    with Session(engine) as s:
        s.execute(update(audit.log).where(audit.log.c.id == 3).values(actor_sub="someone-else"))
        s.commit()
    assert _verify(engine, audit) == ["row 3: contents do not match its hash"]


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(
    db: tuple[Engine, AuditLog],
) -> None:
    engine, audit = db
    _fill(engine, audit)
    with Session(engine) as s:
        s.execute(update(audit.log).where(audit.log.c.id == 2).values(row_hash="f" * 64))
        s.commit()
    problems = _verify(engine, audit)
    assert "row 2: contents do not match its hash" in problems
    assert "row 3: previous-hash link is broken" in problems


def test_a_deleted_middle_row_is_detected(db: tuple[Engine, AuditLog]) -> None:
    engine, audit = db
    _fill(engine, audit)
    with Session(engine) as s:
        s.execute(delete(audit.log).where(audit.log.c.id == 3))
        s.commit()
    problems = _verify(engine, audit)
    assert "row 3 is missing (next is 4)" in problems
    assert "row 4: previous-hash link is broken" in problems


def test_a_deleted_last_row_is_detected(db: tuple[Engine, AuditLog]) -> None:
    engine, audit = db
    _fill(engine, audit)
    with Session(engine) as s:
        s.execute(delete(audit.log).where(audit.log.c.id == 5))
        s.commit()
    assert _verify(engine, audit) == [
        "the newest rows have been removed (head does not match the last row)"
    ]


def test_a_deleted_head_is_detected(db: tuple[Engine, AuditLog]) -> None:
    engine, audit = db
    _fill(engine, audit, 2)
    with Session(engine) as s:
        s.execute(delete(audit.head))
        s.commit()
    assert _verify(engine, audit) == ["the audit head row is missing"]


def test_a_rolled_back_change_leaves_no_audit_row(db: tuple[Engine, AuditLog]) -> None:
    engine, audit = db
    with Session(engine) as s:
        audit.record(s, principal=ADMIN, action="x", entity_type="y")
        s.rollback()
    _fill(engine, audit, 1)
    with Session(engine) as s:
        assert [r.id for r in s.execute(select(audit.log.c.id))] == [1]
    assert _verify(engine, audit) == []


def test_concurrent_appends_stay_one_chain(db: tuple[Engine, AuditLog]) -> None:
    engine, audit = db
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(8):
                with Session(engine) as s:
                    audit.record(
                        s, principal=ADMIN, action=f"w{n}", entity_type="t", entity_id=str(i)
                    )
                    s.commit()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _verify(engine, audit) == []
    with Session(engine) as s:
        assert s.execute(select(audit.log.c.id)).scalars().all() == list(range(1, 33))


def test_verify_command_reports_intact_and_broken(db: tuple[Engine, AuditLog]) -> None:
    engine, audit = db
    _fill(engine, audit, 3)
    lines: list[str] = []
    url = engine.url.render_as_string(hide_password=False)
    assert verify_command(url, echo=lines.append) == 0
    assert lines[-1].startswith("audit chain intact: 3 rows, head ")
    with Session(engine) as s:
        s.execute(delete(audit.log).where(audit.log.c.id == 2))
        s.commit()
    lines.clear()
    assert verify_command(url, echo=lines.append) == 1
    assert "BROKEN: row 2 is missing (next is 3)" in lines


# --- GET /v1/audit and POST /v1/audit/search ---


@pytest.fixture
def api(db: tuple[Engine, AuditLog]) -> tuple[TestClient, Engine, AuditLog, Settings]:
    engine, audit = db
    settings = Settings()
    app = create_service_app(title="audit-test", settings=settings)
    database = Database(engine.url.render_as_string(hide_password=False))

    def get_session() -> Iterator[Session]:
        yield from database.session()

    app.include_router(make_audit_router(get_session=get_session, audit=audit))
    return TestClient(app), engine, audit, settings


def _auth(settings: Settings, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, sub='u', roles=list(roles))}"}


def test_audit_api_is_region_admin_only(api: Any) -> None:
    client, _, _, settings = api
    assert client.get("/v1/audit").status_code == 401
    for role in ("ops", "provider", "finance_approver", "service"):
        assert client.get("/v1/audit", headers=_auth(settings, role)).status_code == 403
        assert (
            client.post("/v1/audit/search", json={}, headers=_auth(settings, role)).status_code
            == 403
        )


def test_audit_api_filters_and_pages(api: Any) -> None:
    client, engine, audit, settings = api
    _fill(engine, audit, 5)
    h = _auth(settings, "region_admin")
    page = client.get("/v1/audit", params={"limit": 2}, headers=h).json()
    assert [i["id"] for i in page["items"]] == [1, 2] and page["next_after_id"] == 2
    page = client.get("/v1/audit", params={"limit": 2, "after_id": 4}, headers=h).json()
    assert [i["id"] for i in page["items"]] == [5] and page["next_after_id"] is None
    assert page["items"][0]["details"] == {"i": 4}
    by_entity = client.get("/v1/audit", params={"entity_id": "e3"}, headers=h).json()["items"]
    assert [i["id"] for i in by_entity] == [4]
    assert client.get("/v1/audit", params={"actor": "nobody"}, headers=h).json()["items"] == []
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert client.get("/v1/audit", params={"from": future}, headers=h).json()["items"] == []
    assert len(client.get("/v1/audit", params={"to": future}, headers=h).json()["items"]) == 5
    assert client.get("/v1/audit", params={"limit": 10_000}, headers=h).status_code == 422


def test_audit_search_by_person_uses_the_body_and_is_itself_audited(api: Any) -> None:
    client, engine, audit, settings = api
    _fill(engine, audit, 5)
    h = _auth(settings, "region_admin")
    r = client.post("/v1/audit/search", json={"personnummer": PNR}, headers=h)
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == [2, 4]
    assert PNR not in r.text
    assert (
        client.post("/v1/audit/search", json={"personnummer": OTHER_PNR}, headers=h).json()["items"]
        == []
    )
    bad = client.post("/v1/audit/search", json={"personnummer": "19800517-0000"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "personnummer"
    assert "19800517" not in bad.text
    last = client.get("/v1/audit", params={"action": "audit.search_person"}, headers=h).json()
    assert len(last["items"]) == 2
    assert last["items"][0]["person_hash"] == audit.person_hash(PNR)
    assert _verify(engine, audit) == []
