"""`python -m bench.pdf_flood`: does a PDF flood starve statement JSON reads? (a figure, not a test)

Builds the tiny data set on throwaway PostgreSQL databases (bench_*_pdf_flood, dropped at the
end) with bench/run.py's Bench, starts the listing and payment services as uvicorn processes
on 127.0.0.1 (the providers' rate limits as deployed), runs three periods, approves the last.
Then one provider reads its statement as JSON 20 times a second, first alone, then while a
flood of PDF requests runs in another process: (a) another provider asking for its approved
statement's PDF (the cached case), (b) the region asking for PDFs of calculated statements,
never cached, so every request renders (what the render slots bound). Reports the JSON
p50/p99 unloaded and loaded, and what the flood got (target: loaded p99 within 2 x
unloaded). Bounded: FLOOD connections for SECONDS a phase, 127.0.0.1 only. Writes
var/bench/pdf_flood.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.run import DEFAULT_PG, PERIODS, ROOT, Bench, log

FLOOD = 8
PROBE_RATE = 20  # JSON reads a second by the probing provider
SECONDS = 10.0
MAX_FLOOD_REQUESTS = 5_000


async def _flood(
    url: str, paths: list[str], auth: str, connections: int, seconds: float
) -> dict[str, Any]:
    codes: dict[str, int] = {}
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": auth, "Accept": "application/pdf"}
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker(k: int) -> None:
            i = k
            while time.perf_counter() < deadline and len(latencies) < MAX_FLOOD_REQUESTS:
                started = time.perf_counter()
                r = await client.get(paths[i % len(paths)], headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                codes[str(r.status_code)] = codes.get(str(r.status_code), 0) + 1
                i += connections

        await asyncio.gather(*(worker(k) for k in range(connections)))
    return {
        "requests": len(latencies),
        "statuses": codes,
        "p50_ms": statistics.median(latencies) if latencies else None,
    }


def _flood_process(
    url: str, paths: list[str], auth: str, seconds: float, out: Any
) -> None:  # pragma: no cover - runs in a child process
    out.put(asyncio.run(_flood(url, paths, auth, FLOOD, seconds)))


def _json_probe(url: str, path: str, auth: str, seconds: float) -> dict[str, Any]:
    """One provider reading its statement JSON PROBE_RATE times a second (under its limit)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the probe only targets 127.0.0.1")
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    with httpx.Client(base_url=url, headers={"Authorization": auth}, timeout=30) as client:
        while (now := time.perf_counter()) < started + seconds:
            r = client.get(path)
            latencies.append((time.perf_counter() - now) * 1000)
            errors += r.status_code != 200
            time.sleep(max(0.0, now + 1 / PROBE_RATE - time.perf_counter()))
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"requests": len(latencies), "p50_ms": q[49], "p99_ms": q[98], "errors": errors}


def _loaded(
    url: str, probe: tuple[str, str], flood_paths: list[str], flood_auth: str, seconds: float
) -> dict[str, Any]:
    """The JSON probe while a flood runs in its own process (so it does not share our GIL)."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=_flood_process, args=(url, flood_paths, flood_auth, seconds, out))
    child.start()
    try:
        time.sleep(1.0)  # the flood is under way
        json_figures = _json_probe(url, probe[0], probe[1], seconds - 2.0)
        flood = out.get(timeout=seconds + 60)
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()
    return {"json": json_figures, "flood": flood}


def measure(bench: Bench, payment_url: str, units: list[str]) -> dict[str, Any]:
    admin = bench.token("region_admin", "bench:admin")
    period = PERIODS[-1]  # approved by Bench.payment
    prober, flooder = units[0], units[1]

    def own(hsa_id: str) -> tuple[str, str]:
        token = bench.token("provider", f"bench:provider:{hsa_id}", [hsa_id])
        r = httpx.get(
            f"{payment_url}/v1/statements",
            params={"period": period, "hsa_id": hsa_id},
            headers={"Authorization": token},
            timeout=30,
        )
        r.raise_for_status()
        return f"/v1/statements/{r.json()['statements'][0]['statement_id']}", token

    probe = own(prober)
    flood_path, flood_token = own(flooder)
    calculated = httpx.get(
        f"{payment_url}/v1/statements",
        params={"period": PERIODS[0]},
        headers={"Authorization": admin},
        timeout=30,
    ).json()["statements"]
    if calculated[0]["status"] != "calculated":
        raise RuntimeError("the first period should be calculated, not approved")
    uncached = [f"/v1/statements/{s['statement_id']}" for s in calculated]
    # A service that has run a while: the render workers are up (the first PDF starts them).
    for path, token in ((uncached[0], admin), (uncached[1], admin), (flood_path, flood_token)):
        r = httpx.get(
            payment_url + path,
            headers={"Authorization": token, "Accept": "application/pdf"},
            timeout=60,
        )
        r.raise_for_status()
    seconds = bench.size.load_seconds if bench.size.load_seconds > SECONDS else SECONDS
    results = {
        "flood_connections": FLOOD,
        "seconds_per_phase": seconds,
        "unloaded": _json_probe(payment_url, probe[0], probe[1], seconds - 2.0),
        "provider_flood_cached": _loaded(payment_url, probe, [flood_path], flood_token, seconds),
        "region_flood_uncached": _loaded(payment_url, probe, uncached, admin, seconds),
    }
    base = results["unloaded"]["p99_ms"]
    for key in ("provider_flood_cached", "region_flood_uncached"):
        loaded = results[key]["json"]["p99_ms"]
        results[key]["p99_ratio"] = loaded / base if base else None
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--pg",
        default=DEFAULT_PG,
    )
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "pdf_flood.json")
    args = parser.parse_args(argv)
    work = ROOT / "var" / "bench" / "pdf_flood"
    bench = Bench("tiny", args.pg, work, db_tag="pdf_flood")
    # The providers' rate limits as deployed (bench/run.py lifts them to measure the work).
    for name in ("PROVIDER_RATE_PER_S", "PROVIDER_BURST"):
        bench.env.pop(name, None)
    bench.machine()
    work.mkdir(parents=True, exist_ok=True)
    files = bench.generate()
    bench.create_databases()
    try:
        bench.migrate()
        bench.imports(files)
        units = [
            u["hsa_id"]
            for u in json.loads(files.units_json.read_text())
            if u["care_type"] == "primary"
        ]
        bench.start("listing", "services.listing.main:create_app")
        payment_url = bench.start("payment", "services.payment.main:create_app")
        bench.payment(payment_url, None)
        results = measure(bench, payment_url, units)
    finally:
        bench.stop_all()
        bench.drop_databases()
    results["machine"] = bench.results["machine"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    log(f"pdf flood: {json.dumps({k: v for k, v in results.items() if k != 'machine'})}")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
