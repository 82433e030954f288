"""Where a resident without a listing is placed: the nearest active primary-care unit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Candidate:
    """A unit that may receive default listings."""

    unit_id: int
    hsa_id: str
    municipality_code: str
    lat: float | None
    lon: float | None


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance: "as the crow flies", what the default rule measures."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def choose_unit(
    units: Sequence[Candidate], *, lat: float | None, lon: float | None, municipality_code: str
) -> Candidate | None:
    """Nearest unit (ties: lowest hsa_id); without coordinates, the municipality's lowest hsa_id."""
    if lat is None or lon is None:
        local = [u for u in units if u.municipality_code == municipality_code]
        return min(local, key=lambda u: u.hsa_id) if local else None
    placed = [(u, u.lat, u.lon) for u in units if u.lat is not None and u.lon is not None]
    if not placed:
        return None
    return min(placed, key=lambda p: (great_circle_km(lat, lon, p[1], p[2]), p[0].hsa_id))[0]
