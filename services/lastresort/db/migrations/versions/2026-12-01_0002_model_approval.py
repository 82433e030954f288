"""Four eyes on last-resort models: lastresort_model.status, written_by, approved_by, approved_at.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

A model version is `draft` when written (updated in place while it is a draft) and `approved`
when a finance_approver other than its author (`written_by`, the last one to write its body)
approves it; settlements use the approved version.

Every model stored before this release was the year's decision already (settlements used it
without approval), so the migration approves it: status `approved`, written_by and
approved_by `migration 0002` (the old rows do not record their author), approved_at the
moment of the upgrade. Each one is recorded in the service's hash-chained audit trail (action
`model.approve`, actor `migration 0002`, details `{"by": "migration"}`), appended in the
migration's own transaction with shared.audit.AuditLog, so the chain stays verifiable and the
approval commits with the columns or not at all.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from shared.audit import AuditLog, audit_tables
from shared.auth import Principal

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MIGRATION_ACTOR = "migration 0002"


def upgrade() -> None:
    with op.batch_alter_table("lastresort_model") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=True))
        batch.add_column(sa.Column("written_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("approved_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    model = sa.table(
        "lastresort_model",
        sa.column("id", sa.Integer()),
        sa.column("year", sa.Integer()),
        sa.column("applies_to", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("written_by", sa.String()),
        sa.column("approved_by", sa.String()),
        sa.column("approved_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(model.c.id, model.c.year, model.c.applies_to, model.c.version).order_by(
            model.c.year, model.c.applies_to, model.c.version
        )
    ).all()
    if rows:
        audit = AuditLog(*audit_tables(sa.MetaData()), hash_key="")
        actor = Principal(sub=MIGRATION_ACTOR, roles=frozenset())
        session = Session(bind=bind)
        for row in rows:
            session.execute(
                sa.update(model)
                .where(model.c.id == row.id)
                .values(
                    status="approved",
                    written_by=MIGRATION_ACTOR,
                    approved_by=MIGRATION_ACTOR,
                    approved_at=now,
                )
            )
            audit.record(
                session,
                principal=actor,
                action="model.approve",
                entity_type="model",
                entity_id=f"{row.year}/{row.applies_to}/{row.version}",
                details={"by": "migration"},
            )
        session.flush()

    with op.batch_alter_table("lastresort_model") as batch:
        batch.alter_column("status", existing_type=sa.String(20), nullable=False)
        batch.alter_column("written_by", existing_type=sa.String(200), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("lastresort_model") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
        batch.drop_column("written_by")
        batch.drop_column("status")
