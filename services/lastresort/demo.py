"""The last-resort part of the demo region, loaded over HTTP into the running services.

For the demo's year, the last completed one on the business date (a year settles from 1
January of the next; 2025 on 2026-12-01), it designates, in each of the region's
municipalities, a region-owned primary and a region-owned dental unit active in that year
(skipping a municipality that has none), sets a model per care type, approved by a second
person (demo:finance, four eyes), stores plausible accounts and settles both care types if not
yet settled, each settlement approved by demo:finance. A settlement needs the year's twelve
approved payment runs (their revenue and their count dates): when the payment demo has none
for that year the demo says so and leaves it unsettled.

Primary care uses deficit_capped (coverage 1.0, cap 5 000 000) with neutrality per
municipality. Dental units get no hälsoval payments, so dental uses fixed_sum. Accounts are
built around each unit's real hälsoval revenue from the payment service when every month is
approved, so the deficits come out as intended (one is capped, one is a surplus). Every step
is idempotent: identical PUTs change nothing and an existing settlement is left alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import typer

from services.lastresort.domain.designation import active_in_year
from shared.auth import mint_token
from shared.clock import business_today
from shared.money import format_sek
from shared.settings import ServiceName, Settings

ADMIN = "demo:admin"
# The second person of four eyes: approves the models and the settlements the admin wrote.
APPROVER = "demo:finance"
# Intended deficit (kronor) per municipality, in the configured order: varied on purpose.
TARGET_DEFICITS = [
    Decimal(x)
    for x in ("2100000", "3400000", "800000", "4200000", "6500000", "-500000", "1700000", "2900000")
]
DENTAL_SUMS = [
    Decimal(x)
    for x in ("450000", "500000", "650000", "700000", "600000", "550000", "750000", "400000")
]


def demo_year(settings: Settings) -> int:
    """The last completed year on the business date: the latest a settlement may be for."""
    return business_today(settings).year - 1


def _active(u: dict[str, Any], year: int) -> bool:
    end = dt.date.fromisoformat(u["active_to"]) if u.get("active_to") else None
    return active_in_year(dt.date.fromisoformat(u["active_from"]), end, year)


def pick_units(
    units: list[dict[str, Any]], municipalities: tuple[str, ...], year: int
) -> dict[tuple[str, str], dict[str, Any]]:
    """(care_type, municipality) -> a region-owned unit active in the year, the first by HSA-id."""
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    for u in sorted(units, key=lambda u: u["hsa_id"]):
        key = (u["care_type"], u["municipality_code"])
        if (
            u["ownership"] == "region"
            and _active(u, year)
            and u["municipality_code"] in municipalities
        ):
            chosen.setdefault(key, u)
    return chosen


def _revenue(payment: httpx.Client, year: int) -> dict[str, Decimal] | None:
    """Each unit's approved hälsoval revenue for the year, or None if a month is not approved."""
    revenue: dict[str, Decimal] = {}
    for month in range(1, 13):
        r = payment.get(
            "/v1/statements", params={"period": f"{year}-{month:02d}", "approved_only": "true"}
        )
        r.raise_for_status()
        body = r.json()
        if body["version"] is None:
            return None
        for s in body["statements"]:
            revenue[s["hsa_id"]] = revenue.get(s["hsa_id"], Decimal(0)) + Decimal(s["total_sek"])
    return revenue


