"""At most one listing covers any day, under concurrent requests, guaranteed by the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from services.listing.db.migrate import migrate
from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

UNITS = [f"SE2321000065-{i:04d}" for i in range(1, 5)]
PEOPLE = [pnr(1980, 1, 1 + i, 100 + i) for i in range(3)]


def _current_rows(url: str) -> list[tuple[int, dt.date, dt.date | None]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT person_id, valid_from, valid_to FROM listing WHERE superseded_at IS NULL "
                "ORDER BY person_id, valid_from"
            )
        ).all()
    engine.dispose()
    return [(r[0], _d(r[1]), _d(r[2]) if r[2] is not None else None) for r in rows]


def _d(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def test_concurrent_listings_never_overlap(listing: Listing) -> None:
    admin = listing.admin
    for h in UNITS:
        admin.put(f"/v1/units/{h}", json=unit_body())
    import_register(admin, register_csv(*(register_row(p) for p in PEOPLE)))
    jobs = [
        (p, UNITS[i % 4], dt.date(2026, 1, 1) + dt.timedelta(days=i % 5))
        for p in PEOPLE
        for i in range(8)
    ]

    def send(job: tuple[str, str, dt.date]) -> int:
        who, hsa, day = job
        client = listing.client("region_admin")
        return client.post(
            "/v1/listings",
            json={
                "personnummer": who,
                "hsa_id": hsa,
                "valid_from": day.isoformat(),
                "reason": "administrative",
            },
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, jobs))
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= len(PEOPLE)
    rows = _current_rows(listing.url)
    by_person: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for person_id, start, end in rows:
        by_person.setdefault(person_id, []).append((start, end))
    assert len(by_person) == len(PEOPLE)
    for periods in by_person.values():
        assert sum(1 for _, end in periods if end is None) == 1
        for (_, end), (next_start, _) in zip(periods, periods[1:], strict=False):
            assert end is not None and end < next_start


def _seed(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO unit (id, hsa_id) VALUES (1, 'SE2321000065-0001')"))
        conn.execute(
            text(
                "INSERT INTO unit_version (unit_id, valid_from, name, municipality_code, "
                "ownership, care_type, distance_to_hospital_km, active_from, recorded_at) "
                "VALUES (1, '2020-01-01', 'U', '2380', 'region', 'primary', '1', '2020-01-01', "
                "'2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO person (id, personnummer, birth_ymd, sex, is_coordination) "
                "VALUES (1, '198001011234', 19800101, 'M', false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO listing (person_id, unit_id, valid_from, valid_to, reason, "
                "special_reason, birth_ymd, sex, municipality_code, recorded_at) VALUES (1, 1, "
                "'2026-01-01', NULL, 'choice', false, 19800101, 'M', '2380', '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()


def _insert(url: str, valid_from: str, valid_to: str | None) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO listing (person_id, unit_id, valid_from, valid_to, reason, "
                    "special_reason, birth_ymd, sex, municipality_code, recorded_at) VALUES (1, 1, "
                    ":f, :t, 'choice', false, 19800101, 'M', '2380', '2026-01-02 00:00:00')"
                ),
                {"f": valid_from, "t": valid_to},
            )
    finally:
        engine.dispose()


def test_database_refuses_a_second_open_listing(new_database_url: Callable[[str], str]) -> None:
    url = new_database_url("listing")
    migrate(url)
    _seed(url)
    with pytest.raises(IntegrityError):
        _insert(url, "2026-02-01", None)


def test_postgres_refuses_any_overlap(pg_database_url: str) -> None:
    migrate(pg_database_url)
    _seed(pg_database_url)
    with pytest.raises(IntegrityError):
        _insert(pg_database_url, "2025-12-01", "2026-01-01")
    _insert(pg_database_url, "2025-12-01", "2025-12-31")
