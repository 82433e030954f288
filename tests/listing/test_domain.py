"""Pure rules: register rows, listing changes, choice limit, distance, counts assembly."""

from __future__ import annotations

import datetime as dt

import pytest

from services.listing.domain.counts import assemble_counts, ymd
from services.listing.domain.defaults import Candidate, choose_unit, great_circle_km
from services.listing.domain.listing import Refusal, StoredListing, choice_refusal, plan_change
from services.listing.domain.register import RegisterRules, parse_register_row
from shared.period import age_on
from shared.schemas.common import CareType

D = dt.date
RULES = RegisterRules(today=D(2026, 12, 1))


def test_register_row_parses_and_normalises() -> None:
    row, errors = parse_register_row(
        ["19800517-1239", "2380", "2380C1010", "63.1", "14.6", "true", "", "2026-01-31"], RULES
    )
    assert errors == [] and row is not None
    assert (row.personnummer, row.birth_ymd, row.sex) == ("198005171239", 19800517, "M")
    assert row.protected_identity and row.moved_out_on == D(2026, 1, 31)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (["198005171239", "2380", "", "63.1", "", "false", "", ""], "lon"),
        (["198005171239", "2380", "", "91", "14", "false", "", ""], "lat"),
        (["198005171239", "2380", "", "", "", "yes", "", ""], "protected_identity"),
        (["198005171239", "2380", "", "", "", "false", "20260101", ""], "deceased_on"),
        (["198005171239", "2380", "2380c1010", "", "", "false", "", ""], "deso_code"),
        (["198005171239", "2380", "", "", "", "TRUE", "", ""], "protected_identity"),
        (["198005171239", "2380", "", "1e1", "14", "false", "", ""], "lat"),
        (["198005171239", "2380", "", "63", "nan", "false", "", ""], "lon"),
        (["198005171239", "2380", "", "", "", "false", "1989-12-31", ""], "deceased_on"),
        (["198005171239", "2380", "", "", "", "false", "", "2028-01-01"], "moved_out_on"),
        (["200005171236", "2380", "", "", "", "false", "", "1999-01-01"], "moved_out_on"),
        (["198005171239", "２３８０", "", "", "", "false", "", ""], "municipality_code"),
    ],
)
def test_register_row_errors_name_the_field(values: list[str], field: str) -> None:
    row, errors = parse_register_row(values, RULES)
    assert row is None and [f for f, _ in errors] == [field]


def test_plan_change() -> None:
    current = [
        StoredListing(1, D(2025, 1, 1), D(2025, 5, 31), "choice"),
        StoredListing(2, D(2025, 6, 1), None, "default"),
    ]
    assert plan_change(current, D(2026, 1, 1)).supersede_id == 2
    assert plan_change(current, D(2026, 1, 1)).keep_until == D(2025, 12, 31)
    assert plan_change(current, D(2025, 6, 1)).keep_until is None
    with pytest.raises(Refusal):
        plan_change(current, D(2025, 5, 31))
    ended = [StoredListing(3, D(2025, 1, 1), D(2025, 3, 1), "choice")]
    assert plan_change(ended, D(2025, 4, 1)).supersede_id is None
    assert plan_change([], D(2025, 4, 1)).supersede_id is None


def test_choice_limit_counts_only_choices_in_the_window() -> None:
    rows = [
        StoredListing(1, D(2025, 3, 2), D(2025, 5, 31), "choice"),
        StoredListing(2, D(2025, 6, 1), None, "default"),
        StoredListing(3, D(2025, 7, 1), None, "choice"),
    ]

    def refused(on: D, reason: str = "choice", special: bool = False) -> bool:
        return choice_refusal(rows, new_from=on, reason=reason, special_reason=special) is not None

    assert refused(D(2026, 3, 1))
    assert not refused(D(2026, 3, 2))
    assert not refused(D(2026, 3, 1), special=True)
    assert not refused(D(2026, 3, 1), reason="default")


def test_nearest_unit_ties_and_missing_coordinates() -> None:
    units = [
        Candidate(1, "SE0000000000-B", "2380", 63.0, 14.0),
        Candidate(2, "SE0000000000-A", "2380", 63.0, 14.0),
        Candidate(3, "SE0000000000-C", "2309", None, None),
    ]
    nearest = choose_unit(units, lat=63.1, lon=14.1, municipality_code="2380")
    assert nearest is not None and nearest.unit_id == 2
    local = choose_unit(units, lat=None, lon=None, municipality_code="2309")
    assert local is not None and local.unit_id == 3
    assert choose_unit(units, lat=None, lon=None, municipality_code="2303") is None
    # One degree along a meridian is 2*pi*R/360 = 111.195 km.
    assert great_circle_km(62.0, 14.0, 63.0, 14.0) == pytest.approx(111.195, abs=0.01)
    assert great_circle_km(63.0, 14.0, 63.0, 14.0) == 0.0


@pytest.mark.parametrize(
    ("birth", "on"),
    [
        (D(2000, 2, 29), D(2001, 2, 28)),
        (D(2000, 2, 29), D(2001, 3, 1)),
        (D(1990, 3, 1), D(2026, 2, 28)),
        (D(1990, 3, 1), D(2026, 3, 1)),
        (D(1950, 12, 31), D(2026, 1, 1)),
    ],
)
def test_integer_age_matches_completed_years(birth: D, on: D) -> None:
    assert (ymd(on) - ymd(birth)) // 10000 == age_on(birth, on)


def test_assemble_counts_fills_zero_units() -> None:
    c = assemble_counts(
        on=D(2026, 2, 28),
        care_type=CareType.primary,
        as_known_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        units=["SE2321000065-0002"],
        age_sex=[("SE2321000065-0001", 3, "F", 0, 2)],
        deso=[("SE2321000065-0001", None, 0, 2)],
    )
    assert [(u.hsa_id, u.listed) for u in c.units] == [
        ("SE2321000065-0001", 2),
        ("SE2321000065-0002", 0),
    ]
    assert c.total == 2


def test_assemble_counts_leaves_out_and_reports_rows_that_break_a_rule() -> None:
    unit = "SE2321000065-0001"
    c = assemble_counts(
        on=D(2026, 2, 28),
        care_type=CareType.primary,
        as_known_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        units=[unit],
        age_sex=[(unit, 3, "F", 0, 2), (unit, 0, "M", 1, 1), (unit, 200, "F", 2, 3)],
        deso=[(unit, None, 0, 2), (unit, None, 1, 1), (unit, "2380C1010", 2, 3)],
    )
    assert c.total == 2 and c.units[0].listed == 2
    assert [(d["deso_code"], d["count"]) for d in c.units[0].by_deso] == [(None, 2)]
    assert [(e.rule.value, e.persons) for e in c.excluded] == [
        ("birth_after_count_date", 1),
        ("birth_before_1870", 3),
    ]
