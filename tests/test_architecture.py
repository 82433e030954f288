"""The shape the project promises: services talk over HTTP only, and shared/ depends on none."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("listing", "payment", "lastresort")


def _imports(package: Path) -> set[tuple[Path, str]]:
    found: set[tuple[Path, str]] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found |= {(path, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((path, node.module))
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_imports_another(service: str) -> None:
    others = tuple(f"services.{s}" for s in SERVICES if s != service)
    found = _imports(ROOT / "services" / service)
    offending = sorted(
        f"{p.relative_to(ROOT)}: {m}"
        for p, m in found
        if m.startswith(others) or m in ("services.cli", "services.demo")
    )
    assert offending == []


def test_shared_depends_on_no_service() -> None:
    offending = sorted(
        f"{p.relative_to(ROOT)}: {m}"
        for p, m in _imports(ROOT / "shared")
        if m == "services" or m.startswith("services.")
    )
    assert offending == []


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_the_layout(service: str) -> None:
    base = ROOT / "services" / service
    for part in (
        "main.py",
        "settings.py",
        "cli.py",
        "demo.py",
        "api",
        "domain",
        "db/migrate.py",
        "db/migrations/env.py",
    ):
        assert (base / part).exists(), f"{service} lacks {part}"
