"""Statements people can file (issue 12, item 8): the PDF names the region as sender and the
unit with its organisation number, says which version it corrects, is watermarked PRELIMINÄR
until approved, explains each line in Swedish, prints amounts in sv_SE and is a tagged PDF
(PDF/UA-1); the CSV speaks Swedish too. Read back with pypdf, an independent reader."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from pypdf import PdfReader

from services.payment.api.deps import PaymentContext
from services.payment.api.render import (
    PrintedStatement,
    _distance_class,
    _kr,
    _size_band,
    print_key,
    statement_html,
)
from services.payment.settings import PaymentConfig, Sender
from shared.context import context_of
from shared.schemas.payment import Statement
from tests.payment.conftest import ADMIN, FINANCE, A, B, C, PaymentHarness, auth
from tests.payment.payouts_setup import (
    ORG,
    approved_model,
    approved_run,
    b_gains_a_listing,
    payee_units,
)

PDF = {**ADMIN, "Accept": "application/pdf"}
CSV = {**ADMIN, "Accept": "text/csv"}
NBSP = "\u00a0"


def _statement(h: PaymentHarness, hsa_id: str = B) -> dict[str, Any]:
    r = h.client.get(f"/v1/statements?period=2026-03&hsa_id={hsa_id}", headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json()["statements"][0])


def _pdf(h: PaymentHarness, sid: str, headers: dict[str, str] = PDF) -> PdfReader:
    r = h.client.get(f"/v1/statements/{sid}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    return PdfReader(io.BytesIO(r.content))


def _text(reader: PdfReader) -> str:
    """The text as a reader extracts it, spaces of any kind made one (pypdf keeps U+00A0)."""
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace(NBSP, " ").split())


def _sv(amount: str) -> str:
    """'27083.34' as printed in sv_SE: '27 083,34' (the space a no-break one in the PDF)."""
    whole, frac = amount.split(".")
    return f"{int(whole):,}".replace(",", " ") + "," + frac


def _on_threads(h: PaymentHarness) -> PaymentHarness:
    """Render on threads: these tests read what is printed; test_printing checks that the
    service renders in worker processes (spawning them costs seconds per app)."""
    assert isinstance(h.client.app, FastAPI)
    context_of(h.client.app, PaymentContext).printer.in_processes = False
    return h


@pytest.fixture
def paid(make_harness: Any) -> PaymentHarness:
    """March approved: A and B private with organisation numbers, C the region's own."""
    h: PaymentHarness = _on_threads(make_harness(payee_units()))
    approved_model(h, vat_compensation={"rate": "0.06"})
    approved_run(h)
    return h


def test_an_approved_statement_names_sender_and_unit_and_explains_its_lines(
    paid: PaymentHarness,
) -> None:
    s = _statement(paid)
    text = _text(_pdf(paid, s["statement_id"]))
    # The region as sender (the demo defaults), the unit with its organisation number.
    assert "Avsändare Region Jämtland Härjedalen" in text
    assert "Organisationsnummer 232100-0206" in text and "Box 654, 831 27 Östersund" in text
    assert f"HSA-id {B}" in text and f"Organisationsnummer {ORG[B]}" in text
    # Swedish throughout: period, status, component labels; final, so no watermark.
    assert "mars 2026 (2026-03)" in text and "Status Godkänd" in text
    assert "PRELIMINÄR" not in text and "Rättelse" not in text
    for label in ("Kapitering (ålder)", "Socioekonomi (CNI)", "Glesbygd", "Momskompensation"):
        assert label in text
    assert "capitation" not in text and "approved" not in text
    # B is 40 km from hospital (the class 40 to under 100 km) with 2 listed (at most 2 000):
    # row 1, column 0 of the model's matrix, 100 points.
    assert (
        "Avståndsklass 40 till under 100 km (avstånd till sjukhus 40 km) och listningsstorlek "
        "högst 2 000 listade (2 listade) ger 100 poäng" in text
    )
    # The VAT line names its rate and what it is paid on.
    vat = next(ln for ln in s["lines"] if ln["component"] == "vat_compensation")
    assert f"6 % av månadens belopp {_sv(vat['weight'])} kr" in text
    # Amounts in sv_SE: a space between thousands and a decimal comma.
    assert _sv(s["total_sek"]) in text and "," in _sv(s["total_sek"])
    assert s["total_sek"] not in text


