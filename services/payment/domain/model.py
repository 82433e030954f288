"""A year's payment model: political decisions kept as data, validated strictly.

Every cross-field rule is a field validator so that a refusal names the field
(`shares`, `age_weights`, `sparsity.points`) in the 422 problem+json.

The limits of what makes sense (ranges, decimals, lengths: `EdgeLimits`) are checked where a
model enters, and documented in the OpenAPI schema. A model read back from the database is
validated with `STORED` as context: it was checked against the limits of the day it was
written, and re-applying newer ones would make it unreadable (a 500 on GET, a run that can no
longer be made); the rules (shares sum to 1, bands cover every age, the matrix shape) still hold.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping, Sized
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    SerializationInfo,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from services.payment.domain import components
from services.payment.domain.components import ComponentSpec
from services.payment.domain.payouts import DEFAULT_ACCOUNTING
from services.payment.domain.payouts import Accounting as Booking
from shared.money import SEK, DecimalStr
from shared.period import CountDateRule, PeriodStr
from shared.schemas.common import DesoCode

NonNegative = Annotated[DecimalStr, Field(ge=0)]

_Sized = TypeVar("_Sized", bound=Sized)

# The validation context of a model read back from the database (see the module docstring).
STORED: dict[str, Any] = {"stored": True}


class EdgeLimits:
    """What a model may hold when it is PUT or simulated (a stored one is read as it was)."""

    decimals = 6  # at most this many decimals in a share, weight, CNI value, limit or point
    weight = Decimal(100)  # age weights and CNI values: 0 to 100
    points = Decimal(1_000_000)  # sparsity points of a unit
    km = Decimal(100_000)  # distance limits
    persons = 100_000  # size limits (listed persons)
    age = 130  # the oldest age a band may start or end at
    bands = age + 1  # one band per age at most
    deso_entries = 10_000  # CNI values per DeSO (Sweden has about 6,000 DeSO)
    limits = 50  # distance or size limits of the sparsity matrix
    canonical_bytes = 512 * 1024  # the stored text (about 300 kB at every other limit)


def at_edge(info: ValidationInfo) -> bool:
    """True unless the value is read back from the database (context STORED)."""
    return not (isinstance(info.context, dict) and info.context.get("stored"))


def _decimal_limit(high: Decimal, what: str) -> Callable[[Decimal, ValidationInfo], Decimal]:
    """At the edge: at most `high`, with at most EdgeLimits.decimals decimals."""
    places = EdgeLimits.decimals

    def check(value: Decimal, info: ValidationInfo) -> Decimal:
        if at_edge(info):
            if value > high:
                raise ValueError(f"{what} is at most {high}")
            exponent = value.as_tuple().exponent
            if isinstance(exponent, int) and -exponent > places:
                raise ValueError(f"{what} has at most {places} decimals")
        return value

    return check


def _decimal_schema(high: Decimal, what: str, example: str) -> WithJsonSchema:
    places, digits = EdgeLimits.decimals, len(str(int(high)))
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": rf"^[0-9]{{1,{digits}}}(\.[0-9]{{1,{places}}})?$",
            "description": f"{what}: a plain decimal from 0 to {high}, at most {places} decimals",
            "examples": [example],
        },
        mode="validation",
    )


def _integer(value: object) -> object:
    """JSON true/false is no number (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


def _int_limit(high: int, what: str) -> Callable[[int, ValidationInfo], int]:
    def check(value: int, info: ValidationInfo) -> int:
        if at_edge(info) and value > high:
            raise ValueError(f"{what} is at most {high}")
        return value

    return check


def _int_schema(high: int, what: str) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "integer", "minimum": 0, "maximum": high, "description": what},
        mode="validation",
    )


def _at_most(n: int, what: str) -> Callable[[_Sized, ValidationInfo], _Sized]:
    """A field validator body: at most `n` entries at the edge."""

    def check(value: _Sized, info: ValidationInfo) -> _Sized:
        if at_edge(info) and len(value) > n:
            raise ValueError(f"at most {n} {what}, got {len(value)}")
        return value

    return check


