"""The payment service's one peer: the listing service, read over HTTP (never its code or data).

Answers are validated against the shared contracts by `ServiceClient.get`, which also maps
every failure (unreachable → 503, an answer breaking the contract → 502).
"""

from __future__ import annotations

import datetime as dt

from pydantic import TypeAdapter

from shared.http import ServiceClient
from shared.schemas.common import CareType
from shared.schemas.listing import ChangeFeed, Counts, Unit

_COUNTS = TypeAdapter(Counts)
_UNITS = TypeAdapter(list[Unit])
_FEED = TypeAdapter(ChangeFeed)


class ListingClient:
    """GET /v1/counts, GET /v1/units and GET /v1/changes of the listing service."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def counts(self, day: dt.date, *, as_known_at: dt.datetime | None = None) -> Counts:
        """Who was listed where in primary care on `day` (as known at `as_known_at`, or now)."""
        params = {"date": day.isoformat(), "care_type": CareType.primary.value}
        if as_known_at is not None:
            params["as_known_at"] = as_known_at.isoformat()
        return self.client.get("/v1/counts", _COUNTS, params=params)

    def units(self, day: dt.date, as_known_at: dt.datetime) -> list[Unit]:
        """Every care unit as it was on `day` as known at `as_known_at`: a run passes its
        counts' moment, so counts and units describe one state of the register and re-reading
        a run's inputs reproduces it (units have a history in valid and recorded time)."""
        params = {"date": day.isoformat(), "as_known_at": as_known_at.isoformat()}
        return self.client.get("/v1/units", _UNITS, params=params)

    def changes(self, *, after: int, limit: int) -> ChangeFeed:
        """One page of the change feed: the committed changes after cursor `after`."""
        params = {"after": str(after), "limit": str(limit)}
        return self.client.get("/v1/changes", _FEED, params=params)
