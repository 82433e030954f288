"""The background follower of the listing feed: a thread that follows it every CHANGE_POLL_S.

A background task of the payment context (shared.context.BackgroundTask): build_service starts
it once the app has started and stops it before the database and the listing client are
closed. A thread, not an asyncio task: a follow is blocking I/O (the sync ServiceClient, the
database), and an Event lets shutdown stop it between two polls without cancelling one half
done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

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
