"""The listing and payment services as this service reads them: shared contracts over HTTP.

Errors follow the one peer policy of `shared.http.ServiceClient` (503 when a peer is
unreachable or fails, 502 when its answer breaks the contract); nothing is mapped here. An answer
of the right shape that does not answer the question asked (another unit, date or period, a
count the database cannot hold) breaks the contract too: 502, before anything is stored.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import TypeAdapter

from services.lastresort.settings import DEFAULT_REGION_CACHE_S
from shared.errors import BadGateway
from shared.http import ServiceClient
from shared.period import Period
from shared.schemas.common import CareType
from shared.schemas.listing import Counts, Region, Unit
from shared.schemas.payment import RunStatus, StatementList
from shared.settings import Settings
from shared.values import INT32_MAX

CALLER = "lastresort"

_UNIT = TypeAdapter(Unit)
_UNITS = TypeAdapter(list[Unit])
_COUNTS = TypeAdapter(Counts)
_REGION = TypeAdapter(Region)
_STATEMENTS = TypeAdapter(StatementList)


def _outside(peer: str, path: str, what: str) -> BadGateway:
    return BadGateway(f"the {peer} service answered {path} outside its contract: {what}")


def _check_name(unit: Unit, path: str) -> None:
    """A unit name no database stores (NUL) cannot have come from the listing service's."""
    if "\x00" in unit.name:
        raise _outside("listing", path, f"the name of unit {unit.hsa_id} holds a NUL character")


class ListingClient:
    def __init__(
        self,
        client: ServiceClient,
        *,
        region_cache_s: float = DEFAULT_REGION_CACHE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.region_cache_s = region_cache_s
        self._clock = clock
        # (when fetched, the answer): one per process, replaced whole (no lock needed: two
        # threads that miss at once both fetch, and either answer is the region's).
        self._region: tuple[float, Region] | None = None

    def region(self) -> Region:
        """The region and its municipalities (GET /v1/region), reused for `region_cache_s`
        seconds. A listing service that is away is a 503 as for any call: nothing stale is
        answered in its place."""
        cached = self._region
        now = self._clock()
        if cached is not None and now - cached[0] < self.region_cache_s:
            return cached[1]
        path = "/v1/region"
        found = self.client.get(path, _REGION)
        codes = [m.code for m in found.municipalities]
        if not codes:
            raise _outside("listing", path, "a region without municipalities")
        if len(set(codes)) != len(codes):
            raise _outside("listing", path, "a municipality listed twice")
        counties = set(found.county_codes)
        foreign = [
            m.code
            for m in found.municipalities
            if m.county_code not in counties or m.code[:2] != m.county_code
        ]
        if foreign:
            raise _outside(
                "listing", path, f"municipalities outside its counties: {', '.join(foreign)}"
            )
        self._region = (now, found)
        return found

    def region_municipalities(self) -> tuple[str, ...]:
        """The codes of the region's municipalities, in code order."""
        return tuple(sorted(m.code for m in self.region().municipalities))

    def unit(self, hsa_id: str) -> Unit | None:
        """The unit, or None when the listing service does not know it."""
        path = f"/v1/units/{hsa_id}"
        found = self.client.get(path, _UNIT, missing_ok=True)
        if found is not None:
            if found.hsa_id != hsa_id:
                raise _outside("listing", path, f"unit {found.hsa_id} instead")
            _check_name(found, path)
        return found

    def units(self, *, on: dt.date, as_known_at: dt.datetime | None = None) -> list[Unit]:
        """Every unit as it was on `on` (units have a history), as known at `as_known_at`: the
        counts' moment, so the units and the counts describe one state of the register."""
        path = "/v1/units"
        params = {"date": on.isoformat()}
        if as_known_at is not None:
            params["as_known_at"] = as_known_at.isoformat()
        found = self.client.get(path, _UNITS, params=params)
        for u in found:
            _check_name(u, path)
        return found

    def counts(
        self, *, on: dt.date, care_type: CareType, as_known_at: dt.datetime | None = None
    ) -> Counts:
        """Who was listed where on the date as known at `as_known_at` (default: now), each unit
        once with 0..2^31-1 persons. An answer read at another moment than asked is outside the
        contract: the settlement must count what the payment run counted."""
        path = "/v1/counts"
        params = {"date": on.isoformat(), "care_type": care_type.value}
        if as_known_at is not None:
            params["as_known_at"] = as_known_at.isoformat()
        counts = self.client.get(path, _COUNTS, params=params)
        if counts.date != on or counts.care_type is not care_type:
            raise _outside(
                "listing", path, f"counts of {counts.date} {counts.care_type.value} instead"
            )
        if as_known_at is not None and counts.as_known_at != as_known_at:
            raise _outside(
                "listing",
                path,
                f"counts of {on} as known at {counts.as_known_at} instead of {as_known_at}",
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
        if len({(st.count_date, st.as_known_at) for st in found.statements}) > 1:
            raise _outside(
                "payment", path, f"statements of one run of {period} on different count dates"
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
        region_cache_s: float = DEFAULT_REGION_CACHE_S,
    ) -> Peers:
        """Tests pass transports to fake the peers."""
        return cls(
            listing=ListingClient(
                ServiceClient(
                    caller=CALLER, peer="listing", settings=settings, transport=listing_transport
                ),
                region_cache_s=region_cache_s,
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