def load(settings: Settings, *, transports: dict[str, httpx.BaseTransport] | None = None) -> None:
    """Load the demo's last-resort data; `transports` (by service name) lets tests fake peers."""
    token = mint_token(settings, sub=ADMIN, roles=["region_admin"])
    approver = {
        "Authorization": "Bearer " + mint_token(settings, sub=APPROVER, roles=["finance_approver"])
    }
    year = demo_year(settings)
    transports = transports or {}

    def client(name: ServiceName) -> httpx.Client:
        return httpx.Client(
            base_url=settings.service_url(name),
            transport=transports.get(name),
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        )

    with client("listing") as listing, client("payment") as payment, client("lastresort") as lr:
        units = listing.get("/v1/units")
        units.raise_for_status()
        region = listing.get("/v1/region")
        region.raise_for_status()
        municipalities = tuple(m["code"] for m in region.json()["municipalities"])
        chosen = pick_units(units.json(), municipalities, year)

        current = lr.get(f"/v1/designations/{year}")
        current.raise_for_status()
        have = {
            (d["care_type"], d["municipality_code"]): d["hsa_id"]
            for d in current.json()["designations"]
        }
        for (care_type, code), u in sorted(chosen.items()):
            if have.get((care_type, code)) != u["hsa_id"]:
                lr.put(
                    f"/v1/designations/{year}/{care_type}/{code}", json={"hsa_id": u["hsa_id"]}
                ).raise_for_status()
        skipped = [
            f"{t} {c}"
            for t in ("primary", "dental")
            for c in municipalities
            if (t, c) not in chosen
        ]
        if skipped:
            typer.echo(
                "demo: lastresort: no region-owned unit for "
                + ", ".join(skipped)
                + "; left undesignated"
            )

        neutrality = {"enabled": True, "scope": "municipality"}
        models = {
            "primary": {
                "method": "deficit_capped",
                "coverage": "1.0",
                "cap_sek": "5000000.00",
                "neutrality": neutrality,
            },
            "dental": {
                "method": "fixed_sum",
                "neutrality": neutrality,
                "annual_sek_by_municipality": {
                    c: format_sek(a) for c, a in zip(municipalities, DENTAL_SUMS, strict=False)
                },
            },
        }
        for care_type, model in models.items():
            put = lr.put(f"/v1/models/{year}", params={"care_type": care_type}, json=model)
            put.raise_for_status()
            if put.json()["status"] == "draft":
                lr.post(
                    f"/v1/models/{year}/versions/{put.json()['version']}/approve",
                    params={"care_type": care_type},
                    headers=approver,
                ).raise_for_status()

        revenue = _revenue(payment, year)
        accounts = lr.get(f"/v1/accounts/{year}")
        accounts.raise_for_status()
        stored = {a["hsa_id"]: a for a in accounts.json()["accounts"]}
        for i, code in enumerate(municipalities):
            for care_type in ("primary", "dental"):
                unit = chosen.get((care_type, code))
                if unit is None:
                    continue
                other = (
                    Decimal(1_500_000 + 100_000 * i) if care_type == "primary" else Decimal(300_000)
                )
                grants = Decimal(400_000) if care_type == "primary" else Decimal(150_000)
                earned = (
                    (revenue or {}).get(unit["hsa_id"], Decimal(0))
                    if care_type == "primary"
                    else Decimal(0)
                )
                base = (
                    Decimal(0)
                    if revenue is not None or care_type == "dental"
                    else Decimal(30_000_000)
                )
                costs = (
                    earned
                    + base
                    + other
                    + grants
                    + (
                        TARGET_DEFICITS[i % len(TARGET_DEFICITS)]
                        if care_type == "primary"
                        else DENTAL_SUMS[i % len(DENTAL_SUMS)] * 2
                    )
                )
                body = {
                    "costs_sek": format_sek(costs),
                    "other_revenue_sek": format_sek(other),
                    "targeted_grants_sek": format_sek(grants),
                }
                old = stored.get(unit["hsa_id"])
                if old is None or any(old[k] != v for k, v in body.items()):
                    lr.put(f"/v1/accounts/{year}/{unit['hsa_id']}", json=body).raise_for_status()

        for care_type in ("primary", "dental"):
            if not any(t == care_type for t, _ in chosen):
                continue
            found = lr.get(f"/v1/settlements/{year}", params={"care_type": care_type})
            if found.status_code == 200:
                _approve(lr, found.json()["settlements"][0], approver)
                continue
            r = lr.post("/v1/settlements", json={"year": year, "care_type": care_type})
            if r.status_code == 409:
                typer.echo(
                    f"demo: lastresort: {care_type} {year} not settled: {r.json()['detail']}"
                )
                continue
            r.raise_for_status()
            body = r.json()
            _approve(lr, body, approver)
            typer.echo(
                f"demo: lastresort: {care_type} {year} settled, version {body['version']}, "
                f"approved by {APPROVER}: "
                f"{body['total_compensation_sek']} SEK to designated units, "
                f"{body['total_neutrality_sek']} SEK neutrality to private units"
            )


def _approve(lr: httpx.Client, settlement: dict[str, Any], approver: dict[str, str]) -> None:
    """Approve a calculated settlement as the second person (an approved one is left alone)."""
    if settlement["status"] == "approved":
        return
    lr.post(
        f"/v1/settlements/{settlement['year']}/versions/{settlement['version']}/approve",
        params={"care_type": settlement["care_type"]},
        headers=approver,
    ).raise_for_status()
