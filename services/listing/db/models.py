"""Tables of the listing service, with its own MetaData.

Persons and listings are bitemporal: a row is never updated in place except to set
`superseded_at` when a newer row replaces it, so any past state can be re-read "as known at".
Surrogate integer ids keep the count joins narrow; birth dates are INTEGER yyyymmdd so the age
on a date is one integer division on every database.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    text,
)

from shared.audit import audit_tables
from shared.db import make_metadata

metadata = make_metadata()
audit_log, audit_head = audit_tables(metadata)

BigId = BigInteger().with_variant(Integer, "sqlite")
CURRENT = text("superseded_at IS NULL")

# A unit's identity; what it is (name, place, care type, active period, payee) is versioned
# in unit_version, so the table never holds a copy that could disagree with it.
unit = Table(
    "unit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hsa_id", String(64), nullable=False, unique=True),
)

# A unit's attributes, bitemporal like listings: a version holds from valid_from until the next
# current version's valid_from - 1 (a date before the first version reads the first), as known
# between recorded_at and superseded_at. Re-reading a paid month's units "as known at" its run
# gives the attributes it was paid on.
unit_version = Table(
    "unit_version",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("unit_id", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("name", String(200), nullable=False),
    Column("municipality_code", String(4), nullable=False),
    Column("ownership", String(10), nullable=False),
    Column("care_type", String(10), nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    # Exact decimal kept as its text: no float, no SQLite Decimal caveats.
    Column("distance_to_hospital_km", String(32), nullable=False),
    Column("active_from", Date, nullable=False),
    Column("active_to", Date, nullable=True),
    Column("organisation_number", String(11), nullable=True),
    Column("bankgiro", String(9), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("superseded_at", DateTime(timezone=True), nullable=True),
    # At most one current version per unit and day it starts.
    Index(
        "ux_unit_version_current",
        "unit_id",
        "valid_from",
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    ),
    Index("ix_unit_version_unit_recorded", "unit_id", "recorded_at"),
)

# Reference data: SCB's list of Sweden's municipalities (db/data/municipalities.csv), loaded by
# migration 0002. Which of them the region serves is a setting (REGION_CODE), not data.
municipality = Table(
    "municipality",
    metadata,
    Column("code", String(4), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("county_code", String(2), nullable=False),
)

person = Table(
    "person",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("personnummer", String(12), nullable=False, unique=True),
    Column("birth_ymd", Integer, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("is_coordination", Boolean, nullable=False),
)

person_version = Table(
    "person_version",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", Integer, nullable=False),
    # Copied from person so the count reads one table per side of the join.
    Column("birth_ymd", Integer, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("municipality_code", String(4), nullable=False),
    Column("deso_code", String(9), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("protected_identity", Boolean, nullable=False),
    Column("deceased_on", Date, nullable=True),
    Column("moved_out_on", Date, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("superseded_at", DateTime(timezone=True), nullable=True),
    Index(
        "ux_person_version_current",
        "person_id",
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    ),
    Index("ix_person_version_person_recorded", "person_id", "recorded_at"),
)

OPEN_CURRENT = text("valid_to IS NULL AND superseded_at IS NULL")

listing = Table(
    "listing",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", Integer, nullable=False),
    Column("unit_id", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("reason", String(20), nullable=False),
    Column("special_reason", Boolean, nullable=False),
    # The person's facts the counts need, copied from the person version current when the row
    # was recorded; a register change re-records the person's current rows. Counts then read
    # this one table: no join over millions of people.
    Column("birth_ymd", Integer, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("count_deso", String(9), nullable=True),  # null when unknown or protected identity
    Column("gone_on", Date, nullable=True),  # first of deceased_on / moved_out_on
    # Where the person lives: residents of another county are counted apart (out_of_region).
    Column("municipality_code", String(4), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("superseded_at", DateTime(timezone=True), nullable=True),
    # As the first migration made it: the naming convention turns this name into
    # ck_listing_ck_listing_period_order in every database.
    CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="ck_listing_period_order"),
    # At most one open listing per person among current rows, on every database.
    Index(
        "ux_listing_open_current",
        "person_id",
        unique=True,
        sqlite_where=OPEN_CURRENT,
        postgresql_where=OPEN_CURRENT,
    ),
    Index("ix_listing_person_from", "person_id", "valid_from"),
    Index(
        "ix_listing_unit_current",
        "unit_id",
        "valid_from",
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    ),
)

# The change feed (GET /v1/changes): one row per committed change, numbered gap-free in commit
# order under the change-order lock (max + 1, never a sequence, which leaves gaps on rollback).
# person_id, not the identity number: the feed hashes the person's key when it answers.
change_log = Table(
    "change_log",
    metadata,
    Column("cursor", BigId, primary_key=True, autoincrement=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("reason", String(20), nullable=True),
    Column("care_type", String(10), nullable=True),
    Column("affects_from", Date, nullable=True),
    Column("affects_to", Date, nullable=True),
    Column("listing_id", BigId, nullable=True),
    Column("person_id", Integer, nullable=True),
    Column("hsa_id", String(64), nullable=True),
    Column("persons", Integer, nullable=True),
)
