"""The payment components, in one registry: adding a component is adding one entry here.

Everything that lists components (the model's shares, the weights, the pools, the statement
lines and their order, the Swedish labels) iterates over `COMPONENTS`, and reads it when
called, so nothing else has to be edited to add one.

Two rules keep old data valid when a component is added:
- give it a `default_share` (usually 0), so that models stored before it still validate, and
  their canonical text (which leaves defaults out) is unchanged: a re-PUT stays `unchanged`;
- give it `since` = the next calculation version. A month where it pays nothing is
  fingerprinted as by the older calculation, so re-running a stored month stays `unchanged`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from services.payment.domain.weights import capitation_weight, cni_weight, sparsity_weight

if TYPE_CHECKING:
    from services.payment.domain.calculation import UnitInput
    from services.payment.domain.model import PaymentModel

# The calculation the three original components make; a fingerprint of version 1 is the one
# stored before components had versions.
FIRST_CALCULATION = 1


@dataclass(frozen=True)
class ComponentSpec:
    """One component: how it is named, which share of the budget it gets, how a unit weighs."""

    id: str  # in the database, the API and the statement contract
    label_sv: str  # on the printed statement
    share_key: str  # its key in the model's `shares`
    weight: Callable[[PaymentModel, UnitInput], Decimal]  # rule 2 for one unit
    default_share: Decimal | None = None  # None: every model must give the share
    since: int = FIRST_CALCULATION  # the calculation version that introduced it


def _capitation(model: PaymentModel, unit: UnitInput) -> Decimal:
    return capitation_weight(unit.by_age, model.age_weights)


def _cni(model: PaymentModel, unit: UnitInput) -> Decimal:
    return cni_weight(unit.by_deso, model.cni)


def _sparsity(model: PaymentModel, unit: UnitInput) -> Decimal:
    return sparsity_weight(unit.distance_km, unit.listed, model.sparsity)


# In the order of the rules: pools, statement lines and CSV rows follow it.
COMPONENTS: tuple[ComponentSpec, ...] = (
    ComponentSpec(
        id="capitation", label_sv="Kapitering (ålder)", share_key="capitation", weight=_capitation
    ),
    ComponentSpec(id="cni", label_sv="Socioekonomi (CNI)", share_key="cni", weight=_cni),
    ComponentSpec(id="sparsity", label_sv="Glesbygd", share_key="sparsity", weight=_sparsity),
)


# Not a pool share: momskompensation is paid to private units on top of the frame, as its own
# statement line after the components' lines (rate × the unit's month total, half up).
VAT_COMPENSATION = "vat_compensation"
VAT_LABEL_SV = "Momskompensation"


def spec(component: str) -> ComponentSpec:
    """The registry entry of a component id (KeyError for an id the registry does not hold)."""
    for c in COMPONENTS:
        if c.id == component:
            return c
    raise KeyError(component)


def component_order() -> Callable[[str], int]:
    """A sort key: the registry's order; an id it does not hold (a newer version's) last."""
    index = {c.id: i for i, c in enumerate(COMPONENTS)}
    index[VAT_COMPENSATION] = len(index)
    return lambda component: index.get(component, len(index))


def label_sv(component: str) -> str:
    """The Swedish label, or the id itself for a component this code does not know."""
    for c in COMPONENTS:
        if c.id == component:
            return c.label_sv
    return VAT_LABEL_SV if component == VAT_COMPENSATION else component
