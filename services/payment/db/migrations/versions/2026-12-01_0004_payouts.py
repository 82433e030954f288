"""Payouts: payout (a paid version of a period) and payout_line (per unit, the amount paid or
the correction's difference, credit lines negative).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

New tables only: nothing stored before is paid (finance paid outside the service until now),
so every approved period starts unpaid and its first payout pays it in full.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payout",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("care_type", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("paid_version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("total_ore", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_run.id"], name="fk_payout_run_id_payment_run"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payout"),
        sa.UniqueConstraint("run_id", name="uq_payout_run"),
    )
    op.create_index("ix_payout_period", "payout", ["period"])
    op.create_table(
        "payout_line",
        sa.Column("payout_id", sa.String(32), nullable=False),
        sa.Column("hsa_id", sa.String(64), nullable=False),
        sa.Column("unit_name", sa.String(200), nullable=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("paid_version", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("amount_ore", sa.BigInteger(), nullable=False),
        sa.Column("vat_ore", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payout.id"], name="fk_payout_line_payout_id_payout"
        ),
        sa.PrimaryKeyConstraint("payout_id", "hsa_id", name="pk_payout_line"),
    )
    op.create_index("ix_payout_line_hsa_period", "payout_line", ["hsa_id", "period"])


def downgrade() -> None:
    op.drop_index("ix_payout_line_hsa_period", table_name="payout_line")
    op.drop_table("payout_line")
    op.drop_index("ix_payout_period", table_name="payout")
    op.drop_table("payout")
