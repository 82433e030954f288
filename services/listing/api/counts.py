"""Counts at a date: the aggregate contract the payment service reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.listing import service
from services.listing.api.deps import CountReaders, RegionDep, SnapshotSessionDep, counted_units
from shared.schemas.common import CareType
from shared.schemas.listing import Counts
from shared.values import Moment, RecordDate

router = APIRouter(prefix="/v1/counts", tags=["counts"])


@router.get("", response_model=Counts)
def get_counts(
    principal: CountReaders,
    session: SnapshotSessionDep,
    region: RegionDep,
    date: Annotated[RecordDate, Query()],
    care_type: CareType = CareType.primary,
    as_known_at: Annotated[Moment | None, Query()] = None,
) -> Counts:
    """Listed per unit by age/sex and DeSO; `as_known_at` in the answer is the moment used.
    Persons whose stored facts break a rule are left out and reported in `excluded`; residents
    of other regions are counted only in each unit's `out_of_region` (their region pays)."""
    return service.read_counts(
        session=session,
        region=region,
        on=date,
        care_type=care_type,
        as_known_at=as_known_at,
        hsa_ids=counted_units(principal),
    )
