"""Designations, models, accounts, settlements and the audit tables (written out from shared.audit).

Revision ID: 0001
Revises:
Create Date: 2026-11-26 09:55:49.992688
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_sub", sa.String(length=200), nullable=False),
        sa.Column("actor_roles", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=True),
        sa.Column("person_hash", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=50), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor_sub"), ["actor_sub"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_entity_type"), ["entity_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_person_hash"), ["person_hash"], unique=False)

    op.create_table(
        "lastresort_account",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hsa_id", sa.String(length=64), nullable=False),
        sa.Column("costs_ore", sa.BigInteger(), nullable=False),
        sa.Column("other_revenue_ore", sa.BigInteger(), nullable=False),
        sa.Column("targeted_grants_ore", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_account")),
        sa.UniqueConstraint("year", "hsa_id", name="uq_lastresort_account_key"),
    )
    op.create_table(
        "lastresort_designation",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("care_type", sa.String(length=10), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("hsa_id", sa.String(length=64), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_designation")),
        sa.UniqueConstraint(
            "year", "care_type", "municipality_code", name="uq_lastresort_designation_key"
        ),
    )
    op.create_table(
        "lastresort_model",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("applies_to", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_model")),
        sa.UniqueConstraint("year", "applies_to", "version", name="uq_lastresort_model_key"),
    )
    op.create_table(
        "lastresort_settlement",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("care_type", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("model_applies_to", sa.String(length=10), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("model_body", sa.Text(), nullable=False),
        sa.Column("neutrality_enabled", sa.Boolean(), nullable=False),
        sa.Column("neutrality_scope", sa.String(length=20), nullable=True),
        sa.Column("count_date", sa.Date(), nullable=True),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("total_compensation_ore", sa.BigInteger(), nullable=False),
        sa.Column("total_neutrality_ore", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["lastresort_model.id"],
            name=op.f("fk_lastresort_settlement_model_id_lastresort_model"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_settlement")),
        sa.UniqueConstraint("year", "care_type", "version", name="uq_lastresort_settlement_key"),
    )
    op.create_table(
        "lastresort_settlement_period",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "settlement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("payment_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["lastresort_settlement.id"],
            name=op.f("fk_lastresort_settlement_period_settlement_id_lastresort_settlement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_settlement_period")),
    )
    with op.batch_alter_table("lastresort_settlement_period", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lastresort_settlement_period_settlement_id"),
            ["settlement_id"],
            unique=False,
        )

    op.create_table(
        "lastresort_settlement_scope",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "settlement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("total_compensation_ore", sa.BigInteger(), nullable=False),
        sa.Column("region_listed", sa.Integer(), nullable=False),
        sa.Column("rate_numerator", sa.String(length=80), nullable=True),
        sa.Column("rate_denominator", sa.String(length=80), nullable=True),
        sa.Column("total_neutrality_ore", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["lastresort_settlement.id"],
            name=op.f("fk_lastresort_settlement_scope_settlement_id_lastresort_settlement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_settlement_scope")),
        sa.UniqueConstraint("settlement_id", "scope", name="uq_lastresort_settlement_scope_key"),
    )
    with op.batch_alter_table("lastresort_settlement_scope", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lastresort_settlement_scope_settlement_id"),
            ["settlement_id"],
            unique=False,
        )

    op.create_table(
        "lastresort_settlement_scope_unit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "settlement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("hsa_id", sa.String(length=64), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("ownership", sa.String(length=10), nullable=False),
        sa.Column("designated", sa.Boolean(), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("amount_ore", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["lastresort_settlement.id"],
            name=op.f("fk_lastresort_settlement_scope_unit_settlement_id_lastresort_settlement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_settlement_scope_unit")),
    )
    with op.batch_alter_table("lastresort_settlement_scope_unit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lastresort_settlement_scope_unit_hsa_id"), ["hsa_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lastresort_settlement_scope_unit_settlement_id"),
            ["settlement_id"],
            unique=False,
        )

    op.create_table(
        "lastresort_settlement_unit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "settlement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("hsa_id", sa.String(length=64), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("fixed_sum_ore", sa.BigInteger(), nullable=True),
        sa.Column("costs_ore", sa.BigInteger(), nullable=True),
        sa.Column("other_revenue_ore", sa.BigInteger(), nullable=True),
        sa.Column("targeted_grants_ore", sa.BigInteger(), nullable=True),
        sa.Column("halsoval_revenue_ore", sa.BigInteger(), nullable=True),
        sa.Column("deficit_ore", sa.BigInteger(), nullable=True),
        sa.Column("coverage", sa.String(length=40), nullable=True),
        sa.Column("covered_deficit", sa.String(length=80), nullable=True),
        sa.Column("cap_ore", sa.BigInteger(), nullable=True),
        sa.Column("compensation_ore", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["lastresort_settlement.id"],
            name=op.f("fk_lastresort_settlement_unit_settlement_id_lastresort_settlement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_settlement_unit")),
        sa.UniqueConstraint("settlement_id", "hsa_id", name="uq_lastresort_settlement_unit_key"),
    )
    with op.batch_alter_table("lastresort_settlement_unit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lastresort_settlement_unit_hsa_id"), ["hsa_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lastresort_settlement_unit_settlement_id"),
            ["settlement_id"],
            unique=False,
        )

    op.create_table(
        "lastresort_settlement_revenue",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "settlement_unit_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("revenue_ore", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_unit_id"],
            ["lastresort_settlement_unit.id"],
            name=op.f(
                "fk_lastresort_settlement_revenue_settlement_unit_id_lastresort_settlement_unit"
            ),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lastresort_settlement_revenue")),
    )
    with op.batch_alter_table("lastresort_settlement_revenue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lastresort_settlement_revenue_settlement_unit_id"),
            ["settlement_unit_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("lastresort_settlement_revenue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lastresort_settlement_revenue_settlement_unit_id"))

    op.drop_table("lastresort_settlement_revenue")
    with op.batch_alter_table("lastresort_settlement_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lastresort_settlement_unit_settlement_id"))
        batch_op.drop_index(batch_op.f("ix_lastresort_settlement_unit_hsa_id"))

    op.drop_table("lastresort_settlement_unit")
    with op.batch_alter_table("lastresort_settlement_scope_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lastresort_settlement_scope_unit_settlement_id"))
        batch_op.drop_index(batch_op.f("ix_lastresort_settlement_scope_unit_hsa_id"))

    op.drop_table("lastresort_settlement_scope_unit")
    with op.batch_alter_table("lastresort_settlement_scope", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lastresort_settlement_scope_settlement_id"))

    op.drop_table("lastresort_settlement_scope")
    with op.batch_alter_table("lastresort_settlement_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lastresort_settlement_period_settlement_id"))

    op.drop_table("lastresort_settlement_period")
    op.drop_table("lastresort_settlement")
    op.drop_table("lastresort_model")
    op.drop_table("lastresort_designation")
    op.drop_table("lastresort_account")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_person_hash"))
        batch_op.drop_index(batch_op.f("ix_audit_log_entity_type"))
        batch_op.drop_index(batch_op.f("ix_audit_log_entity_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_sub"))

    op.drop_table("audit_log")
    op.drop_table("audit_head")
