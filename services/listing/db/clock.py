"""One notion of "now" and of stored timestamps (UTC), identical on SQLite and PostgreSQL.

"As known at T" must give the same answer whenever it is asked, or a paid month could not
be reproduced. That needs recorded_at to follow commit order: a change stamped T-1 ms that
commits after a reader took T as "now" would otherwise appear in a later re-read at T but
not in the first one. So every change takes its timestamp only after acquiring the change
lock, and a reader that takes "now" first waits for changes in flight to commit:

- PostgreSQL: a transaction-scoped advisory lock, exclusive for changes, shared for reads
  (readers never block each other; a change waits for readers only as long as their query).
- SQLite: every transaction already begins with BEGIN IMMEDIATE (shared.db), so changes and
  reads are serialised by the database itself and no lock is needed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.listing.db.bulk import is_postgres
from shared.db import as_utc

__all__ = ["as_utc", "change_moment", "read_moment", "utcnow"]

# An arbitrary constant: the key of the listing service's change-order lock.
CHANGE_LOCK_KEY = 7_331_2380


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def change_moment(session: Session) -> dt.datetime:
    """The recorded_at of a change: taken under the exclusive change lock, in the transaction."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHANGE_LOCK_KEY})
    return utcnow()


def read_moment(session: Session) -> dt.datetime:
    """A "now" that every change visible to this transaction precedes, and no later one does."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": CHANGE_LOCK_KEY})
    return utcnow()
