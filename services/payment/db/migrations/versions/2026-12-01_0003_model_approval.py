"""Four eyes on models: payment_model.status, approved_by, approved_at, effective_from.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A model version is `draft` when written and `approved` when a finance_approver other than
its author approves it; runs use the approved version in force for their period
(`effective_from`, a period of the model's year).

Every model stored before this release was already in use as the year's decision, so the
migration approves it: status `approved`, approved_by `migration 0003`, approved_at the
moment of the upgrade, effective_from the year's first period (what it governed). Each one
is recorded in the service's hash-chained audit trail (action `model.approve`, actor
`migration 0003`, details `{"by": "migration"}`), appended in the migration's own
transaction with shared.audit.AuditLog, so the chain stays verifiable and the approval
commits with the columns or not at all.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from shared.audit import AuditLog, audit_tables
from shared.auth import Principal

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MIGRATION_ACTOR = "migration 0003"


def upgrade() -> None:
    with op.batch_alter_table("payment_model") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=True))
        batch.add_column(sa.Column("effective_from", sa.String(7), nullable=True))
        batch.add_column(sa.Column("approved_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    model = sa.table(
        "payment_model",
        sa.column("id", sa.Integer()),
        sa.column("year", sa.Integer()),
        sa.column("version", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("effective_from", sa.String()),
        sa.column("approved_by", sa.String()),
        sa.column("approved_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(model.c.id, model.c.year, model.c.version).order_by(model.c.year, model.c.version)
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
                    effective_from=f"{row.year:04d}-01",
                    approved_by=MIGRATION_ACTOR,
                    approved_at=now,
                )
            )
            audit.record(
                session,
                principal=actor,
                action="model.approve",
                entity_type="payment_model",
                entity_id=f"{row.year}/v{row.version}",
                details={"by": "migration", "effective_from": f"{row.year:04d}-01"},
            )
        session.flush()

    with op.batch_alter_table("payment_model") as batch:
        batch.alter_column("status", existing_type=sa.String(20), nullable=False)
        batch.alter_column("effective_from", existing_type=sa.String(7), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_model") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
        batch.drop_column("effective_from")
        batch.drop_column("status")
