"""The last-resort service's tables, in its own metadata and its own database."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
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

_ID = BigInteger().with_variant(Integer, "sqlite")


def _settlement_id() -> Column[int]:
    return Column(
        "settlement_id", _ID, ForeignKey("lastresort_settlement.id"), nullable=False, index=True
    )


designation = Table(
    "lastresort_designation",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("care_type", String(10), nullable=False),
    Column("municipality_code", String(4), nullable=False),
    Column("hsa_id", String(64), nullable=False),
    Column("unit_name", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False),
    UniqueConstraint(
        "year", "care_type", "municipality_code", name="uq_lastresort_designation_key"
    ),
)

# One row per version: `draft` when written (updated in place while draft), `approved` by a
# finance_approver other than `written_by` (0002), then fixed; `used` once a settlement read it.
model = Table(
    "lastresort_model",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("applies_to", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("used", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("written_by", String(200), nullable=False),
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("year", "applies_to", "version", name="uq_lastresort_model_key"),
)

account = Table(
    "lastresort_account",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("hsa_id", String(64), nullable=False),
    Column("costs_ore", BigInteger, nullable=False),
    Column("other_revenue_ore", BigInteger, nullable=False),
    Column("targeted_grants_ore", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False),
    UniqueConstraint("year", "hsa_id", name="uq_lastresort_account_key"),
)

settlement = Table(
    "lastresort_settlement",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("care_type", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("model_id", _ID, ForeignKey("lastresort_model.id"), nullable=False),
    Column("model_applies_to", String(10), nullable=False),
    Column("model_version", Integer, nullable=False),
    Column("model_body", Text, nullable=False),
    Column("neutrality_enabled", Boolean, nullable=False),
    Column("neutrality_scope", String(20), nullable=True),
    Column("count_date", Date, nullable=True),
    Column("inputs_hash", String(64), nullable=False),
    Column("total_compensation_ore", BigInteger, nullable=False),
    Column("total_neutrality_ore", BigInteger, nullable=False),
    # `calculated` until a finance_approver other than created_by approves it (0003).
    Column("status", String(20), nullable=False),
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("year", "care_type", "version", name="uq_lastresort_settlement_key"),
)

settlement_period = Table(
    "lastresort_settlement_period",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    _settlement_id(),
    Column("period", String(7), nullable=False),
    Column("payment_version", Integer, nullable=False),
    # The run's count date and the moment its counts were known at (null before 0003).
    Column("count_date", Date, nullable=True),
    Column("as_known_at", DateTime(timezone=True), nullable=True),
)

settlement_unit = Table(
    "lastresort_settlement_unit",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    _settlement_id(),
    Column("hsa_id", String(64), nullable=False, index=True),
    Column("unit_name", String(200), nullable=False),
    Column("municipality_code", String(4), nullable=False),
    Column("fixed_sum_ore", BigInteger, nullable=True),
    Column("costs_ore", BigInteger, nullable=True),
    Column("other_revenue_ore", BigInteger, nullable=True),
    Column("targeted_grants_ore", BigInteger, nullable=True),
    Column("halsoval_revenue_ore", BigInteger, nullable=True),
    Column("deficit_ore", BigInteger, nullable=True),
    Column("coverage", String(40), nullable=True),
    Column("covered_deficit", String(80), nullable=True),
    Column("cap_ore", BigInteger, nullable=True),
    Column("compensation_ore", BigInteger, nullable=False),
    UniqueConstraint("settlement_id", "hsa_id", name="uq_lastresort_settlement_unit_key"),
)

settlement_revenue = Table(
    "lastresort_settlement_revenue",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column(
        "settlement_unit_id",
        _ID,
        ForeignKey("lastresort_settlement_unit.id"),
        nullable=False,
        index=True,
    ),
    Column("period", String(7), nullable=False),
    Column("revenue_ore", BigInteger, nullable=False),
)

settlement_scope = Table(
    "lastresort_settlement_scope",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    _settlement_id(),
    Column("scope", String(12), nullable=False),
    Column("total_compensation_ore", BigInteger, nullable=False),
    Column("region_listed", Integer, nullable=False),
    Column("rate_numerator", String(80), nullable=True),
    Column("rate_denominator", String(80), nullable=True),
    Column("total_neutrality_ore", BigInteger, nullable=False),
    UniqueConstraint("settlement_id", "scope", name="uq_lastresort_settlement_scope_key"),
)

settlement_scope_unit = Table(
    "lastresort_settlement_scope_unit",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    _settlement_id(),
    Column("scope", String(12), nullable=False),
    Column("hsa_id", String(64), nullable=False, index=True),
    Column("unit_name", String(200), nullable=False),
    Column("municipality_code", String(4), nullable=False),
    Column("ownership", String(10), nullable=False),
    Column("designated", Boolean, nullable=False),
    Column("listed", Integer, nullable=False),
    Column("amount_ore", BigInteger, nullable=True),
)

# Neutrality's twelve counts (0003): the region units' count per scope and count date, and each
# scope unit's count per count date (the period names the approved run whose date it is).
settlement_scope_count = Table(
    "lastresort_settlement_scope_count",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    _settlement_id(),
    Column("scope", String(12), nullable=False),
    Column("period", String(7), nullable=False),
    Column("region_listed", BigInteger, nullable=False),
)

settlement_unit_count = Table(
    "lastresort_settlement_unit_count",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column(
        "scope_unit_id",
        _ID,
        ForeignKey("lastresort_settlement_scope_unit.id"),
        nullable=False,
        index=True,
    ),
    Column("period", String(7), nullable=False),
    Column("listed", BigInteger, nullable=False),
)