_SHARE, _AGE, _PERSONS = "a share of the annual budget", "an age in whole years", "listed persons"
Share = Annotated[
    NonNegative,
    AfterValidator(_decimal_limit(Decimal(1), _SHARE)),
    _decimal_schema(Decimal(1), _SHARE, "0.22"),
]
Weight = Annotated[
    NonNegative,
    AfterValidator(_decimal_limit(EdgeLimits.weight, "a weight")),
    _decimal_schema(EdgeLimits.weight, "a weight", "1.4"),
]
CniValue = Annotated[
    NonNegative,
    AfterValidator(_decimal_limit(EdgeLimits.weight, "a CNI value")),
    _decimal_schema(EdgeLimits.weight, "a CNI value", "1.23"),
]
Points = Annotated[
    NonNegative,
    AfterValidator(_decimal_limit(EdgeLimits.points, "sparsity points")),
    _decimal_schema(EdgeLimits.points, "sparsity points", "1200"),
]
Kilometres = Annotated[
    NonNegative,
    AfterValidator(_decimal_limit(EdgeLimits.km, "a distance in km")),
    _decimal_schema(EdgeLimits.km, "a distance in km", "40"),
]
# Read back, an age keeps the limit it had before (150); size limits had none.
Age = Annotated[
    int,
    Field(ge=0, le=150),
    BeforeValidator(_integer),
    AfterValidator(_int_limit(EdgeLimits.age, _AGE)),
    _int_schema(EdgeLimits.age, _AGE),
]
Persons = Annotated[
    int,
    Field(ge=0),
    BeforeValidator(_integer),
    AfterValidator(_int_limit(EdgeLimits.persons, _PERSONS)),
    _int_schema(EdgeLimits.persons, _PERSONS),
]


def _positive_budget(value: Decimal, info: ValidationInfo) -> Decimal:
    if at_edge(info) and value <= 0:
        raise ValueError("the annual budget must be more than 0")
    return value


Budget = Annotated[
    SEK,
    Field(ge=0),
    AfterValidator(_positive_budget),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]{1,13}(\.[0-9]{1,2})?$",
            "description": "kronor a year: more than 0 and at most 10^12, at most 2 decimals",
            "examples": ["98000000.00"],
        },
        mode="validation",
    ),
]


@functools.cache
def _shares_model(registry: tuple[ComponentSpec, ...]) -> type[BaseModel]:
    """The shape of `shares` for a registry: one non-negative decimal per share key."""
    fields: dict[str, Any] = {
        c.share_key: (Share, ... if c.default_share is None else c.default_share) for c in registry
    }
    return create_model("Shares", __config__=ConfigDict(extra="forbid"), **fields)


class Shares(Mapping[str, Decimal]):
    """How the annual budget splits over the components (share key → share); adds up to 1.

    Checked against the component registry: every share it requires, no key it does not
    know, each a plain decimal from 0 to 1 (a refusal names `shares.<key>`). A component
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
        return core_schema.with_info_plain_validator_function(
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
    def _validate(cls, value: Any, info: core_schema.ValidationInfo) -> Shares:
        if isinstance(value, Shares):
            return value
        registry = components.COMPONENTS
        checked = _shares_model(registry).model_validate(value, context=info.context)
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

    from_age: Age
    to_age: Age | None = None
    weight: Weight


class CniTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: CniValue
    by_deso: dict[DesoCode, CniValue] = Field(
        default_factory=dict, json_schema_extra={"maxProperties": EdgeLimits.deso_entries}
    )

    _few_desos = field_validator("by_deso")(_at_most(EdgeLimits.deso_entries, "DeSO entries"))


class SparsityMatrix(BaseModel):
    """points[i][j]: i = limits in distance_limits_km ≤ distance, j = size_limits < listed."""

    model_config = ConfigDict(extra="forbid")

    distance_limits_km: list[Kilometres] = Field(max_length=EdgeLimits.limits)
    size_limits: list[Persons] = Field(max_length=EdgeLimits.limits)
    # The shape check below ties the matrix to the limits: at most 51 x 51 in any model.
    points: list[Annotated[list[Points], Field(max_length=EdgeLimits.limits + 1)]] = Field(
        max_length=EdgeLimits.limits + 1
    )

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


_RATE = "a VAT compensation rate"
Rate = Annotated[
    NonNegative,
    AfterValidator(_decimal_limit(Decimal(1), _RATE)),
    _decimal_schema(Decimal(1), _RATE, "0.06"),
]


class VatCompensation(BaseModel):
    """Momskompensation: private units get `rate` × their month's total on top of the frame."""

    model_config = ConfigDict(extra="forbid")

    rate: Rate


