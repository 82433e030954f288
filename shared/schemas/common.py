"""Enums and small types used by several contracts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints


class CareType(StrEnum):
    primary = "primary"
    dental = "dental"


class Ownership(StrEnum):
    region = "region"
    private = "private"


class Sex(StrEnum):
    M = "M"
    F = "F"


HsaId = Annotated[str, StringConstraints(pattern=r"^SE\d{10}-[0-9A-Za-z]{1,31}$", max_length=64)]
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^\d{4}$")]
DesoCode = Annotated[str, StringConstraints(min_length=9, max_length=9, pattern=r"^[0-9A-Z]{9}$")]
