"""Who was listed where on a date, as known at a moment: one set-based pass over the tables.

PostgreSQL computes both breakdowns in one scan with GROUPING SETS; SQLite, which lacks
them, runs the same filtered join twice. Neither loops over people.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, DateTime, bindparam, select, text
from sqlalchemy.orm import Session

from services.listing.db.bulk import is_postgres
from services.listing.db.models import unit
from services.listing.domain.counts import assemble_counts, ymd
from shared.schemas.common import CareType
from shared.schemas.listing import Counts

_BASE = """
SELECT l.unit_id AS unit_id, (:dy - v.birth_ymd) / 10000 AS age, v.sex AS sex,
       CASE WHEN v.protected_identity THEN NULL ELSE v.deso_code END AS deso
FROM listing l
JOIN person_version v ON v.person_id = l.person_id
WHERE l.unit_id IN (SELECT u.id FROM unit u WHERE u.care_type = :ct {unit_filter})
  AND l.valid_from <= :d AND (l.valid_to IS NULL OR l.valid_to >= :d)
  AND l.recorded_at <= :t AND (l.superseded_at IS NULL OR l.superseded_at > :t)
  AND v.recorded_at <= :t AND (v.superseded_at IS NULL OR v.superseded_at > :t)
  AND (v.deceased_on IS NULL OR v.deceased_on > :d)
  AND (v.moved_out_on IS NULL OR v.moved_out_on > :d)
"""


def _params(sql: str, on: dt.date, at: dt.datetime, care_type: str,
            hsa_ids: frozenset[str] | None) -> Any:
    stmt = text(sql).bindparams(
        bindparam("d", on, type_=Date), bindparam("t", at, type_=DateTime(timezone=True)),
        bindparam("dy", ymd(on)), bindparam("ct", care_type))
    if hsa_ids is not None:
        stmt = stmt.bindparams(bindparam("hsa", sorted(hsa_ids), expanding=True))
    return stmt


def read_counts(session: Session, *, on: dt.date, care_type: CareType, at: dt.datetime,
                hsa_ids: frozenset[str] | None = None) -> Counts:
    """Counts on `on` as known at `at`; `hsa_ids` limits the units (a provider's own)."""
    base = _BASE.format(unit_filter="AND u.hsa_id IN :hsa" if hsa_ids is not None else "")
    ct = care_type.value
    if is_postgres(session):
        rows = session.execute(_params(
            f"SELECT unit_id, age, sex, deso, GROUPING(age) AS by_deso, count(*) FROM ({base}) b "
            "GROUP BY GROUPING SETS ((unit_id, age, sex), (unit_id, deso))",
            on, at, ct, hsa_ids)).all()
        age_sex = [(r[0], int(r[1]), r[2], int(r[5])) for r in rows if not r[4]]
        deso = [(r[0], r[3], int(r[5])) for r in rows if r[4]]
    else:
        age_sex = [(r[0], int(r[1]), r[2], int(r[3])) for r in session.execute(_params(
            f"SELECT unit_id, age, sex, count(*) FROM ({base}) b GROUP BY unit_id, age, sex",
            on, at, ct, hsa_ids))]
        deso = [(r[0], r[1], int(r[2])) for r in session.execute(_params(
            f"SELECT unit_id, deso, count(*) FROM ({base}) b GROUP BY unit_id, deso",
            on, at, ct, hsa_ids))]
    q = select(unit.c.id, unit.c.hsa_id, unit.c.active_from, unit.c.active_to).where(
        unit.c.care_type == ct)
    if hsa_ids is not None:
        q = q.where(unit.c.hsa_id.in_(sorted(hsa_ids)))
    units = session.execute(q).all()
    names = {r.id: r.hsa_id for r in units}
    active = [r.hsa_id for r in units
              if r.active_from <= on and (r.active_to is None or r.active_to >= on)]
    return assemble_counts(
        on=on, care_type=care_type, as_known_at=at, units=active,
        age_sex=[(names[u], a, s, n) for u, a, s, n in age_sex],
        deso=[(names[u], c, n) for u, c, n in deso])
