"""Runs the listing service's own Alembic history."""

from __future__ import annotations

from pathlib import Path

from shared.db import migrate as _migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(url: str) -> None:
    """Bring the listing database at `url` to the newest migration."""
    _migrate(url, MIGRATIONS)
