"""What-if, nothing stored: one month under a proposed model beside the current one, or the
year's twelve months under a patched (or full) model beside the current ones."""

from __future__ import annotations

from fastapi import APIRouter

from services.payment import service
from services.payment.api.deps import ListingDep, SessionsDep, Simulators, TodayDep
from services.payment.api.schemas import (
    SimulationIn,
    SimulationOut,
    SimulationUnit,
    YearSimulationOut,
)
from shared.money import from_ore
from shared.openapi import problem_responses

router = APIRouter(prefix="/v1/simulations", tags=["simulations"])


@router.post(
    "",
    response_model=SimulationOut | YearSimulationOut,
    responses=problem_responses(404, 409, 502),
)
def simulate(
    body: SimulationIn,
    sessions: SessionsDep,
    listing: ListingDep,
    today: TodayDep,
    _p: Simulators,
) -> SimulationOut | YearSimulationOut:
    """{"period", "model"}: per unit the month under the approved version in force, under the
    proposed model, and the difference. {"year", "patch" | "model"}: the twelve months per unit
    and component (current, proposed, delta, delta_pct); a month whose count date has not come
    is counted on the latest that has, and says so."""
    if body.form() == "year":
        assert body.year is not None
        return YearSimulationOut.of(
            service.simulate_year(
                sessions=sessions,
                listing=listing,
                year=body.year,
                today=today,
                patch=body.patch,
                model=body.model,
            )
        )
    assert body.period is not None and body.model is not None
    sim = service.simulate(
        sessions=sessions, listing=listing, period=body.period, proposed=body.model
    )
    current = {u.hsa_id: u.total_ore for u in sim.current.units} if sim.current else {}
    units = []
    for u in sim.proposed.units:
        now = current.get(u.hsa_id) if sim.current else None
        if sim.current is not None and now is None:
            now = 0
        units.append(
            SimulationUnit(
                hsa_id=u.hsa_id,
                unit_name=u.name,
                current_sek=from_ore(now) if now is not None else None,
                proposed_sek=from_ore(u.total_ore),
                difference_sek=from_ore(u.total_ore - now) if now is not None else None,
            )
        )
    return SimulationOut(
        period=body.period,
        as_known_at=sim.as_known_at,
        current_model_version=sim.current_model_version,
        current_total_sek=from_ore(sim.current.total_ore) if sim.current else None,
        proposed_total_sek=from_ore(sim.proposed.total_ore),
        current_undistributed_sek=from_ore(sim.current.undistributed_ore) if sim.current else None,
        proposed_undistributed_sek=from_ore(sim.proposed.undistributed_ore),
        units=units,
    )
