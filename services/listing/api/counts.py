"""Counts at a date: the aggregate contract the payment service reads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.listing.api.deps import SessionDep
from services.listing.db.clock import as_utc, read_moment
from services.listing.db.counts import read_counts
from shared.auth import Principal, Role, require_roles
from shared.errors import Unprocessable
from shared.schemas.common import CareType
from shared.schemas.listing import Counts

router = APIRouter(prefix="/v1/counts", tags=["counts"])
Reader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.region_admin, Role.service, Role.ops, Role.finance_approver, Role.provider
        )
    ),
]


@router.get("", response_model=Counts)
def get_counts(
    principal: Reader,
    session: SessionDep,
    date: dt.date,
    care_type: CareType = CareType.primary,
    as_known_at: Annotated[dt.datetime | None, Query()] = None,
) -> Counts:
    """Listed per unit by age/sex and DeSO; `as_known_at` in the answer is the moment used."""
    scoped = principal.is_provider_only and not principal.has(Role.ops)
    with session.begin():
        now = read_moment(session)
        at = as_utc(as_known_at) if as_known_at is not None else now
        if at > now:
            # A future moment would not be reproducible: later changes would land before it.
            raise Unprocessable(
                "as_known_at is in the future",
                errors=[{"field": "as_known_at", "message": "must not be in the future"}],
            )
        return read_counts(
            session,
            on=date,
            care_type=care_type,
            at=at,
            hsa_ids=principal.hsa_ids if scoped else None,
        )
