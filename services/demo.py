"""Loads the synthetic demo region into the running services, in dependency order.

The listing service is seeded first (units, register, a year of listing history), then
the payment service runs and approves the year's months over HTTP, then the last-resort
service designates units and settles the year. Each step is idempotent.
"""

from __future__ import annotations

import importlib
import time

import typer

from shared.settings import Settings

STEPS = ("listing", "payment", "lastresort")


def load(settings: Settings) -> None:
    for name in STEPS:
        started = time.perf_counter()
        module = importlib.import_module(f"services.{name}.demo")
        module.load(settings)
        typer.echo(f"demo: {name} ready ({time.perf_counter() - started:.1f} s)")
