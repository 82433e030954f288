"""Alembic environment of the listing service: its own metadata, its own database."""

from services.listing.db.models import metadata
from shared.db import run_alembic_env

run_alembic_env(metadata)