def test_amounts_carry_a_no_break_space_and_a_decimal_comma() -> None:
    assert _kr(Decimal("1234567.8")) == f"1{NBSP}234{NBSP}567,80"
    assert _kr(Decimal("-2272.72")) == f"-2{NBSP}272,72"
    assert _kr(Decimal("0")) == "0,00" and _kr(None) == "–"


def test_the_sparsity_matrix_rows_and_columns_in_words() -> None:
    km = [Decimal(40), Decimal(100)]
    assert [_distance_class(km, i) for i in range(3)] == [
        "under 40 km",
        "40 till under 100 km",
        "100 km eller mer",
    ]
    sizes = [2000, 5000]
    assert [_size_band(sizes, j) for j in range(3)] == [
        f"högst 2{NBSP}000 listade",
        f"2{NBSP}001–5{NBSP}000 listade",
        f"fler än 5{NBSP}000 listade",
    ]
    assert _distance_class([], 0) == "alla avstånd"


def test_the_pdf_is_tagged_for_screen_readers(paid: PaymentHarness) -> None:
    reader = _pdf(paid, _statement(paid)["statement_id"])
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "sv"
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata is not None
    assert reader.metadata.title == "Utbetalningsbesked Hälsoval mars 2026 (2026-03), version 1"
    assert b"pdfuaid" in reader.xmp_metadata.stream.get_data()  # type: ignore[union-attr]


def test_a_calculated_correction_is_preliminary_and_names_the_version_it_corrects(
    paid: PaymentHarness,
) -> None:
    b_gains_a_listing(paid)
    assert paid.run("2026-03").status_code == 201
    s = _statement(paid)
    assert s["version"] == 2 and s["status"] == "calculated"
    text = _text(_pdf(paid, s["statement_id"]))
    assert "PRELIMINÄR" in text
    assert "Version 2 – Rättelse, ersätter version 1" in text
    assert "Status Beräknad (preliminär, ej godkänd)" in text and "Godkänd ej godkänd" in text
    assert "Förändring = belopp i denna version minus i version 1." in text
    assert _sv(s["delta_sek"]) in text
    # Approved, the watermark goes; it still corrects version 1.
    assert paid.approve(s["run_id"]).status_code == 200
    text = _text(_pdf(paid, s["statement_id"]))
    assert "PRELIMINÄR" not in text and "Rättelse, ersätter version 1" in text
    assert "Status Godkänd" in text


def test_a_version_after_an_unapproved_one_is_no_correction(make_harness: Any) -> None:
    h: PaymentHarness = _on_threads(make_harness(payee_units()))
    approved_model(h)
    assert h.run("2026-03").status_code == 201  # version 1, never approved
    b_gains_a_listing(h)
    assert h.run("2026-03").status_code == 201
    s = _statement(h)
    text = _text(_pdf(h, s["statement_id"]))
    assert "Version 2, ersätter version 1 (ej godkänd)" in text and "Rättelse" not in text


def test_the_organisation_number_is_the_one_known_at_the_runs_counts(
    paid: PaymentHarness,
) -> None:
    """A unit edited after the run: the approved statement still prints what the run knew."""
    s = _statement(paid)
    unit = next(u for u in paid.listing.units if u["hsa_id"] == B)
    paid.listing.edit_unit({**unit, "organisation_number": "556677-8899"})
    text = _text(_pdf(paid, s["statement_id"]))
    assert f"Organisationsnummer {ORG[B]}" in text and "556677-8899" not in text


def test_a_unit_without_organisation_number_says_so(paid: PaymentHarness) -> None:
    text = _text(_pdf(paid, _statement(paid, C)["statement_id"]))
    assert "Organisationsnummer saknas i registret" in text
    assert "Momskompensation" not in text  # the region's own unit gets none


def test_the_csv_speaks_swedish(paid: PaymentHarness) -> None:
    s = _statement(paid)
    provider = auth("provider", "provider:b", [B])
    r = paid.client.get(
        f"/v1/statements/{s['statement_id']}", headers={**provider, "Accept": "text/csv"}
    )
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert {row["Status"] for row in rows} == {"Godkänd"}
    assert [row["Komponent"] for row in rows] == [
        "Kapitering (ålder)",
        "Socioekonomi (CNI)",
        "Glesbygd",
        "Momskompensation",
        "Summa",
    ]
    assert [row["Komponent-id"] for row in rows][:4] == [
        "capitation",
        "cni",
        "sparsity",
        "vat_compensation",
    ]
    assert {row["Organisationsnummer"] for row in rows} == {ORG[B]}
    # No grouping, a decimal comma: Swedish Excel reads the amount as a number.
    assert rows[-1]["Belopp (kr)"] == s["total_sek"].replace(".", ",")


