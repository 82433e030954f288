"""SIE 4 (typ 4, verifikationer): a payout as one voucher the region's ledger system imports.

The file is written in PC8, which SIE 4 prescribes and which is code page 437. Text that CP437
cannot hold is replaced by one rule (`pc8_text`): the dashes, quotes, spaces and ellipsis of
`REPLACEMENTS`, then a letter's accent dropped (NFKD: "ł" stays "?", "é" is in CP437 and stays,
"ő" → "o"), and anything left as "?". Control characters become a space. Strings are quoted,
a quote or backslash inside them escaped with a backslash.

A voucher has no verification number (`#VER "" ""`): the importing ledger assigns it. Each
voucher balances to 0.00 exactly by construction (integer öre).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.payment.domain.payouts import Accounting, PayoutLine

ENCODING = "cp437"
REPLACEMENTS = {
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00a0": " ",  # no-break space (CP437 has one, but importers read it as a letter)
    "\u202f": " ",  # narrow no-break space
    "\u2009": " ",  # thin space
    "\u2026": "...",
}


def pc8_text(text: str) -> str:
    """`text` with every character CP437 can encode (the module's rule for the rest)."""
    out: list[str] = []
    for ch in text:
        ch = REPLACEMENTS.get(ch, ch)
        if len(ch) == 1 and (unicodedata.category(ch).startswith("C")):
            out.append(" ")
            continue
        try:
            ch.encode(ENCODING)
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        try:
            base.encode(ENCODING)
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def quoted(text: str) -> str:
    safe = pc8_text(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{safe}"'


def amount(ore: int) -> str:
    """Kronor with a point and two decimals, a minus for credit: 1234.50, -0.07."""
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100}.{abs(ore) % 100:02d}"


@dataclass(frozen=True)
class Trans:
    account: str
    object_id: str | None  # the cost centre (the unit's HSA-id) in the accounting dimension
    amount_ore: int  # debit positive, credit negative


@dataclass(frozen=True)
class Voucher:
    date: dt.date
    text: str
    transactions: tuple[Trans, ...]

    @property
    def balance_ore(self) -> int:
        return sum(t.amount_ore for t in self.transactions)


@dataclass(frozen=True)
class SieDocument:
    program: str
    program_version: str
    generated: dt.date
    company: str
    year_start: dt.date
    year_end: dt.date
    accounts: tuple[tuple[str, str], ...]  # number, name
    dimension: tuple[int, str]
    objects: tuple[tuple[str, str], ...]  # object id, name
    vouchers: tuple[Voucher, ...]


def payout_voucher(
    lines: Iterable[PayoutLine],
    *,
    private: set[str],
    accounting: Accounting,
    date: dt.date,
    text: str,
) -> Voucher:
    """One voucher for a payout: per line the care cost (and the VAT compensation, on its own
    account) debited to the unit's cost centre, and the whole amount credited to the payable
    account (a private unit, in `private`) or the internal settlement account (the region's
    own unit). A credit line books the same rows with the opposite signs; a zero line none."""
    rows: list[Trans] = []
    for ln in lines:
        if ln.amount_ore == 0 and ln.vat_ore == 0:
            continue
        if ln.cost_ore:
            rows.append(Trans(accounting.cost_account, ln.hsa_id, ln.cost_ore))
        if ln.vat_ore:
            rows.append(Trans(accounting.vat_account, ln.hsa_id, ln.vat_ore))
        against = (
            accounting.payable_account if ln.hsa_id in private else accounting.internal_account
        )
        if ln.amount_ore:
            rows.append(Trans(against, ln.hsa_id, -ln.amount_ore))
    voucher = Voucher(date=date, text=text, transactions=tuple(rows))
    assert voucher.balance_ore == 0
    return voucher


def _objects(dimension: int, object_id: str | None) -> str:
    return "{}" if object_id is None else f"{{{dimension} {quoted(object_id)}}}"


def write_sie(doc: SieDocument) -> bytes:
    """The document as SIE 4 bytes in PC8 (CP437), CRLF line ends."""
    dim_no, dim_name = doc.dimension
    out: list[str] = [
        "#FLAGGA 0",
        "#FORMAT PC8",
        "#SIETYP 4",
        f"#PROGRAM {quoted(doc.program)} {quoted(doc.program_version)}",
        f"#GEN {doc.generated:%Y%m%d}",
        f"#FNAMN {quoted(doc.company)}",
        f"#RAR 0 {doc.year_start:%Y%m%d} {doc.year_end:%Y%m%d}",
    ]
    out += [f"#KONTO {number} {quoted(name)}" for number, name in _unique(doc.accounts)]
    out.append(f"#DIM {dim_no} {quoted(dim_name)}")
    out += [f"#OBJEKT {dim_no} {quoted(oid)} {quoted(name)}" for oid, name in doc.objects]
    for v in doc.vouchers:
        if v.balance_ore != 0:
            raise ValueError(f"voucher {v.text!r} does not balance ({amount(v.balance_ore)})")
        out.append(f'#VER "" "" {v.date:%Y%m%d} {quoted(v.text)}')
        out.append("{")
        out += [
            f"   #TRANS {t.account} {_objects(dim_no, t.object_id)} {amount(t.amount_ore)}"
            for t in v.transactions
        ]
        out.append("}")
    return ("\r\n".join(out) + "\r\n").encode(ENCODING)


def _unique(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for number, name in pairs:
        seen.setdefault(number, name)
    return sorted(seen.items())
