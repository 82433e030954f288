"""The background follower of the listing feed: a thread that follows it every CHANGE_POLL_S.

shared.app.build_service has no startup hook (only the context's closers at shutdown), so the
payment service wraps its app's lifespan here: the thread starts once the app has started and
stops before the context closes the database and the listing client. A thread, not an
asyncio task: a follow is blocking I/O (the sync ServiceClient, the database), and an Event
lets shutdown stop it between two polls without cancelling one half done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

log = logging.getLogger("halsoval.payment.poller")


class ChangePoller:
    """Calls `poll` every `interval_s` seconds (first after one interval) until stopped.
    `poll` must not raise; an exception that does is logged and the thread goes on."""

    def __init__(self, poll: Callable[[], object], interval_s: float) -> None:
        self.poll = poll
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval_s <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="payment-change-poller", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.poll()
            except Exception:  # never let the thread die: the next interval tries again
                log.exception("the change poller failed; it tries again in %ss", self.interval_s)


def run_during_lifespan(app: FastAPI, poller: ChangePoller) -> None:
    """Start `poller` when the app starts and stop it before the app's own shutdown runs."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(the_app: FastAPI) -> AsyncIterator[Any]:
        async with inner(the_app) as state:
            poller.start()
            try:
                yield state
            finally:
                poller.stop()

    app.router.lifespan_context = lifespan
