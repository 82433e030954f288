"""Payouts: what leaves the region for an approved version of a period, and each unit's ledger.

Pure rules on integer öre. A period's first payout pays every unit its amount in the version.
A later payout of the same period is the correction: per unit the difference between the new
version and what the approved payouts of the period paid it, a line of its own naming the
period and both versions. A negative difference is a credit line (the unit owes it back); it
is never netted against another unit's line, so each payee's money stays its own.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.period import Period

# The statement line that carries VAT compensation (momskompensation) once the model has it:
# booked to its own account, shown as its own figure in the files.
VAT_COMPONENT = "vat_compensation"


class LineKind(enum.StrEnum):
    payment = "payment"  # the period's first payout: the version's amount
    correction = "correction"  # a later version pays more than was paid
    credit = "credit"  # a later version pays less: the unit owes the difference back


@dataclass(frozen=True)
class UnitAmount:
    """A unit's amount in a version (or paid so far): total, and the VAT compensation in it."""

    total_ore: int
    vat_ore: int = 0
    name: str | None = None


@dataclass(frozen=True)
class PayoutLine:
    hsa_id: str
    name: str | None
    period: Period  # the original period the money is for
    kind: LineKind
    paid_version: int | None  # the version paid before (None: the period's first payout)
    version: int  # the version this line pays
    amount_ore: int  # negative on a credit line
    vat_ore: int  # the VAT compensation part of amount_ore

    @property
    def cost_ore(self) -> int:
        """What is booked as care cost (the rest is VAT compensation)."""
        return self.amount_ore - self.vat_ore


def payout_lines(
    *,
    period: Period,
    version: int,
    amounts: Mapping[str, UnitAmount],
    paid: Mapping[str, UnitAmount] | None,
    paid_version: int | None,
) -> list[PayoutLine]:
    """The lines paying `version` of `period`, in HSA-id order.

    `paid` None: the period was never paid, every unit of the version gets a payment line
    (zero included: the unit sees it was counted). Otherwise per unit, the version's amount
    less what was paid (a unit missing from either side counts 0 there); units whose
    difference is 0 get no line.
    """
    if paid is None:
        return [
            PayoutLine(
                hsa_id=h,
                name=a.name,
                period=period,
                kind=LineKind.payment,
                paid_version=None,
                version=version,
                amount_ore=a.total_ore,
                vat_ore=a.vat_ore,
            )
            for h, a in sorted(amounts.items())
        ]
    lines: list[PayoutLine] = []
    none = UnitAmount(0)
    for h in sorted(set(amounts) | set(paid)):
        new, old = amounts.get(h, none), paid.get(h, none)
        diff = new.total_ore - old.total_ore
        if diff == 0 and new.vat_ore == old.vat_ore:
            continue
        lines.append(
            PayoutLine(
                hsa_id=h,
                name=new.name or old.name,
                period=period,
                kind=LineKind.credit if diff < 0 else LineKind.correction,
                paid_version=paid_version,
                version=version,
                amount_ore=diff,
                vat_ore=new.vat_ore - old.vat_ore,
            )
        )
    return lines


def paid_so_far(lines: Iterable[PayoutLine]) -> dict[str, UnitAmount]:
    """Per unit, what approved payout lines of one period paid (credits subtract)."""
    out: dict[str, UnitAmount] = {}
    for ln in lines:
        before = out.get(ln.hsa_id, UnitAmount(0, 0, ln.name))
        out[ln.hsa_id] = UnitAmount(
            before.total_ore + ln.amount_ore, before.vat_ore + ln.vat_ore, before.name or ln.name
        )
    return out


@dataclass(frozen=True)
class LedgerPeriod:
    """One period of a unit's running account. `balance_ore`: computed less paid less
    corrected (positive: still owed to the unit; negative: the unit owes it back);
    `running_ore`: the balances of the year up to and including this period."""

    period: Period
    version: int | None  # the latest approved version (None: none approved)
    computed_ore: int
    paid_ore: int
    corrected_ore: int
    balance_ore: int
    running_ore: int


def ledger(
    year: int,
    *,
    computed: Mapping[Period, tuple[int, int]],
    lines: Iterable[tuple[Period, LineKind, int]],
) -> list[LedgerPeriod]:
    """The twelve periods of `year` for one unit. `computed`: period → (latest approved
    version, the unit's amount in it); `lines`: the unit's approved payout lines."""
    paid: dict[Period, int] = {}
    corrected: dict[Period, int] = {}
    for period, kind, amount in lines:
        into = paid if kind is LineKind.payment else corrected
        into[period] = into.get(period, 0) + amount
    out: list[LedgerPeriod] = []
    running = 0
    for month in range(1, 13):
        p = Period(year, month)
        version, amount = computed.get(p, (None, 0))
        balance = amount - paid.get(p, 0) - corrected.get(p, 0)
        running += balance
        out.append(
            LedgerPeriod(
                period=p,
                version=version,
                computed_ore=amount,
                paid_ore=paid.get(p, 0),
                corrected_ore=corrected.get(p, 0),
                balance_ore=balance,
                running_ore=running,
            )
        )
    return out


@dataclass(frozen=True)
class Accounting:
    """The accounts a payout is booked to. Private units are booked against the payable
    account (leverantörsskulder), the region's own units against the internal settlement
    account; the dimension is the cost centre (kostnadsställe), one object per unit."""

    cost_account: str = "4611"
    payable_account: str = "2441"
    internal_account: str = "2899"
    vat_account: str = "4612"
    dimension: int = 1


# Used until the model carries its own `accounting` block (issue 12, item 5).
DEFAULT_ACCOUNTING = Accounting()
