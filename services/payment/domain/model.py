"""A year's payment model: political decisions kept as data, validated strictly.

Every cross-field rule is a field validator so that a refusal names the field
(`shares`, `age_weights`, `sparsity.points`) in the 422 problem+json.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    SerializationInfo,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from services.payment.domain import components
from services.payment.domain.components import ComponentSpec
from shared.money import SEK, DecimalStr
from shared.period import CountDateRule
from shared.schemas.common import DesoCode

NonNegative = Annotated[DecimalStr, Field(ge=0)]


@functools.cache
def _shares_model(registry: tuple[ComponentSpec, ...]) -> type[BaseModel]:
    """The shape of `shares` for a registry: one non-negative decimal per share key."""
    fields: dict[str, Any] = {
        c.share_key: (NonNegative, ... if c.default_share is None else c.default_share)
        for c in registry
    }
    return create_model("Shares", __config__=ConfigDict(extra="forbid"), **fields)


class Shares(Mapping[str, Decimal]):
    """How the annual budget splits over the components (share key → share); adds up to 1.

    Checked against the component registry: every share it requires, no key it does not
    know, each a non-negative decimal string (a refusal names `shares.<key>`). A component
    with a default share may be left out, and is left out of the canonical text at its
    default, so a model stored before the component existed reads, and compares, the same.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Decimal]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Decimal:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Shares({self._values!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, _source: Any, _handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls._serialize, info_arg=True
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, _schema: CoreSchema, _handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _shares_model(components.COMPONENTS).model_json_schema()

    @classmethod
    def _validate(cls, value: Any) -> Shares:
        if isinstance(value, Shares):
            return value
        registry = components.COMPONENTS
        checked = _shares_model(registry).model_validate(value)
        return cls({c.share_key: getattr(checked, c.share_key) for c in registry})

    def _serialize(self, info: SerializationInfo) -> dict[str, Any]:
        defaults = {c.share_key: c.default_share for c in components.COMPONENTS}
        return {
            key: format(share, "f") if info.mode_is_json() else share
            for key, share in self._values.items()
            if not (info.exclude_defaults and defaults.get(key) == share)
        }


class AgeBand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_age: int = Field(ge=0, le=150)
    to_age: int | None = Field(default=None, ge=0, le=150)
    weight: NonNegative


class CniTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: NonNegative
    by_deso: dict[DesoCode, NonNegative] = Field(default_factory=dict)


class SparsityMatrix(BaseModel):
    """points[i][j]: i = limits in distance_limits_km ≤ distance, j = size_limits < listed."""

    model_config = ConfigDict(extra="forbid")

    distance_limits_km: list[NonNegative] = Field(max_length=50)
    size_limits: list[Annotated[int, Field(ge=0)]] = Field(max_length=50)
    points: list[list[NonNegative]]

    @field_validator("distance_limits_km", "size_limits")
    @classmethod
    def _increasing(cls, v: list[Any]) -> list[Any]:
        if any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("limits must be strictly increasing")
        return v

    @field_validator("points")
    @classmethod
    def _shape(cls, v: list[list[Decimal]], info: ValidationInfo) -> list[list[Decimal]]:
        distances = info.data.get("distance_limits_km")
        sizes = info.data.get("size_limits")
        if distances is None or sizes is None:
            return v  # the limits themselves were refused; that error names them
        rows, cols = len(distances) + 1, len(sizes) + 1
        if len(v) != rows or any(len(r) != cols for r in v):
            raise ValueError(
                f"points must be a {rows} x {cols} matrix "
                "(len(distance_limits_km)+1 rows of len(size_limits)+1 numbers)"
            )
        return v


class PaymentModel(BaseModel):
    """The body of PUT /v1/models/{year}; unknown keys are refused at every level."""

    model_config = ConfigDict(extra="forbid")

    annual_budget_sek: Annotated[SEK, Field(ge=0)]
    count_date_rule: CountDateRule
    shares: Shares
    age_weights: list[AgeBand] = Field(min_length=1, max_length=200)
    cni: CniTable
    sparsity: SparsityMatrix

    @field_validator("shares")
    @classmethod
    def _shares_sum_to_one(cls, v: Shares) -> Shares:
        total = sum(v.values(), Decimal(0))
        if total != 1:
            raise ValueError(f"shares must sum to exactly 1, they sum to {total}")
        return v

    @field_validator("age_weights")
    @classmethod
    def _bands_cover_all_ages(cls, v: list[AgeBand]) -> list[AgeBand]:
        expected = 0
        for i, band in enumerate(v):
            if band.from_age != expected:
                kind = "a gap" if band.from_age > expected else "an overlap"
                raise ValueError(f"band {i} starts at {band.from_age}: {kind}, expected {expected}")
            if band.to_age is None:
                if i != len(v) - 1:
                    raise ValueError(f"band {i} is open-ended (to_age null) but is not the last")
                return v
            if band.to_age < band.from_age:
                raise ValueError(f"band {i} ends before it starts")
            expected = band.to_age + 1
        raise ValueError("the last band must be open-ended (to_age null) to cover every age")

    def canonical_json(self) -> str:
        """Stable text: equal models give equal text (decides whether a PUT changes anything).

        Defaults are left out, so a field or component added later with a default does not
        change the text of a model that does not use it.
        """
        return json.dumps(
            self.model_dump(mode="json", exclude_defaults=True),
            sort_keys=True,
            separators=(",", ":"),
        )
