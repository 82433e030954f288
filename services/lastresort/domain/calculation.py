"""The settlement arithmetic: pure functions over Decimal, rounding half up to the öre.

Every amount is exact until the final rounding. The neutrality rate is kept as an exact
fraction (total compensation / region-listed persons) so that a private unit's amount
is rounded once, from the exact product, never from a rounded rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from shared.money import ORE, round_ore
from shared.period import Period

ZERO = Decimal("0.00")
RATE_DISPLAY = Decimal("0.000000000001")
UNDEFINED_RATE_NOTE = (
    "no persons are listed at region units in this scope: the rate is undefined, "
    "so private units here receive 0.00"
)


def year_periods(year: int) -> list[Period]:
    return [Period(year, m) for m in range(1, 13)]


def missing_periods(year: int, approved: set[Period]) -> list[Period]:
    """The year's periods that have no approved payment run, in order."""
    return [p for p in year_periods(year) if p not in approved]


def deficit(
    *, costs: Decimal, halsoval_revenue: Decimal, other_revenue: Decimal, targeted_grants: Decimal
) -> Decimal:
    """costs − (hälsoval revenue + other revenue + targeted grants); negative is a surplus."""
    return costs - (halsoval_revenue + other_revenue + targeted_grants)


def covered_deficit(deficit_sek: Decimal, coverage: Decimal) -> Decimal:
    """coverage × max(0, deficit), exact (no rounding yet)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return coverage * max(Decimal(0), deficit_sek)


def deficit_compensation(*, deficit_sek: Decimal, coverage: Decimal, cap: Decimal) -> Decimal:
    """min(cap, coverage × max(0, deficit)), rounded to whole öre half up."""
    return round_ore(min(cap, covered_deficit(deficit_sek, coverage)))


def neutrality_rate(total_compensation: Decimal, region_listed: int) -> Fraction | None:
    """Exact kronor per region-listed person; None when nobody is listed at region units."""
    if region_listed <= 0:
        return None
    return Fraction(total_compensation) / region_listed


def round_fraction_ore(value: Fraction) -> Decimal:
    """An exact non-negative fraction of kronor to whole öre, half up, with integer arithmetic."""
    if value < 0:
        raise ValueError("neutrality amounts are never negative")
    ore = value * 100
    whole = (2 * ore.numerator + ore.denominator) // (2 * ore.denominator)
    return (Decimal(whole) / 100).quantize(ORE)


def neutrality_amount(rate: Fraction | None, listed: int) -> Decimal:
    """rate × listed, half up to the öre; nothing when the rate is undefined."""
    if rate is None:
        return ZERO
    return round_fraction_ore(rate * listed)


def rate_display(rate: Fraction) -> Decimal:
    """The rate for people to read, to 12 decimals; amounts never use this rounded value."""
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(rate.numerator) / Decimal(rate.denominator)
        return exact.quantize(RATE_DISPLAY, rounding=ROUND_HALF_UP)


# --- a whole settlement ------------------------------------------------------------------


@dataclass(frozen=True)
class DesignatedUnit:
    hsa_id: str
    unit_name: str
    municipality_code: str


@dataclass(frozen=True)
class Accounts:
    costs: Decimal
    other_revenue: Decimal
    targeted_grants: Decimal


@dataclass(frozen=True)
class UnitStep:
    """A designated unit's inputs and steps (fields unused by the method stay None)."""

    hsa_id: str
    unit_name: str
    municipality_code: str
    compensation: Decimal
    fixed_sum: Decimal | None = None
    accounts: Accounts | None = None
    revenue_by_period: tuple[tuple[Period, Decimal], ...] = ()
    halsoval_revenue: Decimal | None = None
    deficit: Decimal | None = None
    coverage: Decimal | None = None
    covered_deficit: Decimal | None = None
    cap: Decimal | None = None


def fixed_sum_step(unit: DesignatedUnit, amount: Decimal) -> UnitStep:
    return UnitStep(
        hsa_id=unit.hsa_id,
        unit_name=unit.unit_name,
        municipality_code=unit.municipality_code,
        fixed_sum=amount,
        compensation=round_ore(amount),
    )


