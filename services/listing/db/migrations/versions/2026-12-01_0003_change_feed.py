"""The change feed's log (GET /v1/changes), with today's listings carried forward.

Every current listing row becomes one listing_created entry, numbered 1.. in recorded_at
order (ties by id), so a consumer starting from cursor 0 sees the listing register as it is.
The past register changes and unit edits are not carried forward: their effect is already in
the listing rows, and nothing recorded when or what they changed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

_CARRY_FORWARD = """
INSERT INTO change_log (cursor, recorded_at, kind, reason, care_type, affects_from,
                        affects_to, listing_id, person_id)
SELECT ROW_NUMBER() OVER (ORDER BY l.recorded_at, l.id), l.recorded_at, 'listing_created',
       l.reason, u.care_type, l.valid_from, l.valid_to, l.id, l.person_id
FROM listing l JOIN unit u ON u.id = l.unit_id
WHERE l.superseded_at IS NULL
"""


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("cursor", BigId, autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("reason", sa.String(20), nullable=True),
        sa.Column("care_type", sa.String(10), nullable=True),
        sa.Column("affects_from", sa.Date(), nullable=True),
        sa.Column("affects_to", sa.Date(), nullable=True),
        sa.Column("listing_id", BigId, nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("hsa_id", sa.String(64), nullable=True),
        sa.Column("persons", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("cursor", name="pk_change_log"),
    )
    op.execute(_CARRY_FORWARD)


def downgrade() -> None:
    op.drop_table("change_log")
