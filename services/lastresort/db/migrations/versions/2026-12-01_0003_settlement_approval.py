"""Last-resort settlements approved and counted on twelve dates: lastresort_settlement.status,
approved_by, approved_at; the approved runs' count_date and as_known_at per settlement period;
lastresort_settlement_scope_count and lastresort_settlement_unit_count.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A settlement is `calculated` until a finance_approver other than its author approves it, and a
provider reads only approved ones. Settlements stored before this release were never approved
by anyone and counted neutrality on 31 December alone, so they stay `calculated` (nothing is
recorded in the audit trail: nothing was decided); a finance approver may approve one or
settle the year again under the twelve-count rule. Their periods keep a null count date.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("lastresort_settlement") as batch:
        batch.add_column(
            sa.Column("status", sa.String(20), nullable=False, server_default="calculated")
        )
        batch.add_column(sa.Column("approved_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("lastresort_settlement") as batch:
        batch.alter_column("status", existing_type=sa.String(20), server_default=None)
    with op.batch_alter_table("lastresort_settlement_period") as batch:
        batch.add_column(sa.Column("count_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("as_known_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "lastresort_settlement_scope_count",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("settlement_id", _ID, nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("region_listed", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["lastresort_settlement.id"],
            name=op.f("fk_lastresort_settlement_scope_count_settlement_id_lastresort_settlement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_settlement_scope_count")),
    )
    op.create_index(
        op.f("ix_lastresort_settlement_scope_count_settlement_id"),
        "lastresort_settlement_scope_count",
        ["settlement_id"],
    )
    op.create_table(
        "lastresort_settlement_unit_count",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scope_unit_id", _ID, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("listed", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scope_unit_id"],
            ["lastresort_settlement_scope_unit.id"],
            name=op.f(
                "fk_lastresort_settlement_unit_count_scope_unit_id_lastresort_settlement_scope_unit"
            ),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_settlement_unit_count")),
    )
    op.create_index(
        op.f("ix_lastresort_settlement_unit_count_scope_unit_id"),
        "lastresort_settlement_unit_count",
        ["scope_unit_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_lastresort_settlement_unit_count_scope_unit_id"),
        table_name="lastresort_settlement_unit_count",
    )
    op.drop_table("lastresort_settlement_unit_count")
    op.drop_index(
        op.f("ix_lastresort_settlement_scope_count_settlement_id"),
        table_name="lastresort_settlement_scope_count",
    )
    op.drop_table("lastresort_settlement_scope_count")
    with op.batch_alter_table("lastresort_settlement_period") as batch:
        batch.drop_column("as_known_at")
        batch.drop_column("count_date")
    with op.batch_alter_table("lastresort_settlement") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
        batch.drop_column("status")