def deficit_capped_step(
    unit: DesignatedUnit,
    *,
    accounts: Accounts,
    revenue_by_period: list[tuple[Period, Decimal]],
    coverage: Decimal,
    cap: Decimal,
) -> UnitStep:
    revenue = sum((r for _, r in revenue_by_period), ZERO)
    d = deficit(
        costs=accounts.costs,
        halsoval_revenue=revenue,
        other_revenue=accounts.other_revenue,
        targeted_grants=accounts.targeted_grants,
    )
    return UnitStep(
        hsa_id=unit.hsa_id,
        unit_name=unit.unit_name,
        municipality_code=unit.municipality_code,
        accounts=accounts,
        revenue_by_period=tuple(revenue_by_period),
        halsoval_revenue=revenue,
        deficit=d,
        coverage=coverage,
        covered_deficit=covered_deficit(d, coverage),
        cap=cap,
        compensation=deficit_compensation(deficit_sek=d, coverage=coverage, cap=cap),
    )


@dataclass(frozen=True)
class ListedUnit:
    """A unit of the settled care type with its listed count on one count date."""

    hsa_id: str
    unit_name: str
    municipality_code: str
    is_region: bool
    listed: int


@dataclass(frozen=True)
class ScopeUnitStep:
    """A unit in a scope: its count on each of the year's count dates (0 where it was not
    counted in the scope) and their sum, `listed`; a private unit also gets its amount."""

    hsa_id: str
    unit_name: str
    municipality_code: str
    is_region: bool
    designated: bool
    listed: int
    amount: Decimal | None
    counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class ScopeStep:
    """A scope: the region units' count on each count date and their sum, `region_listed`."""

    scope: str
    total_compensation: Decimal
    region_listed: int
    rate: Fraction | None
    units: tuple[ScopeUnitStep, ...]
    total_neutrality: Decimal = field(default=ZERO)
    region_counts: tuple[int, ...] = ()


def neutrality_scopes(
    *,
    steps: list[UnitStep],
    listed_by_date: Sequence[Sequence[ListedUnit]],
    scope: str,
) -> list[ScopeStep]:
    """Per scope, over the year's count dates m: a private unit gets
    C × Σm private_m ÷ Σm region_m, rounded once half up to the öre (C the compensation to the
    scope's designated units), so no single day's change can move the money. `scope` is
    'municipality' or 'region'; a unit belongs to the scope of its municipality on each date.

    Scopes are every municipality with a designated unit or a unit counted on any date (or the
    one region scope). A scope with no compensation has rate 0; one without region-listed
    persons on any date has no rate. A unit whose ownership changed within the year shows once
    per ownership (its private dates alone earn an amount).
    """

    def key(municipality_code: str) -> str:
        return municipality_code if scope == "municipality" else "region"

    dates = len(listed_by_date)
    designated = {s.hsa_id for s in steps}
    # (scope, hsa_id, is_region) -> the unit's last seen name and municipality, and its counts.
    seen: dict[tuple[str, str, bool], tuple[ListedUnit, list[int]]] = {}
    for i, on_date in enumerate(listed_by_date):
        for u in on_date:
            at = (key(u.municipality_code), u.hsa_id, u.is_region)
            counts = seen[at][1] if at in seen else [0] * dates
            counts[i] += u.listed
            seen[at] = (u, counts)
    keys = sorted({key(s.municipality_code) for s in steps} | {at[0] for at in seen})
    out: list[ScopeStep] = []
    for k in keys:
        total = sum((s.compensation for s in steps if key(s.municipality_code) == k), ZERO)
        members = sorted(
            (v for at, v in seen.items() if at[0] == k),
            key=lambda v: (v[0].municipality_code, not v[0].is_region, v[0].hsa_id),
        )
        region_counts = tuple(
            sum(counts[i] for u, counts in members if u.is_region) for i in range(dates)
        )
        region_listed = sum(region_counts)
        rate = neutrality_rate(total, region_listed)
        units = tuple(
            ScopeUnitStep(
                hsa_id=u.hsa_id,
                unit_name=u.unit_name,
                municipality_code=u.municipality_code,
                is_region=u.is_region,
                designated=u.hsa_id in designated,
                listed=sum(counts),
                amount=None if u.is_region else neutrality_amount(rate, sum(counts)),
                counts=tuple(counts),
            )
            for u, counts in members
        )
        total_neutrality = sum((u.amount for u in units if u.amount is not None), ZERO)
        out.append(
            ScopeStep(
                scope=k,
                total_compensation=total,
                region_listed=region_listed,
                rate=rate,
                units=units,
                total_neutrality=total_neutrality,
                region_counts=region_counts,
            )
        )
    return out
