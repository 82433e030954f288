"""A corpus of bad input: every class of bad register file, body and parameter is a 4xx naming
the row (as a spreadsheet numbers it: the header is row 1) and the field, and nothing changes
(a digest of every table is the same before and after)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from shared.db import make_engine
from shared.ids import make_identity_number, today_in_sweden
from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)
from tests.security.conftest import snapshot

U1 = "SE2321000065-0001"
A = pnr(1980, 5, 17, 123)
YOUNG = pnr(2001, 12, 31, 456)
TODAY = today_in_sweden()
TOMORROW = TODAY + dt.timedelta(days=1)
FAR = TODAY + dt.timedelta(days=400)
FULLWIDTH = A.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
OK = register_row(A)


@pytest.fixture
def admin(listing: Listing) -> TestClient:
    c = listing.admin
    assert c.put(f"/v1/units/{U1}", json=unit_body()).status_code == 201
    assert import_register(c, register_csv(OK, register_row(YOUNG))).status_code == 200
    body = {"personnummer": A, "hsa_id": U1, "valid_from": "2026-01-01", "reason": "choice"}
    assert c.post("/v1/listings", json=body).status_code == 201
    return c


@pytest.fixture
def engine(listing: Listing) -> Iterator[Engine]:
    e = make_engine(listing.url)
    yield e
    e.dispose()


def _unchanged(engine: Engine, call: Any) -> Any:
    before = snapshot(engine)
    r = call()
    assert snapshot(engine) == before, "a refused request changed the database"
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return r


def _errors(r: Any) -> list[tuple[Any, str, str]]:
    return [(e.get("row"), e["field"], e["message"]) for e in r.json().get("errors") or []]


# (file bytes, row, field, a phrase of the message)
REGISTER_FILES: dict[str, tuple[bytes, int, str, str]] = {
    "field over csv's limit": (
        register_csv(OK, register_row(YOUNG, deso="x" * 200_000)).encode(),
        3,
        "deso_code",
        "longer than 131072",
    ),
    "unclosed quote": (
        register_csv(OK, register_row(YOUNG, deso='"2380C1010'), *([OK] * 30_000)).encode(),
        3,
        "deso_code",
        "never closed",
    ),
    "semicolons (Swedish Excel)": (
        register_csv(OK).replace(",", ";").encode(),
        1,
        "header",
        "separated by semicolons",
    ),
    "Windows-1252": (
        register_csv(OK, register_row(YOUNG, deso="Östersund")).encode("cp1252"),
        3,
        "deso_code",
        "Windows-1252",
    ),
    "UTF-16": (register_csv(OK).encode("utf-16"), 1, "header", "UTF-16"),
    "short row": (register_csv(OK, f"{YOUNG},2380,2380C1010").encode(), 3, "row", "has 3 fields"),
    "long row": (register_csv(OK + ",extra").encode(), 2, "row", "has 9 fields"),
    "non-ASCII digits": (
        register_csv(register_row(FULLWIDTH)).encode(),
        2,
        "personnummer",
        "12 digits",
    ),
    "born after today": (
        register_csv(register_row(make_identity_number(TOMORROW, 123))).encode(),
        2,
        "personnummer",
        "in the future",
    ),
    "born before 1870": (
        register_csv(register_row(make_identity_number(dt.date(1869, 12, 31), 123))).encode(),
        2,
        "personnummer",
        "before 1870",
    ),
    "serial 000": (
        register_csv(register_row("198005170008")).encode(),
        2,
        "personnummer",
        "000",
    ),
    "date as a number": (
        register_csv(register_row(A, deceased="20260101")).encode(),
        2,
        "deceased_on",
        "ISO date",
    ),
    "date before 1990": (
        register_csv(register_row(A, deceased="1989-12-31")).encode(),
        2,
        "deceased_on",
        "from 1990-01-01",
    ),
    "date over a year ahead": (
        register_csv(register_row(A, moved=FAR.isoformat())).encode(),
        2,
        "moved_out_on",
        "must lie from",
    ),
    "moved out before birth": (
        register_csv(register_row(YOUNG, moved="2000-01-01")).encode(),
        2,
        "moved_out_on",
        "before the birth date",
    ),
    "protected_identity TRUE": (
        register_csv(register_row(A, protected="TRUE")).encode(),
        2,
        "protected_identity",
        "true or false",
    ),
    "protected_identity 1": (
        register_csv(register_row(A, protected="1")).encode(),
        2,
        "protected_identity",
        "true or false",
    ),
    "DeSO in lower case": (
        register_csv(register_row(A, deso="2380c1010")).encode(),
        2,
        "deso_code",
        "9 characters",
    ),
    "municipality in fullwidth digits": (
        register_csv(register_row(A, municipality="２３８０")).encode(),
        2,
        "municipality_code",
        "4 digits",
    ),
    "coordinate with an exponent": (
        register_csv(register_row(A, lat="6.3e1")).encode(),
        2,
        "lat",
        "decimal number",
    ),
    "empty file": (b"", 1, "header", "empty"),
}


@pytest.mark.parametrize("case", sorted(REGISTER_FILES))
def test_a_bad_register_file_names_row_and_field_and_writes_nothing(
    admin: TestClient, engine: Engine, case: str
) -> None:
    body, row, field, phrase = REGISTER_FILES[case]
    r = _unchanged(
        engine,
        lambda: admin.post(
            "/v1/register/import", content=body, headers={"Content-Type": "text/csv"}
        ),
    )
    assert r.status_code == 422, r.text
    found = _errors(r)
    assert (row, field) == found[0][:2], found
    assert phrase in found[0][2], found


def test_the_command_line_import_answers_the_same(
    listing: Listing, admin: TestClient, engine: Engine, tmp_path: Any
) -> None:
    from services.listing import loaders
    from shared.context import ServiceContext, context_of
    from shared.errors import Unprocessable

    db = context_of(listing.app, ServiceContext).db
    for case in ("Windows-1252", "semicolons (Swedish Excel)", "field over csv's limit"):
        body, row, field, phrase = REGISTER_FILES[case]
        path = tmp_path / "register.csv"
        path.write_bytes(body)
        before = snapshot(engine)
        with pytest.raises(Unprocessable) as caught:
            loaders.import_register_file(db, listing.settings, path)
        assert snapshot(engine) == before
        first = (caught.value.errors or [])[0]
        assert (first["row"], first["field"]) == (row, field) and phrase in first["message"]


def test_a_register_body_that_is_not_csv_is_415(admin: TestClient, engine: Engine) -> None:
    r = _unchanged(
        engine,
        lambda: admin.post(
            "/v1/register/import", content=b"{}", headers={"Content-Type": "application/json"}
        ),
    )
    assert r.status_code == 415


def _unit(**over: Any) -> dict[str, Any]:
    return {**unit_body(), **over}


def _listing(**over: Any) -> dict[str, Any]:
    return {
        "personnummer": A,
        "hsa_id": U1,
        "valid_from": "2026-02-01",
        "reason": "choice",
        **over,
    }


# (method, path, json body or None, query params or None, the field named)
REQUESTS: dict[str, tuple[str, str, Any, Any, str]] = {
    "unit active_from before 1990": (
        "PUT",
        f"/v1/units/{U1}",
        _unit(active_from="1989-12-31"),
        None,
        "active_from",
    ),
    "unit active_from as a number": (
        "PUT",
        f"/v1/units/{U1}",
        _unit(active_from=0),
        None,
        "active_from",
    ),
    "unit active_to over a year ahead": (
        "PUT",
        f"/v1/units/{U1}",
        _unit(active_to=FAR.isoformat()),
        None,
        "active_to",
    ),
    "unit active_to before active_from": (
        "PUT",
        f"/v1/units/{U1}",
        _unit(active_from="2025-01-01", active_to="2024-12-31"),
        None,
        "body",
    ),
    "unit distance over 2000 km": (
        "PUT",
        f"/v1/units/{U1}",
        _unit(distance_to_hospital_km="2000.001"),
        None,
        "distance_to_hospital_km",
    ),
    "unit distance with an exponent": (
        "PUT",
        f"/v1/units/{U1}",
        _unit(distance_to_hospital_km="1E+3"),
        None,
        "distance_to_hospital_km",
    ),
    "unit distance with 4 decimals": (
        "PUT",
        f"/v1/units/{U1}",
        _unit(distance_to_hospital_km="12.3456"),
        None,
        "distance_to_hospital_km",
    ),
    "unit distance negative": (
        "PUT",
        f"/v1/units/{U1}",
        _unit(distance_to_hospital_km="-1"),
        None,
        "distance_to_hospital_km",
    ),
    "unit lat out of range": ("PUT", f"/v1/units/{U1}", _unit(lat=90.5), None, "lat"),
    "unit name too long": ("PUT", f"/v1/units/{U1}", _unit(name="x" * 201), None, "name"),
    "unit name with a NUL": ("PUT", f"/v1/units/{U1}", _unit(name="a\x00b"), None, "name"),
    "unit unknown field": ("PUT", f"/v1/units/{U1}", _unit(colour="red"), None, "colour"),
    "listing valid_from before birth": (
        "POST",
        "/v1/listings",
        _listing(personnummer=YOUNG, valid_from="2001-06-01"),
        None,
        "valid_from",
    ),
    "listing valid_from before 1990": (
        "POST",
        "/v1/listings",
        _listing(valid_from="1989-12-31"),
        None,
        "valid_from",
    ),
    "listing valid_from as a number": (
        "POST",
        "/v1/listings",
        _listing(valid_from=0),
        None,
        "valid_from",
    ),
    "listing valid_from not a date": (
        "POST",
        "/v1/listings",
        _listing(valid_from="2026-02-30"),
        None,
        "valid_from",
    ),
    "listing special_reason yes": (
        "POST",
        "/v1/listings",
        _listing(special_reason="yes"),
        None,
        "special_reason",
    ),
    "listing special_reason 1": (
        "POST",
        "/v1/listings",
        _listing(special_reason=1),
        None,
        "special_reason",
    ),
    "listing personnummer born tomorrow": (
        "POST",
        "/v1/listings",
        _listing(personnummer=make_identity_number(TOMORROW, 123)),
        None,
        "personnummer",
    ),
    "listing unknown reason": ("POST", "/v1/listings", _listing(reason="whim"), None, "reason"),
    "history as_known_at as a number": (
        "POST",
        "/v1/listings/history",
        {"personnummer": A, "as_known_at": 0},
        None,
        "as_known_at",
    ),
    "history as_known_at without offset": (
        "POST",
        "/v1/listings/history",
        {"personnummer": A, "as_known_at": "2026-01-01T00:00:00"},
        None,
        "as_known_at",
    ),
    "history as_known_at in year 1": (
        "POST",
        "/v1/listings/history",
        {"personnummer": A, "as_known_at": "0001-01-01T00:00:00+01:00"},
        None,
        "as_known_at",
    ),
    "defaults date as a number": (
        "POST",
        "/v1/listings/assign-defaults",
        {"date": 20260101},
        None,
        "date",
    ),
    "defaults date before 1990": (
        "POST",
        "/v1/listings/assign-defaults",
        {"date": "1989-01-01"},
        None,
        "date",
    ),
    "counts date not a date": ("GET", "/v1/counts", None, {"date": "2026-02-30"}, "date"),
    "counts date before 1990": ("GET", "/v1/counts", None, {"date": "1989-12-31"}, "date"),
    "counts date in basic format": ("GET", "/v1/counts", None, {"date": "20260228"}, "date"),
    "counts as_known_at without offset": (
        "GET",
        "/v1/counts",
        None,
        {"date": "2026-02-28", "as_known_at": "2026-02-28T00:00:00"},
        "as_known_at",
    ),
    "counts as_known_at as epoch seconds": (
        "GET",
        "/v1/counts",
        None,
        {"date": "2026-02-28", "as_known_at": "1767225600"},
        "as_known_at",
    ),
    "counts unknown care type": (
        "GET",
        "/v1/counts",
        None,
        {"date": "2026-02-28", "care_type": "vet"},
        "care_type",
    ),
    "listing id 0": ("GET", "/v1/listings/0", None, None, "listing_id"),
    "listing id over int64": ("GET", f"/v1/listings/{2**63}", None, None, "listing_id"),
}


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_a_bad_body_or_parameter_is_422_naming_the_field_and_writes_nothing(
    admin: TestClient, engine: Engine, case: str
) -> None:
    method, path, body, params, field = REQUESTS[case]
    r = _unchanged(engine, lambda: admin.request(method, path, json=body, params=params))
    assert r.status_code == 422, r.text
    assert field in {f for _, f, _ in _errors(r)}, r.json()
