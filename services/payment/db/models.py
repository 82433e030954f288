"""Tables of the payment service, in its own MetaData (its own database, its own Alembic history).

Money is integer öre; weights and shares are exact decimals kept as text (a float column
would round them, and SQLite has no exact numeric type).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.audit import audit_tables
from shared.db import make_metadata

metadata = make_metadata()
audit_log, audit_head = audit_tables(metadata)

payment_model = Table(
    "payment_model",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    # Once a run has used a version it is frozen: a change makes the next version.
    Column("used", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    # Four eyes (0003): draft until a finance_approver other than created_by approves it;
    # an approved version governs its year from effective_from (a period, "YYYY-MM") on.
    Column("status", String(20), nullable=False),
    Column("effective_from", String(7), nullable=False),
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("year", "version", name="uq_payment_model_year_version"),
)

payment_run = Table(
    "payment_run",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("period", String(7), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("count_date", Date, nullable=False),
    Column("as_known_at", DateTime(timezone=True), nullable=False),
    Column("model_year", Integer, nullable=False),
    Column("model_version", Integer, nullable=False),
    Column("pool_ore", BigInteger, nullable=False),
    Column("total_ore", BigInteger, nullable=False),
    Column("undistributed_ore", BigInteger, nullable=False),
    Column("delta_ore", BigInteger, nullable=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    # The newest moment a re-run found this version unchanged (listing changes recorded
    # before it did not change the month): staleness counts only the changes after it.
    Column("confirmed_as_known_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("period", "version", name="uq_payment_run_period_version"),
)

payment_run_component = Table(
    "payment_run_component",
    metadata,
    Column("run_id", String(32), ForeignKey("payment_run.id"), primary_key=True),
    Column("component", String(20), primary_key=True),
    Column("pool_ore", BigInteger, nullable=False),
    Column("total_weight", String(80), nullable=False),
    Column("distributed_ore", BigInteger, nullable=False),
)

payment_statement = Table(
    "payment_statement",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("run_id", String(32), ForeignKey("payment_run.id"), nullable=False, index=True),
    Column("hsa_id", String(64), nullable=False, index=True),
    Column("unit_name", String(200), nullable=True),
    Column("listed", Integer, nullable=False),
    Column("total_ore", BigInteger, nullable=False),
    Column("delta_ore", BigInteger, nullable=True),
    UniqueConstraint("run_id", "hsa_id", name="uq_payment_statement_run_hsa"),
)

payment_statement_line = Table(
    "payment_statement_line",
    metadata,
    Column("statement_id", String(32), ForeignKey("payment_statement.id"), primary_key=True),
    Column("component", String(20), primary_key=True),
    Column("run_id", String(32), nullable=False, index=True),
    Column("weight", String(80), nullable=False),
    Column("share", String(40), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("delta_ore", BigInteger, nullable=True),
)

# What the service follows of the listing service's change feed (GET /v1/changes): the
# entries that can change a count, without any person key, and how far it has read.
listing_change = Table(
    "listing_change",
    metadata,
    Column("cursor", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("care_type", String(20), nullable=True),
    Column("affects_from", Date, nullable=True),
    Column("affects_to", Date, nullable=True),
    Column("hsa_id", String(64), nullable=True),
    Column("persons", Integer, nullable=True),
    # Staleness asks for the changes recorded after a run's moment.
    Index("ix_listing_change_recorded_at", "recorded_at"),
)

# One row (id 1): the last cursor stored, and when the follower last reached the feed's end.
listing_feed = Table(
    "listing_feed",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("cursor", BigInteger, nullable=False),
    Column("followed_at", DateTime(timezone=True), nullable=True),
)

# --- payouts (0004) ---
# A payout records that a period's approved version is paid: immutable once written, final
# when a finance_approver other than its author approves it. One payout per run at most
# (uq_payout_run): the same version is never paid twice.
payout = Table(
    "payout",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("period", String(7), nullable=False, index=True),
    Column("care_type", String(20), nullable=False),
    Column("run_id", String(32), ForeignKey("payment_run.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("paid_version", Integer, nullable=True),  # the version paid before (a correction)
    Column("status", String(20), nullable=False),
    # Asked for in the request, else the approval's date in Stockholm (set when approved).
    Column("payment_date", Date, nullable=True),
    Column("total_ore", BigInteger, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("run_id", name="uq_payout_run"),
)

payout_line = Table(
    "payout_line",
    metadata,
    Column("payout_id", String(32), ForeignKey("payout.id"), primary_key=True),
    Column("hsa_id", String(64), primary_key=True),
    Column("unit_name", String(200), nullable=True),
    Column("period", String(7), nullable=False),
    Column("kind", String(20), nullable=False),  # payment, correction, credit
    Column("paid_version", Integer, nullable=True),
    Column("version", Integer, nullable=False),
    Column("amount_ore", BigInteger, nullable=False),  # negative on a credit line
    Column("vat_ore", BigInteger, nullable=False),
    # The ledger reads a unit's lines of a year.
    Index("ix_payout_line_hsa_period", "hsa_id", "period"),
)
