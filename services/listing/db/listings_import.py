"""Bulk import of historic listings: staged, checked set-based, all or nothing.

Checked: persons and units exist, and no two listings of a person overlap (in the file or
with what is stored). Samordningsnummer are refused as in the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    text,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from services.listing.db.bulk import (
    HEADER_ROW,
    CsvFile,
    ParsedRow,
    create_temp,
    drop_temp,
    stage_csv_rows,
)
from services.listing.db.errors import RowErrors
from services.listing.db.facts import LISTING_FACT_COLUMNS, count_deso_sql, gone_on_sql
from services.listing.domain.historic import LISTING_HEADER, parse_historic_row
from services.listing.domain.register import RegisterRules

staging = Table(
    "tmp_listing",
    MetaData(),
    Column("row_no", Integer),
    Column("personnummer", String(12)),
    Column("hsa_id", String(64)),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("reason", String(20)),
    Column("special_reason", Boolean),
    prefixes=["TEMPORARY"],
)


def _stager(rules: RegisterRules) -> Callable[[list[str]], ParsedRow]:
    def staged(values: list[str]) -> ParsedRow:
        parsed, problems = parse_historic_row(values, rules)
        if parsed is None:
            return None, problems
        return (
            parsed.personnummer,
            parsed.hsa_id,
            parsed.valid_from,
            parsed.valid_to,
            parsed.reason,
            parsed.special_reason,
        ), problems

    return staged


def _stage(
    session: Session,
    source: CsvFile,
    rules: RegisterRules,
    progress: Callable[[int], None] | None,
    errors: RowErrors,
) -> None:
    header = source.read_header(errors)
    if header is None:
        return
    if sorted(header) != sorted(LISTING_HEADER) or len(header) != len(LISTING_HEADER):
        errors.add(HEADER_ROW, "header", "must be " + ",".join(LISTING_HEADER))
        return
    order = [header.index(c) for c in LISTING_HEADER]
    stage_csv_rows(session, staging, source, order, _stager(rules), errors, progress)


_RESOLVE = """
CREATE TEMPORARY TABLE tmp_listing_resolved AS
SELECT s.row_no, v.person_id, u.id AS unit_id, s.valid_from, s.valid_to, s.reason,
       s.special_reason, v.birth_ymd, v.sex, {count_deso} AS count_deso, {gone_on} AS gone_on,
       v.municipality_code
FROM tmp_listing s
LEFT JOIN person p ON p.personnummer = s.personnummer
LEFT JOIN person_version v ON v.person_id = p.id AND v.superseded_at IS NULL
LEFT JOIN unit u ON u.hsa_id = s.hsa_id
""".format(count_deso=count_deso_sql("v"), gone_on=gone_on_sql("v"))

_OVERLAPS = """
SELECT row_no, prev_row FROM (
  SELECT row_no, valid_from,
         LAG(row_no) OVER w AS prev_row, LAG(valid_to) OVER w AS prev_to,
         LAG(valid_from) OVER w AS prev_from
  FROM (
    SELECT row_no, person_id, valid_from, valid_to FROM tmp_listing_resolved
    WHERE person_id IS NOT NULL
    UNION ALL
    SELECT NULL, l.person_id, l.valid_from, l.valid_to FROM listing l
    WHERE l.superseded_at IS NULL
      AND l.person_id IN (SELECT person_id FROM tmp_listing_resolved)
  ) a
  WINDOW w AS (PARTITION BY person_id ORDER BY valid_from, row_no)
) o
WHERE prev_from IS NOT NULL AND (prev_to IS NULL OR prev_to >= valid_from)
ORDER BY row_no
"""


def _check(session: Session, errors: RowErrors) -> None:
    drop_temp(session, "tmp_listing_resolved")
    session.execute(text(_RESOLVE))
    for row_no, person_id, unit_id in session.execute(
        text(
            "SELECT row_no, person_id, unit_id FROM tmp_listing_resolved "
            "WHERE person_id IS NULL OR unit_id IS NULL ORDER BY row_no"
        )
    ):
        if person_id is None:
            errors.add(int(row_no), "personnummer", "the person is not in the population register")
        if unit_id is None:
            errors.add(int(row_no), "hsa_id", "the unit is not known")
    for row_no, prev_row in session.execute(text(_OVERLAPS)):
        if row_no is None and prev_row is not None:
            errors.add(int(prev_row), "valid_to", "overlaps a listing already stored")
        elif prev_row is None and row_no is not None:
            errors.add(int(row_no), "valid_from", "overlaps a listing already stored")
        elif row_no is not None:
            errors.add(
                int(row_no), "valid_from", f"overlaps row {int(prev_row)} of the same person"
            )


def import_listings(
    session: Session,
    source: CsvFile,
    *,
    now: dt.datetime,
    today: dt.date,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Import historic listings inside the caller's transaction; returns the rows added."""
    errors = RowErrors("listing import")
    create_temp(session, staging)
    _stage(session, source, RegisterRules(today=today), progress, errors)
    if not errors:
        _check(session, errors)
    errors.raise_if_any()
    insert = text(
        f"INSERT INTO listing ({LISTING_FACT_COLUMNS}, recorded_at) "
        f"SELECT {LISTING_FACT_COLUMNS}, :now "
        "FROM tmp_listing_resolved ORDER BY person_id, valid_from"
    )
    stamp = bindparam("now", now, type_=DateTime(timezone=True))
    added = cast(CursorResult[Any], session.execute(insert.bindparams(stamp))).rowcount
    drop_temp(session, "tmp_listing_resolved")
    drop_temp(session, staging.name)
    return int(added)
