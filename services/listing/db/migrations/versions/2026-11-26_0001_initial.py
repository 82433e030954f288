"""Initial schema: audit log, units, persons with versions, bitemporal listings.

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

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
CURRENT = sa.text("superseded_at IS NULL")
OPEN_CURRENT = sa.text("valid_to IS NULL AND superseded_at IS NULL")


def _audit() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_sub", sa.String(200), nullable=False),
        sa.Column("actor_roles", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("entity_type", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=True),
        sa.Column("person_hash", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(50), nullable=False),
        sa.Column("details", sa.Text, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    for col in ("at", "actor_sub", "entity_type", "entity_id", "person_hash"):
        op.create_index(f"ix_audit_log_{col}", "audit_log", [col])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_id", sa.BigInteger, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )


def upgrade() -> None:
    # No foreign keys on person_version and listing: their ids only ever come from joins in
    # this service, and per-row FK triggers cost a third of a bulk load of millions of rows.
    _audit()
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("hsa_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("municipality_code", sa.String(4), nullable=False),
        sa.Column("ownership", sa.String(10), nullable=False),
        sa.Column("care_type", sa.String(10), nullable=False),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("distance_to_hospital_km", sa.String(32), nullable=False),
        sa.Column("active_from", sa.Date, nullable=False),
        sa.Column("active_to", sa.Date, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unit"),
        sa.UniqueConstraint("hsa_id", name="uq_unit_hsa_id"),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("personnummer", sa.String(12), nullable=False),
        sa.Column("birth_ymd", sa.Integer, nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("is_coordination", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_person"),
        sa.UniqueConstraint("personnummer", name="uq_person_personnummer"),
    )
    op.create_table(
        "person_version",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("birth_ymd", sa.Integer, nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("municipality_code", sa.String(4), nullable=False),
        sa.Column("deso_code", sa.String(9), nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("protected_identity", sa.Boolean, nullable=False),
        sa.Column("deceased_on", sa.Date, nullable=True),
        sa.Column("moved_out_on", sa.Date, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_person_version"),
    )
    op.create_index(
        "ux_person_version_current",
        "person_version",
        ["person_id"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
    op.create_index(
        "ix_person_version_person_recorded", "person_version", ["person_id", "recorded_at"]
    )
    op.create_table(
        "listing",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("unit_id", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("special_reason", sa.Boolean, nullable=False),
        sa.Column("birth_ymd", sa.Integer, nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("count_deso", sa.String(9), nullable=True),
        sa.Column("gone_on", sa.Date, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_listing"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name="ck_listing_period_order"
        ),
    )
    op.create_index(
        "ux_listing_open_current",
        "listing",
        ["person_id"],
        unique=True,
        sqlite_where=OPEN_CURRENT,
        postgresql_where=OPEN_CURRENT,
    )
    op.create_index("ix_listing_person_from", "listing", ["person_id", "valid_from"])
    op.create_index(
        "ix_listing_unit_current",
        "listing",
        ["unit_id", "valid_from"],
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
    if op.get_bind().dialect.name == "postgresql":
        # Defence in depth: no two current listings of a person overlap, whatever the code does.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE listing ADD CONSTRAINT ex_listing_no_overlap EXCLUDE USING gist "
            "(person_id WITH =, daterange(valid_from, valid_to, '[]') WITH &&) "
            "WHERE (superseded_at IS NULL)"
        )


def downgrade() -> None:
    for table in ("listing", "person_version", "person", "unit", "audit_head", "audit_log"):
        op.drop_table(table)
