"""A database written by the previous release, upgraded in place, answers what that release
answered, and goes on working.

fixtures/previous_release.json holds the rows the release before units had a history stored
(listing migration 0003; fixtures/make_previous_release.py wrote them with that release's own
code and API): four units, seven residents (one with protected identity, one in Stockholm, one
who died), choices, a default assignment, a change of unit, and the change feed; and what it
answered: the units, the counts on three dates, the feed and four histories. Here the rows go
into a database at 0003, the migrations bring it to head, and the new code must answer the
same, keep the audit chain intact, and take the next change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, MetaData, Table, create_engine, insert, text
from sqlalchemy.orm import Session

from services.listing.db.migrate import migrate
from services.listing.main import create_app
from shared.audit import AuditLog
from shared.context import ServiceContext, context_of
from shared.db import make_engine
from shared.settings import Settings
from tests.listing.conftest import Listing

FIXTURE = Path(__file__).parent / "fixtures" / "previous_release.json"
# Reference data the migrations load themselves; everything else is inserted as stored.
LOADED_BY_MIGRATIONS = {"municipality"}
# The payee, new in this release: absent from what the previous release answered.
NEW_UNIT_FIELDS = {"organisation_number": None, "bankgiro": None}


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        kind = table.c[name].type
        if value is not None and isinstance(kind, DateTime):
            out[name] = dt.datetime.fromisoformat(value)
        elif value is not None and isinstance(kind, Date):
            out[name] = dt.date.fromisoformat(value)
        else:
            out[name] = value
    return out


def _load(url: str, doc: dict[str, Any]) -> None:
    """The stored rows into a database at the previous release's revision."""
    migrate(url, doc["revision"])
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as conn:
        for name, rows in doc["tables"].items():
            if name in LOADED_BY_MIGRATIONS or not rows:
                continue
            table = metadata.tables[name]
            conn.execute(insert(table), [_typed(table, r) for r in rows])
            if engine.dialect.name == "postgresql" and "id" in table.c:
                # The rows came with their ids: move the id sequence past them, as the
                # previous release's own inserts would have.
                sequence = f"pg_get_serial_sequence('{name}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, max(id)) FROM {name}"))
    engine.dispose()


@pytest.fixture
def upgraded(
    new_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[Listing, dict[str, Any]]]:
    doc = json.loads(FIXTURE.read_text())
    url = new_database_url("listing")
    _load(url, doc)
    migrate(url)
    settings = Settings(data_dir=tmp_path, listing_database_url=url, env="test")
    app = create_app(settings, database_url=url)
    yield Listing(app=app, url=url, settings=settings), doc
    context_of(app, ServiceContext).db.dispose()


def test_the_fixture_was_written_before_units_had_a_history() -> None:
    doc = json.loads(FIXTURE.read_text())
    assert doc["revision"] == "0003"
    assert "unit_version" not in doc["tables"]
    assert {"distance_to_hospital_km", "active_from"} <= set(doc["tables"]["unit"][0])


def test_units_counts_feed_and_histories_answer_as_before(
    upgraded: tuple[Listing, dict[str, Any]],
) -> None:
    listing, doc = upgraded
    was = doc["answers"]
    with listing.admin as client:
        units = client.get("/v1/units").json()
        assert units == [{**u, **NEW_UNIT_FIELDS} for u in was["units"]]
        for u in was["units"]:
            one = client.get(f"/v1/units/{u['hsa_id']}", params={"date": "2026-03-31"})
            assert one.json() == {**u, **NEW_UNIT_FIELDS}
        for key, counted in was["counts"].items():
            day, care = key.split("/")
            again = client.get(
                "/v1/counts",
                params={"date": day, "care_type": care, "as_known_at": counted["as_known_at"]},
            )
            assert again.status_code == 200, again.text
            assert again.json() == counted
        assert (
            client.get("/v1/changes", params={"after": 0, "limit": 1000}).json() == (was["changes"])
        )
        for personnummer, history in was["histories"].items():
            got = client.post("/v1/listings/history", json={"personnummer": personnummer})
            assert got.json() == history
    # What was compared is not empty: people counted, one apart as out of region.
    primary = was["counts"]["2026-03-31/primary"]
    assert primary["total"] == 6 and sum(u["out_of_region"] for u in primary["units"]) == 1


def test_the_upgraded_database_takes_the_next_change_and_keeps_its_audit_chain(
    upgraded: tuple[Listing, dict[str, Any]],
) -> None:
    listing, doc = upgraded
    last_cursor = doc["answers"]["changes"]["changes"][-1]["cursor"]
    unit = doc["answers"]["units"][0]
    with listing.admin as client:
        edited = client.put(
            f"/v1/units/{unit['hsa_id']}",
            json={
                **{k: v for k, v in unit.items() if k != "hsa_id"},
                "distance_to_hospital_km": "4",
                "effective_from": "2026-07-01",
            },
        )
        assert edited.status_code == 200, edited.text
        before = client.get(f"/v1/units/{unit['hsa_id']}", params={"date": "2026-06-30"})
        assert before.json()["distance_to_hospital_km"] == unit["distance_to_hospital_km"]
        person = next(iter(doc["answers"]["histories"]))
        moved = client.post(
            "/v1/listings",
            json={
                "personnummer": person,
                "hsa_id": unit["hsa_id"],
                "valid_from": "2026-08-01",
                "reason": "administrative",
            },
        )
        assert moved.status_code == 201, moved.text
        feed = client.get("/v1/changes", params={"after": last_cursor}).json()["changes"]
    assert [(c["cursor"], c["kind"]) for c in feed] == [
        (last_cursor + 1, "unit_changed"),
        (last_cursor + 2, "listing_created"),
    ]
    context = context_of(listing.app, ServiceContext)
    audit: AuditLog = context.audit
    engine = make_engine(listing.url)
    try:
        with Session(engine) as session:
            assert audit.verify_chain(session) == []
    finally:
        engine.dispose()
