"""GET /v1/changes: every committed change once, in commit order, without identity numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from services.listing.db.migrate import migrate
from services.listing.main import create_app
from services.listing.service import person_key
from shared.context import ServiceContext, context_of
from shared.settings import Settings
from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

U1, U2 = "SE2321000065-0001", "SE2321000065-0002"
A, B, C = pnr(1980, 1, 1, 101), pnr(1981, 2, 2, 202), pnr(1982, 3, 3, 303)


def _list(client: TestClient, who: str, hsa_id: str, day: str) -> Any:
    return client.post(
        "/v1/listings",
        json={"personnummer": who, "hsa_id": hsa_id, "valid_from": day, "reason": "administrative"},
    )


def _feed(client: TestClient, **params: int) -> list[dict[str, Any]]:
    answer = client.get("/v1/changes", params=params)
    assert answer.status_code == 200, answer.text
    for pn in (A, B, C):
        assert pn not in answer.text and pn[2:] not in answer.text
    changes: list[dict[str, Any]] = answer.json()["changes"]
    return changes


def test_feed_of_units_register_and_listings(listing: Listing) -> None:
    admin = listing.admin
    assert admin.put(f"/v1/units/{U1}", json=unit_body()).status_code == 201
    assert admin.put(f"/v1/units/{U1}", json=unit_body()).status_code == 200  # no change
    edited = unit_body(active_from="2019-06-01") | {"distance_to_hospital_km": "20"}
    assert admin.put(f"/v1/units/{U1}", json=edited).status_code == 200
    assert import_register(admin, register_csv(register_row(A), register_row(B))).status_code == 200
    created = _list(admin, A, U1, "2026-03-01")
    assert created.status_code == 201, created.text
    changed = register_csv(register_row(A, deso="2380C1020"), register_row(B), register_row(C))
    assert import_register(admin, changed).status_code == 200

    feed = _feed(listing.client("service"))
    assert [c["cursor"] for c in feed] == [1, 2, 3, 4, 5]
    assert [c["kind"] for c in feed] == [
        "unit_changed",
        "unit_changed",
        "register_changed",
        "listing_created",
        "register_changed",
    ]
    assert feed[0] | {"recorded_at": None} == {
        "cursor": 1,
        "recorded_at": None,
        "kind": "unit_changed",
        "reason": None,
        "care_type": "primary",
        "affects_from": "2020-01-01",
        "affects_to": None,
        "listing_id": None,
        "person_key": None,
        "hsa_id": U1,
        "persons": None,
    }
    assert feed[1]["affects_from"] == "2019-06-01"
    # The first import changed no listing: two persons, no count date.
    assert (feed[2]["persons"], feed[2]["affects_from"]) == (2, None)
    new = feed[3]
    assert new["listing_id"] == created.json()["listing_id"]
    assert new["person_key"] == person_key(A, listing.settings.hash_key)
    assert (new["reason"], new["care_type"], new["affects_from"], new["affects_to"]) == (
        "administrative",
        "primary",
        "2026-03-01",
        None,
    )
    # One entry for the whole import: A changed and C is new; A's listing counts from March.
    assert (feed[4]["persons"], feed[4]["affects_from"]) == (2, "2026-03-01")
    times = [dt.datetime.fromisoformat(c["recorded_at"]) for c in feed]
    assert times == sorted(times)


def test_paging_with_after_and_limit(listing: Listing) -> None:
    admin = listing.admin
    for i in range(1, 6):
        assert admin.put(f"/v1/units/SE2321000065-{i:04d}", json=unit_body()).status_code == 201
    ops = listing.client("ops")
    first = ops.get("/v1/changes", params={"limit": 2}).json()
    assert [c["cursor"] for c in first["changes"]] == [1, 2] and first["next_after"] == 2
    second = ops.get("/v1/changes", params={"after": 2, "limit": 2}).json()
    assert [c["cursor"] for c in second["changes"]] == [3, 4] and second["next_after"] == 4
    last = ops.get("/v1/changes", params={"after": 4, "limit": 2}).json()
    assert [c["cursor"] for c in last["changes"]] == [5] and last["next_after"] is None
    assert ops.get("/v1/changes", params={"after": 5}).json() == {
        "changes": [],
        "next_after": None,
    }
    assert len(_feed(ops)) == 5  # default: from the start, up to 100
    for bad in ({"limit": 0}, {"limit": 1001}, {"after": -1}, {"after": 2**63}):
        assert ops.get("/v1/changes", params=bad).status_code == 422, bad


def test_roles(listing: Listing) -> None:
    for role in ("service", "region_admin", "ops"):
        assert listing.client(role).get("/v1/changes").status_code == 200, role
    for role in ("provider", "finance_approver"):
        assert listing.client(role, hsa_ids=[U1]).get("/v1/changes").status_code == 403, role
    assert TestClient(listing.app).get("/v1/changes").status_code == 401


def test_concurrent_writers_get_gap_free_cursors_in_commit_order(listing: Listing) -> None:
    admin = listing.admin
    units = [f"SE2321000065-{i:04d}" for i in range(1, 5)]
    for h in units:
        admin.put(f"/v1/units/{h}", json=unit_body())
    people = [pnr(1970, 1, 1 + i, 100 + i) for i in range(6)]
    import_register(admin, register_csv(*(register_row(p) for p in people)))
    jobs = [(p, units[i % 4], f"2026-01-{1 + i:02d}") for p in people for i in range(4)]

    def send(job: tuple[str, str, str]) -> int:
        who, hsa_id, day = job
        status: int = _list(listing.client("region_admin"), who, hsa_id, day).status_code
        return status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, jobs))
    assert set(statuses) <= {201, 409}
    feed: list[dict[str, Any]] = []
    after = 0
    while True:
        page = admin.get("/v1/changes", params={"after": after, "limit": 7}).json()
        feed += page["changes"]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert [c["cursor"] for c in feed] == list(range(1, len(feed) + 1))
    listed = [c for c in feed if c["kind"] == "listing_created"]
    assert len(listed) == statuses.count(201)
    times = [dt.datetime.fromisoformat(c["recorded_at"]) for c in feed]
    assert times == sorted(times)
    # In commit order: each listing's id was written after the previous entry's.
    ids = [c["listing_id"] for c in listed]
    assert ids == sorted(ids)


def _seed_0002(url: str) -> list[int]:
    """A database written by the previous release: a unit, two persons, a superseded row;
    returns the listing ids in the order written."""
    engine = create_engine(url)
    with engine.begin() as conn:
        unit_id = conn.execute(
            text(
                "INSERT INTO unit (hsa_id, name, municipality_code, ownership, care_type, "
                "distance_to_hospital_km, active_from, updated_at) VALUES (:h, 'U', '2380', "
                "'region', 'primary', '1', :d, :t) RETURNING id"
            ),
            {"h": U1, "d": dt.date(2020, 1, 1), "t": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        ).scalar_one()
        persons = [
            conn.execute(
                text(
                    "INSERT INTO person (personnummer, birth_ymd, sex, is_coordination) "
                    "VALUES (:p, 19800101, 'M', false) RETURNING id"
                ),
                {"p": pn},
            ).scalar_one()
            for pn in (A, B)
        ]
        rows = [  # (person, from, recorded, superseded)
            (persons[0], dt.date(2025, 1, 1), dt.datetime(2025, 1, 1, tzinfo=dt.UTC), True),
            (persons[1], dt.date(2025, 6, 1), dt.datetime(2025, 6, 1, tzinfo=dt.UTC), False),
            (persons[0], dt.date(2025, 1, 1), dt.datetime(2025, 9, 1, tzinfo=dt.UTC), False),
        ]
        ids = [
            conn.execute(
                text(
                    "INSERT INTO listing (person_id, unit_id, valid_from, reason, "
                    "special_reason, birth_ymd, sex, municipality_code, recorded_at, "
                    "superseded_at) VALUES (:p, :u, :f, 'choice', false, 19800101, 'M', "
                    "'2380', :t, :s) RETURNING id"
                ),
                {"p": pid, "u": unit_id, "f": start, "t": at, "s": at if gone else None},
            ).scalar_one()
            for pid, start, at, gone in rows
        ]
    engine.dispose()
    return [int(i) for i in ids]


def test_upgrade_from_0002_carries_current_listings_forward(
    new_database_url: Callable[[str], str], tmp_path: Any
) -> None:
    url = new_database_url("listing")
    migrate(url, "0002")
    ids = _seed_0002(url)
    migrate(url)
    settings = Settings(data_dir=tmp_path, listing_database_url=url, env="test")
    app = create_app(settings, database_url=url)
    try:
        listing = Listing(app=app, url=url, settings=settings)
        feed = _feed(listing.client("service"))
        assert [(c["cursor"], c["listing_id"], c["affects_from"]) for c in feed] == [
            (1, ids[1], "2025-06-01"),
            (2, ids[2], "2025-01-01"),
        ]
        assert {c["kind"] for c in feed} == {"listing_created"}
        assert feed[1]["person_key"] == person_key(A, settings.hash_key)
        # A new change continues the numbering.
        assert listing.admin.put(f"/v1/units/{U2}", json=unit_body()).status_code == 201
        assert [c["cursor"] for c in _feed(listing.admin)] == [1, 2, 3]
    finally:
        context_of(app, ServiceContext).db.dispose()
