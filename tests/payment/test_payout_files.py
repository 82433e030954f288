"""The payout's finance files over HTTP, each read back by an independent reader: CSV with
the csv module, XLSX with openpyxl, SIE 4 with tests/payment/sie_reader.py (every amount
checked against the payout, every voucher balanced), the payout notice PDF with pypdf."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import openpyxl
from pypdf import PdfReader

from tests.payment.conftest import ADMIN, FINANCE, A, B, C, PaymentHarness, auth
from tests.payment.payouts_setup import (
    BANKGIRO,
    ORG,
    approve_payout,
    approved_model,
    approved_run,
    b_gains_a_listing,
    paid_march,
    pay,
    payee_units,
)
from tests.payment.sie_reader import parse


def _file(h: PaymentHarness, payout_id: str, fmt: str, headers: dict[str, str] = FINANCE) -> Any:
    return h.client.get(f"/v1/payouts/{payout_id}/files/{fmt}", headers=headers)


def _amounts(payout: dict[str, Any]) -> dict[str, D]:
    return {ln["hsa_id"]: D(ln["amount_sek"]) for ln in payout["lines"]}


def test_csv_for_swedish_excel(make_harness: Callable[..., PaymentHarness]) -> None:
    h, p = paid_march(make_harness)
    r = _file(h, p["payout_id"], "csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    head, body = rows[0], rows[1:]
    assert head[5:9] == ["HSA-id", "Enhet", "Organisationsnummer", "Bankgiro"]
    assert len(body) == len(p["lines"]) == 3
    want = _amounts(p)
    for row in body:
        got = dict(zip(head, row, strict=True))
        u = got["HSA-id"]
        assert got["Organisationsnummer"] == (ORG[u] or "")
        assert got["Bankgiro"] == (BANKGIRO[u] or "")
        assert got["Ägarform"] == ("region" if u == C else "privat")
        text = got["Belopp (kr)"]
        assert "," in text and "." not in text and " " not in text and "\u00a0" not in text
        assert D(text.replace(",", ".")) == want[u]
        assert (got["Typ"], got["Period"], got["Version"]) == ("Utbetalning", "2026-03", "1")
        assert got["Betalningsdag"] == p["payment_date"] and got["Status"] == "godkänd"


def test_xlsx_amounts_are_numbers(make_harness: Callable[..., PaymentHarness]) -> None:
    h, p = paid_march(make_harness)
    r = _file(h, p["payout_id"], "xlsx", ADMIN)
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    amount_col = head.index("Belopp (kr)")
    want = _amounts(p)
    assert len(rows) == 4
    for i, row in enumerate(rows[1:], start=2):
        got = dict(zip(head, row, strict=True))
        value = got["Belopp (kr)"]
        assert isinstance(value, int | float) and not isinstance(value, bool)
        assert D(str(value)).quantize(D("0.01")) == want[str(got["HSA-id"])]
        assert got["Organisationsnummer"] == (ORG[str(got["HSA-id"])] or None)
        assert ws.cell(row=i, column=amount_col + 1).number_format == "#,##0.00;-#,##0.00"


def _check_sie(data: bytes, payout: dict[str, Any]) -> None:
    sie = parse(data)
    assert sie.labels["#FORMAT"] == [["PC8"]] and sie.labels["#SIETYP"] == [["4"]]
    assert sie.labels["#FLAGGA"] == [["0"]] and sie.labels["#RAR"][0][0] == "0"
    assert {k[0] for k in sie.labels["#KONTO"]} == {"4611", "4612", "2441", "2899"}
    assert sie.labels["#DIM"] == [["1", "Kostnadsställe"]]
    objects = {o[1] for o in sie.labels["#OBJEKT"]}
    assert objects == {ln["hsa_id"] for ln in payout["lines"]}
    (ver,) = sie.vers  # one voucher per payout, without a number
    assert ver.head[:3] == ["", "", payout["payment_date"].replace("-", "")]
    assert sum(t[2] for t in ver.trans) == D("0.00")
    # every amount against the payout: the unit's cost (+ VAT) debited, the whole credited to
    # the payable (private) or internal (the region's own) account
    for ln in payout["lines"]:
        u, amount = ln["hsa_id"], D(ln["amount_sek"])
        rows = [(acc, a) for acc, obj, a in ver.trans if obj == {"1": u}]
        against = "2899" if u == C else "2441"
        debit = sum(a for acc, a in rows if acc in ("4611", "4612"))
        vat = sum(a for acc, a in rows if acc == "4612")
        assert debit == amount and vat == D(ln["vat_compensation_sek"])
        assert sum(a for acc, a in rows if acc == against) == -amount
        assert not [acc for acc, _ in rows if acc not in ("4611", "4612", against)]


def test_sie_file_parses_back_balanced(make_harness: Callable[..., PaymentHarness]) -> None:
    h, p = paid_march(make_harness)
    r = _file(h, p["payout_id"], "sie")
    assert r.status_code == 200 and "cp437" in r.headers["content-type"]
    _check_sie(r.content, p)
    # the company name's dash is replaced by the documented rule, the rest kept in PC8
    assert parse(r.content).labels["#FNAMN"] == [["Region Jämtland Härjedalen"]]


def test_correction_sie_books_the_credit_line(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    h, _ = paid_march(make_harness)
    b_gains_a_listing(h)
    approved_run(h)
    corr = pay(h).json()
    # no SIE file (nor notice) before approval: nothing is booked yet
    assert _file(h, corr["payout_id"], "sie").status_code == 409
    assert _file(h, corr["payout_id"], "csv").status_code == 200
    done = approve_payout(h, corr["payout_id"]).json()
    r = _file(h, done["payout_id"], "sie")
    _check_sie(r.content, done)
    credits = [ln for ln in done["lines"] if ln["kind"] == "credit"]
    assert credits  # A and C owe back
    ver = parse(r.content).vers[0]
    for ln in credits:
        cost = [a for acc, obj, a in ver.trans if obj == {"1": ln["hsa_id"]} and acc == "4611"]
        assert cost == [D(ln["amount_sek"])] and cost[0] < 0


def test_files_refusals(make_harness: Callable[..., PaymentHarness]) -> None:
    h, p = paid_march(make_harness)
    assert _file(h, p["payout_id"], "docx").status_code == 422
    assert _file(h, "0" * 32, "csv").status_code == 404
    assert _file(h, p["payout_id"], "csv", auth("ops")).status_code == 403
    assert _file(h, p["payout_id"], "sie", auth("provider", hsa_ids=[A])).status_code == 403
    h.listing.down = True
    down = _file(h, p["payout_id"], "csv")
    assert down.status_code == 503 and "retry-after" in down.headers


def test_payout_notice_pdf(make_harness: Callable[..., PaymentHarness], tmp_path: Any) -> None:
    h, p = paid_march(make_harness)
    url = f"/v1/payouts/{p['payout_id']}/files/pdf?hsa_id={A}"
    r = h.client.get(url, headers=auth("provider", "vc-a", hsa_ids=[A]))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(page.extract_text() for page in reader.pages)
    root = reader.trailer["/Root"]  # tagged (PDF/UA): marked, a structure tree, in Swedish
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root and root["/Lang"] == "sv"
    amount = _amounts(p)[A]
    whole, frac = f"{amount:.2f}".split(".")
    assert "Utbetalningsavi" in text and A in text and ORG[A] in text and BANKGIRO[A] in text
    assert frac in text and whole[-3:] in text and "2026-03" in text
    assert p["payment_date"] in text
    (tmp_path / "notice.pdf").write_bytes(r.content)
    # another unit's notice, a unit without a line, or an unknown payout: 404 to a provider
    assert (
        h.client.get(
            f"/v1/payouts/{p['payout_id']}/files/pdf?hsa_id={B}",
            headers=auth("provider", "vc-a", hsa_ids=[A]),
        ).status_code
        == 404
    )
    assert (
        h.client.get(
            f"/v1/payouts/{p['payout_id']}/files/pdf?hsa_id=SE2321000207-X999", headers=ADMIN
        ).status_code
        == 404
    )
    assert h.client.get(f"/v1/payouts/{p['payout_id']}/files/pdf", headers=ADMIN).status_code == 422


def test_notice_of_an_unapproved_payout(make_harness: Callable[..., PaymentHarness]) -> None:
    h = make_harness(payee_units())
    approved_model(h)
    approved_run(h)
    p = pay(h).json()
    url = f"/v1/payouts/{p['payout_id']}/files/pdf?hsa_id={A}"
    assert h.client.get(url, headers=ADMIN).status_code == 409
    provider = h.client.get(url, headers=auth("provider", "vc-a", hsa_ids=[A]))
    assert provider.status_code == 404  # a provider sees nothing of what is not paid
    assert (
        dt.date.fromisoformat(approve_payout(h, p["payout_id"]).json()["payment_date"])
        and h.client.get(url, headers=ADMIN).status_code == 200
    )


def test_vat_compensation_is_its_own_figure_and_account(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    h = make_harness(payee_units())
    approved_model(h, vat_compensation={"rate": "0.06"})
    approved_run(h)
    r = h.client.get("/v1/statements?period=2026-03", headers=ADMIN)
    vat = {
        s["hsa_id"]: sum(
            (D(ln["amount_sek"]) for ln in s["lines"] if ln["component"] == "vat_compensation"),
            D(0),
        )
        for s in r.json()["statements"]
    }
    assert vat[A] > 0 and vat[B] > 0 and vat[C] == 0  # private units only
    p = pay(h).json()
    assert {ln["hsa_id"]: D(ln["vat_compensation_sek"]) for ln in p["lines"]} == vat
    done = approve_payout(h, p["payout_id"]).json()
    sie = _file(h, done["payout_id"], "sie").content
    _check_sie(sie, done)
    booked = {obj["1"]: a for acc, obj, a in parse(sie).vers[0].trans if acc == "4612" and obj}
    assert booked == {A: vat[A], B: vat[B]}
    rows = list(
        csv.DictReader(
            io.StringIO(_file(h, done["payout_id"], "csv").content.decode("utf-8-sig")),
            delimiter=";",
        )
    )
    got = {row["HSA-id"]: D(row["varav momskompensation (kr)"].replace(",", ".")) for row in rows}
    assert got == vat
