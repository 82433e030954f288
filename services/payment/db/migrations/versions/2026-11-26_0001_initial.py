"""Initial schema: audit log, payment models, runs, statements.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The audit tables as shared.audit.audit_tables defines them, written out so that this
    # migration never changes when shared/ does.
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_sub", sa.String(200), nullable=False),
        sa.Column("actor_roles", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("entity_type", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=True),
        sa.Column("person_hash", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(50), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    for col in ("at", "actor_sub", "entity_type", "entity_id", "person_hash"):
        op.create_index(f"ix_audit_log_{col}", "audit_log", [col])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )

    op.create_table(
        "payment_model",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payment_model"),
        sa.UniqueConstraint("year", "version", name="uq_payment_model_year_version"),
    )
    op.create_table(
        "payment_run",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("count_date", sa.Date(), nullable=False),
        sa.Column("as_known_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_year", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("pool_ore", sa.BigInteger(), nullable=False),
        sa.Column("total_ore", sa.BigInteger(), nullable=False),
        sa.Column("undistributed_ore", sa.BigInteger(), nullable=False),
        sa.Column("delta_ore", sa.BigInteger(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payment_run"),
        sa.UniqueConstraint("period", "version", name="uq_payment_run_period_version"),
    )
    op.create_index("ix_payment_run_period", "payment_run", ["period"])
    op.create_table(
        "payment_run_component",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("pool_ore", sa.BigInteger(), nullable=False),
        sa.Column("total_weight", sa.String(80), nullable=False),
        sa.Column("distributed_ore", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_run.id"], name="fk_payment_run_component_run_id_payment_run"
        ),
        sa.PrimaryKeyConstraint("run_id", "component", name="pk_payment_run_component"),
    )
    op.create_table(
        "payment_statement",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("hsa_id", sa.String(64), nullable=False),
        sa.Column("unit_name", sa.String(200), nullable=True),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("total_ore", sa.BigInteger(), nullable=False),
        sa.Column("delta_ore", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_run.id"], name="fk_payment_statement_run_id_payment_run"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payment_statement"),
        sa.UniqueConstraint("run_id", "hsa_id", name="uq_payment_statement_run_hsa"),
    )
    op.create_index("ix_payment_statement_run_id", "payment_statement", ["run_id"])
    op.create_index("ix_payment_statement_hsa_id", "payment_statement", ["hsa_id"])
    op.create_table(
        "payment_statement_line",
        sa.Column("statement_id", sa.String(32), nullable=False),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("weight", sa.String(80), nullable=False),
        sa.Column("share", sa.String(40), nullable=False),
        sa.Column("amount_ore", sa.BigInteger(), nullable=False),
        sa.Column("delta_ore", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["payment_statement.id"],
            name="fk_payment_statement_line_statement_id_payment_statement",
        ),
        sa.PrimaryKeyConstraint("statement_id", "component", name="pk_payment_statement_line"),
    )
    op.create_index("ix_payment_statement_line_run_id", "payment_statement_line", ["run_id"])


def downgrade() -> None:
    op.drop_table("payment_statement_line")
    op.drop_table("payment_statement")
    op.drop_table("payment_run_component")
    op.drop_table("payment_run")
    op.drop_table("payment_model")
    op.drop_table("audit_head")
    op.drop_table("audit_log")
