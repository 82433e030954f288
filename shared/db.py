"""The one place that builds a service's database engine, sessions and migrations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The execution option that marks a read-only session (see make_engine).
READ_ONLY = "halsoval_read_only"
# Connections per service process; the request threadpool has the same size (shared.app).
DEFAULT_POOL_SIZE = 16


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC: SQLite hands them back naive (they were stored as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _ensure_sqlite_dir(url: str) -> None:
    """A SQLite file's folder (DATA_DIR) may not exist yet on a fresh machine."""
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """SQLite gets WAL and a busy timeout so concurrent requests queue instead of failing."""
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, open transactions, so BEGIN IMMEDIATE works.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers serialise at BEGIN: the SQLite equivalent of row locks. Sessions that
            # only read (Database.read_sessionmaker) take a plain snapshot and run in parallel.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # Sized to the request threadpool (shared.app), so a busy service queues for a thread,
    # not for a connection, and does not open and close overflow connections under load.
    kwargs.setdefault("pool_size", DEFAULT_POOL_SIZE)
    kwargs.setdefault("max_overflow", DEFAULT_POOL_SIZE // 2)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """An engine and its session factory, held on app.state."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # For requests that only read: on SQLite they do not queue behind writers' locks; on
        # PostgreSQL each statement runs on its own (autocommit), saving the BEGIN and
        # ROLLBACK round trips. Such a session must not rely on one snapshot across queries.
        read_options: dict[str, Any] = {READ_ONLY: True}
        if not self.is_sqlite:
            read_options["isolation_level"] = "AUTOCOMMIT"
        self.read_sessionmaker = sessionmaker(
            self.engine.execution_options(**read_options), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    def session(self) -> Iterator[Session]:
        with self.sessionmaker() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def migrate(url: str, script_location: Path, revision: str = "head") -> None:
    """Run a service's own Alembic history against its own database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # New revisions are named YYYY-MM-DD_<revision>_<slug>.py in every service (tests check it).
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.attributes["configure_logger"] = False
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
    command.upgrade(cfg, revision)


def run_alembic_env(metadata: MetaData) -> None:
    """The body of every service's Alembic env.py: its own metadata, its own database.

    SQLite gets batch mode, since it can only alter a table by copying it.
    """
    from alembic import context
    from sqlalchemy import pool

    url = context.config.get_main_option("sqlalchemy.url") or ""
    if context.is_offline_mode():
        context.configure(
            url=url, target_metadata=metadata, literal_binds=True, render_as_batch=is_sqlite(url)
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
