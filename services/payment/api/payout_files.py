"""A payout's finance files: CSV and XLSX for the finance office, SIE 4 for the ledger system,
and a per-unit payout notice as PDF (utbetalningsavi).

One row per payout line, with the unit's organisation number and bankgiro as the listing
service knew them at the run's counts. Amounts: CSV with a decimal comma and no thousands
grouping (Swedish Excel reads them as numbers), XLSX as numbers with a number format.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from html import escape

from services.payment.api.render import _kr, comma
from services.payment.domain.payouts import PayoutLine
from services.payment.domain.sie import SieDocument, payout_voucher, write_sie
from services.payment.service import PayoutDocuments
from services.payment.settings import region_sender
from shared.clock import stockholm_text
from shared.money import format_sek, from_ore
from shared.schemas.common import Ownership

PROGRAM = ("Hälsoval", "0.1.0")
# The payer's name in #FNAMN and on the notice until the region's sender is configurable.
KIND_SV = {"payment": "Utbetalning", "correction": "Rättelse", "credit": "Kreditering"}
HEADER = [
    "Utbetalning",
    "Period",
    "Version",
    "Tidigare betald version",
    "Typ",
    "HSA-id",
    "Enhet",
    "Organisationsnummer",
    "Bankgiro",
    "Ägarform",
    "Belopp (kr)",
    "varav momskompensation (kr)",
    "Betalningsdag",
    "Status",
]


def _row(doc: PayoutDocuments, ln: PayoutLine) -> list[object]:
    unit = doc.units.get(ln.hsa_id)
    p = doc.payout
    return [
        p.payout_id,
        str(ln.period),
        ln.version,
        ln.paid_version if ln.paid_version is not None else "",
        KIND_SV[ln.kind.value],
        ln.hsa_id,
        ln.name or (unit.name if unit else ""),
        (unit.organisation_number or "") if unit else "",
        (unit.bankgiro or "") if unit else "",
        ("privat" if unit.ownership is Ownership.private else "region") if unit else "",
        from_ore(ln.amount_ore),
        from_ore(ln.vat_ore),
        p.payment_date.isoformat() if p.payment_date else "",
        "godkänd" if p.status == "approved" else "beräknad",
    ]


def payout_csv(doc: PayoutDocuments) -> bytes:
    """Semicolon-separated, decimal comma, no grouping, UTF-8 with BOM, CRLF."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(HEADER)
    for ln in doc.payout.lines:
        w.writerow([comma(format_sek(v)) if isinstance(v, Decimal) else v for v in _row(doc, ln)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def payout_xlsx(doc: PayoutDocuments) -> bytes:
    from openpyxl import Workbook  # only when a workbook is asked for

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"Utbetalning {doc.payout.period}"
    ws.append(HEADER)
    money = "#,##0.00;-#,##0.00"
    for ln in doc.payout.lines:
        ws.append(_row(doc, ln))  # Decimal amounts are stored as numbers
        for col in (11, 12):
            ws.cell(row=ws.max_row, column=col).number_format = money
    widths = (34, 9, 8, 10, 12, 20, 30, 14, 11, 9, 14, 14, 12, 10)
    for letter, width in zip("ABCDEFGHIJKLMN", widths, strict=True):
        ws.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def payout_sie(doc: PayoutDocuments, *, generated: dt.date) -> bytes:
    """SIE 4: one voucher for the payout, dated its payment date, in the payment date's year."""
    p = doc.payout
    assert p.payment_date is not None  # files of an approved payout only
    acc = doc.accounting
    private = {h for h, u in doc.units.items() if u.ownership is Ownership.private}
    kinds = "rättelse" if p.paid_version is not None else "utbetalning"
    voucher = payout_voucher(
        p.lines,
        private=private,
        accounting=acc,
        date=p.payment_date,
        text=f"Hälsoval {kinds} {p.period} version {p.version}",
    )
    names = {ln.hsa_id: ln.name or ln.hsa_id for ln in p.lines}
    year = p.payment_date.year
    return write_sie(
        SieDocument(
            program=PROGRAM[0],
            program_version=PROGRAM[1],
            generated=generated,
            company=region_sender().name,
            year_start=dt.date(year, 1, 1),
            year_end=dt.date(year, 12, 31),
            accounts=(
                (acc.cost_account, "Vårdersättning hälsoval"),
                (acc.vat_account, "Momskompensation hälsoval"),
                (acc.payable_account, "Leverantörsskulder"),
                (acc.internal_account, "Interna mellanhavanden"),
            ),
            dimension=(acc.dimension, "Kostnadsställe"),
            objects=tuple(sorted(names.items())),
            vouchers=(voucher,),
        )
    )


def notice_html(doc: PayoutDocuments, ln: PayoutLine) -> str:
    p = doc.payout
    payer = region_sender()
    unit = doc.units.get(ln.hsa_id)
    org = unit.organisation_number if unit and unit.organisation_number else "–"
    bg = unit.bankgiro if unit and unit.bankgiro else "–"
    what = KIND_SV[ln.kind.value]
    corrects = (
        f"<p>Rättelse av period {ln.period}: version {ln.version} ersätter betald version "
        f"{ln.paid_version}. {'Enheten återbetalar beloppet.' if ln.amount_ore < 0 else ''}</p>"
        if ln.paid_version is not None
        else ""
    )
    approved = stockholm_text(p.approved_at) if p.approved_at else "ej godkänd"
    return f"""<!doctype html><html lang="sv"><head><meta charset="utf-8">
<title>Utbetalningsavi {escape(ln.hsa_id)} {ln.period}</title>
<style>@page {{ size: A4; margin: 20mm }} body {{ font-family: sans-serif; font-size: 10pt }}
table {{ border-collapse: collapse; width: 100% }} td, th {{ border-bottom: 1px solid #999;
padding: 4px; text-align: left }} .n {{ text-align: right }}
.head {{ width: auto; margin-bottom: 6mm }} .head th {{ width: 45mm }}</style></head><body>
<h1>Utbetalningsavi – Hälsoval</h1>
<p>Från: {escape(payer.name)}, organisationsnummer {escape(payer.organisation_number)},
{escape(payer.address)}</p>
<table class=head>
<tr><th>Mottagare</th><td>{escape(ln.name or ln.hsa_id)} ({escape(ln.hsa_id)})</td></tr>
<tr><th>Organisationsnummer</th><td>{escape(org)}</td></tr>
<tr><th>Bankgiro</th><td>{escape(bg)}</td></tr>
<tr><th>Period</th><td>{ln.period}</td></tr><tr><th>Version</th><td>{ln.version}</td></tr>
<tr><th>Betalningsdag</th><td>{p.payment_date.isoformat() if p.payment_date else "–"}</td></tr>
<tr><th>Godkänd</th><td>{escape(approved)}</td></tr></table>
{corrects}
<table><tr><th>Typ</th><th class=n>Belopp (kr)</th><th class=n>varav momskompensation (kr)</th>
</tr><tr><td>{what}</td><td class=n>{_kr(from_ore(ln.amount_ore))}</td>
<td class=n>{_kr(from_ore(ln.vat_ore))}</td></tr></table>
<p>Utbetalning {escape(p.payout_id)}</p></body></html>"""


def payout_notice_pdf(doc: PayoutDocuments, ln: PayoutLine) -> bytes:
    """A tagged PDF (PDF/UA-1: structure tree, document language sv, title) a screen reader
    can read."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    pdf = HTML(string=notice_html(doc, ln)).write_pdf(pdf_variant="pdf/ua-1")
    assert pdf is not None
    return bytes(pdf)
