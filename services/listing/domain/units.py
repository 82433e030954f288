"""Unit history as pure rules: which version holds on a date, and what an edit supersedes.

A unit's current versions are ordered by valid_from; one holds from its valid_from until the
next one's valid_from - 1, and a date before the first reads the first (a unit answers on
every date, as it did before units had history). Attributes are compared as whole values, so
an edit that changes nothing records nothing.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

A = TypeVar("A")


@dataclass(frozen=True, slots=True)
class Version(Generic[A]):
    """One current version of a unit: its row id, first day and attributes."""

    id: int
    valid_from: dt.date
    attributes: A


@dataclass(frozen=True, slots=True)
class Edit:
    """What an edit does: the versions it supersedes and the first day of the one it adds.
    `affects_from` is the earliest count date it can change; None when it changes nothing."""

    supersede_ids: tuple[int, ...]
    valid_from: dt.date
    affects_from: dt.date | None


def version_on(versions: Sequence[Version[A]], on: dt.date) -> Version[A]:
    """The version holding on `on` among versions sorted by valid_from (at least one)."""
    starts = [v.valid_from for v in versions]
    return versions[max(bisect.bisect_right(starts, on) - 1, 0)]


def plan_edit(
    versions: Sequence[Version[A]],
    new: A,
    *,
    active_from: dt.date,
    old_active_from: Sequence[dt.date],
    effective_from: dt.date | None,
) -> Edit:
    """An edit from `effective_from` on supersedes the versions starting on or after it and
    adds one from that day (earlier versions keep their days); without it, the edit is the
    unit's whole life: every version goes, one starts on `active_from`. When the edited days
    would read exactly what they read already, nothing changes.

    It can change counts from `effective_from`, or for a whole-life edit (or one that becomes
    the first version, which also holds before its first day) from the earliest active_from
    of old and new."""
    if effective_from is None:
        gone = list(versions)
        start = active_from
    else:
        gone = [v for v in versions if v.valid_from >= effective_from]
        start = effective_from
    # The edited days now read the versions it supersedes and the one holding on `start`.
    read_now = gone + ([version_on(versions, start)] if versions else [])
    if versions and all(v.attributes == new for v in read_now):
        return Edit((), start, None)
    becomes_first = len(gone) == len(versions)
    affects = min([active_from, *old_active_from, start]) if becomes_first else start
    return Edit(tuple(v.id for v in gone), start, affects)


@dataclass(frozen=True, slots=True)
class Closure:
    """A closed unit: how many were moved and how many each receiving unit got (hsa_id, n)."""

    hsa_id: str
    last_day: dt.date
    moved: int
    to: tuple[tuple[str, int], ...]


def closure_refusal(
    *, active_from: dt.date, active_to: dt.date | None, last_day: dt.date
) -> str | None:
    """A unit closes within its active period, once: not before it opened, and not on or
    after a last day it already has."""
    if last_day < active_from:
        return f"last_day {last_day} is before the unit's active_from {active_from}"
    if active_to is not None and active_to <= last_day:
        return f"the unit already ends on {active_to}"
    return None


def moved_from(
    *, valid_from: dt.date, gone_on: dt.date | None, last_day: dt.date
) -> dt.date | None:
    """The first day of a person's new listing when their unit closes after `last_day`: the
    day after it, or the old listing's own first day if later. None when the person has died
    or moved out by then: their listing just ends (a default listing would not place them)."""
    start = max(last_day + dt.timedelta(days=1), valid_from)
    if gone_on is not None and gone_on <= start:
        return None
    return start
