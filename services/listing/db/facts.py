"""The person facts every listing row carries for the counts, derived one way in SQL and Python."""

from __future__ import annotations

import datetime as dt

# The columns a listing row is copied with when it is (re-)recorded, facts included.
LISTING_FACT_COLUMNS = (
    "person_id, unit_id, valid_from, valid_to, reason, special_reason, "
    "birth_ymd, sex, count_deso, gone_on, municipality_code"
)


def count_deso_sql(v: str) -> str:
    """The DeSO a person is counted under: none for a protected identity."""
    return f"CASE WHEN {v}.protected_identity THEN NULL ELSE {v}.deso_code END"


def gone_on_sql(v: str) -> str:
    """The first of death and moving out (portable: SQLite has no NULL-ignoring LEAST)."""
    d, m = f"{v}.deceased_on", f"{v}.moved_out_on"
    return (
        f"CASE WHEN {d} IS NULL THEN {m} WHEN {m} IS NULL THEN {d} "
        f"WHEN {d} < {m} THEN {d} ELSE {m} END"
    )


def count_deso(deso_code: str | None, protected_identity: bool) -> str | None:
    return None if protected_identity else deso_code


def gone_on(deceased_on: dt.date | None, moved_out_on: dt.date | None) -> dt.date | None:
    days = [d for d in (deceased_on, moved_out_on) if d is not None]
    return min(days) if days else None
