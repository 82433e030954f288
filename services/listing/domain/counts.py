"""Assembles the counts contract from grouped rows (pure; the grouping itself is SQL)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from shared.schemas.common import CareType, Sex
from shared.schemas.listing import AgeSexCount, Counts, DesoCount, UnitCount


def ymd(day: dt.date) -> int:
    """A date as the integer yyyymmdd: (D - birth) // 10000 is the age in completed years."""
    return day.year * 10000 + day.month * 100 + day.day


def assemble_counts(
    *,
    on: dt.date,
    care_type: CareType,
    as_known_at: dt.datetime,
    units: Iterable[str],
    age_sex: Iterable[tuple[str, int, str, int]],
    deso: Iterable[tuple[str, str | None, int]],
) -> Counts:
    """Every unit in `units` appears, with zeros where nobody is listed."""
    by_age: dict[str, list[AgeSexCount]] = defaultdict(list)
    by_deso: dict[str, list[DesoCount]] = defaultdict(list)
    listed: dict[str, int] = defaultdict(int)
    for hsa_id, age, sex, n in age_sex:
        by_age[hsa_id].append(AgeSexCount(age=age, sex=Sex(sex), count=n))
        listed[hsa_id] += n
    for hsa_id, code, n in deso:
        by_deso[hsa_id].append(DesoCount(deso_code=code, count=n))
    shown = sorted(set(units) | set(listed))
    result = [
        UnitCount(
            hsa_id=h,
            listed=listed[h],
            by_age_sex=sorted(by_age[h], key=lambda c: (c["age"], c["sex"].value)),
            by_deso=sorted(
                by_deso[h], key=lambda c: (c["deso_code"] is None, c["deso_code"] or "")
            ),
        )
        for h in shown
    ]
    return Counts(
        date=on,
        care_type=care_type,
        as_known_at=as_known_at,
        total=sum(listed.values()),
        units=result,
    )


def _deso_order(count: DesoCount) -> tuple[bool, str]:
    """DeSO codes in order, the persons counted without one (protected identity) last."""
    return count["deso_code"] is None, count["deso_code"] or ""
