"""One notion of "now" and of stored timestamps (UTC), identical on SQLite and PostgreSQL.

"As known at T" must give the same answer whenever it is asked, or a paid month could not
be reproduced. That needs recorded_at to follow commit order: a change stamped T-1 ms that
commits after a reader took T as "now" would otherwise appear in a later re-read at T but
not in the first one. So every change takes its timestamp only after acquiring the change
lock, and a reader's "now" is one that no change in flight precedes:

- PostgreSQL: a transaction-scoped advisory lock, exclusive for changes, shared for reads
  (readers never block each other; a change waits for readers only as long as their query),
  and a reader's "now" is the clock once it holds the lock.
- SQLite: writers serialise at BEGIN IMMEDIATE (shared.db), and a change stamps itself only
  once its transaction has begun. Readers never wait (a register import may hold the write
  lock for minutes): a reader's "now" is the moment of the last change its snapshot sees,
  the newest audit row (every change audits in its own transaction, after stamping itself).
  A change not yet committed was stamped after that row, since it began after the change
  that wrote it had committed, so it is after the reader's "now" and a re-read at that
  moment leaves it out as the first read did.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.listing.db.bulk import is_postgres
from services.listing.db.models import audit_log
from shared.db import as_utc

__all__ = ["NOTHING_RECORDED", "as_utc", "change_moment", "read_moment", "utcnow"]

# An arbitrary constant: the key of the listing service's change-order lock.
CHANGE_LOCK_KEY = 7_331_2380
# A SQLite reader's "now" before any change was ever recorded.
NOTHING_RECORDED = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def change_moment(session: Session) -> dt.datetime:
    """The recorded_at of a change: taken under the exclusive change lock, in the transaction
    (on SQLite the transaction's BEGIN IMMEDIATE is that lock: it is begun first)."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHANGE_LOCK_KEY})
    else:
        session.connection()
    return utcnow()


def read_moment(session: Session) -> dt.datetime:
    """A "now" that every change visible to this transaction precedes, and no later one does."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": CHANGE_LOCK_KEY})
        return utcnow()
    last = session.execute(select(func.max(audit_log.c.at))).scalar_one_or_none()
    return as_utc(last) if last is not None else NOTHING_RECORDED
