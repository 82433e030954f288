"""Organisation and bankgiro numbers: check digits, the legal-person rule, the written form."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.payee import Bankgiro, OrganisationNumber, bankgiro, luhn_valid, organisation_number


@pytest.mark.parametrize(
    ("text", "written"),
    [("232100-0206", "232100-0206"), ("2321000206", "232100-0206"), ("556036-0793", "556036-0793")],
)
def test_organisation_numbers_of_legal_persons(text: str, written: str) -> None:
    assert organisation_number(text) == written


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("232100-0207", "check digit"),
        ("23210-00206", "10 digits"),
        ("232100-02060", "10 digits"),
        ("１２３４５６-７８９０", "10 digits"),
        # A sole trader's number is a personnummer (third digit 0 or 1): never stored.
        ("811218-9876", "legal person"),
    ],
)
def test_organisation_numbers_refused(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        organisation_number(text)


@pytest.mark.parametrize(
    ("text", "written"),
    [("5050-1055", "5050-1055"), ("50501055", "5050-1055"), ("991-2346", "991-2346")],
)
def test_bankgiro_numbers(text: str, written: str) -> None:
    assert bankgiro(text) == written


@pytest.mark.parametrize("text", ["5050-1056", "50-1055", "505010555", "5050 1055"])
def test_bankgiro_numbers_refused(text: str) -> None:
    with pytest.raises(ValueError):
        bankgiro(text)


def test_luhn_agrees_with_the_identity_number_check_digit() -> None:
    from shared.ids import luhn_check_digit

    for nine in ("811218987", "000000000", "123456789", "999999999"):
        assert luhn_valid(nine + str(luhn_check_digit(nine)))
        assert not luhn_valid(nine + str((luhn_check_digit(nine) + 1) % 10))


def test_the_pydantic_types_answer_the_written_form() -> None:
    assert TypeAdapter(OrganisationNumber).validate_python("2321000206") == "232100-0206"
    assert TypeAdapter(Bankgiro).validate_python("50501055") == "5050-1055"
    with pytest.raises(ValidationError):
        TypeAdapter(Bankgiro).validate_python("5050-1056")