def test_the_sender_is_configurable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PaymentConfig().sender() == Sender()
    monkeypatch.setenv("REGION_SENDER_NAME", "Region Västernorrland")
    monkeypatch.setenv("REGION_SENDER_ORGANISATION_NUMBER", "2321000214")
    monkeypatch.setenv("REGION_SENDER_ADDRESS", "871 85 Härnösand")
    sender = PaymentConfig().sender()
    assert sender.name == "Region Västernorrland"
    assert sender.organisation_number == "232100-0214"  # written form
    assert sender.address == "871 85 Härnösand"
    monkeypatch.setenv("REGION_SENDER_ORGANISATION_NUMBER", "232100-0215")
    with pytest.raises(ValidationError, match="check digit"):
        PaymentConfig()


def test_a_changed_sender_renders_anew_and_is_printed(paid: PaymentHarness) -> None:
    """The cache keys on every print fact: a sender changed while the service runs (a new
    printer in production, which reads REGION_SENDER_* when made) is never served stale."""
    assert isinstance(paid.client.app, FastAPI)
    printer = context_of(paid.client.app, PaymentContext).printer
    sid = _statement(paid)["statement_id"]
    first = _text(_pdf(paid, sid))
    assert len(printer.cache) == 1 and _text(_pdf(paid, sid)) == first
    assert len(printer.cache) == 1
    printer.sender = Sender(
        name="Region Västernorrland",
        organisation_number="232100-0214",
        address="871 85 Härnösand",
    )
    text = _text(_pdf(paid, sid))
    assert "Avsändare Region Västernorrland" in text and "Jämtland" not in text
    assert len(printer.cache) == 2


def plain_statement() -> Statement:
    """A statement as the JSON carries it, without lines."""
    return Statement.model_validate(
        {
            "statement_id": "s1",
            "run_id": "r1",
            "period": "2026-03",
            "version": 1,
            "status": "approved",
            "count_date": "2026-02-28",
            "as_known_at": "2026-03-01T08:00:00Z",
            "model_year": 2026,
            "model_version": 1,
            "hsa_id": A,
            "listed": 4,
            "lines": [],
            "total_sek": "0.00",
        }
    )


def test_the_print_key_holds_every_print_fact() -> None:
    plain = plain_statement()
    moment = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    base = PrintedStatement.of(plain, created_at=moment, approved_at=moment)
    keys = {
        print_key(base),
        print_key(PrintedStatement.of(plain, created_at=moment, approved_at=None)),
        print_key(
            PrintedStatement.of(
                plain, created_at=moment, approved_at=moment, organisation_number="556036-0793"
            )
        ),
        print_key(
            PrintedStatement.of(plain, created_at=moment, approved_at=moment, replaces_version=1)
        ),
        print_key(
            PrintedStatement.of(
                plain, created_at=moment, approved_at=moment, distance_km=Decimal("40")
            )
        ),
        print_key(
            PrintedStatement.of(
                plain,
                created_at=moment,
                approved_at=moment,
                sender=Sender(name="Region Gävleborg"),
            )
        ),
    }
    assert len(keys) == 6
    assert print_key(PrintedStatement.of(plain, created_at=moment, approved_at=moment)) == (
        print_key(base)
    )
    # A plain statement prints (the default sender, no moments).
    assert "Region Jämtland Härjedalen" in statement_html(plain)


def test_a_pdf_while_the_listing_service_is_down_is_a_clean_error(paid: PaymentHarness) -> None:
    sid = _statement(paid)["statement_id"]
    paid.listing.down = True
    r = paid.client.get(f"/v1/statements/{sid}", headers=PDF)
    assert r.status_code in (502, 503)
    assert r.headers["content-type"] == "application/problem+json"
    # The JSON does not need the listing service.
    assert paid.client.get(f"/v1/statements/{sid}", headers=FINANCE).status_code == 200
