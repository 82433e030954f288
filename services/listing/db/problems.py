"""Stored facts that break a rule the counts rely on: who, for the region's staff to correct.

Such rows were written before the rule was checked at the edge, or around the service; the
counts leave them out (db.counts). Identity numbers leave the service only through here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.listing.db.models import listing, person
from services.listing.domain.counts import broken_rule, ymd
from shared.ids import EARLIEST_BIRTH
from shared.schemas.listing import ExclusionRule


@dataclass(frozen=True, slots=True)
class DataProblem:
    """A person whose stored birth date breaks a rule, in the register or in their listings."""

    personnummer: str
    birth_ymd: int
    rule: ExclusionRule
    in_register: bool
    current_listings: int


def data_problems(session: Session, on: dt.date) -> list[DataProblem]:
    """Persons born after `on` or before 1870 by the register or by a current listing row."""
    day, earliest = ymd(on), ymd(EARLIEST_BIRTH)
    found: dict[tuple[str, int], list[int]] = {}
    in_register = select(person.c.personnummer, person.c.birth_ymd).where(
        or_(person.c.birth_ymd > day, person.c.birth_ymd < earliest)
    )
    for pnr, birth in session.execute(in_register):
        found.setdefault((pnr, int(birth)), [1, 0])
    in_listings = (
        select(person.c.personnummer, listing.c.birth_ymd, func.count())
        .join(person, person.c.id == listing.c.person_id)
        .where(
            listing.c.superseded_at.is_(None),
            or_(listing.c.birth_ymd > day, listing.c.birth_ymd < earliest),
        )
        .group_by(person.c.personnummer, listing.c.birth_ymd)
    )
    for pnr, birth, n in session.execute(in_listings):
        found.setdefault((pnr, int(birth)), [0, 0])[1] = int(n)
    problems = []
    for (pnr, birth), (registered, listed) in sorted(found.items()):
        rule = broken_rule(birth, on)
        if rule is not None:
            problems.append(DataProblem(pnr, birth, rule, bool(registered), listed))
    return problems
