"""Identity-number rules, property-tested and cross-checked against python-stdnum."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError
from stdnum.se import personnummer as stdnum_pnr

from shared.ids import (
    InvalidIdentityNumber,
    is_valid_identity_number,
    keyed_hash,
    make_identity_number,
    parse_identity_number,
    redact_identity_numbers,
)

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
serials = st.integers(min_value=0, max_value=999)


def _stdnum_valid(number: str) -> bool:
    try:
        stdnum_pnr.validate(number)
    except ValidationError:
        return False
    return True


@given(births, serials)
def test_generated_numbers_parse_and_agree_with_stdnum(birth: dt.date, serial: int) -> None:
    number = make_identity_number(birth, serial)
    parsed = parse_identity_number(number)
    assert parsed.value == number and parsed.birth_date == birth
    assert not parsed.is_coordination_number
    assert parsed.sex == ("M" if serial % 10 % 2 == 1 else "F")
    assert _stdnum_valid(number)
    assert stdnum_pnr.get_birth_date(number) == birth
    assert stdnum_pnr.get_gender(number) == parsed.sex


@given(st.integers(1900, 2099), st.integers(0, 19), st.integers(0, 39), st.integers(0, 9999))
def test_validity_matches_stdnum_for_ordinary_numbers(
    year: int, month: int, day: int, tail: int
) -> None:
    number = f"{year:04d}{month:02d}{day:02d}{tail:04d}"
    assert is_valid_identity_number(number) == _stdnum_valid(number)


@given(births, serials, st.integers(0, 11), st.integers(1, 9))
def test_any_single_digit_change_is_refused_or_is_another_valid_person(
    birth: dt.date, serial: int, position: int, delta: int
) -> None:
    number = make_identity_number(birth, serial)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    if position >= 2:  # the Luhn digit covers the last ten digits: every single change is caught
        assert not is_valid_identity_number(changed)


@given(births, serials)
def test_samordningsnummer_keeps_birth_date_and_sex(birth: dt.date, serial: int) -> None:
    number = make_identity_number(birth, serial, coordination=True)
    parsed = parse_identity_number(number)
    assert parsed.is_coordination_number and parsed.birth_date == birth
    assert int(number[6:8]) == birth.day + 60


@given(births, serials)
def test_hyphen_is_accepted_and_ten_digits_refused(birth: dt.date, serial: int) -> None:
    number = make_identity_number(birth, serial)
    assert parse_identity_number(f"{number[:8]}-{number[8:]}").value == number
    with pytest.raises(InvalidIdentityNumber, match="10-digit"):
        parse_identity_number(number[2:])
    with pytest.raises(InvalidIdentityNumber, match="10-digit"):
        parse_identity_number(f"{number[2:8]}-{number[8:]}")


def test_impossible_dates_are_refused() -> None:
    for text in ("19800230", "19810229", "19801301", "19800100"):
        bad = text + "0000"
        assert not is_valid_identity_number(bad)
    assert is_valid_identity_number(make_identity_number(dt.date(2000, 2, 29), 1))


def test_keyed_hash_and_redaction() -> None:
    number = make_identity_number(dt.date(1980, 5, 17), 123)
    assert keyed_hash(number, "k1") != keyed_hash(number, "k2")
    assert number not in keyed_hash(number, "k1")
    assert redact_identity_numbers(f"person {number} listed") == "person [personnummer] listed"
