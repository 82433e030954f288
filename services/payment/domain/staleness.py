"""When an approved month would change if it were run now (issue 11, item 5).

The latest approved version of a period is stale when
  (a) a listing-feed entry recorded after the moment the version's counts were known (or, if
      a later re-run found nothing to change, after that re-run's moment) can change the
      counts of its count date D: affects_from <= D and (affects_to is open or >= D), for
      primary care or for no care type in particular (a register change). unit_changed
      entries are the reason `units`, every other kind `listings`; each counts the entries;
  (b) the approved model version in force for the period (issue 12: the highest-numbered
      approved version whose effective_from is at or before it) is another one than the
      approved run used: `model`. A draft never makes a month stale, and a version effective
      from July leaves January to June alone.
"Would change" means "may change": the preview computes whether it does.
Only the count is decided from stored changes, when asked, so marking stale costs a listing
change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UNIT_CHANGED = "unit_changed"


@dataclass(frozen=True)
class ChangeTally:
    """Feed entries covering a count date, recorded after a moment."""

    listings: int
    units: int


@dataclass(frozen=True)
class StaleReason:
    kind: Literal["listings", "units", "model"]
    changes: int | None = None  # listings, units: how many feed entries
    version: int | None = None  # model: the approved version in force for the period


def stale_reasons(
    tally: ChangeTally, *, model_used: int, in_force: int | None
) -> list[StaleReason]:
    """The reasons, in this order: listings, units, model; none: not stale."""
    found: list[StaleReason] = []
    if tally.listings:
        found.append(StaleReason("listings", changes=tally.listings))
    if tally.units:
        found.append(StaleReason("units", changes=tally.units))
    if in_force is not None and in_force != model_used:
        found.append(StaleReason("model", version=in_force))
    return found
