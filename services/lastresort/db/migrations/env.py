"""Alembic environment of the last-resort service: its own metadata, its own database."""

from services.lastresort.db.models import metadata
from shared.db import run_alembic_env

run_alembic_env(metadata)
