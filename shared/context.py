"""The typed state of a running service, held by its app and read by its dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from shared.audit import AuditLog
from shared.db import Database
from shared.settings import ServiceName, Settings


class BackgroundTask(Protocol):
    """Work a service does beside its requests (e.g. following a peer's feed): started once the
    app has started, stopped before the database and the peers' clients are closed."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(kw_only=True)
class ServiceContext:
    """What a running service holds, typed: routes read it through `context_of`, never through
    untyped `app.state` attributes. A service that needs more (its peers, its configuration)
    subclasses it."""

    name: ServiceName
    settings: Settings
    db: Database
    audit: AuditLog
    # Called at shutdown, after the engine is disposed (e.g. the peers' HTTP clients).
    closers: list[Callable[[], None]] = field(default_factory=list)
    background: list[BackgroundTask] = field(default_factory=list)

    def start(self) -> None:
        for task in self.background:
            task.start()

    def close(self) -> None:
        for task in reversed(self.background):
            task.stop()
        self.db.dispose()
        for close in self.closers:
            close()


C = TypeVar("C", bound=ServiceContext)


def context_of(app: Any, kind: type[C]) -> C:
    """The app's context as the service's own type (`app` is a FastAPI or Starlette app)."""
    context = getattr(app.state, "context", None)
    if not isinstance(context, kind):
        raise RuntimeError(f"this app was not built with a {kind.__name__} (build_service)")
    return context
