"""Reads counts and units from the listing service over HTTP (never its code or database)."""

from __future__ import annotations

import datetime as dt

import httpx
from pydantic import TypeAdapter, ValidationError

from services.payment.domain.inputs import CountsSnapshot, InconsistentCounts, parse_counts
from shared.errors import HalsovalError
from shared.http import ServiceClient
from shared.schemas.common import CareType
from shared.schemas.listing import Unit


class BadGateway(HalsovalError):
    status_code = 502
    title = "Bad gateway"


_UNITS = TypeAdapter(list[Unit])


class ListingReader:
    """The two calls the payment service makes; errors become clear 502/503 problems."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def _get(self, path: str, params: dict[str, str]) -> object:
        try:
            return self.client.get_json(path, params=params)
        except httpx.HTTPStatusError as exc:
            raise BadGateway(
                f"the listing service refused {path} with {exc.response.status_code}"
            ) from exc

    def counts(self, day: dt.date, *, as_known_at: dt.datetime | None = None) -> CountsSnapshot:
        """GET /v1/counts for primary care on `day`, checked against the contract."""
        params = {"date": day.isoformat(), "care_type": CareType.primary.value}
        if as_known_at is not None:
            params["as_known_at"] = as_known_at.isoformat()
        try:
            counts = parse_counts(self._get("/v1/counts", params))
        except InconsistentCounts as exc:
            raise BadGateway(f"the listing service answered unusable counts: {exc}") from exc
        if counts.date != day:
            raise BadGateway(f"asked the listing service for counts on {day}, got {counts.date}")
        return counts

    def units(self) -> list[Unit]:
        raw = self._get("/v1/units", {})
        if isinstance(raw, dict):  # tolerate a wrapped list ({"units": [...]} or {"items": [...]})
            raw = raw.get("units", raw.get("items"))
        try:
            return _UNITS.validate_python(raw)
        except ValidationError as exc:
            raise BadGateway("the listing service answered units this service cannot read") from exc
