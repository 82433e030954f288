"""Who a unit's money goes to: the organisation number (organisationsnummer) and bankgiro
number, each checked with its check digit.

Our own small validators, like the identity numbers': no maintained library checks both.
An organisation number is ten digits with a Luhn check digit; the third digit is 2 or more for
a legal person. A sole trader's organisation number is their personnummer, so it is refused
here: units are read by every provider, and identity numbers never reach a role without the
right to them. A bankgiro number is seven or eight digits, the last a Luhn check digit over the
others (Bankgirot's rule). Both are answered in their written form (`NNNNNN-NNNN`,
`NNN-NNNN` / `NNNN-NNNN`), whatever separator they came with.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

ORGANISATION_NUMBER_PATTERN = r"^[0-9]{6}-?[0-9]{4}$"
BANKGIRO_PATTERN = r"^[0-9]{3,4}-?[0-9]{4}$"
_ORGANISATION_NUMBER = re.compile(ORGANISATION_NUMBER_PATTERN)
_BANKGIRO = re.compile(BANKGIRO_PATTERN)


def luhn_valid(digits: str) -> bool:
    """Whether the last digit is the Luhn check digit of the ones before it (weights 2, 1, 2, ...
    from the right of the payload)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def organisation_number(text: str) -> str:
    """A legal person's organisation number as `NNNNNN-NNNN`; ValueError saying what is wrong."""
    if not _ORGANISATION_NUMBER.fullmatch(text):
        raise ValueError("an organisation number is 10 digits, written NNNNNN-NNNN")
    digits = text.replace("-", "")
    if int(digits[2]) < 2:
        raise ValueError(
            "not a legal person's organisation number (its third digit is 2 or more); a sole "
            "trader's number is a personnummer and is not stored with units"
        )
    if not luhn_valid(digits):
        raise ValueError("the organisation number's check digit does not match")
    return f"{digits[:6]}-{digits[6:]}"


def bankgiro(text: str) -> str:
    """A bankgiro number as `NNN-NNNN` or `NNNN-NNNN`; ValueError saying what is wrong."""
    if not _BANKGIRO.fullmatch(text):
        raise ValueError("a bankgiro number is 7 or 8 digits, written NNN-NNNN or NNNN-NNNN")
    digits = text.replace("-", "")
    if not luhn_valid(digits):
        raise ValueError("the bankgiro number's check digit does not match")
    return f"{digits[:-4]}-{digits[-4:]}"


OrganisationNumber = Annotated[
    str,
    Field(max_length=11),
    AfterValidator(organisation_number),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": ORGANISATION_NUMBER_PATTERN,
            "description": "a legal person's organisation number, with its check digit",
            "examples": ["232100-0206"],
        }
    ),
]
Bankgiro = Annotated[
    str,
    Field(max_length=9),
    AfterValidator(bankgiro),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": BANKGIRO_PATTERN,
            "description": "a bankgiro number, with its check digit",
            "examples": ["5050-1055"],
        }
    ),
]
