"""The region's geography: SCB's municipalities as reference data, and where each listed
person lives on their listing rows (residents of another county are counted apart).

Loads db/data/municipalities.csv as it is when the migration runs. Existing listing rows get
the municipality of the person version that was current when the row was recorded, which is
what the row's other copied facts come from.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DATA = Path(__file__).resolve().parents[2] / "data" / "municipalities.csv"

# The person version as known when the listing row was recorded; else the current one.
_AS_RECORDED = """
UPDATE listing SET municipality_code = (
  SELECT v.municipality_code FROM person_version v
  WHERE v.person_id = listing.person_id AND v.recorded_at <= listing.recorded_at
  ORDER BY v.recorded_at DESC, v.id DESC LIMIT 1)
"""
_CURRENT = """
UPDATE listing SET municipality_code = (
  SELECT v.municipality_code FROM person_version v
  WHERE v.person_id = listing.person_id AND v.superseded_at IS NULL)
WHERE municipality_code IS NULL
"""


def _municipalities() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as f:
        return [
            {"code": r["code"], "name": r["name"], "county_code": r["county_code"]}
            for r in csv.DictReader(f)
        ]


def upgrade() -> None:
    table = op.create_table(
        "municipality",
        sa.Column("code", sa.String(4), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_municipality"),
    )
    op.bulk_insert(table, _municipalities())
    op.add_column("listing", sa.Column("municipality_code", sa.String(4), nullable=True))
    op.execute(_AS_RECORDED)
    op.execute(_CURRENT)
    # A row whose person has no version at all cannot have been written by the service; the
    # NOT NULL below refuses it rather than guess where that person lives.
    with op.batch_alter_table("listing") as batch:
        batch.alter_column("municipality_code", existing_type=sa.String(4), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("listing") as batch:
        batch.drop_column("municipality_code")
    op.drop_table("municipality")
