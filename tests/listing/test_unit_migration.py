"""Migration 0004 carries a database written by the previous release forward: each unit gets
its first version from active_from, and the units and counts answer as they did."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from services.listing.db.migrate import MIGRATIONS, migrate
from services.listing.main import create_app
from shared.context import ServiceContext, context_of
from shared.settings import Settings
from tests.listing.conftest import Listing, pnr

U1, U2 = "SE2321000065-0201", "SE2321000065-0202"
A, B = pnr(1980, 1, 1, 101), pnr(1990, 2, 2, 202)
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _seed_0003(url: str) -> None:
    """Two units (one with a payee-less closing date), two persons listed, one superseded row,
    and the feed rows 0003 carried forward, as the previous release wrote them."""
    engine = create_engine(url)
    with engine.begin() as conn:
        unit = (
            "INSERT INTO unit (hsa_id, name, municipality_code, ownership, care_type, lat, lon, "
            "distance_to_hospital_km, active_from, active_to, updated_at) VALUES (:h, :n, "
            "'2380', :o, 'primary', 63.18, 14.64, :km, :f, :to, :t) RETURNING id"
        )
        u1 = conn.execute(
            text(unit),
            {"h": U1, "n": "Ett", "o": "region", "km": "12.5", "f": dt.date(2020, 1, 1)}
            | {"to": None, "t": T0},
        ).scalar_one()
        conn.execute(
            text(unit),
            {"h": U2, "n": "Två", "o": "private", "km": "48.25", "f": dt.date(2021, 3, 1)}
            | {"to": dt.date(2030, 12, 31), "t": T0 + dt.timedelta(days=1)},
        )
        for n, pn in enumerate((A, B), start=1):
            conn.execute(
                text(
                    "INSERT INTO person (id, personnummer, birth_ymd, sex, is_coordination) "
                    "VALUES (:i, :p, :b, 'M', false)"
                ),
                {"i": n, "p": pn, "b": 19800101 if n == 1 else 19900202},
            )
            conn.execute(
                text(
                    "INSERT INTO person_version (person_id, birth_ymd, sex, municipality_code, "
                    "deso_code, protected_identity, recorded_at) VALUES (:i, :b, 'M', '2380', "
                    "'2380C1010', false, :t)"
                ),
                {"i": n, "b": 19800101 if n == 1 else 19900202, "t": T0},
            )
        listing = (
            "INSERT INTO listing (person_id, unit_id, valid_from, reason, special_reason, "
            "birth_ymd, sex, count_deso, municipality_code, recorded_at, superseded_at) VALUES "
            "(:p, :u, :f, 'choice', false, :b, 'M', '2380C1010', '2380', :t, :s)"
        )
        for p, b, start, at, gone in (
            (1, 19800101, dt.date(2025, 1, 1), T0, T0 + dt.timedelta(days=2)),
            (1, 19800101, dt.date(2025, 2, 1), T0 + dt.timedelta(days=2), None),
            (2, 19900202, dt.date(2025, 6, 1), T0, None),
        ):
            conn.execute(text(listing), {"p": p, "u": u1, "f": start, "b": b, "t": at, "s": gone})
        conn.execute(
            text(
                "INSERT INTO change_log (cursor, recorded_at, kind, reason, care_type, "
                "affects_from, listing_id, person_id) VALUES (1, :t, 'listing_created', "
                "'choice', 'primary', '2025-06-01', 3, 2)"
            ),
            {"t": T0},
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor_sub, actor_roles, action, entity_type, "
                "outcome, prev_hash, row_hash) VALUES (:t, 'seed', '', 'seed', 'seed', 'ok', "
                "'', '')"
            ),
            {"t": T0 + dt.timedelta(days=3)},
        )
    engine.dispose()


def _downgrade(url: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    command.downgrade(cfg, revision)


def _answers(listing: Listing) -> tuple[Any, Any, Any]:
    admin = listing.admin
    units = admin.get("/v1/units", params={"date": "2026-03-01"})
    one = admin.get(f"/v1/units/{U2}", params={"date": "2021-01-01"})
    counts = admin.get("/v1/counts", params={"date": "2026-03-01"})
    for r in (units, one, counts):
        assert r.status_code == 200, r.text
    return units.json(), one.json(), counts.json()


def test_upgrade_from_0003_gives_each_unit_its_first_version(
    new_database_url: Callable[[str], str], tmp_path: Any
) -> None:
    url = new_database_url("listing")
    migrate(url, "0003")
    _seed_0003(url)
    migrate(url)
    settings = Settings(data_dir=tmp_path, listing_database_url=url, env="test")
    app = create_app(settings, database_url=url)
    try:
        listing = Listing(app=app, url=url, settings=settings)
        units, one, counts = _answers(listing)
        assert units == [
            {
                "hsa_id": U1,
                "name": "Ett",
                "municipality_code": "2380",
                "ownership": "region",
                "care_type": "primary",
                "lat": 63.18,
                "lon": 14.64,
                "distance_to_hospital_km": "12.5",
                "active_from": "2020-01-01",
                "active_to": None,
                "organisation_number": None,
                "bankgiro": None,
            },
            {
                "hsa_id": U2,
                "name": "Två",
                "municipality_code": "2380",
                "ownership": "private",
                "care_type": "primary",
                "lat": 63.18,
                "lon": 14.64,
                "distance_to_hospital_km": "48.25",
                "active_from": "2021-03-01",
                "active_to": "2030-12-31",
                "organisation_number": None,
                "bankgiro": None,
            },
        ]
        assert one == units[1]  # before its first version: the first version
        assert counts["total"] == 2
        assert [(u["hsa_id"], u["listed"]) for u in counts["units"]] == [(U1, 2), (U2, 0)]
        # Recorded at the unit's updated_at: known from then, not before.
        before = listing.admin.get(
            "/v1/units", params={"as_known_at": "2026-01-01T12:00:00+00:00"}
        ).json()
        assert [u["hsa_id"] for u in before] == [U1]
        # The counts as known at the seed's moments are those the old release answered.
        old = listing.admin.get(
            "/v1/counts",
            params={"date": "2025-03-01", "as_known_at": "2026-01-02T12:00:00+00:00"},
        ).json()
        assert old["total"] == 1
        # Downgrade to 0003 and up again keeps the units' attributes.
        context_of(app, ServiceContext).db.dispose()
        _downgrade(url, "0003")
        migrate(url)
        app = create_app(settings, database_url=url)
        listing = Listing(app=app, url=url, settings=settings)
        assert _answers(listing)[0] == units
    finally:
        context_of(app, ServiceContext).db.dispose()
