"""The listing and payment services as this service reads them: shared contracts over HTTP.

Errors follow the one peer policy of `shared.http.ServiceClient` (503 when a peer is
unreachable or fails, 502 when its answer breaks the contract); nothing is mapped here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
from pydantic import TypeAdapter

from shared.http import ServiceClient
from shared.period import Period
from shared.schemas.common import CareType
from shared.schemas.listing import Counts, Unit
from shared.schemas.payment import StatementList
from shared.settings import Settings

CALLER = "lastresort"

_UNIT = TypeAdapter(Unit)
_UNITS = TypeAdapter(list[Unit])
_COUNTS = TypeAdapter(Counts)
_STATEMENTS = TypeAdapter(StatementList)


class ListingClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def unit(self, hsa_id: str) -> Unit | None:
        """The unit, or None when the listing service does not know it."""
        return self.client.get(f"/v1/units/{hsa_id}", _UNIT, missing_ok=True)

    def units(self) -> list[Unit]:
        return self.client.get("/v1/units", _UNITS)

    def counts(self, *, on: dt.date, care_type: CareType) -> Counts:
        return self.client.get(
            "/v1/counts", _COUNTS, params={"date": on.isoformat(), "care_type": care_type.value}
        )


class PaymentClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def approved_statements(self, period: Period) -> StatementList:
        """The latest approved version's statements for the period (version None when none)."""
        return self.client.get(
            "/v1/statements",
            _STATEMENTS,
            params={"period": str(period), "approved_only": "true"},
        )


@dataclass(frozen=True)
class Peers:
    listing: ListingClient
    payment: PaymentClient

    @classmethod
    def connect(
        cls,
        settings: Settings,
        *,
        listing_transport: httpx.BaseTransport | None = None,
        payment_transport: httpx.BaseTransport | None = None,
    ) -> Peers:
        """Tests pass transports to fake the peers."""
        return cls(
            listing=ListingClient(
                ServiceClient(
                    caller=CALLER, peer="listing", settings=settings, transport=listing_transport
                )
            ),
            payment=PaymentClient(
                ServiceClient(
                    caller=CALLER, peer="payment", settings=settings, transport=payment_transport
                )
            ),
        )

    def close(self) -> None:
        self.listing.client.close()
        self.payment.client.close()
