"""Bulk loading into temporary staging tables: COPY on PostgreSQL, executemany on SQLite.

Everything after the load is set-based SQL shared by both databases. A CSV file is read once,
row by row; what makes a file unreadable (not UTF-8, a field over csv's size limit) is
diagnosed only when it happens, by reading the file again up to the row at fault.
Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

import psycopg
from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from services.listing.db.errors import RowErrors

# One row checked: the values to stage (without row_no), or None, and (field, message) problems.
ParsedRow = tuple[tuple[object, ...] | None, list[tuple[str, str]]]

CHUNK_ROWS = 50_000
HEADER_ROW = 1
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF16_MESSAGE = (
    "the file is UTF-16 (Excel's 'Unicode text'), not UTF-8: "
    "save it as 'CSV UTF-8 (comma delimited)'"
)


@dataclass
class CsvFile:
    """A CSV file being read once from its binary stream (UTF-8, a BOM allowed)."""

    binary: IO[bytes]
    text: io.TextIOWrapper = field(init=False)
    rows: Iterator[list[str]] = field(init=False)
    header: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text = io.TextIOWrapper(self.binary, encoding="utf-8-sig", newline="")
        self.rows = csv.reader(self.text)

    def read_header(self, errors: RowErrors) -> list[str] | None:
        """The header's names, stripped; None (and the error noted) if there is none."""
        try:
            first = next(self.rows, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            self.unreadable(HEADER_ROW, exc, errors)
            return None
        if first is None:
            errors.add(HEADER_ROW, "header", "the file is empty")
            return None
        self.header = [h.strip() for h in first]
        return self.header

    def unreadable(self, row_no: int, exc: Exception, errors: RowErrors) -> None:
        """Note why the file cannot be read on from `row_no` (the record that failed)."""
        if isinstance(exc, UnicodeDecodeError):
            errors.add(*self._encoding_problem())
        else:
            errors.add(row_no, *self._structure_problem(row_no, exc))

    def _column(self, prefix: str, header: list[str]) -> str:
        """The column a line's text breaks in, given the text before the break."""
        index = len(next(csv.reader([prefix]), [""])) - 1
        if 0 <= index < len(header):
            return header[index]
        return f"column {index + 1}"

    def _encoding_problem(self) -> tuple[int, str, str]:
        self.binary.seek(0)
        header = self.header
        for row_no, raw in enumerate(self.binary, start=HEADER_ROW):
            if row_no == HEADER_ROW and raw.startswith(UTF16_BOMS):
                return row_no, "header", UTF16_MESSAGE
            line = raw.removeprefix(UTF8_BOM) if row_no == HEADER_ROW else raw
            try:
                decoded = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                column = (
                    "header"
                    if row_no == HEADER_ROW
                    else self._column(line[: exc.start].decode("utf-8"), header)
                )
                return row_no, column, _not_utf8(line[exc.start])
            if row_no == HEADER_ROW and not header:
                header = [h.strip() for h in next(csv.reader([decoded]), [])]
        return HEADER_ROW, "body", "the file is not UTF-8 text"

    def _structure_problem(self, row_no: int, exc: Exception) -> tuple[str, str]:
        limit = csv.field_size_limit()
        message = f"cannot be read as CSV: {exc}"
        if "field limit" in str(exc):
            message = f"a field is longer than {limit} characters"
        self.text.seek(0)
        again = csv.reader(self.text)
        try:
            for _ in range(row_no - 1):
                next(again)
        except (csv.Error, StopIteration):
            return "row", message
        prefix = self.text.readline(limit)
        if '"' in prefix:
            message += ' (a quote (") opens a field that is never closed)'
        return self._column(prefix, self.header), message


def _not_utf8(byte: int) -> str:
    """Why a byte stops the file, and what it most likely is: Swedish files that are not
    UTF-8 are Windows-1252 (Excel's plain 'CSV') or ISO-8859-1."""
    raw = bytes([byte])
    try:
        shown, name = raw.decode("cp1252"), "Windows-1252, which Excel uses for plain 'CSV'"
    except UnicodeDecodeError:
        shown, name = raw.decode("latin-1"), "ISO-8859-1 (Latin-1)"
    return (
        f"the file is not UTF-8: byte 0x{byte:02X} is not UTF-8 here (in {name}, it is "
        f"{shown!r}); save the file as 'CSV UTF-8 (comma delimited)'"
    )


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
    source: CsvFile,
    order: Sequence[int],
    parse: Callable[[list[str]], ParsedRow],
    errors: RowErrors,
    progress: Callable[[int], None] | None,
) -> None:
    """Check every data row (columns put in `order`); stage the good ones, `row_no` first, in
    chunks while no error has been seen, so a bad file is read to the end but never half-loaded.
    A file that cannot be read on (bad encoding, a field over the size limit) stops there.
    """
    columns = [c.name for c in table.columns]
    buffer: list[tuple[object, ...]] = []
    row_no = HEADER_ROW
    try:
        for values in source.rows:
            row_no += 1
            if not values:
                continue
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
    except (csv.Error, UnicodeDecodeError) as exc:
        source.unreadable(row_no + 1, exc, errors)
        return
    if buffer and not errors:
        load_rows(session, table, columns, buffer)
    if progress:
        progress(row_no)
