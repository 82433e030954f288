"""Value types for the edge: every value is checked against its domain where it enters, so that
nothing a contract cannot carry is ever stored (an accepted row must never stop a run later).

pydantic's lax mode would take JSON `0` as the date 1970-01-01, `"yes"` as true and
fullwidth digits in a date; these types take exactly the ISO or JSON form and a value inside
the window the domain allows, and say so in the OpenAPI schema.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from shared.ids import EARLIEST_BIRTH, today_in_sweden

# A date as written: YYYY-MM-DD in ASCII digits (match with fullmatch).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The first day a listing or register date may name (the region's records begin later).
EARLIEST_RECORD = dt.date(1990, 1, 1)
# Dates ahead of today a change may be scheduled for.
RECORD_HORIZON = dt.timedelta(days=366)

# What the database's integer columns hold: a bound in every path, query and body.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def _iso_date(value: object) -> object:
    """A date as `YYYY-MM-DD` in ASCII digits (or a date already parsed), nothing else."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date is YYYY-MM-DD, not a timestamp")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("a date is a string YYYY-MM-DD")
    return value


def _within(
    earliest: Callable[[], dt.date], latest: Callable[[], dt.date], what: str
) -> Callable[[dt.date], dt.date]:
    def check(value: dt.date) -> dt.date:
        low, high = earliest(), latest()
        if not low <= value <= high:
            raise ValueError(f"{what} must lie from {low.isoformat()} to {high.isoformat()}")
        return value

    return check


def _record_horizon() -> dt.date:
    return today_in_sweden() + RECORD_HORIZON


def _date_schema(low: str, high: str) -> dict[str, Any]:
    return {"type": "string", "format": "date", "description": f"YYYY-MM-DD, {low} to {high}"}


# A date of birth: from 1870 up to today (Europe/Stockholm).
BirthDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    AfterValidator(_within(lambda: EARLIEST_BIRTH, today_in_sweden, "a birth date")),
    WithJsonSchema(_date_schema("1870-01-01", "today")),
]

# A date in the listing or register records: from 1990 to a year ahead.
RecordDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    AfterValidator(_within(lambda: EARLIEST_RECORD, _record_horizon, "the date")),
    WithJsonSchema(_date_schema("1990-01-01", "one year from today")),
]


def _true_false(value: object) -> object:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):  # a query string or a CSV field
        return value == "true"
    raise ValueError("must be true or false")


# true or false, nothing else ("yes", 1 and "on" are refused), for query strings and CSV fields,
# which carry it as text. A JSON body takes pydantic's StrictBool (JSON true/false only).
Flag = Annotated[
    bool, BeforeValidator(_true_false), WithJsonSchema({"type": "boolean"}, mode="validation")
]

_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
EARLIEST_MOMENT = dt.datetime.combine(EARLIEST_RECORD, dt.time(), dt.UTC)


def _iso_moment(value: object) -> object:
    """A moment as an ISO 8601 timestamp with an offset, nothing else (no epoch numbers)."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _MOMENT.fullmatch(value):
        raise ValueError("a moment is an ISO timestamp with an offset, YYYY-MM-DDThh:mm:ss+hh:mm")
    return value


def _moment_window(value: dt.datetime) -> dt.datetime:
    latest = dt.datetime.now(dt.UTC) + RECORD_HORIZON
    if value.tzinfo is None or not EARLIEST_MOMENT <= value <= latest:
        raise ValueError(
            f"a moment must lie from {EARLIEST_MOMENT.isoformat()} to one year from now"
        )
    return value


# A moment (as known at, audit from/to): ISO 8601 with an offset, 1990 to a year ahead.
Moment = Annotated[
    dt.datetime,
    BeforeValidator(_iso_moment),
    AfterValidator(_moment_window),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": f"^{_MOMENT.pattern}$",
            "description": "ISO 8601 with an offset, 1990-01-01T00:00:00Z to one year from now",
        }
    ),
]

# Printable text (no control characters: PostgreSQL refuses NUL in text, and nobody types one).
PRINTABLE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
# A short filter or key (an actor, an action, an entity id).
FilterText = Annotated[str, Field(max_length=200, pattern=PRINTABLE_PATTERN)]

# Integers within the database's columns.
Int32 = Annotated[int, Field(ge=-INT32_MAX, le=INT32_MAX)]
NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
NonNegativeInt64 = Annotated[int, Field(ge=0, le=INT64_MAX)]
# A year a model, designation or settlement is for.
Year = Annotated[int, Field(ge=2000, le=2100)]
