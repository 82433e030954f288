"""Who was listed where on a date, as known at a moment: one set-based pass over one table.

Listing rows carry the person facts the counts need (see models.listing), so no join over
millions of people is needed. PostgreSQL computes both breakdowns in one scan with GROUPING
SETS; SQLite, which lacks them, runs the same filtered scan twice. Neither loops over people.
Each row is also sorted by the rule its stored facts break, if any (`rule`, 0 for none): the
same scan counts who is left out, and why (domain.counts.EXCLUSION_RULES), and who lives in
another region (domain.counts.OUT_OF_REGION: counted apart, their home region pays).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BindParameter, Date, DateTime, TextClause, bindparam, text
from sqlalchemy.orm import Session

from services.listing.db.bulk import is_postgres
from services.listing.db.units import units_on
from services.listing.domain.counts import OUT_OF_REGION, assemble_counts, ymd
from services.listing.domain.region import RegionScope
from shared.ids import EARLIEST_BIRTH
from shared.schemas.common import CareType
from shared.schemas.listing import Counts

_BASE = """
SELECT l.unit_id AS unit_id, (:dy - l.birth_ymd) / 10000 AS age, l.sex AS sex,
       l.count_deso AS deso,
       CASE WHEN l.birth_ymd > :dy THEN 1 WHEN l.birth_ymd < :earliest THEN 2 {away}
            ELSE 0 END AS rule
FROM listing l
WHERE l.unit_id IN :units
  AND l.valid_from <= :d AND (l.valid_to IS NULL OR l.valid_to >= :d)
  AND (l.gone_on IS NULL OR l.gone_on > :d)
  AND l.recorded_at <= :t AND (l.superseded_at IS NULL OR l.superseded_at > :t)
"""
# Session settings for the one big aggregate: hash it in memory, skip JIT compilation.
_PG_TUNING = ("SET LOCAL work_mem = '256MB'", "SET LOCAL jit = off")


# A resident of another county: the first two digits of the municipality code (SCB).
_AWAY = f"WHEN substr(l.municipality_code, 1, 2) NOT IN :counties THEN {OUT_OF_REGION}"


def _statement(
    sql: str, on: dt.date, at: dt.datetime, unit_ids: list[int], region: RegionScope
) -> TextClause:
    """The grouping `sql` over the base scan; the whole country has no one out of region."""
    base = _BASE.format(away="" if region.counties is None else _AWAY)
    params: list[BindParameter[Any]] = [
        bindparam("d", on, type_=Date),
        bindparam("t", at, type_=DateTime(timezone=True)),
        bindparam("dy", ymd(on)),
        bindparam("earliest", ymd(EARLIEST_BIRTH)),
        bindparam("units", unit_ids, expanding=True),
    ]
    if region.counties is not None:
        params.append(bindparam("counties", sorted(region.counties), expanding=True))
    return text(sql.format(base=base)).bindparams(*params)


def read_counts(
    session: Session,
    *,
    on: dt.date,
    care_type: CareType,
    at: dt.datetime,
    region: RegionScope,
    hsa_ids: frozenset[str] | None = None,
) -> Counts:
    """Counts on `on` as known at `at`; `hsa_ids` limits the units (a provider's own).
    Residents outside `region` are answered apart per unit (out_of_region).

    The units are their versions on `on` as known at `at` (care type, active period), so a
    re-read at a run's moment counts the units it counted. A listing at a unit not active on
    `on` is never counted, in no group, total or out_of_region, and not reported in
    `excluded` either: closing a unit moves its listings (POST /v1/units/{hsa_id}/close), so
    only data written before that rule can leave one behind, and the unit it names is not
    paid for on that date whoever is listed there."""
    units = [
        d
        for d in units_on(session, on, at)
        if d.unit.care_type == care_type
        and (hsa_ids is None or d.unit.hsa_id in hsa_ids)
        and d.unit.active_from <= on
        and (d.unit.active_to is None or d.unit.active_to >= on)
    ]
    names = {d.id: d.unit.hsa_id for d in units}
    ids = sorted(names)
    if is_postgres(session):
        for setting in _PG_TUNING:
            session.execute(text(setting))
        rows = session.execute(
            _statement(
                "SELECT unit_id, age, sex, deso, GROUPING(age) AS by_deso, rule, count(*) "
                "FROM ({base}) b "
                "GROUP BY GROUPING SETS ((unit_id, age, sex, rule), (unit_id, deso, rule))",
                on,
                at,
                ids,
                region,
            )
        ).all()
        age_sex = [(r[0], int(r[1]), r[2], int(r[5]), int(r[6])) for r in rows if not r[4]]
        deso = [(r[0], r[3], int(r[5]), int(r[6])) for r in rows if r[4]]
    else:
        age_sex = [
            (r[0], int(r[1]), r[2], int(r[3]), int(r[4]))
            for r in session.execute(
                _statement(
                    "SELECT unit_id, age, sex, rule, count(*) FROM ({base}) b "
                    "GROUP BY unit_id, age, sex, rule",
                    on,
                    at,
                    ids,
                    region,
                )
            )
        ]
        deso = [
            (r[0], r[1], int(r[2]), int(r[3]))
            for r in session.execute(
                _statement(
                    "SELECT unit_id, deso, rule, count(*) FROM ({base}) b "
                    "GROUP BY unit_id, deso, rule",
                    on,
                    at,
                    ids,
                    region,
                )
            )
        ]
    return assemble_counts(
        on=on,
        care_type=care_type,
        as_known_at=at,
        units=list(names.values()),
        age_sex=[(names[u], a, s, rule, n) for u, a, s, rule, n in age_sex],
        deso=[(names[u], c, rule, n) for u, c, rule, n in deso],
    )
