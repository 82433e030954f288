"""A migrated listing database and app per test, on SQLite or PostgreSQL (HALSOVAL_TEST_DB)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from services.listing.db.migrate import migrate
from services.listing.main import create_app
from shared.auth import mint_token
from shared.context import ServiceContext, context_of
from shared.ids import make_identity_number
from shared.settings import Settings

REGISTER_HEADER = (
    "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,moved_out_on"
)


@dataclass
class Listing:
    app: FastAPI
    url: str
    settings: Settings

    def client(
        self, *roles: str, hsa_ids: list[str] | None = None, sub: str = "test:user"
    ) -> TestClient:
        token = mint_token(
            self.settings, sub=sub, roles=roles or ("region_admin",), hsa_ids=hsa_ids or []
        )
        return TestClient(self.app, headers={"Authorization": f"Bearer {token}"})

    @property
    def admin(self) -> TestClient:
        return self.client("region_admin")


@pytest.fixture
def listing(new_database_url: Callable[[str], str], tmp_path: Any) -> Iterator[Listing]:
    url = new_database_url("listing")
    migrate(url)
    settings = Settings(data_dir=tmp_path, listing_database_url=url, env="test")
    app = create_app(settings, database_url=url)
    yield Listing(app=app, url=url, settings=settings)
    context_of(app, ServiceContext).db.dispose()


def pnr(year: int, month: int, day: int, serial: int = 123, *, coordination: bool = False) -> str:
    return make_identity_number(dt.date(year, month, day), serial, coordination=coordination)


def unit_body(
    municipality: str = "2380",
    *,
    care_type: str = "primary",
    lat: float | None = 63.18,
    lon: float | None = 14.64,
    active_from: str = "2020-01-01",
    active_to: str | None = None,
) -> dict[str, Any]:
    return {
        "name": "Hälsocentral",
        "municipality_code": municipality,
        "ownership": "region",
        "care_type": care_type,
        "lat": lat,
        "lon": lon,
        "distance_to_hospital_km": "12.5",
        "active_from": active_from,
        "active_to": active_to,
    }


def register_row(
    personnummer: str,
    *,
    municipality: str = "2380",
    deso: str | None = None,
    lat: str = "63.18",
    lon: str = "14.64",
    protected: str = "false",
    deceased: str = "",
    moved: str = "",
) -> str:
    """A register row; the DeSO defaults to one in the person's municipality."""
    area = f"{municipality}C1010" if deso is None else deso
    return ",".join([personnummer, municipality, area, lat, lon, protected, deceased, moved])


def register_csv(*rows: str) -> str:
    return "\n".join([REGISTER_HEADER, *rows]) + "\n"


def import_register(client: TestClient, body: str) -> Any:
    return client.post(
        "/v1/register/import", content=body.encode(), headers={"Content-Type": "text/csv"}
    )


def plant_listing(url: str, personnummer: str, birth_ymd: int, hsa_id: str) -> None:
    """A person and a current listing written straight into the database, past validation."""
    engine = create_engine(url)
    with engine.begin() as conn:
        person_id = conn.execute(
            text(
                "INSERT INTO person (personnummer, birth_ymd, sex, is_coordination) "
                "VALUES (:p, :b, 'F', false) RETURNING id"
            ),
            {"p": personnummer, "b": birth_ymd},
        ).scalar_one()
        unit_id = conn.execute(
            text("SELECT id FROM unit WHERE hsa_id = :h"), {"h": hsa_id}
        ).scalar()
        conn.execute(
            text(
                "INSERT INTO listing (person_id, unit_id, valid_from, reason, special_reason, "
                "birth_ymd, sex, count_deso, municipality_code, recorded_at) VALUES (:p, :u, :f, "
                "'choice', false, :b, 'F', '2380C1010', '2380', :t)"
            ),
            {
                "p": person_id,
                "u": unit_id,
                "f": dt.date(2026, 1, 1),
                "b": birth_ymd,
                "t": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            },
        )
    engine.dispose()
