"""Runs the last-resort service's own Alembic history against its own database."""

from __future__ import annotations

from pathlib import Path

from shared.db import migrate as _migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(url: str) -> None:
    _migrate(url, MIGRATIONS)
