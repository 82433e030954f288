"""The printable forms of a statement (CSV, PDF): cached when final, and PDFs under a bound.

A PDF takes about 0.3 s of CPU (WeasyPrint), a JSON read a few milliseconds: unbounded, one
provider asking for PDFs in a loop would hold every request thread and starve everyone's JSON.
So at most `slots` PDFs render at once; a request waits for a slot without holding a thread of
the request threadpool (shared.app sizes it to the database pool), and one that gets none
within `wait_s` is answered 503 with Retry-After.

The PDFs render in `slots` worker processes, not threads: a rendering thread holds the GIL
for most of its 0.3 s, and every JSON request then waits up to a switch interval (5 ms) each
time it comes back from the database (measured: JSON p99 ×28 with two rendering threads;
docs/benchmarks.md, "PDF flood"). The workers start on the first PDF, not at start-up.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import anyio

from services.payment.api.render import print_key, statement_csv, statement_pdf
from services.payment.settings import Sender, region_sender
from shared.errors import ServiceUnavailable
from shared.schemas.payment import RunStatus, Statement

Form = Literal["csv", "pdf"]
RENDER_NICENESS = 10  # the render workers' scheduling priority below the service's


class RenderedCache:
    """The rendered bytes of approved statements by (statement id, form, print facts), an LRU.

    An approved run is final (approving is one-way and a correction is a new version with new
    statement ids), so an approved statement renders to the same bytes every time and may be
    kept. The key holds every fact the printed form shows beyond the statement (the sender,
    the unit's organisation number and distance, the model's sparsity matrix, the version it
    replaces, the moments: `render.print_key`), so a reconfigured sender renders anew. A
    calculated statement is never kept: it is not final, and nobody but the region reads it.
    Who may read which statement is still decided by the SQL query on every request; this
    only saves the rendering. Bounded (a few hundred PDFs of ~12 kB: a few MB).
    """

    def __init__(self, max_items: int = 512) -> None:
        self.max_items = max_items
        self._items: OrderedDict[tuple[str, Form, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, statement: Statement, form: Form) -> bytes | None:
        if statement.status is not RunStatus.approved:
            return None
        key = (statement.statement_id, form, print_key(statement))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, statement: Statement, form: Form, body: bytes) -> None:
        if statement.status is not RunStatus.approved:
            return
        key = (statement.statement_id, form, print_key(statement))
        with self._lock:
            self._items[key] = body
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class StatementPrinter:
    """Renders statements as CSV and PDF: approved ones once, PDFs `slots` at a time."""

    slots: int = 2
    wait_s: float = 3.0
    retry_after_s: int = 3
    cache: RenderedCache = field(default_factory=RenderedCache)
    render_pdf: Callable[[Statement], bytes] = statement_pdf
    render_csv: Callable[[Statement], bytes] = statement_csv
    # The region as the statements' sender (REGION_SENDER_*), read when the printer is made.
    sender: Sender = field(default_factory=region_sender)
    # Render in worker processes (see the module docstring); False: on threads, which a
    # renderer that cannot be sent to a process (a test's recording one) needs.
    in_processes: bool = True

    def __post_init__(self) -> None:
        self._slots = anyio.Semaphore(self.slots)
        self._threads = anyio.CapacityLimiter(self.slots)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _workers(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                # spawn, not fork: the service has threads and open connections to copy.
                # Niced: a PDF can wait a little, the JSON reads and the database cannot.
                self._pool = ProcessPoolExecutor(
                    self.slots,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=os.nice,
                    initargs=(RENDER_NICENESS,),
                )
            return self._pool

    def _render(self, statement: Statement) -> bytes:
        """On a thread of our own limiter: the render itself, or waiting for a worker's."""
        if not self.in_processes:
            return self.render_pdf(statement)
        return self._workers().submit(self.render_pdf, statement).result()

    def close(self) -> None:
        """At shutdown: stop the worker processes."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def csv(self, statement: Statement) -> bytes:
        """Cheap (a few lines of text): rendered where it is asked for."""
        body = self.cache.get(statement, "csv")
        if body is None:
            body = self.render_csv(statement)
            self.cache.put(statement, "csv", body)
        return body

    async def pdf(self, statement: Statement) -> bytes:
        """The PDF from the cache, else rendered in a slot; no slot within wait_s: 503."""
        body = self.cache.get(statement, "pdf")
        if body is not None:
            return body
        with anyio.move_on_after(self.wait_s) as waited:
            await self._slots.acquire()
        if waited.cancelled_caught:  # no slot came free in time: the semaphore is not held
            raise ServiceUnavailable(
                "every PDF rendering slot is busy; try again shortly",
                retry_after_s=self.retry_after_s,
            )
        try:
            body = await anyio.to_thread.run_sync(self._render, statement, limiter=self._threads)
        finally:
            self._slots.release()
        self.cache.put(statement, "pdf", body)
        return body