# A BAS-style account: four digits, the first (the account class) 1 to 8.
Account = Annotated[
    str,
    Field(
        pattern=r"^[1-8][0-9]{3}$",
        description="a BAS-style account: four digits, the account class 1 to 8",
        examples=["4611"],
    ),
]


class AccountingBlock(BaseModel):
    """The accounts a payout under this model is booked to (the SIE file). Omitted, or any
    field left out: today's `DEFAULT_ACCOUNTING`. The accounts debited (cost, VAT) differ from
    those credited (payable, internal), else a line would book to nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cost_account: Account = DEFAULT_ACCOUNTING.cost_account
    payable_account: Account = DEFAULT_ACCOUNTING.payable_account
    internal_account: Account = DEFAULT_ACCOUNTING.internal_account
    vat_account: Account = DEFAULT_ACCOUNTING.vat_account
    dimension: Annotated[
        int,
        Field(ge=1, le=99, description="the SIE dimension of the cost centre, 1 to 99"),
        BeforeValidator(_integer),
    ] = DEFAULT_ACCOUNTING.dimension

    @field_validator("payable_account", "internal_account")
    @classmethod
    def _credit_not_cost(cls, v: str, info: ValidationInfo) -> str:
        if v == info.data.get("cost_account"):
            raise ValueError("must differ from cost_account")
        return v

    @field_validator("vat_account")
    @classmethod
    def _vat_not_credit(cls, v: str, info: ValidationInfo) -> str:
        for other in ("payable_account", "internal_account"):
            if v == info.data.get(other):
                raise ValueError(f"must differ from {other}")
        return v

    def booking(self) -> Booking:
        """As the SIE writer (domain/sie.py) takes it."""
        return Booking(
            cost_account=self.cost_account,
            payable_account=self.payable_account,
            internal_account=self.internal_account,
            vat_account=self.vat_account,
            dimension=self.dimension,
        )


class PaymentModel(BaseModel):
    """The body of PUT /v1/models/{year}; unknown keys are refused at every level.

    `effective_from` (a period of the model's year; omitted: its first) is the period from
    which the version, once approved, governs the year; `vat_compensation` and `accounting`
    (the payout's accounts) are optional. Each is left out of the canonical text when omitted
    (or, for `accounting`, at its defaults), so older models read and compare the same.
    """

    model_config = ConfigDict(extra="forbid")

    annual_budget_sek: Budget
    count_date_rule: CountDateRule
    shares: Shares
    age_weights: list[AgeBand] = Field(
        min_length=1, max_length=200, json_schema_extra={"maxItems": EdgeLimits.bands}
    )
    cni: CniTable
    sparsity: SparsityMatrix
    effective_from: PeriodStr | None = None
    vat_compensation: VatCompensation | None = None
    accounting: AccountingBlock = AccountingBlock()

    _few_bands = field_validator("age_weights", mode="after")(
        _at_most(EdgeLimits.bands, "age bands")
    )

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

    @model_validator(mode="after")
    def _stored_text_bounded(self, info: ValidationInfo) -> PaymentModel:
        """Defence in depth: whatever the other limits allow, the stored text stays small."""
        if at_edge(info):
            size = len(self.canonical_json().encode())
            if size > EdgeLimits.canonical_bytes:
                raise ValueError(
                    f"the model would be stored as {size} bytes; "
                    f"at most {EdgeLimits.canonical_bytes} are kept"
                )
        return self

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
