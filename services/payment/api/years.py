"""The year's account (issue 12, item 2): does it add up to the frame exactly, and if not, why."""

from __future__ import annotations

from fastapi import APIRouter

from services.payment import service
from services.payment.api.deps import ReadSessionsDep, Year, YearReaders
from services.payment.api.schemas import YearOut
from shared.openapi import problem_responses

router = APIRouter(prefix="/v1/years", tags=["years"])


@router.get("/{year}", response_model=YearOut, responses=problem_responses(404, 409))
def get_year(year: Year, sessions: ReadSessionsDep, _p: YearReaders) -> YearOut:
    """Per component and in total: the frame (annual amount), each period's approved amounts
    and model version, undistributed öre, and whether the year adds up to the frame exactly;
    if not, by how much and why. VAT compensation is its own figure, on top of the frame."""
    return YearOut.of(service.year_view(sessions=sessions, year=year))
