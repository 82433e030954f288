"""Payment periods (YYYY-MM) and the count-date rules of a payment model."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from shared.patterns import PERIOD, PERIOD_PATTERN


@dataclass(frozen=True, order=True, slots=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = PERIOD.match(text) if isinstance(text, str) else None
        if m is None:
            raise ValueError("period must be YYYY-MM, e.g. 2026-03")
        period = cls(int(m.group(1)), int(m.group(2)))
        if not FIRST_PERIOD <= period <= LAST_PERIOD:
            raise ValueError(f"period must lie from {FIRST_PERIOD} to {LAST_PERIOD}")
        return period

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)


class CountDateRule(StrEnum):
    last_day_prev_month = "last_day_prev_month"
    first_of_month = "first_of_month"
    last_day_of_month = "last_day_of_month"


FIRST_PERIOD = Period(2000, 1)
LAST_PERIOD = Period(2100, 12)


def count_date(period: Period, rule: CountDateRule) -> dt.date:
    """The date whose listings a period pays for."""
    if rule is CountDateRule.last_day_prev_month:
        return period.first_day - dt.timedelta(days=1)
    if rule is CountDateRule.first_of_month:
        return period.first_day
    return period.last_day


def _to_period(value: object) -> Period:
    if isinstance(value, Period):
        return value
    if not isinstance(value, str):
        raise ValueError("period must be a string YYYY-MM, e.g. 2026-03")
    return Period.parse(value)


PeriodStr = Annotated[
    Period,
    BeforeValidator(_to_period),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": PERIOD_PATTERN,
            "description": "YYYY-MM, 2000-01 to 2100-12",
            "examples": ["2026-03"],
        }
    ),
]


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years on a date (born 29 Feb: a year older on 1 Mar in common years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
