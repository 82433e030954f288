"""Bodies of the payment service's own routes (the cross-service ones are in shared/schemas)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.payment.db.repository import RunRecord, StoredModel
from services.payment.domain.model import PaymentModel
from shared.money import SEK, DecimalStr, from_ore
from shared.period import PeriodStr
from shared.schemas.common import HsaId
from shared.schemas.payment import RunStatus

# The header every 201 carries: where the created resource is read.
LOCATION: dict[str, Any] = {
    "description": "the path of what was created",
    "schema": {"type": "string"},
}


class ModelOut(BaseModel):
    year: int
    version: int
    used: bool
    created_at: dt.datetime
    created_by: str
    model: PaymentModel
    outcome: str | None = None  # on PUT: created, updated, new_version or unchanged

    @classmethod
    def of(cls, stored: StoredModel, outcome: str | None = None) -> ModelOut:
        return cls(
            year=stored.year,
            version=stored.version,
            used=stored.used,
            created_at=stored.created_at,
            created_by=stored.created_by,
            model=stored.model,
            outcome=outcome,
        )


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: PeriodStr


class ComponentOut(BaseModel):
    component: str  # an id of the component registry (services/payment/domain/components.py)
    pool_sek: SEK
    total_weight: DecimalStr
    distributed_sek: SEK
    undistributed_sek: SEK


class RunOut(BaseModel):
    run_id: str
    period: PeriodStr
    version: int
    status: RunStatus
    count_date: dt.date
    as_known_at: dt.datetime
    model_year: int
    model_version: int
    pool_sek: SEK
    total_sek: SEK
    undistributed_sek: SEK
    delta_sek: SEK | None
    created_by: str
    created_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    components: list[ComponentOut]
    unchanged: bool = False

    @classmethod
    def of(cls, run: RunRecord, *, unchanged: bool = False) -> RunOut:
        return cls(
            run_id=run.run_id,
            period=run.period,
            version=run.version,
            status=run.status,
            count_date=run.count_date,
            as_known_at=run.as_known_at,
            model_year=run.model_year,
            model_version=run.model_version,
            pool_sek=from_ore(run.pool_ore),
            total_sek=from_ore(run.total_ore),
            undistributed_sek=from_ore(run.undistributed_ore),
            delta_sek=from_ore(run.delta_ore) if run.delta_ore is not None else None,
            created_by=run.created_by,
            created_at=run.created_at,
            approved_by=run.approved_by,
            approved_at=run.approved_at,
            unchanged=unchanged,
            components=[
                ComponentOut(
                    component=c.component,
                    pool_sek=from_ore(c.pool_ore),
                    total_weight=c.total_weight,
                    distributed_sek=from_ore(c.distributed_ore),
                    undistributed_sek=from_ore(c.undistributed_ore),
                )
                for c in run.components
            ],
        )


class RunList(BaseModel):
    period: PeriodStr | None
    runs: list[RunOut]


class SimulationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: PeriodStr
    model: PaymentModel


class SimulationUnit(BaseModel):
    hsa_id: HsaId
    unit_name: str | None
    current_sek: SEK | None
    proposed_sek: SEK
    difference_sek: SEK | None


class SimulationOut(BaseModel):
    period: PeriodStr
    as_known_at: dt.datetime | None
    current_model_version: int | None
    current_total_sek: SEK | None
    proposed_total_sek: SEK
    current_undistributed_sek: SEK | None
    proposed_undistributed_sek: SEK
    units: list[SimulationUnit]
