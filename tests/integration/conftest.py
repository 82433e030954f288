"""Starts the three services as real uvicorn processes on free ports, over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from shared.auth import mint_token
from shared.settings import Settings
from tests.conftest import PG_ADMIN_URL, USE_POSTGRES

SERVICES = ("listing", "payment", "lastresort")
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningSystem:
    urls: dict[str, str]
    settings: Settings
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def kill(self, service: str) -> None:
        """SIGKILL, as a crashed or evicted pod: no shutdown, connections refused at once."""
        self.procs[service].kill()
        self.procs[service].wait(timeout=10)

    def start(self, service: str) -> None:
        self.procs[service] = _start(service, self.ports[service], self.env, self.log_dir)
        _wait_healthy(service, self.urls[service], self.log_dir)

    def client(
        self,
        service: str,
        *,
        roles: list[str],
        sub: str = "test:user",
        hsa_ids: list[str] | None = None,
    ) -> httpx.Client:
        token = mint_token(self.settings, sub=sub, roles=roles, hsa_ids=hsa_ids or [])
        return httpx.Client(
            base_url=self.urls[service], timeout=60, headers={"Authorization": f"Bearer {token}"}
        )

    def approve_model(self, service: str, model: dict[str, Any], **params: str) -> None:
        """Four eyes: a finance approver other than the author approves the model version a
        PUT answered (`model`), in the payment or last-resort service."""
        with self.client(service, roles=["finance_approver"], sub="it:finance") as finance:
            path = f"/v1/models/{model['year']}/versions/{model['version']}/approve"
            r = finance.post(path, params=params)
            assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


def _databases(tmp: Path) -> tuple[dict[str, str], list[str]]:
    if not USE_POSTGRES:
        return {s: f"sqlite:///{tmp / f'{s}.db'}" for s in SERVICES}, []
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    urls, names = {}, []
    with engine.connect() as conn:
        for s in SERVICES:
            name = f"halsoval_it_{s}_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            names.append(name)
            urls[s] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine.dispose()
    return urls, names


def _start(service: str, port: int, env: dict[str, str], log_dir: Path) -> subprocess.Popen[bytes]:
    with open(log_dir / f"{service}.log", "ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"services.{service}.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _wait_healthy(service: str, url: str, log_dir: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{service} did not start:\n" + (log_dir / f"{service}.log").read_text()
            )
        time.sleep(0.2)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    if USE_POSTGRES:
        # Fails under CI=true when PostgreSQL is unreachable (see tests/conftest.py).
        from tests.conftest import _pg_reachable

        if not _pg_reachable():
            if os.environ.get("CI") == "true":
                pytest.fail("PostgreSQL is not reachable and CI=true")
            pytest.skip("PostgreSQL is not reachable")
    tmp = tmp_path_factory.mktemp("system")
    db_urls, pg_names = _databases(tmp)
    ports = {s: _free_port() for s in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(
        {
            "ENV": "test",
            "DEMO": "0",
            "DATA_DIR": str(tmp),
            "AUTH_SECRET": "integration-secret-0123456789abcdef",
            # The business date, fixed: the scenario pays and settles 2026, whatever the calendar.
            "HALSOVAL_TODAY": "2027-01-15",
            **{f"{s.upper()}_DATABASE_URL": db_urls[s] for s in SERVICES},
            **{f"{s.upper()}_PORT": str(ports[s]) for s in SERVICES},
            **{f"{s.upper()}_URL": f"http://127.0.0.1:{ports[s]}" for s in SERVICES},
        }
    )
    subprocess.run(
        [sys.executable, "-m", "services.cli", "migrate"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    procs = {s: _start(s, ports[s], env, tmp) for s in SERVICES}
    urls = {s: f"http://127.0.0.1:{ports[s]}" for s in SERVICES}
    try:
        for s in SERVICES:
            _wait_healthy(s, urls[s], tmp)
        settings = Settings(
            auth_secret=env["AUTH_SECRET"], **{f"{s}_url": urls[s] for s in SERVICES}
        )
        running = RunningSystem(
            urls=urls, settings=settings, log_dir=tmp, env=env, ports=ports, procs=procs
        )
        yield running
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if pg_names:
            engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for name in pg_names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()
