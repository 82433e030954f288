"""The shape the project promises (docs/architecture.md, "the rooms of a service"), enforced.

Each rule reads the source with `ast`, so it fails on the line that breaks it and says which.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("listing", "payment", "lastresort")
# Modules that do I/O or speak a wire format: domain/ is pure and imports none of them.
IO_MODULES = ("sqlalchemy", "httpx", "fastapi", "starlette", "alembic", "shared.db", "shared.http")
TRANSACTION_CALLS = {"begin", "begin_nested", "commit", "rollback"}


def _modules(package: Path) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(package.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def _imports(package: Path) -> set[tuple[Path, str]]:
    found: set[tuple[Path, str]] = set()
    for path, tree in _modules(package):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {(path, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((path, node.module))
    return found


def _where(path: Path, node: ast.AST | None = None) -> str:
    line = f":{getattr(node, 'lineno', 0)}" if node is not None else ""
    return f"{path.relative_to(ROOT)}{line}"


def _is_repository(path: Path) -> bool:
    return "migrations" not in path.parts and path.name != "__init__.py"


# --- boundaries ---------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_imports_another(service: str) -> None:
    others = tuple(f"services.{s}" for s in SERVICES if s != service)
    found = _imports(ROOT / "services" / service)
    offending = sorted(
        f"{_where(p)}: {m}"
        for p, m in found
        if m.startswith(others) or m in ("services.cli", "services.demo")
    )
    assert offending == [], "\n".join(offending)


def test_shared_depends_on_no_service() -> None:
    offending = sorted(
        f"{_where(p)}: {m}"
        for p, m in _imports(ROOT / "shared")
        if m == "services" or m.startswith("services.")
    )
    assert offending == [], "\n".join(offending)


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_is_pure(service: str) -> None:
    """domain/ holds rules and calculations: no database, no HTTP, no web framework."""
    found = _imports(ROOT / "services" / service / "domain")
    offending = sorted(
        f"{_where(p)}: {m}" for p, m in found if m == "shared.db" or m.startswith(IO_MODULES)
    )
    assert offending == [], "\n".join(offending)


# --- the rooms ------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_the_rooms(service: str) -> None:
    base = ROOT / "services" / service
    rooms = ["main.py", "settings.py", "cli.py", "demo.py", "api", "api/deps.py", "domain"]
    # An app with a database of its own has db/ with its own migrations; one without has none.
    rooms += ["db/models.py", "db/migrate.py", "db/migrations/env.py"]
    missing = [room for room in rooms if not (base / room).exists()]
    if not ((base / "service.py").exists() or (base / "service" / "__init__.py").exists()):
        missing.append("service.py (or service/)")
    assert missing == [], f"{service} lacks {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_peers_are_called_only_from_clients(service: str) -> None:
    """One module holds a service's peers; only main.py may hand it a ServiceClient."""
    base = ROOT / "services" / service
    users = sorted(
        _where(p)
        for p, m in _imports(base)
        if m == "shared.http" and p.name not in ("clients.py", "main.py")
    )
    assert users == [], "\n".join(users)
    calls_peers = any(m == "shared.http" for _p, m in _imports(base))
    assert calls_peers == (base / "clients.py").exists(), (
        "a service that calls peers keeps them in clients.py, and only such a service has one"
    )


# --- routers --------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_no_router_handles_a_transaction(service: str) -> None:
    """Routers call one service function; the service owns begin/commit/rollback."""
    offending = [
        f"{_where(path, node)}: .{node.func.attr}()"
        for path, tree in _modules(ROOT / "services" / service / "api")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in TRANSACTION_CALLS
    ]
    assert offending == [], "\n".join(offending)


@pytest.mark.parametrize("service", SERVICES)
def test_roles_are_declared_once_as_annotated_aliases(service: str) -> None:
    """require_roles appears only in api/deps.py, each use an `Annotated[Principal, ...]`
    alias; no route lists roles in `dependencies=[...]`."""
    base = ROOT / "services" / service
    offending: list[str] = []
    for path, tree in _modules(base):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) == "require_roles":
                if path != base / "api" / "deps.py":
                    offending.append(f"{_where(path, node)}: require_roles outside api/deps.py")
            if isinstance(node, ast.keyword) and node.arg == "dependencies":
                if "require_roles" in ast.unparse(node.value) or "Role" in ast.unparse(node.value):
                    offending.append(f"{_where(path, node)}: roles in dependencies=[...]")
    deps = ast.parse((base / "api" / "deps.py").read_text())
    for node in ast.walk(deps):
        if isinstance(node, ast.Call) and _name(node.func) == "require_roles":
            parent = _assigned_annotation(deps, node)
            if parent is None:
                offending.append(
                    f"{_where(base / 'api' / 'deps.py', node)}: not an Annotated alias"
                )
    assert offending == [], "\n".join(offending)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _assigned_annotation(tree: ast.Module, call: ast.Call) -> ast.Assign | None:
    """The module-level `X = Annotated[Principal, Depends(require_roles(...))]` holding `call`."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(n is call for n in ast.walk(stmt.value)):
            value = stmt.value
            if isinstance(value, ast.Subscript) and _name(value.value) == "Annotated":
                return stmt
    return None


# --- repositories ---------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_repositories_return_typed_records(service: str) -> None:
    """Every function in db/ is annotated, and no return type mentions Any or a bare Row."""
    offending: list[str] = []
    for path, tree in _modules(ROOT / "services" / service / "db"):
        if not _is_repository(path):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.returns is None:
                offending.append(f"{_where(path, node)}: {node.name} has no return annotation")
                continue
            returns = ast.unparse(node.returns)
            if re.search(r"\bAny\b|\bRow\b|RowMapping", returns):
                offending.append(f"{_where(path, node)}: {node.name} -> {returns}")
    assert offending == [], "\n".join(offending)


# --- assembly -------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_main_builds_through_build_service(service: str) -> None:
    path = ROOT / "services" / service / "main.py"
    tree = ast.parse(path.read_text())
    calls = {_name(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert "build_service" in calls, f"{_where(path)} does not call shared.app.build_service"
    forbidden = calls & {"FastAPI", "create_service_app", "include_router", "configure_logging"}
    assert forbidden == set(), f"{_where(path)} assembles by hand: {sorted(forbidden)}"


# --- one definition each --------------------------------------------------------------------

# The identifier shapes live in shared/patterns.py; a copy elsewhere drifts.
_PATTERN_COPIES = re.compile(
    r"SE(\\d|\[0-9\])\{10\}|\[0-9A-Z\]\{9\}|\{4\}\[ABC\]|\(0\[1-9\]\|1\[0-2\]\)"
)


def test_identifier_patterns_are_defined_once() -> None:
    offending = [
        f"{_where(path, node)}: {node.value!r}"
        for package in (ROOT / "services", ROOT / "shared")
        for path, tree in _modules(package)
        if path != ROOT / "shared" / "patterns.py" and "synthetic" not in path.parts
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _PATTERN_COPIES.search(node.value)
    ]
    assert offending == [], "\n".join(offending)


def test_the_wide_roles_are_written_once() -> None:
    """The roles that see every unit are shared.auth.WIDE_ROLES, not a list written again."""
    wide = {"region_admin", "finance_approver", "service"}
    offending: list[str] = []
    for package in (ROOT / "services", ROOT / "shared"):
        for path, tree in _modules(package):
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _name(node.func) == "has":
                    named = {a.attr for a in node.args if isinstance(a, ast.Attribute)}
                    if named == wide:
                        offending.append(_where(path, node))
    assert offending == [], "\n".join(offending)
