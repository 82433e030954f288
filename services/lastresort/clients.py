"""The listing and payment services as this service reads them: shared contracts over HTTP.

Errors follow the one peer policy of `shared.http.ServiceClient` (503 when a peer is
unreachable or fails, 502 when its answer breaks the contract); nothing is mapped here. An answer
of the right shape that does not answer the question asked (another unit, date or period, a
count the database cannot hold) breaks the contract too: 502, before anything is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
from pydantic import TypeAdapter

from shared.errors import BadGateway
from shared.http import ServiceClient
from shared.period import Period
from shared.schemas.common import CareType
from shared.schemas.listing import Counts, Unit
from shared.schemas.payment import RunStatus, StatementList
from shared.settings import Settings
from shared.values import INT32_MAX

CALLER = "lastresort"

_UNIT = TypeAdapter(Unit)
_UNITS = TypeAdapter(list[Unit])
_COUNTS = TypeAdapter(Counts)
_STATEMENTS = TypeAdapter(StatementList)


def _outside(peer: str, path: str, what: str) -> BadGateway:
    return BadGateway(f"the {peer} service answered {path} outside its contract: {what}")


def _check_name(unit: Unit, path: str) -> None:
    """A unit name no database stores (NUL) cannot have come from the listing service's."""
    if "\x00" in unit.name:
        raise _outside("listing", path, f"the name of unit {unit.hsa_id} holds a NUL character")


class ListingClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def unit(self, hsa_id: str) -> Unit | None:
        """The unit, or None when the listing service does not know it."""
        path = f"/v1/units/{hsa_id}"
        found = self.client.get(path, _UNIT, missing_ok=True)
        if found is not None:
            if found.hsa_id != hsa_id:
                raise _outside("listing", path, f"unit {found.hsa_id} instead")
            _check_name(found, path)
        return found

    def units(self) -> list[Unit]:
        path = "/v1/units"
        found = self.client.get(path, _UNITS)
        for u in found:
            _check_name(u, path)
        return found

    def counts(self, *, on: dt.date, care_type: CareType) -> Counts:
        """Who was listed where on the date, each unit once with 0..2^31-1 persons."""
        path = "/v1/counts"
        counts = self.client.get(
            path, _COUNTS, params={"date": on.isoformat(), "care_type": care_type.value}
        )
        if counts.date != on or counts.care_type is not care_type:
            raise _outside(
                "listing", path, f"counts of {counts.date} {counts.care_type.value} instead"
            )
        seen: set[str] = set()
        for c in counts.units:
            if c.hsa_id in seen:
                raise _outside("listing", path, f"unit {c.hsa_id} is counted twice")
            if not 0 <= c.listed <= INT32_MAX:
                raise _outside("listing", path, f"unit {c.hsa_id} has {c.listed} listed")
            seen.add(c.hsa_id)
        return counts


class PaymentClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def approved_statements(self, period: Period) -> StatementList:
        """The latest approved version's statements for the period (version None when none)."""
        path = "/v1/statements"
        found = self.client.get(
            path, _STATEMENTS, params={"period": str(period), "approved_only": "true"}
        )
        if found.period != period:
            raise _outside("payment", path, f"statements of {found.period} instead of {period}")
        if found.version is None:
            if found.statements:
                raise _outside("payment", path, f"statements of {period} without a version")
            return found
        if not 1 <= found.version <= INT32_MAX:
            raise _outside("payment", path, f"version {found.version} of {period}")
        for st in found.statements:
            if (st.period, st.version, st.status) != (period, found.version, RunStatus.approved):
                raise _outside(
                    "payment",
                    path,
                    f"statement {st.statement_id} is not of approved version {found.version}",
                )
        return found


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
