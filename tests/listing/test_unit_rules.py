"""The unit-history rules on their own (domain.units)."""

from __future__ import annotations

import datetime as dt

from services.listing.domain.units import (
    Version,
    closure_refusal,
    moved_from,
    plan_edit,
    version_on,
)

D = dt.date
V = [Version(1, D(2020, 1, 1), "a"), Version(2, D(2026, 7, 1), "b")]


def test_version_on_a_date() -> None:
    assert version_on(V, D(2019, 1, 1)).id == 1  # before the first: the first
    assert version_on(V, D(2026, 6, 30)).id == 1
    assert version_on(V, D(2026, 7, 1)).id == 2


def _edit(new: str, effective: dt.date | None) -> tuple[tuple[int, ...], dt.date, dt.date | None]:
    e = plan_edit(
        V,
        new,
        active_from=D(2020, 1, 1),
        old_active_from=[D(2020, 1, 1)] * 2,
        effective_from=effective,
    )
    return e.supersede_ids, e.valid_from, e.affects_from


def test_plan_edit() -> None:
    assert _edit("b", D(2026, 7, 1)) == ((), D(2026, 7, 1), None)  # nothing changes
    assert _edit("b", D(2026, 9, 1)) == ((), D(2026, 9, 1), None)
    assert _edit("c", D(2026, 9, 1)) == ((), D(2026, 9, 1), D(2026, 9, 1))
    assert _edit("c", D(2026, 3, 1)) == ((2,), D(2026, 3, 1), D(2026, 3, 1))
    assert _edit("a", D(2026, 3, 1)) == ((2,), D(2026, 3, 1), D(2026, 3, 1))
    assert _edit("c", None) == ((1, 2), D(2020, 1, 1), D(2020, 1, 1))
    # Before the first version: it becomes the first and holds before its day too.
    assert _edit("c", D(2019, 1, 1)) == ((1, 2), D(2019, 1, 1), D(2019, 1, 1))
    assert plan_edit(
        [], "a", active_from=D(2021, 1, 1), old_active_from=[], effective_from=None
    ).affects_from == D(2021, 1, 1)


def test_closure_rules() -> None:
    last = D(2026, 3, 15)
    assert closure_refusal(active_from=D(2026, 3, 16), active_to=None, last_day=last)
    assert closure_refusal(active_from=D(2020, 1, 1), active_to=last, last_day=last)
    assert (
        closure_refusal(active_from=D(2020, 1, 1), active_to=D(2026, 12, 31), last_day=last) is None
    )
    assert moved_from(valid_from=D(2025, 1, 1), gone_on=None, last_day=last) == D(2026, 3, 16)
    assert moved_from(valid_from=D(2026, 5, 1), gone_on=None, last_day=last) == D(2026, 5, 1)
    assert moved_from(valid_from=D(2025, 1, 1), gone_on=D(2026, 3, 16), last_day=last) is None
    assert moved_from(valid_from=D(2025, 1, 1), gone_on=D(2026, 3, 17), last_day=last) == D(
        2026, 3, 16
    )
