"""docs/security.md's roles table equals, route by route, what the three apps enforce.

Regenerate the table after adding an endpoint:
    .venv/bin/python -m tests.security.test_roles_table
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

from services.lastresort.main import create_app as lastresort_app
from services.listing.main import create_app as listing_app
from services.payment.main import create_app as payment_app
from shared.auth import route_roles
from shared.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
START, END = "<!-- roles-table:start -->", "<!-- roles-table:end -->"
Row = tuple[str, str, str, str]


def _apps() -> dict[str, FastAPI]:
    settings = Settings(env="test", demo=False)
    url = "sqlite:///:memory:"
    return {
        "listing": listing_app(settings, database_url=url),
        "payment": payment_app(settings, database_url=url),
        "lastresort": lastresort_app(settings, database_url=url),
    }


def enforced() -> list[Row]:
    """(service, method, path, roles) for every /v1 route; roles sorted, or '(none)'."""
    rows = []
    for service, app in _apps().items():
        for r in route_roles(app):
            if r.path.startswith("/v1"):
                roles = ", ".join(sorted(r.roles)) if r.roles else "(none)"
                rows.append((service, r.method, r.path, roles))
    return sorted(rows)


def documented(text: str) -> list[Row]:
    """The rows between the markers; cells trimmed, back-quotes dropped."""
    block = text.split(START, 1)[1].split(END, 1)[0]
    rows = []
    for line in block.strip().splitlines()[2:]:  # skip header and separator
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"a roles-table row needs 4 cells: {line!r}"
        roles = ", ".join(sorted(re.split(r"\s*,\s*", cells[3])))
        rows.append((cells[0], cells[1], cells[2], roles))
    return sorted(rows)


def render(rows: list[Row]) -> str:
    lines = ["| service | method | path | roles |", "| --- | --- | --- | --- |"]
    lines += [f"| {s} | {m} | `{p}` | {r} |" for s, m, p, r in rows]
    return "\n".join(lines)


def test_the_roles_table_matches_the_apps() -> None:
    doc, code = documented(DOC.read_text()), enforced()
    missing = sorted(set(code) - set(doc))
    stale = sorted(set(doc) - set(code))
    assert not missing and not stale, (
        f"\nin the code but not (so) in docs/security.md: {missing}"
        f"\nin docs/security.md but not (so) in the code: {stale}"
        "\nregenerate with: .venv/bin/python -m tests.security.test_roles_table"
    )
    assert len(doc) == len(set(doc)), "a route is listed twice"


def test_no_route_is_unprotected_and_person_level_reads_are_narrow() -> None:
    rows = enforced()
    assert [r for r in rows if r[3] == "(none)"] == []
    by_route = {(s, m, p): set(r.split(", ")) for s, m, p, r in rows}
    # ops sees aggregates only: never person-level data nor the audit trail.
    for key in (
        ("listing", "POST", "/v1/listings/history"),
        ("listing", "GET", "/v1/audit"),
        ("payment", "GET", "/v1/audit"),
        ("lastresort", "GET", "/v1/audit"),
    ):
        assert "ops" not in by_route[key] and "provider" not in by_route[key], key
    assert by_route[("payment", "POST", "/v1/runs/{run_id}/approve")] == {"finance_approver"}


def test_the_parser_reads_what_render_writes() -> None:
    rows = [("listing", "GET", "/v1/x", "ops, provider")]
    assert documented(f"{START}\n{render(rows)}\n{END}") == rows


if __name__ == "__main__":
    text = DOC.read_text()
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{START}\n{render(enforced())}\n{END}{tail}")
