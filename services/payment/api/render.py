"""A statement as CSV for Swedish Excel and as a PDF a provider can file and check by hand."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from decimal import Decimal
from html import escape
from pathlib import Path
from string import Template

from services.payment.domain.components import label_sv
from shared.clock import stockholm_text
from shared.money import format_sek
from shared.schemas.payment import Statement

# The PDF shows the share to ten decimals (the JSON and CSV carry it in full).
SHARE_ON_PAPER = Decimal("1e-10")

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "statement.html"
CSV_HEADER = [
    "HSA-id",
    "Enhet",
    "Period",
    "Version",
    "Status",
    "Räknedag",
    "Modell",
    "Komponent",
    "Vikt",
    "Total vikt",
    "Andel",
    "Pott (kr)",
    "Belopp (kr)",
    "Förändring (kr)",
    # Moments on Stockholm's clock, the zone named (the JSON keeps ISO 8601 with offset).
    "Listningar kända",
    "Beräknad",
    "Godkänd",
]


class PrintedStatement(Statement):
    """A statement as the printed forms show it: with its run's moments. A plain Statement
    prints too, without them."""

    created_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None

    @classmethod
    def of(
        cls, statement: Statement, *, created_at: dt.datetime, approved_at: dt.datetime | None
    ) -> PrintedStatement:
        # The statement is validated already; only the two moments are added. (This module
        # is what the PDF worker processes import: it stays free of the service and database.)
        return cls.model_construct(
            **dict(statement), created_at=created_at, approved_at=approved_at
        )


def _moments(s: Statement) -> tuple[str, str, str]:
    """as_known_at, created and approved as people read them ('' for what is not known)."""
    created = approved = None
    if isinstance(s, PrintedStatement):
        created, approved = s.created_at, s.approved_at
    return (
        stockholm_text(s.as_known_at),
        stockholm_text(created) if created else "",
        stockholm_text(approved) if approved else "",
    )


def comma(value: Decimal | str | None) -> str:
    """Decimal comma, as Swedish Excel reads numbers ('1234.50' → '1234,50')."""
    if value is None:
        return ""
    return (format(value, "f") if isinstance(value, Decimal) else value).replace(".", ",")


def statement_csv(s: Statement) -> bytes:
    """Semicolon-separated, decimal comma, UTF-8 with BOM: opens as a table in Swedish Excel."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    moments = list(_moments(s))
    head = [
        s.hsa_id,
        s.unit_name or "",
        str(s.period),
        str(s.version),
        s.status.value,
        s.count_date.isoformat(),
        f"{s.model_year} v{s.model_version}",
    ]
    for ln in s.lines:
        w.writerow(
            head
            + [
                str(ln.component),
                comma(ln.weight),
                comma(ln.total_weight),
                comma(ln.share),
                comma(format_sek(ln.pool_sek)),
                comma(format_sek(ln.amount_sek)),
                comma(format_sek(ln.delta_sek) if ln.delta_sek is not None else None),
            ]
            + moments
        )
    w.writerow(
        head
        + [
            "Summa",
            "",
            "",
            "",
            "",
            comma(format_sek(s.total_sek)),
            comma(format_sek(s.delta_sek) if s.delta_sek is not None else None),
        ]
        + moments
    )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _kr(value: Decimal | None) -> str:
    """'1 234 567,89' with a thin no-break space between thousands, for the printed page."""
    if value is None:
        return "–"
    text = format_sek(value)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, frac = text.split(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + "\u00a0".join(groups) + "," + frac


def _moments_html(created: str, approved: str) -> str:
    """The run's moments as rows of the head list (none for a plain Statement)."""
    if not created:
        return ""
    rows = f"<dt>Beräknad</dt><dd>{escape(created)}</dd>"
    return rows + f"<dt>Godkänd</dt><dd>{escape(approved) if approved else 'ej godkänd'}</dd>"


@functools.cache
def _template() -> Template:
    """Read once, on the first statement rendered (not at start-up)."""
    return Template(TEMPLATE.read_text(encoding="utf-8"))


def statement_html(s: Statement) -> str:
    rows = "\n".join(
        f"<tr><td>{escape(label_sv(str(ln.component)))}</td>"
        f"<td class=n>{escape(comma(ln.weight))}</td>"
        f"<td class=n>{escape(comma(ln.total_weight))}</td>"
        f"<td class=n>{escape(comma(ln.share.quantize(SHARE_ON_PAPER)))}</td>"
        f"<td class=n>{_kr(ln.pool_sek)}</td>"
        f"<td class=n>{_kr(ln.amount_sek)}</td><td class=n>{_kr(ln.delta_sek)}</td></tr>"
        for ln in s.lines
    )
    known, created, approved = _moments(s)
    return _template().substitute(
        unit=escape(s.unit_name or s.hsa_id),
        hsa_id=escape(s.hsa_id),
        period=escape(str(s.period)),
        version=s.version,
        status=escape(s.status.value),
        count_date=s.count_date.isoformat(),
        as_known_at=escape(known),
        moments=_moments_html(created, approved),
        model=f"{s.model_year} version {s.model_version}",
        listed=s.listed,
        rows=rows,
        total=_kr(s.total_sek),
        delta=_kr(s.delta_sek),
        statement_id=escape(s.statement_id),
    )


def statement_pdf(s: Statement) -> bytes:
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    pdf = HTML(string=statement_html(s)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
