"""Population-register import: streamed validation, bulk staging, set-based bitemporal merge.

All or nothing: the caller's transaction holds every step, and any bad row raises a 422
before anything reaches the real tables. Memory stays flat: rows travel in chunks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    BindParameter,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    text,
)
from sqlalchemy.orm import Session

from services.listing.db.bulk import (
    HEADER_ROW,
    CsvFile,
    ParsedRow,
    create_temp,
    drop_temp,
    is_postgres,
    stage_csv_rows,
)
from services.listing.db.errors import RowErrors
from services.listing.db.facts import LISTING_FACT_COLUMNS, count_deso_sql, gone_on_sql
from services.listing.domain.register import (
    REGISTER_HEADER,
    RegisterRules,
    header_errors,
    parse_register_row,
)

_tmp_meta = MetaData()
staging = Table(
    "tmp_register",
    _tmp_meta,
    Column("row_no", Integer),
    Column("personnummer", String(12)),
    Column("birth_ymd", Integer),
    Column("sex", String(1)),
    Column("is_coordination", Boolean),
    Column("municipality_code", String(4)),
    Column("deso_code", String(9)),
    Column("lat", Float),
    Column("lon", Float),
    Column("protected_identity", Boolean),
    Column("deceased_on", Date),
    Column("moved_out_on", Date),
    prefixes=["TEMPORARY"],
)
# The facts a register row carries beside the identity number are the versioned ones.
VERSION_FIELDS = REGISTER_HEADER[1:]


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    updated: int
    unchanged: int


Progress = Callable[[int], None]


def _stager(rules: RegisterRules) -> Callable[[list[str]], ParsedRow]:
    """The per-row check and staging tuple, with the import's date windows bound once."""

    def staged(values: list[str]) -> ParsedRow:
        parsed, problems = parse_register_row(values, rules)
        if parsed is None:
            return None, problems
        return (
            parsed.personnummer,
            parsed.birth_ymd,
            parsed.sex,
            parsed.is_coordination,
            parsed.municipality_code,
            parsed.deso_code,
            parsed.lat,
            parsed.lon,
            parsed.protected_identity,
            parsed.deceased_on,
            parsed.moved_out_on,
        ), problems

    return staged


def _stage(
    session: Session, source: CsvFile, rules: RegisterRules, progress: Progress | None
) -> RowErrors:
    """Validate every row; stage the good ones while no error has been seen."""
    errors = RowErrors("register import")
    header = source.read_header(errors)
    if header is None:
        return errors
    for name, message in header_errors(header):
        errors.add(HEADER_ROW, name, message)
    if errors:
        return errors
    order = [header.index(c) for c in REGISTER_HEADER]
    stage_csv_rows(session, staging, source, order, _stager(rules), errors, progress)
    return errors


def _duplicates(session: Session, errors: RowErrors) -> None:
    rows = session.execute(
        text(
            "SELECT row_no, first_row FROM (SELECT row_no, "
            "min(row_no) OVER (PARTITION BY personnummer) AS first_row FROM tmp_register) d "
            "WHERE row_no > first_row ORDER BY row_no"
        )
    )
    for row_no, first in rows:
        errors.add(int(row_no), "personnummer", f"the same person is already in row {first}")


