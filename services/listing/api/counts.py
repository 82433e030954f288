"""Counts at a date: the aggregate contract the payment service reads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from services.listing import service
from services.listing.api.deps import CountReaders, SessionDep, counted_units
from shared.schemas.common import CareType
from shared.schemas.listing import Counts

router = APIRouter(prefix="/v1/counts", tags=["counts"])


@router.get("", response_model=Counts)
def get_counts(
    principal: CountReaders,
    session: SessionDep,
    date: dt.date,
    care_type: CareType = CareType.primary,
    as_known_at: Annotated[dt.datetime | None, Query()] = None,
) -> Counts:
    """Listed per unit by age/sex and DeSO; `as_known_at` in the answer is the moment used."""
    return service.read_counts(
        session=session,
        on=date,
        care_type=care_type,
        as_known_at=as_known_at,
        hsa_ids=counted_units(principal),
    )
