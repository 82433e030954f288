"""Rules 1–4 put together: one month for every unit, and what changed against a previous version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from services.payment.domain import components, year
from services.payment.domain.allocation import largest_remainder
from services.payment.domain.components import FIRST_CALCULATION, VAT_COMPENSATION
from services.payment.domain.model import PaymentModel
from shared.period import Period

SHARE_PLACES = Decimal("1e-12")  # the printed share; amounts come from the exact weights


@dataclass(frozen=True)
class UnitInput:
    """One unit's aggregated counts on the count date and its distance to hospital."""

    hsa_id: str
    distance_km: Decimal
    listed: int
    by_age: Sequence[tuple[int, int]] = ()
    by_deso: Sequence[tuple[str | None, int]] = ()
    name: str | None = None
    private: bool = False  # a privately owned unit (VAT compensation), as known at the counts


@dataclass(frozen=True)
class Line:
    component: str  # a ComponentSpec id
    weight: Decimal
    share: Decimal
    amount_ore: int


@dataclass(frozen=True)
class ComponentPool:
    component: str  # a ComponentSpec id
    pool_ore: int
    total_weight: Decimal
    distributed_ore: int

    @property
    def undistributed_ore(self) -> int:
        return self.pool_ore - self.distributed_ore


@dataclass(frozen=True)
class UnitResult:
    hsa_id: str
    listed: int
    lines: tuple[Line, ...]
    name: str | None = None

    @property
    def total_ore(self) -> int:
        return sum(line.amount_ore for line in self.lines)


@dataclass(frozen=True)
class MonthResult:
    period: Period
    components: tuple[ComponentPool, ...]
    units: tuple[UnitResult, ...] = field(default=())

    @property
    def pool_ore(self) -> int:
        return sum(c.pool_ore for c in self.components)

    @property
    def total_ore(self) -> int:
        return sum(u.total_ore for u in self.units)

    @property
    def undistributed_ore(self) -> int:
        return sum(c.undistributed_ore for c in self.components)

    @property
    def vat_ore(self) -> int:
        """The VAT compensation of the month, on top of the pools (in total_ore, not pool_ore)."""
        return sum(
            ln.amount_ore for u in self.units for ln in u.lines if ln.component == VAT_COMPENSATION
        )

    @property
    def calculation_version(self) -> int:
        """The oldest calculation that pays this month so: components it did not have pay nothing.

        A component added later (a higher `since`) that pays nothing here does not raise it,
        so a month stored before the component existed still has the same fingerprint.
        """
        return max(
            (
                since
                for c in self.components
                if (since := components.spec(c.component).since) > FIRST_CALCULATION and c.pool_ore
            ),
            default=FIRST_CALCULATION,
        )

    def fingerprint(self, *, model_year: int, model_version: int, count_date: str) -> str:
        """Equal fingerprints mean a re-run would store the same payments.

        It covers the components of its calculation version and names the version, except
        version 1, whose fingerprints were stored before versions existed and stay valid.
        """
        version = self.calculation_version
        covered = {
            c.component for c in self.components if components.spec(c.component).since <= version
        }
        doc: dict[str, object] = {
            "model": [model_year, model_version],
            "count_date": count_date,
            "components": [
                [c.component, c.pool_ore, fmt(c.total_weight)]
                for c in self.components
                if c.component in covered
            ],
            "units": [
                [
                    u.hsa_id,
                    u.listed,
                    [
                        [ln.component, fmt(ln.weight), ln.amount_ore]
                        for ln in u.lines
                        if ln.component in covered
                    ],
                ]
                for u in self.units
            ],
        }
        if version != FIRST_CALCULATION:
            doc["calculation"] = version
        vat = [
            [u.hsa_id, ln.amount_ore]
            for u in self.units
            for ln in u.lines
            if ln.component == VAT_COMPENSATION
        ]
        if vat:  # only then: a month without VAT compensation keeps its earlier fingerprint
            doc["vat"] = vat
        return hashlib.sha256(json.dumps(doc, separators=(",", ":")).encode()).hexdigest()


def fmt(d: Decimal) -> str:
    """Plain notation, never exponents ('1100.0', not '1.1E+3')."""
    return format(d, "f")


def _share(weight: Decimal, total: Decimal) -> Decimal:
    if total == 0:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 60
        return (weight / total).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


def unit_weights(model: PaymentModel, unit: UnitInput) -> dict[str, Decimal]:
    """Rule 2 for one unit: its weight in every component."""
    return {c.id: c.weight(model, unit) for c in components.COMPONENTS}


def calculate_month(
    model: PaymentModel,
    period: Period,
    units: Sequence[UnitInput],
    pools: Mapping[str, int] | None = None,
) -> MonthResult:
    """Pools (rule 1), weights (rule 2), largest remainder (rule 3), statement lines (rule 4),
    then each private unit's VAT compensation on top (when the model has it).

    `pools`: the month's pools from the year's schedule (domain/year.py); omitted, the model
    is taken as the only version, in force from January."""
    if pools is None:
        month = year.pools_for([year.Version(1, 1, model)], period.month)
        assert month is not None
        pools = month.pools
    ordered = sorted(units, key=lambda u: u.hsa_id)
    if len({u.hsa_id for u in ordered}) != len(ordered):
        raise ValueError("a unit appears twice in the counts")
    registry = components.COMPONENTS
    weights = {u.hsa_id: unit_weights(model, u) for u in ordered}
    component_pools: list[ComponentPool] = []
    amounts: dict[str, dict[str, int]] = {}
    totals: dict[str, Decimal] = {}
    for spec in registry:
        component = spec.id
        pool = pools.get(component, 0)
        component_weights = {h: w[component] for h, w in weights.items()}
        amounts[component] = largest_remainder(pool, component_weights)
        totals[component] = sum(component_weights.values(), Decimal(0))
        paid = sum(amounts[component].values())
        component_pools.append(ComponentPool(component, pool, totals[component], paid))
    results = tuple(
        _with_vat(
            model,
            u,
            UnitResult(
                hsa_id=u.hsa_id,
                listed=u.listed,
                name=u.name,
                lines=tuple(
                    Line(
                        c,
                        weights[u.hsa_id][c],
                        _share(weights[u.hsa_id][c], totals[c]),
                        amounts[c][u.hsa_id],
                    )
                    for c in (spec.id for spec in registry)
                ),
            ),
        )
        for u in ordered
    )
    return MonthResult(period=period, components=tuple(component_pools), units=results)


def _with_vat(model: PaymentModel, unit: UnitInput, result: UnitResult) -> UnitResult:
    """A private unit's `vat_compensation` line: weight = the month's total in kronor it is
    computed on, share = the rate. The region's own units get none."""
    vat = model.vat_compensation
    if vat is None or not unit.private:
        return result
    base = result.total_ore
    line = Line(
        VAT_COMPENSATION,
        (Decimal(base) / 100).quantize(Decimal("0.01")),
        vat.rate,
        year.vat_compensation_ore(vat.rate, base),
    )
    return UnitResult(result.hsa_id, result.listed, (*result.lines, line), result.name)


def line_deltas(
    result: MonthResult, previous: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, int]]:
    """Per unit and line: new amount − the previous version's (a unit new to the period had 0)."""
    return {
        u.hsa_id: {
            ln.component: ln.amount_ore - previous.get(u.hsa_id, {}).get(ln.component, 0)
            for ln in u.lines
        }
        for u in result.units
    }
