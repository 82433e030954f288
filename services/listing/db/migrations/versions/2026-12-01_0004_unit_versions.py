"""Units with history: their attributes move into unit_version (valid time and recorded time).

Each existing unit gets its first version from its active_from, carrying every attribute, as
recorded at the unit's updated_at (the moment its current attributes were written); `unit`
keeps only the identity (id, hsa_id), so no copy can disagree with the versions. Downgrade
puts each unit's latest current version back into `unit`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
CURRENT = sa.text("superseded_at IS NULL")

# The attributes, in the order both tables list them.
_MOVED = (
    "name",
    "municipality_code",
    "ownership",
    "care_type",
    "lat",
    "lon",
    "distance_to_hospital_km",
    "active_from",
    "active_to",
)


def _moved_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("municipality_code", sa.String(4), nullable=False),
        sa.Column("ownership", sa.String(10), nullable=False),
        sa.Column("care_type", sa.String(10), nullable=False),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("distance_to_hospital_km", sa.String(32), nullable=False),
        sa.Column("active_from", sa.Date, nullable=False),
        sa.Column("active_to", sa.Date, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "unit_version",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        *_moved_columns(),
        sa.Column("organisation_number", sa.String(11), nullable=True),
        sa.Column("bankgiro", sa.String(9), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_unit_version"),
    )
    op.create_index(
        "ux_unit_version_current",
        "unit_version",
        ["unit_id", "valid_from"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
    op.create_index("ix_unit_version_unit_recorded", "unit_version", ["unit_id", "recorded_at"])
    moved = ", ".join(_MOVED)
    op.execute(
        f"INSERT INTO unit_version (unit_id, valid_from, {moved}, recorded_at) "
        f"SELECT id, active_from, {moved}, updated_at FROM unit ORDER BY id"
    )
    with op.batch_alter_table("unit") as batch:
        for name in (*_MOVED, "updated_at"):
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("unit") as batch:
        for column in _moved_columns():
            batch.add_column(sa.Column(column.name, column.type, nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    latest = (
        "SELECT {col} FROM unit_version v WHERE v.unit_id = unit.id AND v.superseded_at IS NULL "
        "ORDER BY v.valid_from DESC LIMIT 1"
    )
    sets = ", ".join(f"{c} = ({latest.format(col=c)})" for c in _MOVED)
    op.execute(
        f"UPDATE unit SET {sets}, updated_at = ("
        "SELECT max(v.recorded_at) FROM unit_version v WHERE v.unit_id = unit.id)"
    )
    with op.batch_alter_table("unit") as batch:
        for column in _moved_columns():
            if not column.nullable:
                batch.alter_column(column.name, existing_type=column.type, nullable=False)
        batch.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.drop_table("unit_version")
