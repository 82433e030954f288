"""Loads the synthetic demo region into the running services, in dependency order.

The listing service is seeded first (units, register, a year of listing history), then
the payment service runs and approves the year's months over HTTP, then the last-resort
service designates units and settles the year; last, a few late changes to the listings make
the year's last paid month stale. Each step is idempotent.

The year is the latest whose every month has reached its count date on the business date
(HALSOVAL_TODAY, else today in Europe/Stockholm), so the demo keeps loading as the calendar
moves; the settlement waits for the year's 31 December.
"""

from __future__ import annotations

import importlib
import time

import typer

from shared.clock import business_today
from shared.settings import Settings

STEPS = ("listing", "payment", "lastresort")


def load(settings: Settings) -> None:
    set_by = " (HALSOVAL_TODAY)" if settings.halsoval_today else ""
    typer.echo(f"demo: business date {business_today(settings)}{set_by}")
    for name in STEPS:
        started = time.perf_counter()
        module = importlib.import_module(f"services.{name}.demo")
        module.load(settings)
        typer.echo(f"demo: {name} ready ({time.perf_counter() - started:.1f} s)")
    from services.listing import demo as listing_demo

    late = listing_demo.late_changes(settings)
    if late:
        year = listing_demo.demo_year(settings)
        typer.echo(
            f"demo: {late} residents chose another unit from {year}-11-10, reported after "
            f"{year} was paid: GET /v1/periods?year={year} shows {year}-12 stale"
        )
