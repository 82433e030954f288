"""Bulk loading into temporary staging tables: COPY on PostgreSQL, executemany on SQLite.

Everything after the load is set-based SQL shared by both databases.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence

import psycopg
from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from services.listing.db.errors import RowErrors

# One row checked: the values to stage (without row_no), or None, and (field, message) problems.
ParsedRow = tuple[tuple[object, ...] | None, list[tuple[str, str]]]

CHUNK_ROWS = 50_000


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def create_temp(session: Session, table: Table) -> None:
    """A fresh temporary table on this connection (a pooled connection may still hold one)."""
    drop_temp(session, table.name)
    table.create(session.connection())


def drop_temp(session: Session, name: str) -> None:
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _sqlite_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def load_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Append rows (tuples in `columns` order) to a staging table in the caller's transaction."""
    raw = session.connection().connection.driver_connection
    cols = ", ".join(columns)
    if isinstance(raw, psycopg.Connection):
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError(f"bulk loading needs psycopg or sqlite3, not {type(raw).__name__}")
    marks = ", ".join("?" for _ in columns)
    lite = raw.cursor()
    try:
        lite.executemany(
            f"INSERT INTO {table.name} ({cols}) VALUES ({marks})",
            ([_sqlite_value(v) for v in row] for row in rows),
        )
    finally:
        lite.close()


def stage_csv_rows(
    session: Session,
    table: Table,
    rows: Iterator[list[str]],
    order: Sequence[int],
    parse: Callable[[list[str]], ParsedRow],
    errors: RowErrors,
    progress: Callable[[int], None] | None,
) -> None:
    """Check every data row (columns put in `order`); stage the good ones, `row_no` first, in
    chunks while no error has been seen, so a bad file is read to the end but never half-loaded.
    """
    columns = [c.name for c in table.columns]
    buffer: list[tuple[object, ...]] = []
    row_no = 0
    for values in rows:
        if not values:
            continue
        row_no += 1
        staged, problems = parse(
            [values[i] for i in order] if len(values) == len(order) else values
        )
        for name, message in problems:
            errors.add(row_no, name, message)
        if staged is None or errors:
            continue
        buffer.append((row_no, *staged))
        if len(buffer) >= CHUNK_ROWS:
            load_rows(session, table, columns, buffer)
            buffer.clear()
            if progress:
                progress(row_no)
    if buffer and not errors:
        load_rows(session, table, columns, buffer)
    if progress:
        progress(row_no)
