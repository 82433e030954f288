"""Alembic environment of the payment service: its own metadata, its own database."""

from services.payment.db.models import metadata
from shared.db import run_alembic_env

run_alembic_env(metadata)
