"""A statement as CSV for Swedish Excel and as a PDF a provider can file and check by hand.

Everything a person reads is Swedish: the component labels of the registry, the status
(Beräknad, Godkänd), amounts in sv_SE (Babel: a no-break space between thousands, a decimal
comma; the CSV leaves the grouping out, so Excel reads numbers), moments on Stockholm's clock.
The PDF names the region as sender and the unit with its organisation number, says whether
it corrects an earlier version, is watermarked PRELIMINÄR until approved, explains each line
and is tagged (PDF/UA-1, language sv, a title) for screen readers.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from decimal import Decimal
from html import escape
from pathlib import Path
from string import Template

from babel.dates import format_date
from babel.numbers import format_decimal

from services.payment.domain.components import VAT_COMPENSATION, label_sv
from services.payment.domain.model import SparsityMatrix
from services.payment.settings import Sender
from shared.clock import stockholm_text
from shared.money import format_sek
from shared.schemas.payment import RunStatus, Statement, StatementLine

LOCALE = "sv_SE"
# The PDF shows the share to ten decimals (the JSON and CSV carry it in full).
SHARE_ON_PAPER = Decimal("1e-10")
STATUS_SV = {RunStatus.calculated: "Beräknad", RunStatus.approved: "Godkänd"}

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
    # For a program reading the file: the registry id beside the Swedish label.
    "Komponent-id",
    "Organisationsnummer",
    # Moments on Stockholm's clock, the zone named (the JSON keeps ISO 8601 with offset).
    "Listningar kända",
    "Beräknad",
    "Godkänd",
]


class PrintedStatement(Statement):
    """A statement as the printed forms show it: with its run's moments, the sender, the unit's
    organisation number and distance (as the listing service knew them at the run's counts),
    the model's sparsity matrix and the version it replaces. A plain Statement prints too,
    without them. Everything that changes the printed bytes is a field here: the printer's
    cache keys on them."""

    created_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None
    sender: Sender = Sender()
    organisation_number: str | None = None
    distance_km: Decimal | None = None
    sparsity: SparsityMatrix | None = None
    replaces_version: int | None = None  # the version this one follows (its deltas' base)
    replaces_approved: bool = False  # that version was approved: this one corrects it

    @classmethod
    def of(
        cls,
        statement: Statement,
        *,
        created_at: dt.datetime,
        approved_at: dt.datetime | None,
        sender: Sender | None = None,
        organisation_number: str | None = None,
        distance_km: Decimal | None = None,
        sparsity: SparsityMatrix | None = None,
        replaces_version: int | None = None,
        replaces_approved: bool = False,
    ) -> PrintedStatement:
        # The statement is validated already; only the print facts are added. (This module
        # is what the PDF worker processes import: it stays free of the service and database.)
        return cls.model_construct(
            **dict(statement),
            created_at=created_at,
            approved_at=approved_at,
            sender=sender or Sender(),
            organisation_number=organisation_number,
            distance_km=distance_km,
            sparsity=sparsity,
            replaces_version=replaces_version,
            replaces_approved=replaces_approved,
        )


def printed(s: Statement) -> PrintedStatement:
    """Any statement as a PrintedStatement (a plain one: no moments, the default sender)."""
    if isinstance(s, PrintedStatement):
        return s
    return PrintedStatement.model_construct(**dict(s), sender=Sender())


def print_key(s: Statement) -> str:
    """What the printed bytes depend on beyond the statement id: every print fact."""
    p = printed(s)
    return p.model_dump_json(
        include={
            "version",
            "status",
            "created_at",
            "approved_at",
            "sender",
            "organisation_number",
            "distance_km",
            "sparsity",
            "replaces_version",
            "replaces_approved",
        }
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
    """Semicolon-separated, decimal comma, UTF-8 with BOM: opens as a table in Swedish Excel.
    Labels and status in Swedish; amounts without grouping, so Excel reads them as numbers."""
    p = printed(s)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    moments = list(_moments(p))
    head = [
        p.hsa_id,
        p.unit_name or "",
        str(p.period),
        str(p.version),
        STATUS_SV[p.status],
        p.count_date.isoformat(),
        f"{p.model_year} v{p.model_version}",
    ]
    org = p.organisation_number or ""
    for ln in p.lines:
        w.writerow(
            head
            + [
                label_sv(str(ln.component)),
                comma(ln.weight),
                comma(ln.total_weight),
                comma(ln.share),
                comma(format_sek(ln.pool_sek)),
                comma(format_sek(ln.amount_sek)),
                comma(format_sek(ln.delta_sek) if ln.delta_sek is not None else None),
                str(ln.component),
                org,
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
            comma(format_sek(p.total_sek)),
            comma(format_sek(p.delta_sek) if p.delta_sek is not None else None),
            "",
            org,
        ]
        + moments
    )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _kr(value: Decimal | None) -> str:
    """'1 234 567,89' (sv_SE: a no-break space between thousands, a decimal comma)."""
    if value is None:
        return "–"
    return str(format_decimal(value, format="#,##0.00", locale=LOCALE))


def _num(value: Decimal | int) -> str:
    """A weight or count as written in Swedish, every decimal kept ('1\u00a0234,5')."""
    return str(format_decimal(value, format="#,##0.###", locale=LOCALE, decimal_quantization=False))


def _pct(rate: Decimal) -> str:
    """A rate as a percentage, every decimal kept ('6\u00a0%', '6,5\u00a0%')."""
    return _num(rate * 100) + "\u00a0%"


def _period_sv(s: Statement) -> str:
    """'mars 2026 (2026-03)'."""
    first = dt.date(s.period.year, s.period.month, 1)
    return f"{format_date(first, 'LLLL y', locale=LOCALE)} ({s.period})"


def _distance_class(limits: list[Decimal], i: int) -> str:
    """Row i of the sparsity matrix: the distances it holds (i = limits ≤ the distance)."""
    if not limits:
        return "alla avstånd"
    if i == 0:
        return f"under {_num(limits[0])} km"
    if i == len(limits):
        return f"{_num(limits[-1])} km eller mer"
    return f"{_num(limits[i - 1])} till under {_num(limits[i])} km"


def _size_band(limits: list[int], j: int) -> str:
    """Column j of the sparsity matrix: the list sizes it holds (j = limits < listed)."""
    if not limits:
        return "alla listningsstorlekar"
    if j == 0:
        return f"högst {_num(limits[0])} listade"
    if j == len(limits):
        return f"fler än {_num(limits[-1])} listade"
    return f"{_num(limits[j - 1] + 1)}–{_num(limits[j])} listade"


def _sparsity_text(p: PrintedStatement, weight: Decimal) -> str:
    """Which cell of the model's matrix gave the points: distance class and list-size band."""
    m, d = p.sparsity, p.distance_km
    rule = "Belopp = pott × poäng / alla enheters poäng."
    if p.listed <= 0:
        return f"Inga listade: 0 poäng. {rule}"
    if m is None or d is None:
        return f"{_num(weight)} poäng ur modellens glesbygdsmatris. {rule}"
    i = sum(1 for limit in m.distance_limits_km if limit <= d)
    j = sum(1 for limit in m.size_limits if limit < p.listed)
    if m.points[i][j] != weight:  # not the cell the run used: say only what is certain
        return f"{_num(weight)} poäng ur modellens glesbygdsmatris. {rule}"
    return (
        f"Avståndsklass {_distance_class(list(m.distance_limits_km), i)} (avstånd till sjukhus "
        f"{_num(d)} km) och listningsstorlek {_size_band(list(m.size_limits), j)} "
        f"({_num(p.listed)} listade) ger {_num(weight)} poäng. {rule}"
    )


def _explanation(p: PrintedStatement, component: str, weight: Decimal, share: Decimal) -> str:
    """One line's explanation in Swedish: where its weight comes from, how its amount is made."""
    rule = "Belopp = pott × vikt / total vikt."
    if component == "capitation":
        return f"Vikt = summan av åldersvikterna för enhetens {_num(p.listed)} listade. {rule}"
    if component == "cni":
        return f"Vikt = enhetens listade, var och en med sitt DeSO-områdes CNI-index. {rule}"
    if component == "sparsity":
        return _sparsity_text(p, weight)
    if component == VAT_COMPENSATION:
        return (
            f"Momskompensation till privat vårdgivare: {_pct(share)} av månadens belopp "
            f"{_kr(weight)} kr, avrundat till helt öre. Betalas utöver ramen."
        )
    return rule


def _moments_html(created: str, approved: str) -> str:
    """The run's moments as rows of the head list (none for a plain Statement)."""
    if not created:
        return ""
    rows = f"<dt>Beräknad</dt><dd>{escape(created)}</dd>"
    return rows + f"<dt>Godkänd</dt><dd>{escape(approved) if approved else 'ej godkänd'}</dd>"


def _version_text(p: PrintedStatement) -> str:
    """'2 – Rättelse, ersätter version 1' when it corrects an approved version."""
    if p.replaces_version is None:
        return str(p.version)
    if p.replaces_approved:
        return f"{p.version} – Rättelse, ersätter version {p.replaces_version}"
    return f"{p.version}, ersätter version {p.replaces_version} (ej godkänd)"


def _row(p: PrintedStatement, ln: StatementLine) -> str:
    """A line and, beneath it, what explains it."""
    component = str(ln.component)
    vat = component == VAT_COMPENSATION
    cells = [
        f"<th scope=row>{escape(label_sv(component))}</th>",
        f"<td class=n>{escape(_kr(ln.weight) if vat else _num(ln.weight))}</td>",
        f"<td class=n>{'' if vat else escape(_num(ln.total_weight))}</td>",
        f"<td class=n>{escape(_pct(ln.share) if vat else _num(ln.share.quantize(SHARE_ON_PAPER)))}"
        "</td>",
        f"<td class=n>{'–' if vat else _kr(ln.pool_sek)}</td>",
        f"<td class=n>{_kr(ln.amount_sek)}</td>",
        f"<td class=n>{_kr(ln.delta_sek)}</td>",
    ]
    explained = escape(_explanation(p, component, ln.weight, ln.share))
    return (
        f"<tr class=line>{''.join(cells)}</tr>\n<tr class=why><td colspan=7>{explained}</td></tr>"
    )


@functools.cache
def _template() -> Template:
    """Read once, on the first statement rendered (not at start-up)."""
    return Template(TEMPLATE.read_text(encoding="utf-8"))


def statement_html(s: Statement) -> str:
    p = printed(s)
    known, created, approved = _moments(p)
    final = p.status is RunStatus.approved
    delta_note = (
        f"Förändring = belopp i denna version minus i version {p.replaces_version}."
        if p.replaces_version is not None
        else ""
    )
    return _template().substitute(
        title=escape(f"Utbetalningsbesked Hälsoval {_period_sv(p)}, version {p.version}"),
        sender=escape(p.sender.name),
        sender_org=escape(p.sender.organisation_number),
        sender_address=escape(p.sender.address),
        unit=escape(p.unit_name or p.hsa_id),
        hsa_id=escape(p.hsa_id),
        org=escape(p.organisation_number or "saknas i registret"),
        period=escape(_period_sv(p)),
        version=escape(_version_text(p)),
        status=STATUS_SV[p.status] if final else f"{STATUS_SV[p.status]} (preliminär, ej godkänd)",
        watermark="" if final else '<div class=watermark aria-hidden="true">PRELIMINÄR</div>',
        count_date=p.count_date.isoformat(),
        as_known_at=escape(known),
        moments=_moments_html(created, approved),
        model=f"{p.model_year} version {p.model_version}",
        listed=_num(p.listed),
        delta_note=escape(delta_note),
        rows="\n".join(_row(p, ln) for ln in p.lines),
        total=_kr(p.total_sek),
        delta=_kr(p.delta_sek),
        statement_id=escape(p.statement_id),
    )


def statement_pdf(s: Statement) -> bytes:
    """A tagged PDF (PDF/UA-1: structure tree, document language sv, title)."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    pdf = HTML(string=statement_html(s)).write_pdf(pdf_variant="pdf/ua-1")
    assert pdf is not None
    return bytes(pdf)
