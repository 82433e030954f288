"""The tiny benchmark end to end on PostgreSQL: every step runs, nothing is timed or asserted
about speed. It catches a harness that no longer matches the services' interfaces."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from bench import run as bench_run


@pytest.mark.postgres
@pytest.mark.integration
def test_tiny_bench_runs_end_to_end(postgres_admin_url: str, tmp_path: Path) -> None:
    tag = f"smoke_{uuid.uuid4().hex[:10]}"
    doc = tmp_path / "benchmarks.md"
    results = bench_run.main(
        [
            "--size",
            "tiny",
            "--pg",
            postgres_admin_url,
            "--work",
            str(tmp_path / "w"),
            "--results",
            str(tmp_path / "results"),
            "--doc",
            str(doc),
            "--db-tag",
            tag,
        ]
    )
    assert results["pending"] == {}, results["pending"]
    figures = results["figures"]
    for key in (
        "generate",
        "import_units",
        "import_register",
        "import_listings",
        "counts",
        "payment_run",
        "statement_fetch",
        "listing_change",
        "year",
    ):
        assert key in figures, key
    assert figures["generate"]["residents"] == 2000
    # the service and DuckDB agree on who is listed where, to the last group
    assert figures["counts"]["totals_match"] and figures["counts"]["groups_match"]
    assert 1800 < figures["counts"]["total"] < 2000
    assert figures["statement_fetch"]["real_requests"] > 0
    assert figures["listing_change"]["statuses"] == {"201": figures["listing_change"]["requests"]}
    # the largest unit closed with its patients moved; the payment followed the whole feed
    year = figures["year"]
    assert year["moved"] > 0 and year["feed_entries"] >= year["moved"]
    assert set(results["peak_rss"]) >= {"listing", "payment"}
    text = doc.read_text()
    assert "## Figures" in text and "| tiny |" in text
    # the throwaway databases are gone
    with psycopg.connect(postgres_admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s", (f"bench_%_{tag}",)
        ).fetchone()
    assert left is not None and left[0] == 0
