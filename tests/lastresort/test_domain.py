"""The settlement arithmetic on its own, with the numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from fractions import Fraction

import pytest

from services.lastresort.domain import calculation as calc
from services.lastresort.domain import settlement
from services.lastresort.domain.designation import active_in_year, designation_problem
from shared.period import Period
from shared.schemas.common import CareType
from shared.schemas.listing import Unit

COUNTED_ON = dt.date(2026, 1, 1)
KNOWN_AT = dt.datetime(2026, 1, 2, 6, tzinfo=dt.UTC)


def test_deficit_and_capped_compensation() -> None:
    # 15 500 000 − (12 000 000 + 1 000 000 + 250 000) = 2 250 000; × 0.9 = 2 025 000 < cap.
    d = calc.deficit(
        costs=D("15500000.00"),
        halsoval_revenue=D("12000000.00"),
        other_revenue=D("1000000.00"),
        targeted_grants=D("250000.00"),
    )
    assert d == D("2250000.00")
    assert calc.deficit_compensation(deficit_sek=d, coverage=D("0.9"), cap=D("5000000.00")) == D(
        "2025000.00"
    )
    # The cap binds: 0.9 × 7 999 994 = 7 199 994.60 > 5 000 000.
    assert calc.deficit_compensation(
        deficit_sek=D("7999994.00"), coverage=D("0.9"), cap=D("5000000.00")
    ) == D("5000000.00")


def test_surplus_gives_nothing_and_rounding_is_half_up() -> None:
    assert calc.deficit_compensation(
        deficit_sek=D("-10.00"), coverage=D("1"), cap=D("100.00")
    ) == D("0.00")
    # 0.05 × 0.5 = 0.025 → 0.03 (half up), and 0.05 × 0.49 = 0.0245 → 0.02.
    assert calc.deficit_compensation(deficit_sek=D("0.05"), coverage=D("0.5"), cap=D("1.00")) == D(
        "0.03"
    )
    assert calc.deficit_compensation(deficit_sek=D("0.05"), coverage=D("0.49"), cap=D("1.00")) == D(
        "0.02"
    )


def test_neutrality_rate_is_exact_and_amounts_round_once() -> None:
    # 5 000 000 / 4001 = 1249.687578105473631...; 2000 persons → 2 499 375.156… → 2 499 375.16.
    rate = calc.neutrality_rate(D("5000000.00"), 4001)
    assert rate == Fraction(5000000, 4001)
    assert calc.neutrality_amount(rate, 2000) == D("2499375.16")
    assert calc.neutrality_amount(rate, 1) == D("1249.69")
    assert calc.rate_display(rate) == D("1249.687578105474")
    # Rounding the rate first would give 1249.69 × 2000 = 2 499 380.00: not what we pay.
    assert calc.neutrality_amount(rate, 2000) != D("1249.69") * 2000


def test_exact_half_ore_rounds_up() -> None:
    # 0.01 / 2 = 0.005 per person → 0.01 (half up); 3 persons → 0.015 → 0.02.
    rate = calc.neutrality_rate(D("0.01"), 2)
    assert calc.neutrality_amount(rate, 1) == D("0.01")
    assert calc.neutrality_amount(rate, 3) == D("0.02")
    assert calc.round_fraction_ore(Fraction(1, 300)) == D("0.00")


def test_undefined_rate_pays_private_units_nothing() -> None:
    assert calc.neutrality_rate(D("100.00"), 0) is None
    assert calc.neutrality_amount(None, 500) == D("0.00")


def _step(hsa: str, muni: str, comp: str) -> calc.UnitStep:
    return calc.UnitStep(hsa_id=hsa, unit_name=hsa, municipality_code=muni, compensation=D(comp))


def test_scopes_by_municipality_and_region() -> None:
    steps = [_step("R1", "2303", "2025000.00"), _step("R2", "2380", "5000000.00")]
    listed = [
        calc.ListedUnit("R1", "R1", "2303", True, 1000),
        calc.ListedUnit("P1", "P1", "2303", False, 500),
        calc.ListedUnit("R2", "R2", "2380", True, 3000),
        calc.ListedUnit("R3", "R3", "2380", True, 1001),
        calc.ListedUnit("P2", "P2", "2380", False, 2000),
        calc.ListedUnit("P4", "P4", "2326", False, 10),
    ]
    by_muni = {
        s.scope: s
        for s in calc.neutrality_scopes(steps=steps, listed_by_date=[listed], scope="municipality")
    }
    assert sorted(by_muni) == ["2303", "2326", "2380"]
    # 2303: 2 025 000 / 1000 = 2025 per person; P1 500 × 2025 = 1 012 500.
    amounts = {u.hsa_id: u.amount for u in by_muni["2303"].units}
    assert amounts == {"R1": None, "P1": D("1012500.00")}
    # 2326 has no region-listed persons: no rate, nothing paid.
    assert by_muni["2326"].rate is None and by_muni["2326"].units[0].amount == D("0.00")
    assert by_muni["2380"].region_listed == 4001
    # Region: 7 025 000 / 5001 = 1404.719056…; P1 500 → 702 359.528… → 702 359.53;
    # P2 2000 → 2 809 438.112… → 2 809 438.11; P4 10 → 14 047.190… → 14 047.19.
    (region,) = calc.neutrality_scopes(steps=steps, listed_by_date=[listed], scope="region")
    assert region.scope == "region" and region.region_listed == 5001
    amounts = {u.hsa_id: u.amount for u in region.units if u.amount is not None}
    assert amounts == {"P1": D("702359.53"), "P2": D("2809438.11"), "P4": D("14047.19")}
    assert region.total_neutrality == D("3525844.83")


def test_missing_periods() -> None:
    assert calc.missing_periods(2026, {Period(2026, m) for m in range(1, 11)}) == [
        Period(2026, 11),
        Period(2026, 12),
    ]


def _unit(**kw: object) -> Unit:
    base: dict[str, object] = {
        "hsa_id": "SE2321000218-A1",
        "name": "A",
        "municipality_code": "2303",
        "ownership": "region",
        "care_type": "primary",
        "distance_to_hospital_km": "1",
        "active_from": "2020-01-01",
    }
    base.update(kw)
    return Unit.model_validate(base)


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"ownership": "private"}, "not region-owned"),
        ({"care_type": "dental"}, "care type dental, not primary"),
        ({"municipality_code": "2380"}, "in municipality 2380, not 2303"),
        ({"active_to": "2025-12-31"}, "not active in 2026"),
        ({"active_from": "2027-01-01"}, "not active in 2026"),
    ],
)
def test_designation_conditions(kw: dict[str, object], fragment: str) -> None:
    problem = designation_problem(
        _unit(**kw), year=2026, care_type=CareType.primary, municipality_code="2303"
    )
    assert problem is not None and fragment in problem


def test_designation_accepts_a_unit_active_part_of_the_year() -> None:
    assert (
        designation_problem(
            _unit(active_to="2026-03-01"),
            year=2026,
            care_type=CareType.primary,
            municipality_code="2303",
        )
        is None
    )
    assert active_in_year(dt.date(2026, 12, 31), None, 2026)
    assert not active_in_year(dt.date(2020, 1, 1), dt.date(2025, 12, 31), 2026)


# --- a whole settlement from typed inputs -------------------------------------------------

R1 = calc.DesignatedUnit("SE2321000218-R1", "Unit R1", "2303")
R2 = calc.DesignatedUnit("SE2321000218-R2", "Unit R2", "2380")


def test_the_care_types_own_model_wins() -> None:
    assert settlement.effective_applies_to("dental", {"all", "dental"}) == "dental"
    assert settlement.effective_applies_to("primary", {"all", "dental"}) == "all"
    assert settlement.effective_applies_to("primary", {"dental"}) is None


def test_lacking_inputs() -> None:
    fixed = settlement.FixedSum({"2380": D("1.00")})
    assert settlement.lacking_amounts(fixed, [R1, R2]) == ["2303"]
    accounts = {R2.hsa_id: calc.Accounts(D("1.00"), D("0.00"), D("0.00"))}
    assert settlement.lacking_accounts([R1, R2], accounts) == [R1.hsa_id]


def test_deficit_capped_settlement_sums_each_periods_statements() -> None:
    jan, feb = Period(2026, 1), Period(2026, 2)
    approved = [
        settlement.ApprovedPeriod(
            jan, 1, COUNTED_ON, KNOWN_AT, ((R1.hsa_id, D("600.00")), (R1.hsa_id, D("400.00")))
        ),
        settlement.ApprovedPeriod(feb, 2, COUNTED_ON, KNOWN_AT, (("SE2321000218-P1", D("5.00")),)),
    ]
    settled = settlement.settle(
        method=settlement.DeficitCapped(coverage=D("0.9"), cap=D("10000.00")),
        designated=[R1],
        accounts={R1.hsa_id: calc.Accounts(D("3000.00"), D("500.00"), D("0.00"))},
        approved=approved,
        neutrality_scope=None,
        listed_by_date=[],
    )
    (step,) = settled.steps
    assert step.revenue_by_period == ((jan, D("1000.00")), (feb, D("0.00")))
    # 3000 − (1000 + 500 + 0) = 1500; × 0.9 = 1350.
    assert step.deficit == D("1500.00") and step.compensation == D("1350.00")
    assert settled.scopes == () and settled.total_neutrality == D("0.00")


def test_fixed_sum_settlement_with_neutrality_totals() -> None:
    listed = [
        calc.ListedUnit(R1.hsa_id, R1.unit_name, "2303", True, 3),
        calc.ListedUnit("SE2321000218-P1", "Unit P1", "2303", False, 1),
    ]
    settled = settlement.settle(
        method=settlement.FixedSum({"2303": D("100.00"), "2380": D("50.00")}),
        designated=[R1, R2],
        accounts={},
        approved=[],
        neutrality_scope="region",
        listed_by_date=[listed],
    )
    assert settled.total_compensation == D("150.00")
    (scope,) = settled.scopes
    # rate = 150 / 3 = 50 per region-listed person; P1 has 1.
    assert scope.rate == Fraction(50) and settled.total_neutrality == D("50.00")


def test_neutrality_over_twelve_count_dates_by_hand() -> None:
    """C × Σm private_m ÷ Σm region_m, rounded once. Municipality 2303: designated R1 gets
    C = 1 000 000.00. Region units: R1 100 listed on every date, R2 (opened in July) 50 on the
    six dates July–December and 0 before (not counted while inactive): Σ region = 1200 + 300 =
    1500. Private P1: 10 on every date but March (40, a one-day surge) = 11·10 + 40 = 150;
    P2 closed after May: 7 on January–May, 0 after = 35.
    P1 = 1 000 000 × 150 / 1500 = 100 000.00 exactly; P2 = 1 000 000 × 35 / 1500 =
    23 333.333… → 23 333.33. On 31 December alone P1 would get 1 000 000 × 10/150 = 66 666.67,
    and the March surge alone moves it by 1 000 000 × 30/1500 = 20 000.00, not by 1/12 of a
    day's difference in the rate."""
    steps = [calc.fixed_sum_step(calc.DesignatedUnit("R1", "R1", "2303"), D("1000000.00"))]
    by_date: list[list[calc.ListedUnit]] = []
    for month in range(1, 13):
        on = [calc.ListedUnit("R1", "R1", "2303", True, 100)]
        if month >= 7:
            on.append(calc.ListedUnit("R2", "R2", "2303", True, 50))
        on.append(calc.ListedUnit("P1", "P1", "2303", False, 40 if month == 3 else 10))
        if month <= 5:
            on.append(calc.ListedUnit("P2", "P2", "2303", False, 7))
        by_date.append(on)
    (scope,) = calc.neutrality_scopes(steps=steps, listed_by_date=by_date, scope="municipality")
    assert scope.region_counts == (100,) * 6 + (150,) * 6
    assert scope.region_listed == 1500
    assert scope.rate == Fraction(1000000, 1500)
    units = {u.hsa_id: u for u in scope.units}
    assert units["P1"].counts == (10, 10, 40) + (10,) * 9 and units["P1"].listed == 150
    assert units["P2"].counts == (7,) * 5 + (0,) * 7 and units["P2"].listed == 35
    assert units["R2"].counts == (0,) * 6 + (50,) * 6 and units["R2"].amount is None
    assert units["P1"].amount == D("100000.00")
    assert units["P2"].amount == D("23333.33")
    assert scope.total_neutrality == D("123333.33")


