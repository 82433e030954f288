"""The listing and payment services as this service sees them: typed reads over HTTP."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx

from shared.errors import ServiceUnavailable
from shared.http import ServiceClient
from shared.period import Period
from shared.schemas.common import CareType
from shared.schemas.listing import Counts, Unit
from shared.schemas.payment import StatementList
from shared.settings import Settings

CALLER = "lastresort"


def _get(client: ServiceClient, path: str, **kwargs: Any) -> Any:
    """GET JSON; a refusal from the peer is our configuration problem, reported as 503."""
    try:
        return client.get_json(path, **kwargs)
    except httpx.HTTPStatusError as exc:
        raise ServiceUnavailable(
            f"the {client.peer} service answered {exc.response.status_code} for {path}"
        ) from exc


class Listing:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def unit(self, hsa_id: str) -> Unit | None:
        """The unit, or None when the listing service does not know it."""
        response = self.client.request("GET", f"/v1/units/{hsa_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServiceUnavailable(
                f"the listing service answered {response.status_code} for a unit"
            )
        return Unit.model_validate(response.json())

    def units(self) -> list[Unit]:
        return [Unit.model_validate(u) for u in _get(self.client, "/v1/units")]

    def counts(self, on: dt.date, care_type: CareType) -> Counts:
        return Counts.model_validate(
            _get(
                self.client,
                "/v1/counts",
                params={"date": on.isoformat(), "care_type": care_type.value},
            )
        )


class Payment:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def approved_statements(self, period: Period) -> StatementList:
        """The latest approved version's statements for the period (version None when none)."""
        return StatementList.model_validate(
            _get(
                self.client,
                "/v1/statements",
                params={"period": str(period), "approved_only": "true"},
            )
        )


@dataclass
class Peers:
    listing: Listing
    payment: Payment

    @classmethod
    def connect(
        cls,
        settings: Settings,
        *,
        listing_transport: httpx.BaseTransport | None = None,
        payment_transport: httpx.BaseTransport | None = None,
    ) -> Peers:
        return cls(
            listing=Listing(
                ServiceClient(
                    caller=CALLER, peer="listing", settings=settings, transport=listing_transport
                )
            ),
            payment=Payment(
                ServiceClient(
                    caller=CALLER, peer="payment", settings=settings, transport=payment_transport
                )
            ),
        )

    def close(self) -> None:
        self.listing.client.close()
        self.payment.client.close()
