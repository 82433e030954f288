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


class Sex(StrEnum):
    M = "M"
    F = "F"


HsaId = Annotated[str, StringConstraints(pattern=HSA_ID_PATTERN, max_length=HSA_ID_MAX_LENGTH)]
MunicipalityCode = Annotated[str, StringConstraints(pattern=MUNICIPALITY_PATTERN)]
DesoCode = Annotated[str, StringConstraints(min_length=9, max_length=9, pattern=DESO_PATTERN)]
