"""Register import: idempotent, all or nothing, every bad row listed."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from shared.context import ServiceContext, context_of
from tests.listing.conftest import Listing, import_register, pnr, register_csv, register_row

A, B, C = pnr(1980, 5, 17, 123), pnr(1990, 1, 2, 456), pnr(2001, 12, 31, 789)


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return value


def test_import_inserts_then_same_file_changes_nothing(listing: Listing) -> None:
    body = register_csv(
        register_row(A), register_row(B, lat="", lon="", deso=""), register_row(C, protected="true")
    )
    first = import_register(listing.admin, body)
    assert first.status_code == 200, first.text
    assert first.json() == {"inserted": 3, "updated": 0, "unchanged": 0}
    again = import_register(listing.admin, body)
    assert again.json() == {"inserted": 0, "updated": 0, "unchanged": 3}
    assert _count(listing.url, "SELECT count(*) FROM person_version") == 3


def test_changed_row_updates_and_keeps_the_old_version(listing: Listing) -> None:
    import_register(listing.admin, register_csv(register_row(A), register_row(B)))
    r = import_register(
        listing.admin, register_csv(register_row(A, deceased="2026-01-10"), register_row(B))
    )
    assert r.json() == {"inserted": 0, "updated": 1, "unchanged": 1}
    assert _count(listing.url, "SELECT count(*) FROM person_version") == 3
    assert (
        _count(listing.url, "SELECT count(*) FROM person_version WHERE superseded_at IS NOT NULL")
        == 1
    )


def test_bad_rows_are_all_listed_and_nothing_is_written(listing: Listing) -> None:
    body = register_csv(
        register_row(A),  # row 2 (the header is row 1, as a spreadsheet shows)
        register_row(A[:-1] + str((int(A[-1]) + 1) % 10)),  # row 3: check digit
        register_row(B, municipality="23", deso="bad"),  # row 4: two fields
        register_row(C, deceased="2026-02-30"),  # row 5: no such date
        register_row(A),  # row 6: duplicate of row 2
        register_row("8005171234"),  # row 7: 10-digit form
    )
    r = import_register(listing.admin, body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    found = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert found == {
        (3, "personnummer"),
        (4, "municipality_code"),
        (4, "deso_code"),
        (5, "deceased_on"),
        (7, "personnummer"),
    }
    assert _count(listing.url, "SELECT count(*) FROM person") == 0
    # With the invalid rows gone, the duplicate is what remains wrong.
    dup = import_register(
        listing.admin, register_csv(register_row(A), register_row(B), register_row(A))
    )
    assert dup.status_code == 422
    assert [(e["row"], e["field"]) for e in dup.json()["errors"]] == [(4, "personnummer")]
    assert _count(listing.url, "SELECT count(*) FROM person") == 0


def test_bad_header_and_media_type(listing: Listing) -> None:
    r = import_register(listing.admin, "personnummer,kommun\n" + A + ",2380\n")
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} >= {"municipality_code", "kommun"}
    wrong = listing.admin.post(
        "/v1/register/import", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert wrong.status_code == 415


def test_samordningsnummer_may_be_in_the_register(listing: Listing) -> None:
    coordination = pnr(1980, 5, 17, coordination=True)
    r = import_register(listing.admin, register_csv(register_row(coordination)))
    assert r.json()["inserted"] == 1


def test_import_roles(listing: Listing) -> None:
    body = register_csv(register_row(A))
    assert (
        import_register(listing.client("provider", hsa_ids=["SE2321000065-7331"]), body).status_code
        == 403
    )
    assert import_register(listing.client("ops"), body).status_code == 403
    assert import_register(listing.client("service"), body).status_code == 200
    audit = _count(listing.url, "SELECT count(*) FROM audit_log WHERE action = 'register.import'")
    assert audit == 1


def test_import_is_exempt_from_the_general_body_limit_but_has_its_own(
    listing: Listing, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.listing.api import register as register_api
    from services.listing.main import create_app

    small = listing.settings.model_copy(update={"max_body_bytes": 300})
    app = create_app(small, database_url=listing.url)
    token = listing.admin.headers["Authorization"]
    from fastapi.testclient import TestClient

    client = TestClient(app, headers={"Authorization": token})
    rows = [register_row(pnr(1950 + i, 1, 1, i + 1)) for i in range(12)]
    body = register_csv(*rows)
    assert len(body) > 300
    assert import_register(client, body).json()["inserted"] == 12
    padded = {"name": "x" * 400, "municipality_code": "2380"}
    assert client.put("/v1/units/SE2321000065-0001", json=padded).status_code == 413
    monkeypatch.setattr(register_api, "MAX_IMPORT_BYTES", 200)
    too_big = import_register(client, body)
    assert too_big.status_code == 413
    context_of(app, ServiceContext).db.dispose()
