"""Collects row errors of a bulk file: every bad row is reported, up to a memory-safe cap."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.errors import Unprocessable

MAX_REPORTED = 10_000


@dataclass
class RowErrors:
    what: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def add(self, row: int, field_name: str, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append({"row": row, "field": field_name, "message": message})

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        """422 naming every bad row; the caller's transaction rolls back, so nothing is written."""
        if not self.total:
            return
        listed = len(self.errors)
        shown = "" if self.total <= listed else f" (the first {listed} listed)"
        raise Unprocessable(
            f"{self.what}: {self.total} problem(s){shown}; nothing was imported", errors=self.errors
        )
