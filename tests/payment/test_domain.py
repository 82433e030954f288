"""Hand-computed examples of rules 1–4, with the arithmetic written out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.payment.domain.allocation import largest_remainder
from services.payment.domain.calculation import UnitInput, calculate_month
from services.payment.domain.model import PaymentModel
from services.payment.domain.pools import annual_amount, cumulative_ore, monthly_pool
from services.payment.domain.weights import capitation_weight, cni_weight, sparsity_weight
from shared.period import Period
from shared.schemas.payment import Component
from tests.payment.conftest import A, B, C, example_model

D = Decimal


def test_monthly_pool_rounds_cumulatively_half_up() -> None:
    # A = 1 000 000.00 × 0.5 = 500 000; A/12 = 41 666.666…
    a = annual_amount(D("1000000.00"), D("0.5"))
    assert a == D("500000.000")
    # m=1: R(41 666.666…) = 41 666.67 − R(0) = 41 666.67
    assert monthly_pool(a, 1) == 4166667
    # m=2: R(83 333.333…) = 83 333.33; 83 333.33 − 41 666.67 = 41 666.66
    assert monthly_pool(a, 2) == 4166666
    # m=3: R(125 000) = 125 000.00; 125 000.00 − 83 333.33 = 41 666.67
    assert monthly_pool(a, 3) == 4166667
    assert sum(monthly_pool(a, m) for m in range(1, 13)) == 50000000


def test_half_ore_rounds_up() -> None:
    # A = 0.06 × 1 = 0.06; A × 1/12 = 0.005 → R = 0.01 (half up, not to even)
    assert cumulative_ore(D("0.06"), 1) == 1
    # A × 3/12 = 0.015 → 0.02
    assert cumulative_ore(D("0.06"), 3) == 2


def test_largest_remainder_by_hand() -> None:
    # pool 4 166 667 öre, weights 5 : 4 : 1 (total 10)
    # A: 2 083 333.5 → 2 083 333 r .5;  B: 1 666 666.8 → 1 666 666 r .8;
    # C: 416 666.7 → 416 666 r .7
    # floors sum to 4 166 665, so 2 öre are left: B (.8) and C (.7)
    got = largest_remainder(4166667, {A: D(5), B: D(4), C: D(1)})
    assert got == {A: 2083333, B: 1666667, C: 416667}


def test_largest_remainder_ties_go_to_lowest_hsa_id() -> None:
    # 10 öre over three equal weights: 3 each, 1 left, all remainders 1/3: lowest hsa_id (A) wins
    assert largest_remainder(10, {C: D("0.7"), A: D("0.7"), B: D("0.7")}) == {A: 4, B: 3, C: 3}
    # 11 öre: two left, A and B
    assert largest_remainder(11, {C: D(1), B: D(1), A: D(1)}) == {A: 4, B: 4, C: 3}


def test_largest_remainder_with_all_zero_weights_pays_nothing() -> None:
    assert largest_remainder(999, {A: D(0), B: D(0)}) == {A: 0, B: 0}


def test_weights_by_hand() -> None:
    model = PaymentModel.model_validate(example_model())
    # ages 30×3 (weight 1) + 70×1 (weight 2) = 5
    assert capitation_weight([(30, 3), (70, 1)], model.age_weights) == D(5)
    # age 64 is in 0–64, 65 in 65–
    assert capitation_weight([(64, 1), (65, 1)], model.age_weights) == D(3)
    # 2380C1010 has CNI 2.0; an unknown DeSO and a missing one use the default 1.0: 2×2 + 1 + 1 = 6
    assert cni_weight([("2380C1010", 2), ("9999A9999", 1), (None, 1)], model.cni) == D("6.0")
    # limits [40, 100], sizes [2000]: 40 km → i=1 (40 ≤ 40);
    # 2000 listed → j=0 (2000 < 2000 is false)
    assert sparsity_weight(D(40), 2000, model.sparsity) == D(100)
    assert sparsity_weight(D("39.9"), 2001, model.sparsity) == D(0)
    assert sparsity_weight(D(100), 2001, model.sparsity) == D(200)
    assert sparsity_weight(D(500), 0, model.sparsity) == D(0)  # nobody listed weighs 0


def three_unit_inputs() -> list[UnitInput]:
    return [
        UnitInput(A, D(120), 4, by_age=[(30, 3), (70, 1)], by_deso=[("2380C1010", 4)]),
        UnitInput(B, D(40), 2, by_age=[(80, 2)], by_deso=[("2380C1010", 1), (None, 1)]),
        UnitInput(C, D(10), 1, by_age=[(10, 1)], by_deso=[("2380A0020", 1)]),
    ]


def test_month_by_hand() -> None:
    """Budget 1 000 000.00, shares 0.5 / 0.3 / 0.2, March (m = 3)."""
    model = PaymentModel.model_validate(example_model())
    r = calculate_month(model, Period(2026, 3), three_unit_inputs())
    pools = {c.component: c.pool_ore for c in r.components}
    # capitation: R(500 000 × 3/12) − R(500 000 × 2/12) = 125 000.00 − 83 333.33 = 41 666.67
    # cni:        R(300 000 × 3/12) − R(300 000 × 2/12) =  75 000.00 − 50 000.00 = 25 000.00
    # sparsity:   R(200 000 × 3/12) − R(200 000 × 2/12) =  50 000.00 − 33 333.33 = 16 666.67
    assert pools == {
        Component.capitation: 4166667,
        Component.cni: 2500000,
        Component.sparsity: 1666667,
    }
    amounts = {u.hsa_id: {ln.component: ln.amount_ore for ln in u.lines} for u in r.units}
    # capitation weights 5 : 4 : 1 → see test_largest_remainder_by_hand
    assert [amounts[h][Component.capitation] for h in (A, B, C)] == [2083333, 1666667, 416667]
    # cni weights A 4×2.0 = 8, B 2.0 + 1.0 = 3, C 1.0 (unknown DeSO) = 1; total 12
    # A 2 500 000 × 8/12 = 1 666 666.67 (r .67), B 625 000 (r 0), C 208 333.33 (r .33): 1 left → A
    assert [amounts[h][Component.cni] for h in (A, B, C)] == [1666667, 625000, 208333]
    # sparsity: A 120 km, 4 listed → points[2][0] = 300; B 40 km → points[1][0] = 100; C 10 km → 0
    # A 1 666 667 × 300/400 = 1 250 000.25 (r .25), B 416 666.75 (r .75): 1 left → B
    assert [amounts[h][Component.sparsity] for h in (A, B, C)] == [1250000, 416667, 0]
    totals = {u.hsa_id: u.total_ore for u in r.units}
    # A 2 083 333 + 1 666 667 + 1 250 000 = 5 000 000; B 2 708 334; C 625 000
    assert totals == {A: 5000000, B: 2708334, C: 625000}
    assert r.total_ore == r.pool_ore == 8333334
    assert r.undistributed_ore == 0
    share = {ln.component: ln.share for ln in r.units[0].lines}
    assert share[Component.capitation] == D("0.500000000000")
    assert share[Component.cni] == D("0.666666666667")


def test_month_with_nobody_listed_leaves_the_pool_undistributed() -> None:
    model = PaymentModel.model_validate(example_model())
    r = calculate_month(model, Period(2026, 3), [UnitInput(A, D(300), 0)])
    assert r.total_ore == 0
    assert r.undistributed_ore == r.pool_ore == 8333334


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"shares": {"capitation": "0.70", "cni": "0.22", "sparsity": "0.07"}}, "shares"),
        (
            {"shares": {"capitation": "0.70", "cni": "0.22", "sparsity": "0.08", "x": "0"}},
            "shares.x",
        ),
        (
            {"shares": {"capitation": "-0.1", "cni": "1.02", "sparsity": "0.08"}},
            "shares.capitation",
        ),
        ({"shares": {"capitation": 0.7, "cni": "0.22", "sparsity": "0.08"}}, "shares.capitation"),
        ({"annual_budget_sek": "-1.00"}, "annual_budget_sek"),
        ({"annual_budget_sek": "1.001"}, "annual_budget_sek"),
        (
            {
                "age_weights": [
                    {"from_age": 0, "to_age": 9, "weight": "1"},
                    {"from_age": 11, "to_age": None, "weight": "1"},
                ]
            },
            "age_weights",
        ),
        (
            {
                "age_weights": [
                    {"from_age": 0, "to_age": 9, "weight": "1"},
                    {"from_age": 9, "to_age": None, "weight": "1"},
                ]
            },
            "age_weights",
        ),
        ({"age_weights": [{"from_age": 1, "to_age": None, "weight": "1"}]}, "age_weights"),
        ({"age_weights": [{"from_age": 0, "to_age": 99, "weight": "1"}]}, "age_weights"),
        (
            {"age_weights": [{"from_age": 0, "to_age": None, "weight": "-1"}]},
            "age_weights.0.weight",
        ),
        ({"cni": {"default": "1", "by_deso": {"2380C1010": "-2"}}}, "cni.by_deso.2380C1010"),
        ({"cni": {"default": "1", "by_deso": {"bad": "2"}}}, "cni.by_deso.bad.[key]"),
        (
            {
                "sparsity": {
                    "distance_limits_km": [40, 100],
                    "size_limits": [2000],
                    "points": [[0, 0], [1, 1]],
                }
            },
            "sparsity.points",
        ),
        (
            {
                "sparsity": {
                    "distance_limits_km": [40, 100],
                    "size_limits": [2000],
                    "points": [[0, 0], [1, 1], [1, 1, 1]],
                }
            },
            "sparsity.points",
        ),
        (
            {
                "sparsity": {
                    "distance_limits_km": [100, 40],
                    "size_limits": [2000],
                    "points": [[0, 0], [1, 1], [1, 1]],
                }
            },
            "sparsity.distance_limits_km",
        ),
        (
            {
                "sparsity": {
                    "distance_limits_km": [40, 100],
                    "size_limits": [2000],
                    "points": [[0, 0], [1, -1], [1, 1]],
                }
            },
            "sparsity.points.1.1",
        ),
        ({"count_date_rule": "whenever"}, "count_date_rule"),
        ({"bonus": "1"}, "bonus"),
    ],
)
def test_invalid_models_are_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        PaymentModel.model_validate(example_model(**change))
    fields = {".".join(str(p) for p in e["loc"]) for e in info.value.errors()}
    assert field in fields
