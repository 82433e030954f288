"""The year's what-if (issue 12, item 7): twelve months under the current and a proposed
model, summed per unit and per component. Pure: the use case reads the counts.

- Counts: a month whose count date has not come (the business date) is counted on the latest
  count date that has (`counted_on`: the same rule, stepping back period by period), and the
  answer names the date used.
- delta_pct = (proposed − current) / current × 100, a percent rounded half up to
  `PCT_PLACES` (two decimals); none when current is 0 (or there is no current at all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from services.payment.domain import components
from services.payment.domain.calculation import MonthResult
from shared.period import CountDateRule, Period, count_date

PCT_PLACES = 2
_QUANTUM = Decimal(1).scaleb(-PCT_PLACES)


def counted_on(period: Period, rule: CountDateRule, *, today: dt.date) -> dt.date:
    """The count date of `period` when it has come by `today`, else the latest that has."""
    p = period
    while (day := count_date(p, rule)) > today:
        p = p.previous()
    return day


def delta_pct(current_ore: int, proposed_ore: int) -> Decimal | None:
    """The change in percent of `current`, half up to PCT_PLACES decimals (None: current 0)."""
    if current_ore == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        pct = Decimal(proposed_ore - current_ore) * 100 / Decimal(current_ore)
        pct = pct.quantize(_QUANTUM, rounding=ROUND_HALF_UP)
    return pct.copy_abs() if pct == 0 else pct  # a change too small to show is 0.00, not -0.00


def figure_ids() -> tuple[str, ...]:
    """The components of the answer, in registry order, and the VAT compensation line."""
    return (*(c.id for c in components.COMPONENTS), components.VAT_COMPENSATION)


@dataclass
class Tally:
    """Öre per component (figure_ids) on each side; `current` is None without a current."""

    current: dict[str, int] | None
    proposed: dict[str, int]
    name: str | None = None

    @property
    def current_ore(self) -> int | None:
        return sum(self.current.values()) if self.current is not None else None

    @property
    def proposed_ore(self) -> int:
        return sum(self.proposed.values())


@dataclass
class YearTally:
    total: Tally
    units: dict[str, Tally] = field(default_factory=dict)  # hsa_id → its year


def _add(into: dict[str, int], result: MonthResult | None, hsa_id: str | None) -> None:
    if result is None:
        return
    for u in result.units:
        if hsa_id is None or u.hsa_id == hsa_id:
            for ln in u.lines:
                into[ln.component] = into.get(ln.component, 0) + ln.amount_ore


def tally(
    months: Iterable[tuple[MonthResult | None, MonthResult | None]], *, with_current: bool
) -> YearTally:
    """Per unit and in total, each component's twelve months on both sides. A unit counted in
    some months only has 0 in the others (and on a side it is missing from)."""
    pairs = list(months)
    zero = dict.fromkeys(figure_ids(), 0)
    names: dict[str, str | None] = {}
    for pair in pairs:
        for result in pair:
            for u in result.units if result else ():
                names[u.hsa_id] = names.get(u.hsa_id) or u.name
    units: dict[str, Tally] = {}
    for hsa_id in sorted(names):
        current: dict[str, int] = dict(zero)
        proposed: dict[str, int] = dict(zero)
        for cur, prop in pairs:
            _add(current, cur, hsa_id)
            _add(proposed, prop, hsa_id)
        units[hsa_id] = Tally(current if with_current else None, proposed, names[hsa_id])
    return YearTally(_sum(units.values(), zero, with_current), units)


def _sum(tallies: Iterable[Tally], zero: Mapping[str, int], with_current: bool) -> Tally:
    current, proposed = dict(zero), dict(zero)
    for t in tallies:
        for k, v in t.proposed.items():
            proposed[k] = proposed.get(k, 0) + v
        for k, v in (t.current or {}).items():
            current[k] = current.get(k, 0) + v
    return Tally(current if with_current else None, proposed)
