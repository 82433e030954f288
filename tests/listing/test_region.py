"""The region's geography: SCB's municipalities as reference data, GET /v1/region, what a
register row and a unit may name, and residents of other regions counted apart."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import create_engine, text

from services.listing.db.migrate import migrate
from services.listing.db.reference import vendored_municipalities
from services.listing.loaders import import_units_file
from services.listing.main import create_app
from services.listing.settings import ListingConfig
from shared.context import ServiceContext, context_of
from shared.errors import Unprocessable
from shared.schemas.listing import Counts, Region
from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

JAMTLAND = {
    "2303": "Ragunda",
    "2305": "Bräcke",
    "2309": "Krokom",
    "2313": "Strömsund",
    "2321": "Åre",
    "2326": "Berg",
    "2361": "Härjedalen",
    "2380": "Östersund",
}
U1, U2 = "SE2321000065-0001", "SE2321000065-0002"
HOME, VISITOR, SECOND = pnr(1980, 5, 17, 123), pnr(1990, 1, 2, 456), pnr(2001, 12, 31, 789)
D = "2026-02-28"


def _scalar(url: str, sql: str) -> Any:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return value


@pytest.fixture
def sweden(listing: Listing) -> Iterator[Listing]:
    """The same database served as the whole country (REGION_CODE=SE)."""
    app = create_app(
        listing.settings, database_url=listing.url, config=ListingConfig(region_code="SE")
    )
    yield Listing(app=app, url=listing.url, settings=listing.settings)
    context_of(app, ServiceContext).db.dispose()


# --- the vendored list --------------------------------------------------------------------


def test_the_vendored_list_is_scbs_290_municipalities() -> None:
    found = vendored_municipalities()
    assert len(found) == 290 and len({m.code for m in found}) == 290
    assert all(m.code[:2] == m.county_code and m.name for m in found)
    per_county = Counter(m.county_code for m in found)
    assert len(per_county) == 21
    assert (per_county["01"], per_county["14"], per_county["09"]) == (26, 49, 1)
    assert {m.code: m.name for m in found if m.county_code == "23"} == JAMTLAND


def test_migrations_load_the_list(listing: Listing) -> None:
    assert _scalar(listing.url, "SELECT count(*) FROM municipality") == 290
    assert _scalar(listing.url, "SELECT name FROM municipality WHERE code = '0180'") == "Stockholm"


@pytest.mark.parametrize(
    ("value", "code"), [("23", "23"), ("se", "SE"), (" 24, 23 ", "23,24"), ("01", "01")]
)
def test_region_code_setting(value: str, code: str) -> None:
    assert ListingConfig(region_code=value).region_code == code


@pytest.mark.parametrize("value", ["", "2", "230", "99", "23,23", "23;24", "Jämtland", "２３"])
def test_region_code_setting_refuses(value: str) -> None:
    with pytest.raises(ValidationError, match="REGION_CODE"):
        ListingConfig(region_code=value)


def test_region_code_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGION_CODE", "SE")
    assert ListingConfig().region.counties is None


# --- GET /v1/region -------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [("region_admin",), ("service",), ("provider",), ("ops",)])
def test_region_answers_jamtland_by_default(listing: Listing, roles: tuple[str, ...]) -> None:
    r = listing.client(*roles, hsa_ids=[U1]).get("/v1/region")
    assert r.status_code == 200, r.text
    region = Region.model_validate(r.json())
    assert (region.code, region.county_codes) == ("23", ["23"])
    assert {m.code: m.name for m in region.municipalities} == JAMTLAND
    assert [m.code for m in region.municipalities] == sorted(JAMTLAND)
    assert {m.county_code for m in region.municipalities} == {"23"}


def test_region_needs_a_token(listing: Listing) -> None:
    assert TestClient(listing.app).get("/v1/region").status_code == 401


def test_region_of_the_whole_country_and_of_joined_counties(
    listing: Listing, sweden: Listing
) -> None:
    body = sweden.admin.get("/v1/region").json()
    assert body["code"] == "SE" and len(body["county_codes"]) == 21
    assert len(body["municipalities"]) == 290
    joined = create_app(
        listing.settings, database_url=listing.url, config=ListingConfig(region_code="24,23")
    )
    with TestClient(joined, headers=dict(listing.admin.headers)) as c:
        body = c.get("/v1/region").json()
    assert body["code"] == "23,24" and body["county_codes"] == ["23", "24"]
    assert len(body["municipalities"]) == 8 + 15


# --- register rows --------------------------------------------------------------------------


def test_unknown_municipality_is_refused_naming_the_row(listing: Listing) -> None:
    r = import_register(
        listing.admin,
        register_csv(register_row(HOME), register_row(VISITOR, municipality="9999", deso="")),
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "municipality_code")]
    assert "9999" in errors[0]["message"] and "SCB" in errors[0]["message"]
    assert _scalar(listing.url, "SELECT count(*) FROM person") == 0


@pytest.mark.parametrize(
    ("municipality", "deso"),
    [("2380", "0180C1010"), ("0180", "2380C1010"), ("2380", "2309B0001")],
)
def test_deso_of_another_municipality_is_refused(
    listing: Listing, municipality: str, deso: str
) -> None:
    r = import_register(
        listing.admin,
        register_csv(
            register_row(HOME), register_row(VISITOR, municipality=municipality, deso=deso)
        ),
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "deso_code")]
    assert deso[:4] in errors[0]["message"] and municipality in errors[0]["message"]
    assert _scalar(listing.url, "SELECT count(*) FROM person") == 0


@pytest.mark.parametrize("deso", ["ZZZZZZZZZ", "2380D1010", "2380C101", "23801010C"])
def test_deso_must_have_scbs_form(listing: Listing, deso: str) -> None:
    r = import_register(listing.admin, register_csv(register_row(HOME, deso=deso)))
    assert r.status_code == 422
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(2, "deso_code")]


def test_residents_of_other_regions_may_be_in_the_register(listing: Listing) -> None:
    r = import_register(
        listing.admin,
        register_csv(register_row(HOME), register_row(VISITOR, municipality="0180")),
    )
    assert r.status_code == 200, r.text


# --- units ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "phrase"), [("0180", "outside the region"), ("9999", "SCB")])
def test_a_unit_outside_the_region_is_refused(listing: Listing, code: str, phrase: str) -> None:
    r = listing.admin.put(f"/v1/units/{U1}", json=unit_body(code))
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["municipality_code"]
    assert phrase in errors[0]["message"]
    assert listing.admin.get(f"/v1/units/{U1}").status_code == 404


def test_the_whole_country_takes_units_anywhere_in_sweden(sweden: Listing) -> None:
    assert sweden.admin.put(f"/v1/units/{U1}", json=unit_body("0180")).status_code == 201
    assert sweden.admin.put(f"/v1/units/{U2}", json=unit_body("9999")).status_code == 422


def test_a_units_file_with_a_unit_outside_the_region_is_refused(
    listing: Listing, tmp_path: Path
) -> None:
    path = tmp_path / "units.json"
    path.write_text(
        json.dumps([{**unit_body(), "hsa_id": U1}, {**unit_body("0180"), "hsa_id": U2}]),
        encoding="utf-8",
    )
    db = context_of(listing.app, ServiceContext).db
    with pytest.raises(Unprocessable) as refused:
        import_units_file(db, listing.settings, path)
    assert [(e["row"], e["field"]) for e in refused.value.errors or []] == [
        (2, "municipality_code")
    ]
    assert _scalar(listing.url, "SELECT count(*) FROM unit") == 0


# --- counts and defaults --------------------------------------------------------------------


def _list(c: TestClient, who: str, hsa_id: str, valid_from: str = "2026-01-01") -> None:
    r = c.post(
        "/v1/listings",
        json={"personnummer": who, "hsa_id": hsa_id, "valid_from": valid_from, "reason": "choice"},
    )
    assert r.status_code == 201, r.text


def _counts(c: TestClient, **params: str) -> Counts:
    r = c.get("/v1/counts", params={"date": D, "care_type": "primary", **params})
    assert r.status_code == 200, r.text
    return Counts.model_validate(r.json())


@pytest.fixture
def visitor(listing: Listing) -> TestClient:
    """A resident of Östersund and one of Stockholm (0180), both listed at U1."""
    c = listing.admin
    for h in (U1, U2):
        assert c.put(f"/v1/units/{h}", json=unit_body()).status_code == 201
    r = import_register(
        c, register_csv(register_row(HOME), register_row(VISITOR, municipality="0180"))
    )
    assert r.status_code == 200, r.text
    _list(c, HOME, U1)
    _list(c, VISITOR, U1)
    return c


def test_an_out_of_region_resident_is_counted_apart(visitor: TestClient) -> None:
    counts = _counts(visitor)
    u1 = next(u for u in counts.units if u.hsa_id == U1)
    assert (u1.listed, u1.out_of_region, counts.total) == (1, 1, 1)
    assert sum(g["count"] for g in u1.by_age_sex) == 1
    assert [(g["age"], g["sex"].value) for g in u1.by_age_sex] == [(45, "M")]
    assert [(g["deso_code"], g["count"]) for g in u1.by_deso] == [("2380C1010", 1)]
    assert counts.excluded == []
    u2 = next(u for u in counts.units if u.hsa_id == U2)
    assert (u2.listed, u2.out_of_region) == (0, 0)


def test_a_provider_sees_its_own_out_of_region_count(listing: Listing, visitor: TestClient) -> None:
    r = listing.client("provider", hsa_ids=[U1]).get(
        "/v1/counts", params={"date": D, "care_type": "primary"}
    )
    assert r.status_code == 200
    assert [(u["hsa_id"], u["listed"], u["out_of_region"]) for u in r.json()["units"]] == [
        (U1, 1, 1)
    ]


def test_moving_into_the_region_makes_a_resident_counted(
    listing: Listing, visitor: TestClient
) -> None:
    before = _counts(visitor)
    r = import_register(
        visitor, register_csv(register_row(HOME), register_row(VISITOR, municipality="2309"))
    )
    assert r.json() == {"inserted": 0, "updated": 1, "unchanged": 1}
    u1 = next(u for u in _counts(visitor).units if u.hsa_id == U1)
    assert (u1.listed, u1.out_of_region) == (2, 0)
    # As known before the move, the count is what it was.
    assert before.as_known_at is not None
    again = _counts(visitor, as_known_at=before.as_known_at.isoformat())
    assert again.model_dump(exclude={"as_known_at"}) == before.model_dump(exclude={"as_known_at"})
    # Moving away again counts them apart again.
    import_register(
        visitor, register_csv(register_row(HOME), register_row(VISITOR, municipality="2481"))
    )
    u1 = next(u for u in _counts(visitor).units if u.hsa_id == U1)
    assert (u1.listed, u1.out_of_region) == (1, 1)


def test_the_whole_country_counts_everyone(sweden: Listing, visitor: TestClient) -> None:
    counts = _counts(sweden.admin)
    u1 = next(u for u in counts.units if u.hsa_id == U1)
    assert (u1.listed, u1.out_of_region, counts.total) == (2, 0, 2)


def test_defaults_place_only_residents_of_the_region(listing: Listing) -> None:
    c = listing.admin
    assert c.put(f"/v1/units/{U1}", json=unit_body()).status_code == 201
    import_register(
        c,
        register_csv(
            register_row(HOME),
            register_row(VISITOR, municipality="0180", lat="59.33", lon="18.07"),
            register_row(SECOND, municipality="0180", lat="", lon=""),
        ),
    )
    r = c.post("/v1/listings/assign-defaults", json={"date": "2026-01-01"})
    assert r.status_code == 200 and r.json() == {"assigned": 1}
    counts = _counts(c)
    assert [(u.hsa_id, u.listed, u.out_of_region) for u in counts.units] == [(U1, 1, 0)]


# --- carried forward ------------------------------------------------------------------------


def test_the_migration_carries_existing_listings_forward(
    new_database_url: Callable[[str], str],
) -> None:
    """A database of the previous release: each listing row gets the municipality of the person
    version current when the row was recorded."""
    url = new_database_url("listing")
    migrate(url, "0001")
    t1, t2 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO unit (id, hsa_id, name, municipality_code, ownership, care_type, "
                "distance_to_hospital_km, active_from, updated_at) VALUES (1, :h, 'U', '2380', "
                "'region', 'primary', '1', '2020-01-01', :t)"
            ),
            {"h": U1, "t": t1},
        )
        conn.execute(
            text(
                "INSERT INTO person (id, personnummer, birth_ymd, sex, is_coordination) "
                "VALUES (1, :p, 19800517, 'M', false)"
            ),
            {"p": HOME},
        )
        version = (
            "INSERT INTO person_version (person_id, birth_ymd, sex, municipality_code, "
            "protected_identity, recorded_at, superseded_at) "
            "VALUES (1, 19800517, 'M', :m, false, :r, :s)"
        )
        conn.execute(text(version), {"m": "0180", "r": t1, "s": t2})
        conn.execute(text(version), {"m": "2380", "r": t2, "s": None})
        row = (
            "INSERT INTO listing (person_id, unit_id, valid_from, valid_to, reason, "
            "special_reason, birth_ymd, sex, recorded_at, superseded_at) "
            "VALUES (1, 1, '2025-01-01', NULL, 'choice', false, 19800517, 'M', :r, :s)"
        )
        conn.execute(text(row), {"r": t1, "s": t2})
        conn.execute(text(row), {"r": t2, "s": None})
    migrate(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT municipality_code FROM listing ORDER BY recorded_at")
        ).all()
        municipalities = conn.execute(text("SELECT count(*) FROM municipality")).scalar_one()
    engine.dispose()
    assert [r[0] for r in found] == ["0180", "2380"]
    assert municipalities == 290


# --- the synthetic regions ------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["rjh", "stockholm", "national"])
def test_generated_regions_use_real_codes_of_their_region(profile: str, tmp_path: Path) -> None:
    """What the demo and the benchmarks load passes the region's rules under REGION_CODES."""
    from services.listing.synthetic import REGION_CODES, generate

    files = generate(residents=3_000, units=300, seed=1, out_dir=tmp_path, profile=profile)
    known = {m.code for m in vendored_municipalities()}
    scope = ListingConfig(region_code=REGION_CODES[profile]).region
    units = json.loads(files.units_json.read_text(encoding="utf-8"))
    assert all(
        u["municipality_code"] in known and scope.covers(u["municipality_code"]) for u in units
    )
    with files.register_csv.open(encoding="utf-8") as f:
        rows = [line.split(",") for line in f.read().splitlines()[1:]]
    assert rows and all(r[1] in known and scope.covers(r[1]) for r in rows)
    assert all(r[2] == "" or r[2][:4] == r[1] for r in rows)
    if profile == "national":
        assert len({u["municipality_code"] for u in units}) == 290
