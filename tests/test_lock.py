"""The lock files pin every package exactly, and this environment runs the pinned versions.

`make install`, .ci/run and deploy/Dockerfile install from the locks, so a fresh machine gets
what CI tested; `make lock` regenerates them from pyproject.toml. A dependency added to
pyproject.toml without `make lock`, or a venv that drifted from the lock, fails here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
RUNTIME_LOCK = ROOT / "requirements-runtime.lock"
# name==version, then an optional `; marker` (uv writes the hashes on the following lines).
PIN = re.compile(r"(?P<name>[A-Za-z0-9][\w.-]*)==(?P<version>[^\s;]+)\s*(;(?P<marker>.+))?")


@dataclass(frozen=True)
class Pin:
    version: str
    marker: Marker | None

    @property
    def applies_here(self) -> bool:
        return self.marker is None or self.marker.evaluate()


def _pins(lock: Path) -> dict[str, Pin]:
    """name -> pin; every requirement line (not hashes, comments or options) is `name==version`."""
    pins: dict[str, Pin] = {}
    for line in lock.read_text().splitlines():
        if not line.strip() or line.startswith((" ", "\t", "#")):
            continue
        match = PIN.fullmatch(line.rstrip(" \\"))
        assert match, f"{lock.name}: not an exact pin: {line!r}"
        marker = match["marker"]
        pins[canonicalize_name(match["name"])] = Pin(
            match["version"], Marker(marker.strip()) if marker else None
        )
    return pins


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
DEV = [Requirement(r) for r in PROJECT["optional-dependencies"]["dev"]]


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras or {""})


def _missing_from(lock: Path, declared: list[Requirement]) -> list[str]:
    """Every requirement reachable from `declared` here (extras included) with its lock pin.

    Walks the installed packages' own metadata, so a transitive package the lock forgot
    (or pins outside what its dependant allows) is found, not only the direct ones.
    """
    pins = _pins(lock)
    problems: list[str] = []
    todo = [(r, {""}) for r in declared]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement, parent_extras = todo.pop()
        if not _applies(requirement, parent_extras):
            continue
        name = canonicalize_name(requirement.name)
        pin = pins.get(name)
        if pin is None:
            problems.append(f"{requirement} is not pinned in {lock.name}")
            continue
        if not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{lock.name} pins {name}=={pin.version}, outside {requirement}")
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            children = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            problems.append(f"{name} is pinned but not installed: run `make install`")
            continue
        for child in children:
            todo.append((Requirement(child), set(requirement.extras) | {""}))
    return problems


def test_every_declared_dependency_and_what_it_pulls_in_is_pinned() -> None:
    assert _missing_from(LOCK, RUNTIME + DEV) == []


def test_the_runtime_lock_covers_the_runtime_dependencies_without_dev_tools() -> None:
    assert _missing_from(RUNTIME_LOCK, RUNTIME) == []
    runtime = _pins(RUNTIME_LOCK)
    assert [str(r) for r in DEV if canonicalize_name(r.name) in runtime] == []


def test_the_runtime_lock_has_the_same_versions_as_the_full_lock() -> None:
    full = _pins(LOCK)
    for name, pin in _pins(RUNTIME_LOCK).items():
        assert name in full and full[name].version == pin.version, name


@pytest.mark.parametrize("lock", [LOCK, RUNTIME_LOCK], ids=lambda p: p.name)
def test_every_pin_carries_hashes(lock: Path) -> None:
    """pip then refuses a file that is not the one the lock was made from."""
    text = lock.read_text()
    assert text.count("--hash=sha256:") >= len(_pins(lock))
    assert re.search(r"==[^\n]*\n(?!\s+--hash)", text) is None


def test_installed_versions_are_the_pinned_ones() -> None:
    drift = {}
    for name, pin in _pins(LOCK).items():
        if not pin.applies_here:
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != pin.version:
            drift[name] = f"{installed}, locked {pin.version}"
    assert drift == {}, "run `make install` (or `make lock` after changing pyproject.toml)"