def test_a_unit_moving_municipality_counts_in_each_scope_on_its_own_dates() -> None:
    steps = [
        calc.fixed_sum_step(calc.DesignatedUnit("R1", "R1", "2303"), D("1200.00")),
        calc.fixed_sum_step(calc.DesignatedUnit("R2", "R2", "2380"), D("2400.00")),
    ]
    by_date = [
        [
            calc.ListedUnit("R1", "R1", "2303", True, 10),
            calc.ListedUnit("R2", "R2", "2380", True, 10),
            calc.ListedUnit("P1", "P1", "2303" if m <= 6 else "2380", False, 5),
        ]
        for m in range(1, 13)
    ]
    scopes = {
        s.scope: s
        for s in calc.neutrality_scopes(steps=steps, listed_by_date=by_date, scope="municipality")
    }
    p_2303 = next(u for u in scopes["2303"].units if u.hsa_id == "P1")
    p_2380 = next(u for u in scopes["2380"].units if u.hsa_id == "P1")
    # 1200 × 30 / 120 = 300.00 and 2400 × 30 / 120 = 600.00.
    assert (p_2303.listed, p_2303.amount) == (30, D("300.00"))
    assert (p_2380.listed, p_2380.amount) == (30, D("600.00"))


@pytest.mark.parametrize(
    ("today", "refused"),
    [
        (dt.date(2026, 12, 30), True),
        (dt.date(2026, 12, 31), True),
        (dt.date(2027, 1, 1), False),
        (dt.date(2028, 6, 1), False),
    ],
)
def test_a_year_settles_from_1_january_of_the_next(today: dt.date, refused: bool) -> None:
    assert (settlement.too_early(2026, today=today) is not None) is refused
