"""Enums and small types used by several contracts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

from shared.patterns import DESO_PATTERN, HSA_ID_MAX_LENGTH, HSA_ID_PATTERN, MUNICIPALITY_PATTERN


class CareType(StrEnum):
    primary = "primary"
    dental = "dental"


class Ownership(StrEnum):
    region = "region"
    private = "private"


class ListingReason(StrEnum):
    """Why a listing exists, defined once for the listing rules, the feed and the payment.
    Only `choice` can count towards the two-changes limit (HSL 7 kap. 3 b §)."""

    choice = "choice"  # the resident chose the unit
    default = "default"  # placed by the default rule (nearest unit)
    administrative = "administrative"  # set by the region's staff
    closure = "closure"  # moved from a unit that closed (POST /v1/units/{hsa_id}/close)
    newborn = "newborn"  # a child listed where its guardian is


class Sex(StrEnum):
    M = "M"
    F = "F"


HsaId = Annotated[str, StringConstraints(pattern=HSA_ID_PATTERN, max_length=HSA_ID_MAX_LENGTH)]
MunicipalityCode = Annotated[str, StringConstraints(pattern=MUNICIPALITY_PATTERN)]
DesoCode = Annotated[str, StringConstraints(min_length=9, max_length=9, pattern=DESO_PATTERN)]