def _merge(session: Session, now: dt.datetime) -> ImportResult:
    same = "IS NOT DISTINCT FROM" if is_postgres(session) else "IS"
    unchanged = " AND ".join(f"v.{f} {same} s.{f}" for f in VERSION_FIELDS)
    session.execute(
        text(
            "INSERT INTO person (personnummer, birth_ymd, sex, is_coordination) "
            "SELECT s.personnummer, s.birth_ymd, s.sex, s.is_coordination FROM tmp_register s "
            "WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.personnummer = s.personnummer) "
            "ORDER BY s.row_no"
        )
    )
    drop_temp(session, "tmp_register_resolved")
    session.execute(
        text(
            "CREATE TEMPORARY TABLE tmp_register_resolved AS "
            "SELECT p.id AS person_id, s.birth_ymd, s.sex, "
            + ", ".join(f"s.{f}" for f in VERSION_FIELDS)
            + f", CASE WHEN v.id IS NULL THEN 1 WHEN {unchanged} THEN 3 ELSE 2 END AS status "
            "FROM tmp_register s JOIN person p ON p.personnummer = s.personnummer "
            "LEFT JOIN person_version v ON v.person_id = p.id AND v.superseded_at IS NULL"
        )
    )
    counts: dict[int, int] = dict(
        session.execute(
            text("SELECT status, count(*) FROM tmp_register_resolved GROUP BY status")
        ).all()
    )
    stamp = bindparam("now", value=now, type_=DateTime(timezone=True))
    session.execute(
        text(
            "UPDATE person_version SET superseded_at = :now "
            "WHERE superseded_at IS NULL AND person_id IN "
            "(SELECT person_id FROM tmp_register_resolved WHERE status = 2)"
        ).bindparams(stamp)
    )
    fields = ", ".join(VERSION_FIELDS)
    session.execute(
        text(
            f"INSERT INTO person_version (person_id, birth_ymd, sex, {fields}, recorded_at) "
            f"SELECT person_id, birth_ymd, sex, {fields}, :now FROM tmp_register_resolved "
            "WHERE status IN (1, 2) ORDER BY person_id"
        ).bindparams(stamp)
    )
    _relist(session, stamp, distinct="IS DISTINCT FROM" if is_postgres(session) else "IS NOT")
    drop_temp(session, "tmp_register_resolved")
    return ImportResult(
        inserted=int(counts.get(1, 0)),
        updated=int(counts.get(2, 0)),
        unchanged=int(counts.get(3, 0)),
    )


def _relist(session: Session, stamp: BindParameter[dt.datetime], *, distinct: str) -> None:
    """Re-record the current listings of people whose counted facts changed (old rows stay):
    the DeSO counted, the day they left, the municipality they live in."""
    deso, gone = count_deso_sql("r"), gone_on_sql("r")
    drop_temp(session, "tmp_relisted")
    session.execute(
        text(
            "CREATE TEMPORARY TABLE tmp_relisted AS SELECT l.id, l.person_id, l.unit_id, "
            "l.valid_from, l.valid_to, l.reason, l.special_reason, l.birth_ymd, l.sex, "
            f"{deso} AS count_deso, {gone} AS gone_on, r.municipality_code "
            "FROM listing l JOIN tmp_register_resolved r ON r.person_id = l.person_id "
            "WHERE r.status = 2 AND l.superseded_at IS NULL "
            f"AND (l.count_deso {distinct} {deso} OR l.gone_on {distinct} {gone} "
            "OR l.municipality_code <> r.municipality_code)"
        )
    )
    session.execute(
        text(
            "UPDATE listing SET superseded_at = :now WHERE id IN (SELECT id FROM tmp_relisted)"
        ).bindparams(stamp)
    )
    session.execute(
        text(
            f"INSERT INTO listing ({LISTING_FACT_COLUMNS}, recorded_at) "
            f"SELECT {LISTING_FACT_COLUMNS}, :now FROM tmp_relisted"
        ).bindparams(stamp)
    )
    drop_temp(session, "tmp_relisted")


def import_register(
    session: Session,
    source: CsvFile,
    *,
    now: dt.datetime,
    today: dt.date,
    municipalities: frozenset[str],
    progress: Progress | None = None,
) -> ImportResult:
    """Import a register CSV inside the caller's transaction; 422 listing every bad row.
    `today` (in Sweden) bounds birth and register dates for the whole file; `municipalities`
    are the codes a row may name."""
    create_temp(session, staging)
    rules = RegisterRules(today=today, municipalities=municipalities)
    errors = _stage(session, source, rules, progress)
    if not errors:
        _duplicates(session, errors)
    # On refusal the caller rolls back, which also removes the temporary tables.
    errors.raise_if_any()
    result = _merge(session, now)
    drop_temp(session, staging.name)
    return result
