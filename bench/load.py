"""Closed-loop HTTP load: wrk when installed (the real measurement), else a small asyncio
load generator (enough for the CI smoke test). Targets 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass
class LoadResult:
    tool: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx responses and socket errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"unreadable wrk latency {text!r}")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


_LUA = """
local reqs = {}
local n = 0
function init(args)
  for line in io.lines("%s") do
    local path, auth = line:match("^(%%S+) (.+)$")
    n = n + 1
    reqs[n] = wrk.format("GET", path, {["Authorization"] = auth})
  end
  i = math.random(n)
end
function request()
  i = i %% n + 1
  return reqs[i]
end
"""


def _wrk(
    base_url: str, requests: list[tuple[str, str]], connections: int, seconds: float
) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        reqs = Path(tmp) / "requests.txt"
        reqs.write_text("".join(f"{path} {auth}\n" for path, auth in requests))
        script = Path(tmp) / "rotate.lua"
        script.write_text(_LUA % reqs)
        out = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{max(1, int(seconds))}s",
                "--latency",
                "-s",
                str(script),
                base_url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(x) for x in sock.groups()) if sock else 0
    )
    return LoadResult(
        "wrk", connections, seconds, total, rps, _ms(pct["50"]), _ms(pct["99"]), errors
    )


async def _python(
    base_url: str, requests: list[tuple[str, str]], connections: int, seconds: float
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:

        async def worker(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < deadline:
                path, auth = requests[i % len(requests)]
                i += connections
                t = time.perf_counter()
                try:
                    r = await client.get(path, headers={"Authorization": auth})
                    ok = r.status_code < 400
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - t) * 1000)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(connections)))
        elapsed = time.perf_counter() - started
    q = (
        statistics.quantiles(latencies, n=100, method="inclusive")
        if len(latencies) > 1
        else [latencies[0]] * 99
    )
    return LoadResult(
        "python-asyncio",
        connections,
        elapsed,
        len(latencies),
        len(latencies) / elapsed,
        q[49],
        q[98],
        errors,
    )


def run_load(
    base_url: str, requests: list[tuple[str, str]], *, connections: int = 32, seconds: float = 10.0
) -> LoadResult:
    """GET each (path, Authorization) in turn from `connections` connections for `seconds`."""
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError("the load generator only targets 127.0.0.1")
    if shutil.which("wrk"):
        return _wrk(base_url, requests, connections, seconds)
    return asyncio.run(_python(base_url, requests, connections, seconds))
