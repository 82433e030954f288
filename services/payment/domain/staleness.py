"""When an approved month would change if it were run now (issue 11, item 5).

The latest approved version of a period is stale when
  (a) a listing-feed entry recorded after the moment the version's counts were known (or, if
      a later re-run found nothing to change, after that re-run's moment) can change the
      counts of its count date D: affects_from <= D and (affects_to is open or >= D), for
      primary care or for no care type in particular (a register change). unit_changed
      entries are the reason `units`, every other kind `listings`; each counts the entries;
  (b) the year's model has a newer version than the one the approved version used: `model`.
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
    version: int | None = None  # model: the year's newest version


def stale_reasons(
    tally: ChangeTally, *, model_used: int, newest_model: int | None
) -> list[StaleReason]:
    """The reasons, in this order: listings, units, model; none: not stale."""
    found: list[StaleReason] = []
    if tally.listings:
        found.append(StaleReason("listings", changes=tally.listings))
    if tally.units:
        found.append(StaleReason("units", changes=tally.units))
    if newest_model is not None and newest_model > model_used:
        found.append(StaleReason("model", version=newest_model))
    return found
