"""Counts "as known at" a moment are the same whenever they are asked.

A change in flight (stamped, not yet committed) when a reader takes "now" must either be
waited for or be stamped after that "now": otherwise a later re-read at the same moment
would see it and the first read would not, and a paid month could not be reproduced.
PostgreSQL waits (the shared change lock); SQLite does not (readers never wait for a writer),
and answers as known before the change.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from sqlalchemy.orm import Session

from services.listing import service
from services.listing.domain.listing import Reason
from shared.audit import AuditLog
from shared.auth import Principal, Role
from shared.context import ServiceContext, context_of
from tests.conftest import USE_POSTGRES
from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

UNIT_A = "SE2321000065-1001"
UNIT_B = "SE2321000065-1002"


def test_a_change_in_flight_is_waited_for_and_the_read_is_reproducible(listing: Listing) -> None:
    admin = listing.admin
    for hsa in (UNIT_A, UNIT_B):
        assert admin.put(f"/v1/units/{hsa}", json=unit_body()).status_code in (200, 201)
    person = pnr(1980, 5, 17)
    assert import_register(admin, register_csv(register_row(person))).status_code == 200
    assert (
        admin.post(
            "/v1/listings",
            json={
                "personnummer": person,
                "hsa_id": UNIT_A,
                "valid_from": "2026-01-01",
                "reason": "choice",
                "special_reason": False,
            },
        ).status_code
        == 201
    )

    answers: list[dict[str, Any]] = []
    stamped = threading.Event()

    def read_counts() -> None:
        stamped.wait(10)
        r = listing.client("service").get("/v1/counts", params={"date": "2026-02-28"})
        answers.append(r.json())

    class HoldsTheChange(AuditLog):
        """Records the audit row, the last step before commit, then keeps the change in flight."""

        def record(self, session: Session, **kwargs: Any) -> None:
            super().record(session, **kwargs)
            stamped.set()
            time.sleep(0.5)  # the reader has taken its "now" by now, unless it waits for us

    reader = threading.Thread(target=read_counts)
    reader.start()
    context = context_of(listing.app, ServiceContext)
    audit = HoldsTheChange(context.audit.log, context.audit.head, listing.settings.hash_key)
    with context.db.sessionmaker() as session:
        service.create_listing(
            session=session,
            audit=audit,
            principal=Principal(sub="test", roles=frozenset({Role.region_admin})),
            request_id=None,
            personnummer=person,
            hsa_id=UNIT_B,
            valid_from=dt.date(2026, 2, 1),
            reason=Reason.choice,
            special_reason=False,
        )
    reader.join(20)
    first = answers[0]
    listed = {u["hsa_id"]: u["listed"] for u in first["units"]}
    if USE_POSTGRES:
        assert listed == {UNIT_A: 0, UNIT_B: 1}, "the reader must wait for the change in flight"
    else:
        assert listed == {UNIT_A: 1, UNIT_B: 0}, "the reader must not wait for the change"
    again = (
        listing.client("service")
        .get("/v1/counts", params={"date": "2026-02-28", "as_known_at": first["as_known_at"]})
        .json()
    )
    assert again == first
