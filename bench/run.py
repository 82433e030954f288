"""`make bench SIZE=tiny|rjh|stockholm|sweden`: build a data set on PostgreSQL and measure
each figure of issue 6 against a baseline taken on the same machine in the same run.

Everything runs on throwaway databases named bench_* that are dropped at the end. The
services run as real uvicorn processes on 127.0.0.1 and are only spoken to over HTTP, the
way production runs them; the baselines (plain COPY, DuckDB over Parquet, a bare FastAPI
endpoint) are what the hardware does without our code in the way.

Results go to bench/results/<size>.json; docs/benchmarks.md is rebuilt from every result
file present, so the sizes can be run at different times.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench import report
from bench.load import run_load
from services.listing.synthetic import REGION_CODES

ROOT = Path(__file__).resolve().parent.parent
# The PostgreSQL server the benchmarks create their throwaway databases on.
DEFAULT_PG = os.environ.get(
    "HALSOVAL_BENCH_PG",
    os.environ.get("HALSOVAL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
AUTH_SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"
COUNT_DATE = dt.date(2026, 9, 30)
PERIODS = ("2026-08", "2026-09", "2026-10")  # count dates 31 Jul, 31 Aug, 30 Sep
CHANGE_FROM = dt.date(2026, 11, 2)  # after the generated history ends (31 Oct)
CLOSE_AFTER = dt.date(2026, 10, 15)  # the largest unit closes: 2026-11 (31 Oct) pays its patients
# What a deployment sets for these databases (--tune); settable per database, unlike
# shared_buffers, which needs a server restart and so stays as the server has it.
TUNED = {
    "work_mem": "'256MB'",
    "maintenance_work_mem": "'1GB'",
    "jit": "off",
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0",
}


@dataclass(frozen=True)
class Size:
    residents: int
    units: int
    profile: str
    load_seconds: float
    changes: int


SIZES = {
    "tiny": Size(2_000, 27, "rjh", 2, 40),
    "rjh": Size(133_000, 27, "rjh", 10, 300),
    "stockholm": Size(2_400_000, 250, "stockholm", 15, 500),
    "sweden": Size(10_500_000, 1_200, "national", 15, 500),
}


def log(msg: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sqlalchemy_url(admin: str, db: str) -> str:
    return admin.rsplit("/", 1)[0] + f"/{db}"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


class Bench:
    def __init__(
        self, size_name: str, admin_url: str, work: Path, db_tag: str = "", tune: bool = False
    ) -> None:
        self.tune = tune
        self.name = size_name
        self.size = SIZES[size_name]
        self.admin = admin_url
        self.work = work
        self.results: dict[str, Any] = {
            "size": size_name,
            "residents": self.size.residents,
            "units": self.size.units,
            "profile": self.size.profile,
            "figures": {},
            "pending": {},
        }
        tag = db_tag or size_name
        self.dbs = {k: f"bench_{k}_{tag}" for k in ("listing", "payment", "baseline")}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self.env = dict(os.environ)
        self.env.update(
            {
                "ENV": "development",
                "DEMO": "0",
                "AUTH_SECRET": AUTH_SECRET,
                "LOG_LEVEL": "WARNING",
                "DATA_DIR": str(work / "var"),
                "LISTING_DATABASE_URL": _sqlalchemy_url(admin_url, self.dbs["listing"]),
                "PAYMENT_DATABASE_URL": _sqlalchemy_url(admin_url, self.dbs["payment"]),
                # The load test measures the work behind each request, not the per-token limiter.
                "PROVIDER_RATE_PER_S": "1000000",
                "PROVIDER_BURST": "1000000",
                "MAX_BODY_BYTES": str(50 * 1024 * 1024),
                # The generated region's counties (01 Stockholm, SE the whole country).
                "REGION_CODE": REGION_CODES[self.size.profile],
            }
        )

    # ---------------------------------------------------------------- bookkeeping
    def figure(self, key: str, **values: Any) -> None:
        self.results["figures"][key] = values
        log(f"{key}: {json.dumps(values, default=str)}")

    def pending(self, key: str, why: str) -> None:
        self.results["pending"][key] = why
        log(f"{key}: PENDING ({why})")

    @contextlib.contextmanager
    def step(self, key: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:  # a missing or failing piece: record it, go on with the rest
            self.pending(key, f"{type(exc).__name__}: {str(exc).strip()[:400]}")
            log(traceback.format_exc(limit=3))

    def token(self, role: str, sub: str, hsa_ids: list[str] | None = None) -> str:
        from shared.auth import mint_token
        from shared.settings import Settings

        settings = Settings(auth_secret=AUTH_SECRET, env="development")
        return "Bearer " + mint_token(
            settings, sub=sub, roles=[role], hsa_ids=hsa_ids or [], ttl=dt.timedelta(hours=6)
        )

    # ---------------------------------------------------------------- machine and databases
    def machine(self) -> None:
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "?",
        )
        with psycopg.connect(_libpq(self.admin), autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            pg = {
                k: conn.execute(f"SHOW {k}").fetchone()[0]  # type: ignore[index]
                for k in (
                    "shared_buffers",
                    "work_mem",
                    "max_parallel_workers_per_gather",
                    "effective_cache_size",
                    "jit",
                )
            }
        self.results["machine"] = {
            "nproc": os.cpu_count(),
            "cpu": cpu,
            "memory_gib": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "postgresql": version,
            "pg_settings": pg,
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "loadavg_at_start": os.getloadavg()[0],
        }

    def create_databases(self) -> None:
        with psycopg.connect(_libpq(self.admin), autocommit=True) as conn:
            for db in self.dbs.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{db}"')
                if self.tune:  # per database: the shared server's own settings stay untouched
                    for name, value in TUNED.items():
                        conn.execute(f'ALTER DATABASE "{db}" SET {name} = {value}')
        self.results["tuned"] = TUNED if self.tune else {}

    def drop_databases(self) -> None:
        with psycopg.connect(_libpq(self.admin), autocommit=True) as conn:
            for db in self.dbs.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    # ---------------------------------------------------------------- processes
    def cli(self, *args: str) -> tuple[float, int, str]:
        """Run `halsoval ARGS` as its own process: wall seconds, peak RSS (bytes), output."""
        cmd = [sys.executable, "-c", "from services.cli import main; main()", *args]
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        out_chunks: list[bytes] = []
        assert proc.stdout is not None
        for chunk in iter(lambda: proc.stdout.read(65536), b""):  # type: ignore[union-attr]
            out_chunks.append(chunk)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out = b"".join(out_chunks).decode(errors="replace")
        if proc.returncode != 0:
            raise RuntimeError(
                f"halsoval {' '.join(args[:2])} exited {proc.returncode}: {out[-600:]}"
            )
        return elapsed, usage.ru_maxrss * 1024, out

    def start(self, name: str, target: str) -> str:
        port = _free_port()
        self.ports[name] = port
        env = dict(self.env)
        env["LISTING_URL"] = f"http://127.0.0.1:{self.ports.get('listing', 0)}"
        env["PAYMENT_URL"] = f"http://127.0.0.1:{self.ports.get('payment', 0)}"
        logf = (self.work / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                target,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=logf,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise RuntimeError(
                    f"{name} exited: {(self.work / f'{name}.log').read_text()[-600:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return url
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not become healthy")

    def peak_rss(self, name: str) -> int | None:
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return None
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return None

    def stop_all(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is None:
                rss = self.peak_rss(name)
                if rss is not None:
                    self.results.setdefault("peak_rss", {})[name] = rss
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    # ---------------------------------------------------------------- the steps
    def generate(self) -> Any:
        from services.listing.synthetic import generate

        s = self.size
        started = time.perf_counter()
        files = generate(
            residents=s.residents,
            units=s.units,
            seed=2026,
            out_dir=self.work / "data",
            profile=s.profile,
        )
        self.figure(
            "generate",
            seconds=time.perf_counter() - started,
            residents=files.residents,
            listing_rows=files.listing_rows,
            units=files.units,
            register_mb=files.register_csv.stat().st_size / 1e6,
            listings_mb=files.listings_csv.stat().st_size / 1e6,
        )
        return files

    def migrate(self) -> None:
        for name in ("listing", "payment"):
            mod = __import__(f"services.{name}.db.migrate", fromlist=["migrate"])
            mod.migrate(self.env[f"{name.upper()}_DATABASE_URL"])

    def baseline_copy(self, register_csv: Path) -> float:
        """Plain COPY of the same file into an unindexed table: what the disk and server can do."""
        with psycopg.connect(
            _libpq(_sqlalchemy_url(self.admin, self.dbs["baseline"])), autocommit=True
        ) as conn:
            conn.execute("DROP TABLE IF EXISTS register_copy")
            conn.execute(
                "CREATE TABLE register_copy (personnummer text, municipality_code text, "
                "deso_code text, lat double precision, lon double precision, "
                "protected_identity boolean, deceased_on date, moved_out_on date)"
            )
            started = time.perf_counter()
            with (
                conn.cursor() as cur,
                cur.copy("COPY register_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
                register_csv.open("rb") as f,
            ):
                while block := f.read(1 << 20):
                    copy.write(block)
            elapsed = time.perf_counter() - started
            conn.execute("DROP TABLE register_copy")
        return elapsed

    def imports(self, files: Any) -> None:
        with self.step("import_units"):
            t, _, _ = self.cli("listing", "import-units", str(files.units_json))
            self.figure("import_units", seconds=t)
        with self.step("import_register"):
            t, rss, _ = self.cli("listing", "import-register", str(files.register_csv))
            copy = self.baseline_copy(files.register_csv)
            self.figure(
                "import_register",
                seconds=t,
                baseline_copy_seconds=copy,
                ratio=t / copy,
                rows=files.residents,
                rows_per_s=files.residents / t,
                peak_rss=rss,
            )
        # Idempotence at scale (nothing changes); skipped at national size to save minutes.
        with self.step("import_register_again"):
            if self.size.residents <= 3_000_000:
                t, rss, out = self.cli("listing", "import-register", str(files.register_csv))
                self.figure(
                    "import_register_again", seconds=t, peak_rss=rss, output_tail=out[-200:]
                )
        with self.step("import_listings"):
            t, rss, _ = self.cli("listing", "import-listings", str(files.listings_csv))
            self.figure(
                "import_listings",
                seconds=t,
                rows=files.listing_rows,
                rows_per_s=files.listing_rows / t,
                peak_rss=rss,
            )
        with self.step("analyze"):
            url = _libpq(self.env["LISTING_DATABASE_URL"])
            started = time.perf_counter()
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
                size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]  # type: ignore[index]
            self.figure(
                "vacuum_analyze", seconds=time.perf_counter() - started, database_mb=size / 1e6
            )

    def counts(self, listing_url: str, files: Any) -> dict[str, Any] | None:
        auth = {"Authorization": self.token("service", "bench:payment")}
        params = {"date": COUNT_DATE.isoformat(), "care_type": "primary"}
        times = []
        body: dict[str, Any] = {}
        for _ in range(4):  # the first warms the caches, like a service that has run a while
            started = time.perf_counter()
            r = httpx.get(f"{listing_url}/v1/counts", params=params, headers=auth, timeout=600)
            times.append(time.perf_counter() - started)
            r.raise_for_status()
            body = r.json()
        duck = self.duckdb_counts(files)
        service_total = body["total"]
        self.figure(
            "counts",
            seconds_min=min(times[1:]),
            seconds_median=statistics.median(times[1:]),
            seconds_cold=times[0],
            total=service_total,
            units=len(body["units"]),
            response_mb=len(r.content) / 1e6,
            duckdb_seconds_min=duck["min"],
            duckdb_seconds_median=duck["median"],
            duckdb_export_seconds=duck["export"],
            duckdb_total=duck["total"],
            ratio=min(times[1:]) / duck["min"],
            totals_match=service_total == duck["total"],
            groups_match=duck["groups"] == _groups(body),
        )
        return body

    def duckdb_counts(self, files: Any) -> dict[str, Any]:
        """The same aggregation by DuckDB over the same data exported to Parquet."""
        import duckdb

        pq = self.work / "parquet"
        pq.mkdir(exist_ok=True)
        con = duckdb.connect()
        started = time.perf_counter()
        con.execute(f"""COPY (SELECT * FROM read_csv('{files.register_csv}', header=true, columns={{
            'personnummer': 'VARCHAR', 'municipality_code': 'VARCHAR', 'deso_code': 'VARCHAR',
            'lat': 'DOUBLE', 'lon': 'DOUBLE', 'protected_identity': 'BOOLEAN',
            'deceased_on': 'DATE', 'moved_out_on': 'DATE'}}))
            TO '{pq / "register.parquet"}' (FORMAT parquet)""")
        con.execute(f"""COPY (SELECT * FROM read_csv('{files.listings_csv}', header=true, columns={{
            'personnummer': 'VARCHAR', 'hsa_id': 'VARCHAR', 'valid_from': 'DATE',
            'valid_to': 'DATE', 'reason': 'VARCHAR', 'special_reason': 'BOOLEAN'}}))
            TO '{pq / "listings.parquet"}' (FORMAT parquet)""")
        export = time.perf_counter() - started
        d = COUNT_DATE
        dint = d.year * 10000 + d.month * 100 + d.day
        query = f"""
            WITH l AS (
              SELECT personnummer, hsa_id FROM '{pq / "listings.parquet"}'
              WHERE valid_from <= DATE '{d}' AND (valid_to IS NULL OR valid_to >= DATE '{d}')),
            p AS (
              SELECT personnummer,
                     ({dint} - CAST(substr(personnummer, 1, 8) AS INTEGER)) // 10000 AS age,
                     CASE WHEN CAST(substr(personnummer, 11, 1) AS INTEGER) % 2 = 1
                          THEN 'M' ELSE 'F' END AS sex,
                     CASE WHEN protected_identity THEN NULL ELSE deso_code END AS deso
              FROM '{pq / "register.parquet"}'
              WHERE (deceased_on IS NULL OR deceased_on > DATE '{d}')
                AND (moved_out_on IS NULL OR moved_out_on > DATE '{d}')),
            j AS (SELECT l.hsa_id, p.age, p.sex, p.deso FROM l JOIN p USING (personnummer))
            SELECT hsa_id, age, sex, deso, GROUPING(age) AS by_deso, count(*) AS n FROM j
            GROUP BY GROUPING SETS ((hsa_id, age, sex), (hsa_id, deso))"""
        times = []
        rows: list[tuple[Any, ...]] = []
        for _ in range(4):
            started = time.perf_counter()
            rows = con.execute(query).fetchall()
            times.append(time.perf_counter() - started)
        con.close()
        total = sum(r[5] for r in rows if not r[4])
        groups = sorted(
            ("d", h, d or "-", n) if by_deso else ("a", h, f"{a}{s}", n)
            for h, a, s, d, by_deso, n in rows
        )
        return {
            "min": min(times[1:]),
            "median": statistics.median(times[1:]),
            "export": export,
            "total": total,
            "groups": groups,
        }

    def payment(self, payment_url: str, counts: dict[str, Any] | None) -> str | None:
        admin = {"Authorization": self.token("region_admin", "bench:admin")}
        r = httpx.put(
            f"{payment_url}/v1/models/2026",
            json=_model(self.size.residents),
            headers=admin,
            timeout=60,
        )
        r.raise_for_status()
        # Four eyes on models: finance approves the version the admin wrote.
        finance = {"Authorization": self.token("finance_approver", "bench:finance")}
        approve = f"{payment_url}/v1/models/2026/versions/{r.json()['version']}/approve"
        httpx.post(approve, headers=finance, timeout=60).raise_for_status()
        times = []
        run_id = None
        for period in PERIODS:
            started = time.perf_counter()
            r = httpx.post(
                f"{payment_url}/v1/runs", json={"period": period}, headers=admin, timeout=900
            )
            times.append(time.perf_counter() - started)
            if r.status_code != 201:
                raise RuntimeError(f"run {period}: {r.status_code} {r.text[:300]}")
            run_id = r.json()["run_id"]
        started = time.perf_counter()
        again = httpx.post(
            f"{payment_url}/v1/runs", json={"period": PERIODS[-1]}, headers=admin, timeout=900
        )
        unchanged = time.perf_counter() - started
        self.figure(
            "payment_run",
            seconds_min=min(times),
            seconds_median=statistics.median(times),
            seconds_each=times,
            periods=list(PERIODS),
            rerun_unchanged_seconds=unchanged,
            rerun_status=again.status_code,
        )
        r = httpx.post(f"{payment_url}/v1/runs/{run_id}/approve", headers=finance, timeout=300)
        r.raise_for_status()
        return run_id

    def statements_load(self, payment_url: str, unit_ids: list[str]) -> None:
        period = PERIODS[-1]
        reqs = [
            (
                f"/v1/statements?period={period}&hsa_id={h}",
                self.token("provider", f"bench:provider:{h}", [h]),
            )
            for h in unit_ids
        ]
        probe = httpx.get(
            payment_url + reqs[0][0], headers={"Authorization": reqs[0][1]}, timeout=30
        )
        probe.raise_for_status()
        if len(probe.json()["statements"]) != 1:
            raise RuntimeError(
                f"a provider should see exactly its one statement: {probe.text[:300]}"
            )
        real = run_load(payment_url, reqs, connections=32, seconds=self.size.load_seconds)
        bare_url = self.start("bare", "bench.bare:create_app")
        bare = run_load(
            bare_url, [("/bare", "Bearer x")], connections=32, seconds=self.size.load_seconds
        )
        self.figure(
            "statement_fetch",
            **{f"real_{k}": v for k, v in real.as_dict().items()},
            **{f"bare_{k}": v for k, v in bare.as_dict().items()},
            ratio=real.rps / bare.rps if bare.rps else None,
        )

    def listing_changes(self, listing_url: str, files: Any, unit_ids: list[str]) -> None:
        people = []
        with files.register_csv.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if not row["deceased_on"] and not row["moved_out_on"]:
                    people.append(row["personnummer"])
                if len(people) >= self.size.changes * 20:
                    break
        step = max(1, len(people) // self.size.changes)
        chosen = people[::step][: self.size.changes]
        auth = {"Authorization": self.token("region_admin", "bench:admin")}
        latencies = []
        statuses: dict[int, int] = {}
        with httpx.Client(base_url=listing_url, headers=auth, timeout=60) as client:
            for i, pnr in enumerate(chosen):
                body = {
                    "personnummer": pnr,
                    "hsa_id": unit_ids[i % len(unit_ids)],
                    "valid_from": CHANGE_FROM.isoformat(),
                    "reason": "administrative",
                    "special_reason": False,
                }
                started = time.perf_counter()
                r = client.post("/v1/listings", json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        q = statistics.quantiles(latencies, n=100, method="inclusive")
        self.figure(
            "listing_change",
            requests=len(latencies),
            p50_ms=q[49],
            p99_ms=q[98],
            max_ms=max(latencies),
            statuses={str(k): v for k, v in statuses.items()},
        )
        if set(statuses) != {201}:
            raise RuntimeError(f"listing changes answered {statuses}")

    def year(self, listing_url: str, payment_url: str, counts: dict[str, Any] | None) -> None:
        """The year's work at this size: close the largest unit (its patients moved in one
        transaction), then the payment service follows the feed from the start (the closure's
        one entry per person, and the listing changes) and answers the year's periods; a
        preview of the paid month the changes do not touch must find it not stale."""
        if counts is None:
            raise RuntimeError("needs the counts")
        largest = max(counts["units"], key=lambda u: (u["listed"], u["hsa_id"]))
        admin = {"Authorization": self.token("region_admin", "bench:admin")}
        started = time.perf_counter()
        r = httpx.post(
            f"{listing_url}/v1/units/{largest['hsa_id']}/close",
            json={"last_day": CLOSE_AFTER.isoformat()},
            headers=admin,
            timeout=900,
        )
        close_s = time.perf_counter() - started
        if r.status_code != 200:
            raise RuntimeError(f"close: {r.status_code} {r.text[:300]}")
        closed = r.json()
        periods = []
        for _ in range(2):  # the first follows the whole feed, the second only looks
            started = time.perf_counter()
            r = httpx.get(
                f"{payment_url}/v1/periods", params={"year": 2026}, headers=admin, timeout=900
            )
            periods.append(time.perf_counter() - started)
            r.raise_for_status()
        feed = r.json()["feed"]
        paid = PERIODS[-1]
        started = time.perf_counter()
        r = httpx.post(f"{payment_url}/v1/periods/{paid}/preview", headers=admin, timeout=900)
        preview_s = time.perf_counter() - started
        r.raise_for_status()
        if r.json()["stale"] or not r.json()["unchanged"]:
            raise RuntimeError(f"{paid} should be unchanged by changes after its count date")
        self.figure(
            "year",
            close_seconds=close_s,
            listed_on_count_date=largest["listed"] + largest.get("out_of_region", 0),
            moved=closed["moved"],
            receivers=len(closed["to"]),
            feed_entries=feed["cursor"],
            periods_first_seconds=periods[0],
            periods_again_seconds=periods[1],
            preview_seconds=preview_s,
        )

    # ---------------------------------------------------------------- the whole run
    def run(self, keep: bool) -> dict[str, Any]:
        self.machine()
        self.work.mkdir(parents=True, exist_ok=True)
        files = self.generate()
        self.create_databases()
        try:
            with self.step("migrate"):
                self.migrate()
            self.imports(files)
            units = json.loads(files.units_json.read_text())
            primary = [u["hsa_id"] for u in units if u["care_type"] == "primary"]
            listing_url = payment_url = None
            counts = None
            with self.step("listing_service"):
                listing_url = self.start("listing", "services.listing.main:create_app")
            if listing_url:
                with self.step("counts"):
                    counts = self.counts(listing_url, files)
            with self.step("payment_service"):
                if listing_url is None:
                    raise RuntimeError("the listing service is not running")
                payment_url = self.start("payment", "services.payment.main:create_app")
            run_id = None
            if payment_url:
                with self.step("payment_run"):
                    run_id = self.payment(payment_url, counts)
            if payment_url and run_id:
                with self.step("statement_fetch"):
                    self.statements_load(payment_url, primary)
            else:
                self.pending("statement_fetch", "needs an approved payment run")
            if listing_url:
                with self.step("listing_change"):
                    self.listing_changes(listing_url, files, primary)
            if listing_url and payment_url:
                with self.step("year"):
                    self.year(listing_url, payment_url, counts)
        finally:
            self.stop_all()
            if not keep:
                self.drop_databases()
        self.results["peak_rss"] = self.results.get("peak_rss", {})
        return self.results


def _groups(body: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    out = []
    for u in body["units"]:
        for a in u["by_age_sex"]:
            out.append(("a", u["hsa_id"], f"{a['age']}{a['sex']}", a["count"]))
        for d in u["by_deso"]:
            out.append(("d", u["hsa_id"], d["deso_code"] or "-", d["count"]))
    return sorted(x for x in out if x[3])


def _model(residents: int) -> dict[str, Any]:
    """A plausible capitation model: about 2,400 kr per resident and year."""
    return {
        "annual_budget_sek": f"{residents * 2400}.00",
        "count_date_rule": "last_day_prev_month",
        "shares": {"capitation": "0.6", "cni": "0.3", "sparsity": "0.1"},
        "age_weights": [
            {"from_age": 0, "to_age": 6, "weight": "1.4"},
            {"from_age": 7, "to_age": 19, "weight": "0.8"},
            {"from_age": 20, "to_age": 64, "weight": "1"},
            {"from_age": 65, "to_age": 79, "weight": "1.8"},
            {"from_age": 80, "to_age": None, "weight": "2.6"},
        ],
        "cni": {"default": "1.0", "by_deso": {}},
        "sparsity": {
            "distance_limits_km": ["40", "100"],
            "size_limits": [2000],
            "points": [["0", "0"], ["100", "50"], ["300", "200"]],
        },
    }


def main(
    argv: list[str] | None = None, *, on_result: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(SIZES), default="rjh")
    parser.add_argument(
        "--pg",
        default=DEFAULT_PG,
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="where data files go (var/bench/SIZE)"
    )
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the bench_* databases")
    parser.add_argument("--db-tag", default="", help="database name suffix (default: the size)")
    parser.add_argument(
        "--tune", action="store_true", help="per-database settings of a deployment (TUNED)"
    )
    args = parser.parse_args(argv)
    key = args.size + ("-tuned" if args.tune else "")
    work = args.work or ROOT / "var" / "bench" / args.size
    started = time.perf_counter()
    results = Bench(args.size, args.pg, work, args.db_tag or key.replace("-", "_"), args.tune).run(
        args.keep
    )
    results["bench_seconds"] = time.perf_counter() - started
    results["machine"]["loadavg_at_end"] = os.getloadavg()[0]
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{key}.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(report.render(report.load_all(args.results)))
    log(f"done in {results['bench_seconds']:.0f} s: {args.results / (key + '.json')}, {args.doc}")
    if on_result:
        on_result(results)
    return results


if __name__ == "__main__":
    main()
