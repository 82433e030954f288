"""The payment part of the demo region, loaded over HTTP into the running services.

Puts a plausible payment model for Region Jämtland Härjedalen (about 98 MSEK a year: 70 %
age-weighted capitation, 22 % CNI, 8 % sparsity, as after the 2021 revision; 6 % VAT
compensation to the private units on top), has finance approve it (four eyes on models: the
admin wrote it), then runs and approves the twelve months of the demo's year and of the year
before (which the last-resort demo settles) as two different people, and pays the demo year's
January to November (payouts, approved by finance). The demo year is the latest whose every
month has reached its count date on the business date (`demo_year`: 2026 from 2026-11-30 on,
with the demo's count-date rule), so the demo keeps loading as the calendar moves.
Idempotent: an existing model is left alone (a draft one is approved), a period that already
has an approved latest version is skipped, and so is a period with a payout.
"""

from __future__ import annotations

from typing import Any

import httpx

from shared.auth import mint_token
from shared.clock import business_today, latest_full_year
from shared.period import CountDateRule
from shared.settings import Settings

COUNT_DATE_RULE = CountDateRule.last_day_prev_month
# 5-year bands; the shape (high for infants and the old, lowest for school age) follows the
# age/sex point tables regions publish; the values are illustrative, not RJH's.
_BANDS = [
    "1.60",
    "0.80",
    "0.70",
    "0.70",
    "0.80",
    "0.80",
    "0.80",
    "0.80",
    "0.85",
    "0.90",
    "1.00",
    "1.10",
    "1.20",
    "1.40",
    "1.60",
    "1.90",
    "2.30",
]
DEMO_MODEL: dict[str, Any] = {
    "annual_budget_sek": "98000000.00",
    "count_date_rule": COUNT_DATE_RULE.value,
    "shares": {"capitation": "0.70", "cni": "0.22", "sparsity": "0.08"},
    "age_weights": [
        {"from_age": 5 * i, "to_age": 5 * i + 4, "weight": w} for i, w in enumerate(_BANDS)
    ]
    + [{"from_age": 85, "to_age": None, "weight": "2.60"}],
    "cni": {
        "default": "1.00",
        "by_deso": {
            "2380C1010": "1.23",
            "2380C1020": "1.41",
            "2313A0010": "1.18",
            "2361B0010": "1.12",
        },
    },
    "sparsity": {
        "distance_limits_km": [40, 100, 180],
        "size_limits": [2000, 5000],
        "points": [[0, 0, 0], [1200, 900, 600], [2000, 1500, 1000], [3000, 2200, 1500]],
    },
    # Momskompensation: the private health centres get 6 % of their month on top of the frame.
    "vat_compensation": {"rate": "0.06"},
}


def demo_year(settings: Settings) -> int:
    """The year the demo pays: the latest that can be run and approved in full today."""
    return latest_full_year(business_today(settings), COUNT_DATE_RULE)


def _check(r: httpx.Response) -> Any:
    if r.status_code >= 400:
        raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}")
    return r.json()


def load(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
    """Load the demo's payment data into the running payment service (`transport` for tests):
    the year before the demo year (so the last-resort demo can settle it) and the demo year,
    each with an approved model and twelve approved months; then the demo year's January to
    November are paid (a payout each, approved by finance). December is left unpaid: the late
    changes the demo reports afterwards make it stale."""
    admin = mint_token(settings, sub="demo:admin", roles=["region_admin"])
    finance = mint_token(settings, sub="demo:finance", roles=["finance_approver"])
    year = demo_year(settings)
    with httpx.Client(
        base_url=settings.service_url("payment"), transport=transport, timeout=120
    ) as client:
        as_admin = {"Authorization": f"Bearer {admin}"}
        as_finance = {"Authorization": f"Bearer {finance}"}
        for paid_year in (year - 1, year):
            _approved_year(client, paid_year, as_admin, as_finance)
        for month in range(1, 12):
            _paid(client, f"{year}-{month:02d}", as_admin, as_finance)


def _approved_year(
    client: httpx.Client, year: int, as_admin: dict[str, str], as_finance: dict[str, str]
) -> None:
    """The year's model approved (four eyes: the admin wrote it, finance approves) and its
    twelve months run and approved; what is done already is left alone."""
    found = client.get(f"/v1/models/{year}", headers=as_admin)
    model = (
        _check(client.put(f"/v1/models/{year}", json=DEMO_MODEL, headers=as_admin))
        if found.status_code == 404
        else _check(found)
    )
    if model["status"] == "draft":
        approve = f"/v1/models/{year}/versions/{model['version']}/approve"
        _check(client.post(approve, headers=as_finance))
    for month in range(1, 13):
        period = f"{year}-{month:02d}"
        runs = _check(client.get("/v1/runs", params={"period": period}, headers=as_admin))["runs"]
        latest = max(runs, key=lambda r: r["version"]) if runs else None
        if latest is None:
            latest = _check(client.post("/v1/runs", json={"period": period}, headers=as_admin))
        if latest["status"] != "approved":
            _check(client.post(f"/v1/runs/{latest['run_id']}/approve", headers=as_finance))


def _paid(
    client: httpx.Client, period: str, as_admin: dict[str, str], as_finance: dict[str, str]
) -> None:
    """The period's approved version paid: a payout (the region's admin) approved by finance,
    unless one exists already."""
    payouts = _check(client.get("/v1/payouts", params={"period": period}, headers=as_admin))
    found = payouts["payouts"]
    payout = found[-1] if found else None
    if payout is None:
        payout = _check(
            client.post(
                "/v1/payouts", json={"period": period, "care_type": "primary"}, headers=as_admin
            )
        )
    if payout["status"] != "approved":
        _check(client.post(f"/v1/payouts/{payout['payout_id']}/approve", headers=as_finance))
