"""Listing rules (HSL 7 kap. 3 a-3 c §§) as pure functions: what is refused, what changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.schemas.common import ListingReason

CHOICE_WINDOW_DAYS = 365
MAX_CHOICES_IN_WINDOW = 2


# The reasons are the shared contract's (the feed and the payment read them too).
Reason = ListingReason


@dataclass(frozen=True, slots=True)
class StoredListing:
    """A stored listing as the rules see it (valid_to is the last day, inclusive; None = open)."""

    id: int
    valid_from: dt.date
    valid_to: dt.date | None
    reason: str


@dataclass(frozen=True, slots=True)
class Change:
    """What a new listing does to the current rows: supersede one, maybe keep its earlier part."""

    supersede_id: int | None
    keep_until: dt.date | None


class Refusal(Exception):
    """A rule says no; `kind` picks the status (conflict or unprocessable)."""

    def __init__(self, message: str, kind: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


def unit_refusal(
    *, care_type: str, active_from: dt.date, active_to: dt.date | None, on: dt.date
) -> str | None:
    if care_type != "primary":
        return f"the unit is a {care_type} unit; listings are for primary care"
    if on < active_from or (active_to is not None and on > active_to):
        return "the unit is not active on valid_from"
    return None


def person_refusal(
    *, deceased_on: dt.date | None, moved_out_on: dt.date | None, on: dt.date
) -> str | None:
    if deceased_on is not None and deceased_on < on:
        return "the person died before valid_from"
    if moved_out_on is not None and moved_out_on < on:
        return "the person moved out before valid_from"
    return None


def choice_refusal(
    listings: list[StoredListing], *, new_from: dt.date, reason: str, special_reason: bool
) -> str | None:
    """A third change by choice within 365 days is refused unless there are special reasons."""
    if reason != Reason.choice or special_reason:
        return None
    start = new_from - dt.timedelta(days=CHOICE_WINDOW_DAYS - 1)
    recent = [
        s for s in listings if s.reason == Reason.choice and start <= s.valid_from <= new_from
    ]
    if len(recent) >= MAX_CHOICES_IN_WINDOW:
        return (
            f"already {len(recent)} listings by choice in the 365 days ending on valid_from; "
            "a further change needs special_reason"
        )
    return None


def plan_change(listings: list[StoredListing], new_from: dt.date) -> Change:
    """How the current listing ends on new_from - 1; raises Refusal if new_from is before it."""
    if not listings:
        return Change(None, None)
    latest = max(listings, key=lambda s: s.valid_from)
    if new_from < latest.valid_from:
        raise Refusal("valid_from is before the current listing's own valid_from")
    if latest.valid_to is not None and latest.valid_to < new_from:
        return Change(None, None)
    keep = new_from - dt.timedelta(days=1) if latest.valid_from < new_from else None
    return Change(latest.id, keep)
