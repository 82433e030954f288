"""The listing service's change feed as this service follows it: listing_change, listing_feed;
and payment_run.confirmed_as_known_at (a re-run found the version unchanged as known then).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Stored models, runs and statements read as before (a run's confirmed_as_known_at starts
empty). The feed
position starts at cursor 0, so the first follow reads the whole feed; a run approved before
this release is then stale only for the changes recorded after its `as_known_at`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_change",
        sa.Column("cursor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("care_type", sa.String(20), nullable=True),
        sa.Column("affects_from", sa.Date(), nullable=True),
        sa.Column("affects_to", sa.Date(), nullable=True),
        sa.Column("hsa_id", sa.String(64), nullable=True),
        sa.Column("persons", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("cursor", name="pk_listing_change"),
    )
    op.create_index("ix_listing_change_recorded_at", "listing_change", ["recorded_at"])
    feed = op.create_table(
        "listing_feed",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("followed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_listing_feed"),
    )
    op.bulk_insert(feed, [{"id": 1, "cursor": 0, "followed_at": None}])
    op.add_column(
        "payment_run",
        sa.Column("confirmed_as_known_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("payment_run") as batch:
        batch.drop_column("confirmed_as_known_at")
    op.drop_table("listing_feed")
    op.drop_index("ix_listing_change_recorded_at", table_name="listing_change")
    op.drop_table("listing_change")
