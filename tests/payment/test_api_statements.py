"""Statements: provider isolation (fail closed), approved_only, CSV for Swedish Excel, real PDFs."""

from __future__ import annotations

import csv
import io

import pytest

from tests.payment.conftest import ADMIN, A, B, C, PaymentHarness, auth, count_json


@pytest.fixture
def paid(harness: PaymentHarness) -> PaymentHarness:
    """March approved (v1), then a correction v2 not yet approved; April calculated only."""
    harness.put_model()
    v1 = harness.run("2026-03").json()
    assert harness.approve(v1["run_id"]).status_code == 200
    harness.run("2026-04")
    harness.listing.set_counts(
        [
            count_json(A, {30: 2, 70: 1}, {"2380C1010": 3}),
            count_json(B, {80: 2}, {"2380C1010": 1, None: 1}),
            count_json(C, {10: 1}, {"2380A0020": 1}),
        ]
    )
    assert harness.run("2026-03").json()["version"] == 2
    return harness


def _ids(h: PaymentHarness, query: str, headers: dict[str, str]) -> list[tuple[str, int]]:
    r = h.client.get(f"/v1/statements?{query}", headers=headers)
    assert r.status_code == 200, r.text
    return [(s["hsa_id"], s["version"]) for s in r.json()["statements"]]


def test_region_sees_latest_version_and_approved_only_picks_latest_approved(
    paid: PaymentHarness,
) -> None:
    assert _ids(paid, "period=2026-03", ADMIN) == [(A, 2), (B, 2), (C, 2)]
    assert _ids(paid, "period=2026-03&version=1", ADMIN) == [(A, 1), (B, 1), (C, 1)]
    svc = auth("service", "service:lastresort")
    assert _ids(paid, "period=2026-03&approved_only=true", svc) == [(A, 1), (B, 1), (C, 1)]
    assert _ids(paid, "period=2026-04&approved_only=true", svc) == []
    assert _ids(paid, f"period=2026-03&hsa_id={B}", ADMIN) == [(B, 2)]


def test_provider_sees_only_its_own_approved_statements(paid: PaymentHarness) -> None:
    prov = auth("provider", "provider:b", [B])
    # the newest approved version of March, own unit only; April is not approved: nothing
    assert _ids(paid, "period=2026-03", prov) == [(B, 1)]
    assert _ids(paid, "period=2026-04", prov) == []
    # asking for another unit, or for the unapproved version, gives nothing
    assert _ids(paid, f"period=2026-03&hsa_id={A}", prov) == []
    assert _ids(paid, "period=2026-03&version=2", prov) == []
    # by path: every statement of every version and period that is not B's approved one is 404
    everything = []
    for q in ("period=2026-03&version=1", "period=2026-03&version=2", "period=2026-04"):
        everything += paid.client.get(f"/v1/statements?{q}", headers=ADMIN).json()["statements"]
    assert len(everything) == 9
    for s in everything:
        r = paid.client.get(f"/v1/statements/{s['statement_id']}", headers=prov)
        visible = s["hsa_id"] == B and s["version"] == 1 and s["period"] == "2026-03"
        assert r.status_code == (200 if visible else 404), s
        if visible:
            assert r.json()["hsa_id"] == B
        else:
            assert A not in r.text and C not in r.text and B not in r.text


def test_provider_without_units_or_with_ops_role_sees_nothing(paid: PaymentHarness) -> None:
    one = paid.client.get("/v1/statements?period=2026-03", headers=ADMIN).json()["statements"][0]
    nobody = auth("provider", "provider:none", [])
    assert _ids(paid, "period=2026-03&version=1", nobody) == []
    assert (
        paid.client.get(f"/v1/statements/{one['statement_id']}", headers=nobody).status_code == 404
    )
    ops = auth("ops")
    assert paid.client.get("/v1/statements?period=2026-03", headers=ops).status_code == 403
    assert paid.client.get(f"/v1/statements/{one['statement_id']}", headers=ops).status_code == 403


def _b_march(paid: PaymentHarness) -> dict[str, object]:
    r = paid.client.get(f"/v1/statements?period=2026-03&version=1&hsa_id={B}", headers=ADMIN)
    statement: dict[str, object] = r.json()["statements"][0]
    return statement


def test_csv_is_semicolon_decimal_comma_utf8_bom(paid: PaymentHarness) -> None:
    s = _b_march(paid)
    prov = auth("provider", "provider:b", [B])
    r = paid.client.get(
        f"/v1/statements/{s['statement_id']}", headers={**prov, "Accept": "text/csv"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "HSA-id" and rows[0][7] == "Komponent" and "Förändring (kr)" in rows[0]
    by_component = {row[7]: row for row in rows[1:]}
    # B's capitation: weight 4 of 10, pool 41 666,67, amount 16 666,67 (see test_domain)
    assert by_component["Kapitering (ålder)"][8:13] == [
        "4",
        "10",
        "0,400000000000",
        "41666,67",
        "16666,67",
    ]
    assert by_component["Summa"][12] == "27083,34"
    assert all("." not in cell for row in rows[1:] for cell in row[8:])


def test_pdf_is_a_real_pdf_with_unit_and_totals(paid: PaymentHarness) -> None:
    s = _b_march(paid)
    r = paid.client.get(
        f"/v1/statements/{s['statement_id']}", headers={**ADMIN, "Accept": "application/pdf"}
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-") and len(r.content) > 3000
    assert b"%%EOF" in r.content[-1024:]
    from services.payment.api.render import statement_html
    from shared.schemas.payment import Statement

    html = statement_html(Statement.model_validate(s))
    assert B in html and "Hälsocentral B002" in html and "27\u00a0083,34" in html
    assert "2026-02-28" in html and "2026 version 1" in html


def test_json_by_default_and_406_for_unknown_types(paid: PaymentHarness) -> None:
    s = _b_march(paid)
    path = f"/v1/statements/{s['statement_id']}"
    assert paid.client.get(path, headers=ADMIN).json()["total_sek"] == "27083.34"
    assert paid.client.get(path, headers={**ADMIN, "Accept": "image/png"}).status_code == 406


@pytest.mark.parametrize("mask", range(16))
def test_no_provider_token_ever_reads_another_units_statement(
    paid: PaymentHarness, mask: int
) -> None:
    """Every combination of units in a provider token: exactly its own approved statements."""
    pool = [A, B, C, "SE2321000207-Z999"]
    mine = [h for i, h in enumerate(pool) if mask >> i & 1]
    prov = auth("provider", f"provider:{mask}", mine)
    seen = {
        (s["hsa_id"], s["version"])
        for q in (
            "period=2026-03",
            "period=2026-03&version=2",
            "period=2026-04",
            "period=2026-03&version=1",
        )
        for s in paid.client.get(f"/v1/statements?{q}", headers=prov).json()["statements"]
    }
    assert seen == {(h, 1) for h in mine if h != pool[3]}
