"""One notion of "now" and of stored timestamps (UTC), identical on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back naive; they were stored as UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def to_storage(value: dt.datetime) -> dt.datetime:
    """Naive UTC on SQLite compares as text; aware UTC elsewhere. Both compare correctly."""
    return as_utc(value)
