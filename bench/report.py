"""Renders docs/benchmarks.md from bench/results/*.json (+ the hand-written bench/notes.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ORDER = ("tiny", "rjh", "stockholm", "stockholm-tuned", "stockholm-busy", "sweden", "sweden-tuned")
NOTES = Path(__file__).resolve().parent / "notes.md"
MB = 1024 * 1024


def load_all(results_dir: Path) -> dict[str, dict[str, Any]]:
    found = {p.stem: json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"))}
    return {k: found[k] for k in ORDER if k in found} | {
        k: v for k, v in found.items() if k not in ORDER
    }


def _f(results: dict[str, Any], key: str, field: str) -> Any:
    return results.get("figures", {}).get(key, {}).get(field)


def _s(v: Any, unit: str = "s", digits: int = 2) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        return f"{v:,.{digits}f}{(' ' + unit) if unit else ''}"
    if isinstance(v, int):
        return f"{v:,}{(' ' + unit) if unit else ''}"
    return str(v)


def _rows(all_results: dict[str, dict[str, Any]]) -> list[tuple[str, list[str]]]:
    def col(fn: Any) -> list[str]:
        return [fn(r) for r in all_results.values()]

    def rss(r: dict[str, Any], name: str) -> str:
        v = r.get("peak_rss", {}).get(name)
        return f"{v / MB:,.0f} MiB" if v else "—"

    return [
        (
            "Residents / listing rows / units",
            col(
                lambda r: (
                    f"{r['residents']:,} / {_f(r, 'generate', 'listing_rows') or 0:,} / "
                    f"{_f(r, 'generate', 'units') or r['units']}"
                )
            ),
        ),
        ("Generate the data set (CSV)", col(lambda r: _s(_f(r, "generate", "seconds")))),
        ("**Register import, CLI**", col(lambda r: _s(_f(r, "import_register", "seconds")))),
        (
            "baseline: plain COPY, unindexed table",
            col(lambda r: _s(_f(r, "import_register", "baseline_copy_seconds"))),
        ),
        ("ratio CLI / COPY", col(lambda r: _s(_f(r, "import_register", "ratio"), "×", 1))),
        (
            "Register import again (nothing changes)",
            col(lambda r: _s(_f(r, "import_register_again", "seconds"))),
        ),
        ("Listing history import, CLI", col(lambda r: _s(_f(r, "import_listings", "seconds")))),
        (
            "**Counts at a date, HTTP** (warm, min / median)",
            col(
                lambda r: (
                    f"{_s(_f(r, 'counts', 'seconds_min'))} / "
                    f"{_s(_f(r, 'counts', 'seconds_median'))}"
                )
            ),
        ),
        ("counts, first call after import", col(lambda r: _s(_f(r, "counts", "seconds_cold")))),
        (
            "baseline: DuckDB over Parquet (min / median)",
            col(
                lambda r: (
                    f"{_s(_f(r, 'counts', 'duckdb_seconds_min'))} / "
                    f"{_s(_f(r, 'counts', 'duckdb_seconds_median'))}"
                )
            ),
        ),
        ("ratio service / DuckDB", col(lambda r: _s(_f(r, "counts", "ratio"), "×", 1))),
        (
            "same total and groups as DuckDB",
            col(
                lambda r: (
                    f"{_s(_f(r, 'counts', 'totals_match'))} / {_s(_f(r, 'counts', 'groups_match'))}"
                )
            ),
        ),
        (
            "**Full payment run, HTTP** (min / median of 3 periods)",
            col(
                lambda r: (
                    f"{_s(_f(r, 'payment_run', 'seconds_min'))} / "
                    f"{_s(_f(r, 'payment_run', 'seconds_median'))}"
                )
            ),
        ),
        (
            "re-run, nothing changed",
            col(lambda r: _s(_f(r, "payment_run", "rerun_unchanged_seconds"))),
        ),
        (
            "**Statement fetch, 32 connections** (req/s)",
            col(lambda r: _s(_f(r, "statement_fetch", "real_rps"), "", 0)),
        ),
        (
            "p50 / p99",
            col(
                lambda r: (
                    f"{_s(_f(r, 'statement_fetch', 'real_p50_ms'), 'ms', 1)} / "
                    f"{_s(_f(r, 'statement_fetch', 'real_p99_ms'), 'ms', 1)}"
                )
            ),
        ),
        (
            "errors (non-2xx, socket)",
            col(lambda r: _s(_f(r, "statement_fetch", "real_errors"), "")),
        ),
        (
            "baseline: bare FastAPI endpoint (req/s, p99)",
            col(
                lambda r: (
                    f"{_s(_f(r, 'statement_fetch', 'bare_rps'), '', 0)}, "
                    f"{_s(_f(r, 'statement_fetch', 'bare_p99_ms'), 'ms', 1)}"
                )
            ),
        ),
        ("ratio real / bare", col(lambda r: _s(_f(r, "statement_fetch", "ratio"), "", 2))),
        (
            "**Single listing change** p50 / p99",
            col(
                lambda r: (
                    f"{_s(_f(r, 'listing_change', 'p50_ms'), 'ms', 1)} / "
                    f"{_s(_f(r, 'listing_change', 'p99_ms'), 'ms', 1)}"
                )
            ),
        ),
        (
            "**Closing the largest unit**, HTTP (persons moved)",
            col(
                lambda r: (
                    f"{_s(_f(r, 'year', 'close_seconds'))} ({_s(_f(r, 'year', 'moved'), '', 0)})"
                )
            ),
        ),
        (
            "stale periods: first answer (feed entries followed) / again",
            col(
                lambda r: (
                    f"{_s(_f(r, 'year', 'periods_first_seconds'))} "
                    f"({_s(_f(r, 'year', 'feed_entries'), '', 0)}) / "
                    f"{_s(_f(r, 'year', 'periods_again_seconds'))}"
                )
            ),
        ),
        ("preview of a paid month", col(lambda r: _s(_f(r, "year", "preview_seconds")))),
        (
            "**Peak RSS** listing / payment service",
            col(lambda r: f"{rss(r, 'listing')} / {rss(r, 'payment')}"),
        ),
        (
            "peak RSS, register import CLI",
            col(lambda r: _s((_f(r, "import_register", "peak_rss") or 0) / MB or None, "MiB", 0)),
        ),
        (
            "Listing database after import",
            col(lambda r: _s(_f(r, "vacuum_analyze", "database_mb"), "MB", 0)),
        ),
        ("Whole bench", col(lambda r: _s(r.get("bench_seconds"), "s", 0))),
    ]


def _verdict(ok: bool | None, text: str) -> str:
    mark = "—" if ok is None else ("**met**" if ok else "**missed**")
    return f"| {text} | {mark} |"


def _targets(all_results: dict[str, dict[str, Any]]) -> list[str]:
    out = ["| Target | Result |", "|---|---|"]

    def le(v: Any, limit: float) -> bool | None:
        return None if v is None else v <= limit

    def ge(v: Any, limit: float) -> bool | None:
        return None if v is None else v >= limit

    variants = {name.split("-")[0] for name in all_results}
    for name, st in all_results.items():
        if not name.startswith("stockholm"):
            continue
        t = _f(st, "import_register", "seconds")
        ratio = _f(st, "import_register", "ratio")
        ok = None if t is None else t < 60 and ratio <= 3
        out.append(
            _verdict(
                ok, f"{name}: register import < 60 s and ≤ 3× COPY ({_s(t)}, {_s(ratio, '×', 1)})"
            )
        )
        c = _f(st, "counts", "seconds_min")
        out.append(_verdict(le(c, 1.5), f"{name}: counts at a date < 1.5 s ({_s(c)})"))
        p = _f(st, "payment_run", "seconds_min")
        out.append(_verdict(le(p, 3), f"{name}: full payment run < 3 s ({_s(p)})"))
    if "stockholm" not in variants:
        out.append("| Stockholm targets | not run yet |")
    for name, sw in all_results.items():
        if not name.startswith("sweden"):
            continue
        p = _f(sw, "payment_run", "seconds_min")
        out.append(_verdict(le(p, 15), f"{name}: full payment run < 15 s ({_s(p)})"))
        rss = sw.get("peak_rss", {})
        worst = max((rss.get(k) or 0 for k in ("listing", "payment")), default=0)
        out.append(
            _verdict(
                None if not worst else worst <= 500 * MB,
                f"{name}: no service above 500 MB ({worst / MB:,.0f} MiB)",
            )
        )
    if "sweden" not in variants:
        out.append("| Sweden targets | not run yet |")
    for name, r in all_results.items():
        if name == "tiny":
            continue
        rps = _f(r, "statement_fetch", "real_rps")
        p99 = _f(r, "statement_fetch", "real_p99_ms")
        ratio = _f(r, "statement_fetch", "ratio")
        ok = None if rps is None else bool(ge(rps, 1000) and le(p99, 50) and ge(ratio, 0.5))
        out.append(
            _verdict(
                ok,
                f"{name}: statement fetch ≥ 1,000 req/s, p99 < 50 ms, ≥ ½ bare "
                f"({_s(rps, 'req/s', 0)}, {_s(p99, 'ms', 1)}, {_s(ratio, '', 2)})",
            )
        )
    for suffix in ("", "-tuned"):
        st, sw = all_results.get("stockholm" + suffix), all_results.get("sweden" + suffix)
        if not (st and sw):
            continue
        grow = sw["residents"] / st["residents"]
        loads = [x.get("machine", {}).get("loadavg_at_start") for x in (st, sw)]
        comparable = None not in loads and abs(loads[0] - loads[1]) <= 1.5
        for key, field, label in (
            ("import_register", "seconds", "register import"),
            ("import_listings", "seconds", "listing history import"),
            ("counts", "seconds_min", "counts"),
            ("payment_run", "seconds_min", "payment run"),
        ):
            a, b = _f(st, key, field), _f(sw, key, field)
            if a and b:
                load = (
                    ""
                    if comparable
                    else (
                        f"; not comparable: machine load {_s(loads[0], '', 1)} "
                        f"vs {_s(loads[1], '', 1)}"
                    )
                )
                out.append(
                    _verdict(
                        b / a <= grow * 1.25 if comparable else None,
                        f"cost grows with the work{suffix}: {label} ×{b / a:.1f} "
                        f"for ×{grow:.1f} residents{load}",
                    )
                )
    return out


def render(all_results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench SIZE=…` (`bench/run.py`, rendered by `bench/report.py` from "
        "`bench/results/*.json`; the analysis at the end is hand-written in `bench/notes.md`). "
        "Every figure is measured against its baseline on the same machine in the same run.",
        "",
    ]
    if not all_results:
        return "\n".join([*lines, "No results yet: run `make bench SIZE=rjh`.", ""])
    lines += ["## Machines", ""]
    for name, r in all_results.items():
        m = r.get("machine", {})
        pg = m.get("pg_settings", {})
        lines.append(
            f"- **{name}** ({m.get('when', '?')}): {m.get('nproc')} × {m.get('cpu')}, "
            f"{m.get('memory_gib')} GiB RAM, Linux {m.get('kernel')}, Python {m.get('python')}, "
            f"PostgreSQL {m.get('postgresql')} (shared_buffers {pg.get('shared_buffers')}, "
            f"work_mem {pg.get('work_mem')}, max_parallel_workers_per_gather "
            f"{pg.get('max_parallel_workers_per_gather')}, jit {pg.get('jit')}), "
            f"profile `{r.get('profile')}`; per-database settings "
            f"{', '.join(f'{k}={v}' for k, v in r.get('tuned', {}).items()) or 'none'}; "
            "1-min load average "
            f"{_s(m.get('loadavg_at_start'), '', 1)} at start, "
            f"{_s(m.get('loadavg_at_end'), '', 1)} at end"
        )
    lines += [
        "",
        "## Figures",
        "",
        "| | " + " | ".join(all_results) + " |",
        "|---|" + "---|" * len(all_results),
    ]
    for label, cells in _rows(all_results):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Targets (issue 6)", "", *_targets(all_results), ""]
    pending = {(n, k): v for n, r in all_results.items() for k, v in r.get("pending", {}).items()}
    if pending:
        lines += ["## Not measured in the last run of a size", ""]
        lines += [f"- {n} / `{k}`: {v}" for (n, k), v in pending.items()]
        lines.append("")
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    return "\n".join(lines)
