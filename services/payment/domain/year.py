"""The year adds up by construction (issue 12, item 2): annual amounts, versions in force, pools.

1. The frame (annual_budget_sek, in öre) is split into the components' annual amounts by the
   largest remainder over the shares, so the components' years add up to the frame exactly
   (each rounded on its own, they need not).
2. The version in force for a period P is the highest-numbered approved version whose
   effective_from is at or before P: a newer decision wins from the period it names.
3. Under a version in force from month e, the pool of component k in month m (e ≤ m ≤ 12) is
       rest_k = annual_k(version) − Σ pools of k in months 1..e−1 (under their own versions)
       pool(k, m) = R(rest_k × (m−e+1)/n) − R(rest_k × (m−e)/n),   n = 13 − e, R half up to öre
   which telescopes to rest_k, so the twelve months add up to the version's annual amount.
   With e = 1 this is the rule of domain/pools.py on the whole-öre annual amount.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.payment.domain import components
from services.payment.domain.allocation import largest_remainder
from services.payment.domain.model import PaymentModel
from shared.money import to_ore


class NegativePool(ValueError):
    """A version would have to take back what earlier months already paid for a component."""


@dataclass(frozen=True)
class Version:
    """An approved model version as the schedule reads it."""

    version: int
    effective_month: int  # 1..12, the month of its effective_from
    model: PaymentModel


def frame_ore(model: PaymentModel) -> int:
    return to_ore(model.annual_budget_sek)


def component_annuals(model: PaymentModel) -> dict[str, int]:
    """Each component's annual amount in whole öre; they add up to the frame exactly."""
    shares = {c.id: model.shares[c.share_key] for c in components.COMPONENTS}
    return largest_remainder(frame_ore(model), shares)


def _spread(rest: int, step: int, months: int) -> int:
    """R(rest × step / months) in öre, half up (rest may not be negative)."""
    return int((Decimal(rest * step) / Decimal(months)).to_integral_value(ROUND_HALF_UP))


def in_force(versions: Sequence[Version], month: int) -> Version | None:
    """The highest-numbered version effective at or before `month`."""
    found = [v for v in versions if v.effective_month <= month]
    return max(found, key=lambda v: v.version) if found else None


@dataclass(frozen=True)
class MonthPools:
    month: int
    version: int
    pools: dict[str, int]  # component id → öre


def schedule(versions: Sequence[Version]) -> list[MonthPools]:
    """Every month that has a version in force, with its pools (NegativePool if a version
    would need a negative pool: it cuts a component below what earlier months were given)."""
    out: list[MonthPools] = []
    given: dict[str, int] = {c.id: 0 for c in components.COMPONENTS}
    current: Version | None = None
    start, rests = 1, dict(given)
    for month in range(1, 13):
        v = in_force(versions, month)
        if v is None:
            continue
        if current is None or v.version != current.version:
            current, start = v, month
            annuals = component_annuals(v.model)
            rests = {k: annuals.get(k, 0) - given.get(k, 0) for k in given}
            short = sorted(k for k, r in rests.items() if r < 0)
            if short:
                raise NegativePool(
                    f"version {v.version} from month {month} gives {', '.join(short)} less "
                    "than the months before it were already given"
                )
        n = 13 - start
        step = month - start + 1
        pools = {k: _spread(r, step, n) - _spread(r, step - 1, n) for k, r in rests.items()}
        for k, p in pools.items():
            given[k] += p
        out.append(MonthPools(month, current.version, pools))
    return out


def pools_for(versions: Sequence[Version], month: int) -> MonthPools | None:
    """The pools of one month, or None when no version is in force for it."""
    for entry in schedule(versions):
        if entry.month == month:
            return entry
    return None


def vat_compensation_ore(rate: Decimal, month_total_ore: int) -> int:
    """rate × the unit's month total, half up to the öre (on top of the frame)."""
    return int((rate * Decimal(month_total_ore)).to_integral_value(ROUND_HALF_UP))


def month_vat(
    model: PaymentModel, totals: Mapping[str, int], private: Mapping[str, bool]
) -> dict[str, int]:
    """Per private unit its VAT compensation (none without `vat_compensation` in the model)."""
    vat = model.vat_compensation
    if vat is None:
        return {}
    return {h: vat_compensation_ore(vat.rate, t) for h, t in totals.items() if private.get(h)}


# --- does the year add up? (GET /v1/years/{year}) --------------------------------------------


@dataclass(frozen=True)
class ApprovedMonth:
    """A period's latest approved run, as the year's account reads it."""

    month: int
    run_version: int
    model_version: int
    pools: dict[str, int]  # component id → öre
    distributed: dict[str, int]  # component id → öre
    vat_ore: int = 0


@dataclass(frozen=True)
class Shortfall:
    """Why the paid figure differs from the frame: `kind` is not_approved (periods without an
    approved run), other_version (approved under another model version than the one now in
    force, so its pools are not the schedule's: stale, reason model), or undistributed (öre
    of approved pools no unit received: all weights 0)."""

    kind: str
    ore: int  # the part of the difference it explains (frame − paid)
    months: tuple[int, ...] = ()


@dataclass(frozen=True)
class Account:
    """One component's (or the total's) year: frame, the approved pools and what was paid."""

    frame_ore: int
    approved_pool_ore: int
    distributed_ore: int
    shortfalls: tuple[Shortfall, ...]

    @property
    def undistributed_ore(self) -> int:
        return self.approved_pool_ore - self.distributed_ore

    @property
    def difference_ore(self) -> int:
        """frame − what the approved runs paid out; 0: the year adds up to the frame exactly."""
        return self.frame_ore - self.distributed_ore

    @property
    def adds_up(self) -> bool:
        return self.difference_ore == 0


def account(
    frame: int,
    scheduled: Mapping[int, int],
    approved: Mapping[int, tuple[int, int, bool]],
) -> Account:
    """The year of one figure. `scheduled`: month → its pool under the versions in force;
    `approved`: month → (approved pool, distributed, run under the version in force).
    The shortfalls add up to the difference: the scheduled months add up to the frame by
    construction, so frame − paid = the months not approved + the pools approved under
    another version than the schedule's + the undistributed öre."""
    missing = tuple(m for m in range(1, 13) if m not in approved)
    other = tuple(m for m, (_, _, current) in sorted(approved.items()) if not current)
    pool = sum(p for p, _, _ in approved.values())
    paid = sum(d for _, d, _ in approved.values())
    found: list[Shortfall] = []
    if missing:
        found.append(Shortfall("not_approved", sum(scheduled.get(m, 0) for m in missing), missing))
    off = sum(scheduled.get(m, 0) - approved[m][0] for m in other)
    if other and off:
        found.append(Shortfall("other_version", off, other))
    rest = frame - paid - sum(s.ore for s in found)
    if pool - paid:
        found.append(Shortfall("undistributed", pool - paid))
        rest -= pool - paid
    if rest:  # nothing should be left; if something is, the year view says so, not hides it
        found.append(Shortfall("unexplained", rest))
    return Account(frame, pool, paid, tuple(found))
