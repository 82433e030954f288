"""The business date and the time people read: "today" comes from one place.

A payment run, its approval and a settlement may not count a date that has not come yet, so
they measure against `business_today`: HALSOVAL_TODAY (YYYY-MM-DD) when it is set (tests and
the demo fix it), else the date in Europe/Stockholm now. The demo and the tests pick their
years from it too, so that nothing silently starts failing or passing when the calendar moves.

Moments shown to people (PDF, CSV) are in Stockholm time with the zone named; JSON keeps
ISO 8601 with its offset.
"""

from __future__ import annotations

import datetime as dt

from shared.db import as_utc
from shared.ids import STOCKHOLM, today_in_sweden
from shared.period import CountDateRule, Period, count_date
from shared.settings import Settings

__all__ = [
    "STOCKHOLM",
    "business_today",
    "latest_full_year",
    "stockholm_text",
    "to_stockholm",
]


def business_today(settings: Settings) -> dt.date:
    """HALSOVAL_TODAY if set, else the date in Europe/Stockholm now."""
    return settings.halsoval_today or today_in_sweden()


def to_stockholm(moment: dt.datetime) -> dt.datetime:
    """The moment on Stockholm's clock (CET/CEST); a naive one is UTC, as the services store."""
    return as_utc(moment).astimezone(STOCKHOLM)


def stockholm_text(moment: dt.datetime) -> str:
    """'2026-03-01 09:00 (Europe/Stockholm)': the form printed statements show."""
    return f"{to_stockholm(moment):%Y-%m-%d %H:%M} ({STOCKHOLM.key})"


def latest_full_year(today: dt.date, rule: CountDateRule) -> int:
    """The latest year whose every month has reached its count date under `rule` on `today`:
    the newest year that can be run and approved in full (the demo's year)."""
    if count_date(Period(today.year, 12), rule) <= today:
        return today.year
    return today.year - 1
