"""Aggregated counts only: a national month (1,200 units, 10.5 M listed) in seconds."""

from __future__ import annotations

import random
import time
from typing import Any

from tests.payment.conftest import ADMIN, FakeListing, PaymentHarness, unit_json

DESOS = [f"{2300 + i % 90:04d}C{i:04d}" for i in range(6000)]


def national(n_units: int, listed_total: int, seed: int = 7) -> FakeListing:
    """Counts shaped like the listing service's answer: by (age, sex) and by DeSO per unit."""
    rnd = random.Random(seed)
    units, counts = [], []
    per_unit = listed_total // n_units
    for i in range(n_units):
        hsa = f"SE2321000207-N{i:05d}"
        units.append(unit_json(hsa, str(rnd.randint(1, 250))))
        listed = per_unit + rnd.randint(-per_unit // 2, per_unit // 2)
        ages: list[dict[str, Any]] = []
        left = listed
        for age in range(0, 106):
            for sex in ("F", "M"):
                n = (
                    min(left, rnd.randint(0, 2 * listed // 212 + 1))
                    if age < 105 or sex == "F"
                    else left
                )
                if n:
                    ages.append({"age": age, "sex": sex, "count": n})
                left -= n
        desos: list[dict[str, Any]] = []
        left = listed
        base = rnd.randrange(len(DESOS) - 300)
        for j in range(275):
            n = left if j == 274 else min(left, rnd.randint(0, 2 * listed // 275 + 1))
            if n:
                desos.append({"deso_code": DESOS[base + j] if j else None, "count": n})
            left -= n
        counts.append({"hsa_id": hsa, "listed": listed, "by_age_sex": ages, "by_deso": desos})
    fake = FakeListing(units=units)
    fake.set_counts(counts)
    return fake


def test_demo_sized_run_is_well_under_a_second(make_harness: Any) -> None:
    h: PaymentHarness = make_harness(national(30, 130_000))
    h.put_model(cni={"default": "1.0", "by_deso": dict.fromkeys(DESOS[:500], "1.2")})
    start = time.perf_counter()
    r = h.run("2026-03")
    elapsed = time.perf_counter() - start
    assert r.status_code == 201, r.text
    print(f"\n30 units, 130 000 listed: run in {elapsed:.3f} s")  # noqa: T201
    assert elapsed < 1.0


def test_national_run_takes_seconds(make_harness: Any) -> None:
    fake = national(1200, 10_500_000)
    h: PaymentHarness = make_harness(fake)
    h.put_model(cni={"default": "1.0", "by_deso": dict.fromkeys(DESOS[::3], "1.3")})
    start = time.perf_counter()
    r = h.run("2026-03")
    first = time.perf_counter() - start
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["total_sek"] == "83333.34"
    start = time.perf_counter()
    again = h.run("2026-03")
    rerun = time.perf_counter() - start
    assert again.json()["unchanged"] is True
    start = time.perf_counter()
    listing = h.client.get("/v1/statements?period=2026-03", headers=ADMIN)
    read = time.perf_counter() - start
    assert len(listing.json()["statements"]) == 1200
    listed = sum(c["listed"] for c in fake.history[-1][1])
    print(  # noqa: T201
        f"\n1 200 units, {listed:,} listed: "
        f"run {first:.2f} s, unchanged re-run {rerun:.2f} s, read all statements {read:.2f} s"
    )
    assert first < 15 and rerun < 15 and read < 10
