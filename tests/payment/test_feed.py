"""Following the listing service's change feed (issue 11, item 5): stored page by page,
idempotent on the cursor, resumed from the stored position, and the background poller."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from services.payment import service
from services.payment.api.deps import PaymentContext
from services.payment.db import repository as repo
from services.payment.settings import PaymentConfig
from shared.context import context_of
from tests.payment.conftest import A, PaymentHarness

D = dt.date


def _context(h: PaymentHarness) -> PaymentContext:
    return context_of(h.client.app, PaymentContext)


def _follow(h: PaymentHarness, page_size: int = 1000) -> service.FeedState:
    c = _context(h)
    return service.follow_changes(
        sessions=c.db.sessionmaker, listing=c.listing, page_size=page_size
    )


def _stored(h: PaymentHarness) -> list[repo.FeedChange]:
    from sqlalchemy import select

    from services.payment.db.models import listing_change

    with _context(h).db.sessionmaker() as session:
        rows = session.execute(select(listing_change).order_by(listing_change.c.cursor)).all()
    return [
        repo.FeedChange(
            cursor=r.cursor,
            recorded_at=r.recorded_at,
            kind=r.kind,
            care_type=r.care_type,
            affects_from=r.affects_from,
            affects_to=r.affects_to,
            hsa_id=r.hsa_id,
            persons=r.persons,
        )
        for r in rows
    ]


def _feed_calls(h: PaymentHarness) -> list[str]:
    return [str(c.url.params) for c in h.listing.calls if c.url.path == "/v1/changes"]


def test_the_follower_stores_every_page_and_resumes_from_its_cursor(
    harness: PaymentHarness,
) -> None:
    fake = harness.listing
    for day in range(1, 6):
        fake.change(affects_from=D(2026, 1, day), person_key="k" * 64, listing_id=day)
    fake.change("register_changed", affects_from=D(2025, 6, 1), care_type=None, persons=214)
    state = _follow(harness, page_size=2)
    assert (state.cursor, state.current) == (6, True) and state.followed_at is not None
    assert _feed_calls(harness) == [f"after={a}&limit=2" for a in (0, 2, 4)]
    stored = _stored(harness)
    assert [c.cursor for c in stored] == [1, 2, 3, 4, 5, 6]
    assert stored[-1].kind == "register_changed" and stored[-1].persons == 214
    assert stored[-1].care_type is None and stored[-1].affects_to is None
    assert stored[0].affects_from == D(2026, 1, 1) and stored[0].care_type == "primary"
    # again: one call after the stored cursor, nothing new
    harness.listing.calls.clear()
    assert _follow(harness, page_size=2).cursor == 6
    assert _feed_calls(harness) == ["after=6&limit=2"]
    # new entries: read from where it stopped
    fake.change("unit_changed", affects_from=D(2026, 6, 1), hsa_id=A)
    harness.listing.calls.clear()
    assert _follow(harness).cursor == 7
    assert _feed_calls(harness) == ["after=6&limit=1000"]
    assert [c.cursor for c in _stored(harness)] == list(range(1, 8))
    assert _stored(harness)[-1].hsa_id == A


def test_a_page_stored_twice_is_stored_once_and_the_position_never_moves_back(
    harness: PaymentHarness,
) -> None:
    for day in range(1, 4):
        harness.listing.change(affects_from=D(2026, 1, day))
    _follow(harness)
    page = _stored(harness)
    sessions = _context(harness).db.sessionmaker
    with sessions() as session, session.begin():  # a slower follower stores its older page
        repo.store_changes(session, page[:2], reached_end_at=None)
    with sessions() as session:
        assert repo.count_changes(session) == 3
        assert repo.feed_position(session).cursor == 3


def test_concurrent_followers_neither_duplicate_nor_fail(harness: PaymentHarness) -> None:
    for day in range(1, 26):
        harness.listing.change(affects_from=D(2026, 1, day))
    barrier = threading.Barrier(4)
    states: list[service.FeedState] = []
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            barrier.wait()
            states.append(_follow(harness, page_size=3))
        except BaseException as exc:  # the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=follow) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [s.cursor for s in states] == [25] * 4 and all(s.current for s in states)
    assert [c.cursor for c in _stored(harness)] == list(range(1, 26))


def test_the_feed_being_away_keeps_what_is_stored_and_says_so(harness: PaymentHarness) -> None:
    harness.listing.change(affects_from=D(2026, 1, 1))
    first = _follow(harness)
    harness.listing.change(affects_from=D(2026, 1, 2))
    harness.listing.down = True
    away = _follow(harness)
    assert (away.cursor, away.current, away.followed_at) == (1, False, first.followed_at)
    assert away.detail is not None and "listing" in away.detail
    harness.listing.down = False
    back = _follow(harness)
    assert (back.cursor, back.current) == (2, True)


def test_an_answer_off_the_feeds_contract_is_not_stored(harness: PaymentHarness) -> None:
    harness.listing.change(affects_from=D(2026, 1, 1))
    _follow(harness)
    harness.listing.change(affects_from=D(2026, 1, 2))
    harness.listing.change(affects_from=D(2026, 1, 3))
    feed = harness.listing.feed
    feed[-2]["cursor"], feed[-1]["cursor"] = 3, 2  # a page out of commit order
    state = _follow(harness)
    assert state.current is False and state.detail and "out of order" in state.detail
    assert [c.cursor for c in _stored(harness)] == [1]


def test_the_background_poll_picks_up_changes_and_never_raises(
    harness: PaymentHarness,
) -> None:
    c = _context(harness)
    harness.listing.change(affects_from=D(2026, 1, 1))
    state = service.poll_changes(sessions=c.db.sessionmaker, listing=c.listing)
    assert state is not None and state.cursor == 1
    harness.listing.down = True
    state = service.poll_changes(sessions=c.db.sessionmaker, listing=c.listing)
    assert state is not None and state.current is False

    class Broken:
        def __call__(self) -> None:
            raise RuntimeError("the database is gone")

    # a fault beyond the peer (here the session factory itself) is logged, not raised
    assert service.poll_changes(sessions=Broken(), listing=c.listing) is None  # type: ignore[arg-type]


def test_the_apps_lifespan_runs_the_poller_every_change_poll_s(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    from tests.payment.conftest import three_units

    fake = three_units()
    fake.change(affects_from=D(2026, 1, 1))
    h = make_harness(fake, config=PaymentConfig(change_poll_s=0.01))
    poller = _context(h).poller
    assert poller is not None and poller.running
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # waits for the thread, at most 10 s
        with _context(h).db.sessionmaker() as session:
            if repo.feed_position(session).cursor == 1:
                break
        threading.Event().wait(0.01)
    with _context(h).db.sessionmaker() as session:
        assert repo.feed_position(session).cursor == 1
    h.client.__exit__(None, None, None)
    assert not poller.running


def test_change_poll_s_is_read_from_the_environment(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    assert PaymentConfig().change_poll_s == 60
    monkeypatch.setenv("CHANGE_POLL_S", "0")
    assert PaymentConfig().change_poll_s == 0
    monkeypatch.setenv("CHANGE_POLL_S", "-1")
    with pytest.raises(ValueError):
        PaymentConfig()
