"""Assembles the counts contract from grouped rows (pure; the grouping itself is SQL)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from shared.ids import EARLIEST_BIRTH
from shared.schemas.common import CareType, Sex
from shared.schemas.listing import (
    AgeSexCount,
    Counts,
    DesoCount,
    Exclusion,
    ExclusionRule,
    UnitCount,
)

# The rule a counted row's stored facts break, by the code the counts SQL gives it (0: none).
# Such rows are written before the rule was checked at the edge, or around the service.
EXCLUSION_RULES = {
    1: ExclusionRule.birth_after_count_date,
    2: ExclusionRule.birth_before_1870,
}
# The code of a row whose person lives in another region (and breaks no rule above): never in
# the groups, `listed` or `total`, but counted per unit in `out_of_region`, since the person's
# home region pays for them.
OUT_OF_REGION = 3


def ymd(day: dt.date) -> int:
    """A date as the integer yyyymmdd: (D - birth) // 10000 is the age in completed years."""
    return day.year * 10000 + day.month * 100 + day.day


def broken_rule(birth_ymd: int, on: dt.date) -> ExclusionRule | None:
    """The rule a stored birth date breaks for a count on `on` (as the counts SQL decides)."""
    if birth_ymd > ymd(on):
        return ExclusionRule.birth_after_count_date
    if birth_ymd < ymd(EARLIEST_BIRTH):
        return ExclusionRule.birth_before_1870
    return None


def assemble_counts(
    *,
    on: dt.date,
    care_type: CareType,
    as_known_at: dt.datetime,
    units: Iterable[str],
    age_sex: Iterable[tuple[str, int, str, int, int]],
    deso: Iterable[tuple[str, str | None, int, int]],
) -> Counts:
    """Every unit in `units` appears, with zeros where nobody is listed. Groups are given with
    the rule code their rows break (EXCLUSION_RULES, 0 for none): those are left out of the
    counts and summed per rule into `excluded` (a person counts once: on the age side). Rows
    coded OUT_OF_REGION are summed per unit into `out_of_region` the same way."""
    by_age: dict[str, list[AgeSexCount]] = defaultdict(list)
    by_deso: dict[str, list[DesoCount]] = defaultdict(list)
    listed: dict[str, int] = defaultdict(int)
    away: dict[str, int] = defaultdict(int)
    excluded: dict[ExclusionRule, int] = defaultdict(int)
    for hsa_id, age, sex, rule, n in age_sex:
        if rule == OUT_OF_REGION:
            away[hsa_id] += n
            continue
        if rule:
            excluded[EXCLUSION_RULES[rule]] += n
            continue
        by_age[hsa_id].append(AgeSexCount(age=age, sex=Sex(sex), count=n))
        listed[hsa_id] += n
    for hsa_id, code, rule, n in deso:
        if not rule:
            by_deso[hsa_id].append(DesoCount(deso_code=code, count=n))
    shown = sorted(set(units) | set(listed) | set(away))
    result = [
        UnitCount(
            hsa_id=h,
            listed=listed[h],
            by_age_sex=sorted(by_age[h], key=lambda c: (c["age"], c["sex"].value)),
            by_deso=sorted(by_deso[h], key=_deso_order),
            out_of_region=away[h],
        )
        for h in shown
    ]
    return Counts(
        date=on,
        care_type=care_type,
        as_known_at=as_known_at,
        total=sum(listed.values()),
        units=result,
        excluded=[Exclusion(rule=r, persons=excluded[r]) for r in ExclusionRule if excluded[r]],
    )


def _deso_order(count: DesoCount) -> tuple[bool, str]:
    """DeSO codes in order, the persons counted without one (protected identity) last."""
    return count["deso_code"] is None, count["deso_code"] or ""
