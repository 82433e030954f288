"""Test-wide fixtures: which database the suite runs on, and throwaway databases.

HALSOVAL_TEST_DB=postgres (set by .ci/run) runs every database test on PostgreSQL at
HALSOVAL_TEST_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres), each
test in a throwaway database; otherwise on SQLite files in tmp_path. Under CI=true an
unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get(
    "HALSOVAL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
USE_POSTGRES = os.environ.get("HALSOVAL_TEST_DB", "sqlite") == "postgres"

# Keep the suite's own settings away from a developer's environment.
for _name in (
    "LISTING_DATABASE_URL",
    "PAYMENT_DATABASE_URL",
    "LASTRESORT_DATABASE_URL",
    "AUTH_JWKS_URL",
    "AUTH_JWKS_FILE",
    "AUTH_ISSUER",
    "AUTH_AUDIENCE",
):
    os.environ.pop(_name, None)
os.environ.setdefault("ENV", "test")
os.environ["DEMO"] = "0"


def _pg_reachable() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The admin URL of a reachable PostgreSQL, or a skip (a failure under CI=true)."""
    if not _pg_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} and CI=true")
        pytest.skip("PostgreSQL is not reachable")
    return PG_ADMIN_URL


def _create_pg_database(admin_url: str, name: str) -> str:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def new_database_url(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], str]]:
    """A factory of empty databases: new_database_url("listing") -> URL, dropped after the test."""
    created: list[str] = []
    admin = request.getfixturevalue("postgres_admin_url") if USE_POSTGRES else None

    def make(label: str) -> str:
        if admin is None:
            return f"sqlite:///{tmp_path / f'{label}-{uuid.uuid4().hex[:8]}.db'}"
        name = f"halsoval_test_{label}_{uuid.uuid4().hex[:12]}"
        created.append(name)
        return _create_pg_database(admin, name)

    yield make
    for name in created:
        assert admin is not None
        _drop_pg_database(admin, name)


@pytest.fixture
def pg_database_url(postgres_admin_url: str) -> Iterator[str]:
    """An empty PostgreSQL database whatever HALSOVAL_TEST_DB says (PostgreSQL-only checks)."""
    name = f"halsoval_test_pg_{uuid.uuid4().hex[:12]}"
    url = _create_pg_database(postgres_admin_url, name)
    yield url
    _drop_pg_database(postgres_admin_url, name)
