"""Validation of one historic listing row (bulk migration of a region's history)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.listing.domain.listing import Reason
from services.listing.domain.register import RegisterRules, field_count_error, iso_date
from shared.ids import InvalidIdentityNumber, parse_identity_number
from shared.patterns import HSA_ID

LISTING_HEADER = ("personnummer", "hsa_id", "valid_from", "valid_to", "reason", "special_reason")
_REASONS = {r.value for r in Reason}
_BOOLS = {"true": True, "false": False, "": False}


@dataclass(frozen=True, slots=True)
class HistoricRow:
    personnummer: str
    hsa_id: str
    valid_from: dt.date
    valid_to: dt.date | None
    reason: str
    special_reason: bool


def _day(
    value: str, name: str, rules: RegisterRules, errors: list[tuple[str, str]]
) -> dt.date | None:
    """An ISO date within the record window, or None with the problem noted."""
    try:
        day = iso_date(value)
    except ValueError:
        errors.append((name, "must be an ISO date (YYYY-MM-DD)"))
        return None
    if not rules.earliest <= day <= rules.latest:
        errors.append(
            (name, f"must lie from {rules.earliest.isoformat()} to {rules.latest.isoformat()}")
        )
        return None
    return day


def parse_historic_row(
    values: list[str], rules: RegisterRules
) -> tuple[HistoricRow | None, list[tuple[str, str]]]:
    """Check one row given in LISTING_HEADER order (dates in the record window, a listing not
    before the person's birth)."""
    if len(values) != len(LISTING_HEADER):
        return None, [field_count_error(values, len(LISTING_HEADER))]
    pnr, hsa, start_s, end_s, reason, special_s = (v.strip() for v in values)
    errors: list[tuple[str, str]] = []
    identity = None
    try:
        identity = parse_identity_number(pnr, today=rules.today)
        if identity.is_coordination_number:
            errors.append(("personnummer", "a samordningsnummer cannot be listed"))
    except InvalidIdentityNumber as exc:
        errors.append(("personnummer", str(exc)))
    if not HSA_ID.match(hsa):
        errors.append(("hsa_id", "is not an HSA-id"))
    start = _day(start_s, "valid_from", rules, errors)
    end = _day(end_s, "valid_to", rules, errors) if end_s else None
    if start is not None and end is not None and end < start:
        errors.append(("valid_to", "is before valid_from"))
    if start is not None and identity is not None and start < identity.birth_date:
        errors.append(("valid_from", "is before the person's birth date"))
    if reason not in _REASONS:
        errors.append(("reason", "must be one of " + ", ".join(r.value for r in Reason)))
    special = _BOOLS.get(special_s.lower())
    if special is None:
        errors.append(("special_reason", "must be true, false or empty"))
    if errors or identity is None or start is None or special is None:
        return None, errors
    return HistoricRow(identity.value, hsa, start, end, reason, special), []
