"""Runs the listing service's own Alembic history against its own database."""

from __future__ import annotations

from pathlib import Path

from shared.db import migrate as _migrate

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate(url: str, revision: str = "head") -> None:
    """Bring the listing database at `url` to `revision` (the newest migration by default)."""
    _migrate(url, MIGRATIONS, revision)
