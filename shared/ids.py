"""Swedish personal identity numbers: personnummer and samordningsnummer.

Our own small validator because no library gets samordningsnummer right. Only the
12-digit form is accepted: in the 10-digit form the century would be a guess. Beyond the
checksum, a number must be one that can have been issued: ASCII digits only, a birth date from
1870 up to today (Europe/Stockholm), and a serial number (digits 9 to 11) other than 000,
which the Tax Agency never issues.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

# [0-9], not \d: Python's \d also matches Arabic-Indic, fullwidth and other digits. The
# separator is a hyphen, or a plus for someone aged 100 or more (redundant with 12 digits).
_PATTERN = re.compile(r"^([0-9]{8})[-+]?([0-9]{4})$")
_TEN_DIGITS = re.compile(r"^[0-9]{6}[-+]?[0-9]{4}$")
COORDINATION_DAY_OFFSET = 60
EARLIEST_BIRTH = dt.date(1870, 1, 1)
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def today_in_sweden() -> dt.date:
    """The date in Sweden now: what "born after today" is measured against."""
    return dt.datetime.now(STOCKHOLM).date()


class InvalidIdentityNumber(ValueError):
    """The text is not a valid 12-digit personnummer or samordningsnummer."""


# Luhn: a doubled digit contributes the sum of its digits (2×7 = 14 → 5).
_DOUBLED = {str(d): (2 * d) // 10 + (2 * d) % 10 for d in range(10)}
_PLAIN = {str(d): d for d in range(10)}


def luhn_check_digit(nine_digits: str) -> int:
    """The Luhn check digit over nine digits (weights 2,1,2,1,...); runs once per register row."""
    total = sum(_DOUBLED[c] for c in nine_digits[0::2]) + sum(_PLAIN[c] for c in nine_digits[1::2])
    return (10 - total % 10) % 10


@dataclass(frozen=True, slots=True)
class IdentityNumber:
    """A validated identity number in its canonical 12-digit form."""

    value: str
    birth_date: dt.date
    sex: Literal["M", "F"]
    is_coordination_number: bool

    def __str__(self) -> str:
        return self.value


def parse_identity_number(text: str, *, today: dt.date | None = None) -> IdentityNumber:
    """Validate and normalise; raise InvalidIdentityNumber saying what is wrong.

    `today` defaults to the date in Sweden; a bulk import passes it once for all its rows.
    """
    if not isinstance(text, str):
        raise InvalidIdentityNumber("must be a string")
    m = _PATTERN.match(text.strip())
    if m is None:
        if _TEN_DIGITS.match(text.strip()):
            raise InvalidIdentityNumber("10-digit form is not accepted: give all 12 digits")
        raise InvalidIdentityNumber(
            "must be 12 digits, YYYYMMDDNNNC (a hyphen after the date is allowed)"
        )
    date_part, tail = m.group(1), m.group(2)
    year, month, day = int(date_part[:4]), int(date_part[4:6]), int(date_part[6:8])
    coordination = day > COORDINATION_DAY_OFFSET
    if coordination:
        day -= COORDINATION_DAY_OFFSET
    try:
        birth = dt.date(year, month, day)
    except ValueError as exc:
        raise InvalidIdentityNumber("the date part is not a real date") from exc
    if birth < EARLIEST_BIRTH:
        raise InvalidIdentityNumber(f"the birth date is before {EARLIEST_BIRTH.year}")
    if birth > (today or today_in_sweden()):
        raise InvalidIdentityNumber("the birth date is in the future")
    if tail[:3] == "000":
        raise InvalidIdentityNumber("the serial number 000 is never issued")
    digits = date_part + tail
    if luhn_check_digit(digits[2:11]) != int(digits[11]):
        raise InvalidIdentityNumber("check digit does not match")
    sex: Literal["M", "F"] = "M" if int(digits[10]) % 2 == 1 else "F"
    return IdentityNumber(
        value=digits, birth_date=birth, sex=sex, is_coordination_number=coordination
    )


def is_valid_identity_number(text: str, *, today: dt.date | None = None) -> bool:
    try:
        parse_identity_number(text, today=today)
    except InvalidIdentityNumber:
        return False
    return True


def make_identity_number(birth: dt.date, serial: int, *, coordination: bool = False) -> str:
    """Build a valid number from a birth date and a 3-digit serial (for generators and tests)."""
    if not 1 <= serial <= 999:
        raise ValueError("serial must be 1..999 (000 is never issued)")
    day = birth.day + (COORDINATION_DAY_OFFSET if coordination else 0)
    nine = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}{serial:03d}"
    return f"{birth.year:04d}{birth.month:02d}{day:02d}{serial:03d}{luhn_check_digit(nine)}"


def keyed_hash(identity: str, key: str) -> str:
    """HMAC-SHA256 of an identity number: lets audit rows be followed up without storing it."""
    return hmac.new(key.encode(), identity.encode(), hashlib.sha256).hexdigest()


def redact_identity_numbers(text: str) -> str:
    """Replace anything shaped like a personnummer in free text (log lines, error messages)."""
    return _REDACT.sub(_redact_match, text)


def _redact_match(match: re.Match[str]) -> str:
    # Only digit runs whose date part could be a birth (or coordination) date: organisation
    # numbers, and so HSA-ids like SE2321000207-A001, have a month of 20 or more and stay.
    digits = re.sub(r"[-+]", "", match.group(0))[-10:]
    month, day = int(digits[2:4]), int(digits[4:6])
    if 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91):
        return "[personnummer]"
    return match.group(0)


# Every century the validator accepts (1870 onwards), with or without a separator. \d on
# purpose: redacting a non-ASCII look-alike too costs nothing.
_REDACT = re.compile(r"(?<!\d)(?:18|19|20)?\d{6}[-+]?\d{4}(?!\d)")
