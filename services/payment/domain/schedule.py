"""When a period may be run and approved: not before its count date.

Counts for a day that has not come yet are only today's listings under another date: paid on,
they would pay people who may still move, die or choose another unit before the day. So a
run, and the approval of one stored before this rule, wait until the count date (inclusive).
A simulation is planning, not paying, and may look at any month.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from shared.period import Period


def too_early(
    period: Period, counts_on: dt.date, *, today: dt.date, to: Literal["run", "approve"]
) -> str | None:
    """Why `period` cannot be run (or approved) on `today`, or None when it can."""
    if counts_on <= today:
        return None
    verb = "run" if to == "run" else "be approved"
    return f"period {period} counts on {counts_on}; it can {verb} from {counts_on}"
