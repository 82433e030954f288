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

TODAY = dt.date(2026, 12, 1)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
serials = st.integers(min_value=1, max_value=999)


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
    # stdnum checks the shape, the date and the checksum; we also refuse what is never issued.
    issued = tail // 10 != 0 and number[:8] <= TODAY.strftime("%Y%m%d")
    assert is_valid_identity_number(number, today=TODAY) == (_stdnum_valid(number) and issued)


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


# The shared test data of the personnummer project (github.com/personnummer/meta,
# testdata/list.json), which its implementations in every language are checked against:
# (long form, separated long form, valid, coordination number, male).
PERSONNUMMER_META = [
    ("201509160006", "20150916-0006", False, False, False),  # serial 000
    ("190905271474", "19090527+1474", True, False, True),
    ("198707049996", "19870704-9996", False, False, True),
    ("198211059954", "19821105-9954", True, False, True),
    ("193901829913", "19390182-9913", False, True, True),
    ("195705749959", "19570574-9959", True, True, True),
    ("201211209941", "20121120-9941", False, False, False),
    ("199012119948", "19901211-9948", True, False, False),
    ("201210759984", "20121075-9984", False, True, False),
    ("197306749982", "19730674-9982", True, True, False),
    ("187912219990", "18791221+9990", True, False, True),
    ("200012099891", "20001209-9891", True, False, True),
    ("19090527 1474", "19090527 1474", False, False, True),
]


@pytest.mark.parametrize(("long", "separated", "valid", "coordination", "male"), PERSONNUMMER_META)
def test_agrees_with_the_personnummer_projects_shared_test_data(
    long: str, separated: str, valid: bool, coordination: bool, male: bool
) -> None:
    for text in (long, separated):
        assert is_valid_identity_number(text, today=TODAY) is valid, text
        if valid:
            parsed = parse_identity_number(text, today=TODAY)
            assert parsed.is_coordination_number is coordination
            assert parsed.sex == ("M" if male else "F")


def test_python_stdnum_accepts_the_serial_000_that_the_peers_refuse() -> None:
    """Why we do not delegate to stdnum: it accepts a number that is never issued."""
    assert _stdnum_valid("201509160006")
    with pytest.raises(InvalidIdentityNumber, match="000"):
        parse_identity_number("201509160006", today=TODAY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("٢٠١٥٠٩١٦٠٠١٣", "12 digits"),  # Arabic-Indic digits
        ("２０１５０９１６００１３", "12 digits"),  # fullwidth digits
        ("18691231" + "0000", "before 1870"),
        ("20261202" + "1234", "future"),
    ],
)
def test_refusals_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidIdentityNumber, match=message):
        parse_identity_number(text, today=TODAY)


def test_born_today_is_accepted_and_tomorrow_is_not() -> None:
    number = make_identity_number(TODAY, 123)
    assert is_valid_identity_number(number, today=TODAY)
    assert not is_valid_identity_number(number, today=TODAY - dt.timedelta(days=1))


def test_redaction_covers_every_century_the_validator_accepts() -> None:
    for number in ("18791221+9990", "187912219990", "19090527+1474", "200012099891"):
        assert is_valid_identity_number(number, today=TODAY)
        assert redact_identity_numbers(f"x {number} y") == "x [personnummer] y"
