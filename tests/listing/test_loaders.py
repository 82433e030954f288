"""Bulk loaders and the `halsoval listing` commands on files written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.listing import loaders
from services.listing.cli import app
from shared.context import ServiceContext, context_of
from shared.errors import Unprocessable
from tests.listing.conftest import Listing, pnr, register_csv, register_row, unit_body

U1, U2 = "SE2321000065-0001", "SE2321000065-0002"
A, B, C = pnr(1980, 5, 17, 123), pnr(1990, 1, 2, 456), pnr(2001, 12, 31, 789)
LISTING_HEADER = "personnummer,hsa_id,valid_from,valid_to,reason,special_reason\n"


def _files(tmp: Path) -> tuple[Path, Path]:
    units = tmp / "units.json"
    units.write_text(
        json.dumps([{**unit_body(), "hsa_id": U1}, {**unit_body("2309"), "hsa_id": U2}])
    )
    register = tmp / "register.csv"
    register.write_text(register_csv(register_row(A), register_row(B), register_row(C)))
    return units, register


def test_loaders_import_units_register_and_history(listing: Listing, tmp_path: Path) -> None:
    db, s = context_of(listing.app, ServiceContext).db, listing.settings
    units, register = _files(tmp_path)
    assert loaders.import_units_file(db, s, units) == (2, 0)
    assert loaders.import_register_file(db, s, register).inserted == 3
    history = tmp_path / "listings.csv"
    history.write_text(
        LISTING_HEADER
        + "\n".join(
            [
                f"{A},{U1},2025-01-01,2025-06-30,choice,false",
                f"{A},{U2},2025-07-01,,choice,",
                f"{B},{U2},2025-03-01,,default,false",
            ]
        )
        + "\n"
    )
    seen: list[int] = []
    assert loaders.import_listings_file(db, s, history, progress=seen.append) == 3
    assert seen and seen[-1] > 0
    rows = listing.admin.post("/v1/listings/history", json={"personnummer": A}).json()["listings"]
    assert [(r["hsa_id"], r["valid_to"]) for r in rows] == [(U1, "2025-06-30"), (U2, None)]
    counts = listing.admin.get("/v1/counts", params={"date": "2025-08-01"}).json()
    assert {u["hsa_id"]: u["listed"] for u in counts["units"]} == {U1: 0, U2: 2}


def test_listing_import_refuses_overlaps_unknowns_and_writes_nothing(
    listing: Listing, tmp_path: Path
) -> None:
    db, s = context_of(listing.app, ServiceContext).db, listing.settings
    units, register = _files(tmp_path)
    loaders.import_units_file(db, s, units)
    loaders.import_register_file(db, s, register)
    ok = tmp_path / "ok.csv"
    ok.write_text(LISTING_HEADER + f"{C},{U1},2025-01-01,,choice,false\n")
    loaders.import_listings_file(db, s, ok)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        LISTING_HEADER
        + "\n".join(
            [
                f"{A},{U1},2025-01-01,2025-06-30,choice,false",
                f"{A},{U2},2025-06-30,,choice,false",  # overlaps row 2
                f"{pnr(1970, 1, 1, 1)},{U1},2025-01-01,,choice,false",  # not in the register
                f"{B},SE2321000065-0404,2025-01-01,,choice,false",  # unknown unit
                f"{C},{U2},2025-02-01,,choice,false",  # overlaps the stored listing
                f"{pnr(1980, 5, 17, 5, coordination=True)},{U1},2025-01-01,,choice,false",
            ]
        )
        + "\n"
    )
    with pytest.raises(Unprocessable) as caught:
        loaders.import_listings_file(db, s, bad)
    found = {(e["row"], e["field"]) for e in caught.value.errors or []}
    assert found == {(7, "personnummer")}  # row-level validation first
    bad.write_text("\n".join(bad.read_text().splitlines()[:-1]) + "\n")
    with pytest.raises(Unprocessable) as caught:
        loaders.import_listings_file(db, s, bad)
    found = {(e["row"], e["field"]) for e in caught.value.errors or []}
    assert found == {(3, "valid_from"), (4, "personnummer"), (5, "hsa_id"), (6, "valid_from")}
    rows = listing.admin.post("/v1/listings/history", json={"personnummer": A}).json()
    assert rows["listings"] == []


def test_cli_commands(listing: Listing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTING_DATABASE_URL", listing.url)
    units, register = _files(tmp_path)
    runner = CliRunner()
    r = runner.invoke(app, ["import-units", str(units)])
    assert r.exit_code == 0, r.output
    assert "created 2" in r.output
    r = runner.invoke(app, ["import-register", str(register)])
    assert r.exit_code == 0, r.output
    assert "inserted 3" in r.output
    history = tmp_path / "h.csv"
    history.write_text(LISTING_HEADER + f"{A},{U1},2025-01-01,,choice,false\n")
    r = runner.invoke(app, ["import-listings", str(history)])
    assert r.exit_code == 0 and "added 1" in r.output, r.output
    bad = tmp_path / "bad.csv"
    bad.write_text(register_csv(register_row("19800517")))
    r = runner.invoke(app, ["import-register", str(bad)])
    assert r.exit_code == 1
    assert "row 2: personnummer" in r.output
