"""Property tests: every öre of every month is accounted for, and the year adds up."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.payment.domain.allocation import largest_remainder
from services.payment.domain.calculation import UnitInput, calculate_month
from services.payment.domain.model import PaymentModel
from services.payment.domain.pools import annual_amount, monthly_pool
from services.payment.domain.year import Version, component_annuals, pools_for, schedule
from shared.money import round_ore, to_ore
from shared.period import Period
from tests.payment.conftest import example_model

hsa_ids = st.integers(0, 9999).map(lambda n: f"SE2321000207-U{n:04d}")
budgets = st.integers(1, 10**11).map(lambda ore: Decimal(ore) / 100)
weights = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def shares(draw: st.DrawFn) -> dict[str, str]:
    """Three non-negative shares with up to 4 decimals that sum to exactly 1."""
    a = draw(st.integers(0, 10000))
    b = draw(st.integers(0, 10000 - a))
    return {
        "capitation": str(Decimal(a) / 10000),
        "cni": str(Decimal(b) / 10000),
        "sparsity": str(Decimal(10000 - a - b) / 10000),
    }


@st.composite
def unit_inputs(draw: st.DrawFn) -> list[UnitInput]:
    ids = draw(st.lists(hsa_ids, min_size=1, max_size=15, unique=True))
    out = []
    for h in ids:
        ages = draw(st.dictionaries(st.integers(0, 110), st.integers(0, 3000), max_size=6))
        listed = sum(ages.values())
        desos = ["2380C1010", "2380A0020", None]
        by_deso: dict[str | None, int] = {}
        left = listed
        for d in desos[:-1]:
            n = draw(st.integers(0, left))
            by_deso[d] = n
            left -= n
        by_deso[None] = left
        out.append(
            UnitInput(
                h,
                Decimal(draw(st.integers(0, 400))),
                listed,
                by_age=sorted(ages.items()),
                by_deso=list(by_deso.items()),
            )
        )
    return out


@settings(max_examples=200, deadline=None)
@given(budget=budgets, split=shares(), month=st.integers(1, 12), units=unit_inputs())
def test_statements_plus_undistributed_equal_the_months_pool(
    budget: Decimal, split: dict[str, str], month: int, units: list[UnitInput]
) -> None:
    model = PaymentModel.model_validate(example_model(annual_budget_sek=str(budget), shares=split))
    r = calculate_month(model, Period(2026, month), units)
    # The pools of the year's schedule (one version, from January: domain/year.py).
    month_pools = pools_for([Version(1, 1, model)], month)
    assert month_pools is not None
    expected_pool = sum(month_pools.pools.values())
    assert r.pool_ore == expected_pool
    assert sum(u.total_ore for u in r.units) + r.undistributed_ore == expected_pool
    for c in r.components:
        paid = sum(ln.amount_ore for u in r.units for ln in u.lines if ln.component is c.component)
        assert paid == c.distributed_ore
        assert paid in (0, c.pool_ore)  # a pool is paid out in full or (all weights 0) not at all
        assert (paid == 0) == (c.total_weight == 0 or c.pool_ore == 0)
    assert all(ln.amount_ore >= 0 for u in r.units for ln in u.lines)


@settings(max_examples=300, deadline=None)
@given(budget=budgets, share=st.integers(0, 10000).map(lambda n: Decimal(n) / 10000))
def test_twelve_months_add_up_to_the_rounded_annual_amount(budget: Decimal, share: Decimal) -> None:
    a = annual_amount(budget, share)
    pools = [monthly_pool(a, m) for m in range(1, 13)]
    assert sum(pools) == to_ore(round_ore(a))
    assert max(pools) - min(pools) <= 1  # the year is spread evenly to the öre


@settings(max_examples=300, deadline=None)
@given(pool=st.integers(0, 10**10), ws=st.dictionaries(hsa_ids, weights, min_size=1, max_size=30))
def test_largest_remainder_is_exact_and_fair(pool: int, ws: dict[str, Decimal]) -> None:
    got = largest_remainder(pool, ws)
    total = sum(ws.values())
    if total == 0:
        assert set(got.values()) == {0}
        return
    assert sum(got.values()) == pool
    for h, w in ws.items():
        quota = Decimal(pool) * w / total
        assert int(quota) <= got[h] <= int(quota) + 1  # floor or one öre more, never further
    # equal weights get amounts at most 1 öre apart, the extra öre to the lowest hsa_ids
    by_weight: dict[Decimal, list[str]] = {}
    for h, w in ws.items():
        by_weight.setdefault(w, []).append(h)
    for group in by_weight.values():
        amounts = [got[h] for h in sorted(group)]
        assert amounts == sorted(amounts, reverse=True)
        assert amounts[0] - amounts[-1] <= 1


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 40), pool=st.integers(0, 10**6))
def test_ties_go_to_the_lowest_hsa_id(n: int, pool: int) -> None:
    ids = [f"SE2321000207-U{i:04d}" for i in range(n)]
    got = largest_remainder(pool, dict.fromkeys(reversed(ids), Decimal("1.5")))
    extra = pool % n
    assert [got[h] for h in ids] == [pool // n + 1] * extra + [pool // n] * (n - extra)


@st.composite
def rounding_breakers(draw: st.DrawFn) -> dict[str, str]:
    """Shares of six decimals near thirds (or any), so that each component's annual amount
    rounded on its own would not sum to the frame."""
    if draw(st.booleans()):
        a, b = 333333 + draw(st.integers(0, 2)), 333333 + draw(st.integers(0, 2))
    else:
        a = draw(st.integers(0, 10**6))
        b = draw(st.integers(0, 10**6 - a))
    return {
        "capitation": str(Decimal(a) / 10**6),
        "cni": str(Decimal(b) / 10**6),
        "sparsity": str(Decimal(10**6 - a - b) / 10**6),
    }


@settings(max_examples=300, deadline=None)
@given(
    budget=budgets,
    split=rounding_breakers(),
    later=st.none() | st.tuples(st.integers(2, 12), st.integers(0, 10**6), rounding_breakers()),
)
def test_the_year_adds_up_to_the_frame_by_construction(
    budget: Decimal, split: dict[str, str], later: tuple[int, int, dict[str, str]] | None
) -> None:
    """The components' annual amounts add up to the frame exactly, and the twelve months'
    pools of every component add up to the annual amount of the version in force in December,
    across a version effective mid-year (whose frame is at least what was already given)."""
    v1 = PaymentModel.model_validate(example_model(annual_budget_sek=str(budget), shares=split))
    annual = component_annuals(v1)
    assert sum(annual.values()) == to_ore(budget)
    versions = [Version(1, 1, v1)]
    if later is not None:
        month, extra_ore, split2 = later
        # enough for every component's months so far, plus something (a raise mid-year)
        frame2 = Decimal(to_ore(budget) + extra_ore) / 100
        v2 = PaymentModel.model_validate(
            example_model(annual_budget_sek=str(frame2), shares=split2)
        )
        given = {k: sum(p.pools[k] for p in schedule(versions) if p.month < month) for k in annual}
        if all(component_annuals(v2)[k] >= given[k] for k in given):
            versions.append(Version(2, month, v2))
    months = schedule(versions)
    assert [m.month for m in months] == list(range(1, 13))
    last = versions[-1].model
    for k, a in component_annuals(last).items():
        assert sum(m.pools[k] for m in months) == a
        assert all(m.pools[k] >= 0 for m in months)
    assert sum(sum(m.pools.values()) for m in months) == to_ore(last.annual_budget_sek)
