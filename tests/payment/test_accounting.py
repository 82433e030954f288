"""The model's accounting block: validated where the model enters, and the payout's SIE file
booked to the accounts of the model version its run used (issue 12, item 5)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from pydantic import ValidationError

from services.payment.domain.model import PaymentModel
from services.payment.domain.payouts import DEFAULT_ACCOUNTING
from tests.payment.conftest import ADMIN, FINANCE, A, B, C, PaymentHarness, example_model
from tests.payment.payouts_setup import (
    approve_payout,
    approved_run,
    b_gains_a_listing,
    pay,
    payee_units,
)
from tests.payment.sie_reader import parse

OWN = {
    "cost_account": "4620",
    "payable_account": "2440",
    "internal_account": "2890",
    "vat_account": "4625",
    "dimension": 20,
}


def test_omitted_or_at_its_defaults_the_block_is_today_s_accounts() -> None:
    plain = PaymentModel.model_validate(example_model())
    spelt = PaymentModel.model_validate(
        example_model(accounting={"cost_account": "4611", "dimension": 1})
    )
    assert plain.accounting.booking() == DEFAULT_ACCOUNTING
    # the canonical text leaves the defaults out: a model without the block compares the same
    assert spelt.canonical_json() == plain.canonical_json()
    assert "accounting" not in plain.canonical_json()
    own = PaymentModel.model_validate(example_model(accounting=OWN))
    assert '"accounting":{' in own.canonical_json()
    assert own.accounting.booking().cost_account == "4620"


@pytest.mark.parametrize(
    ("block", "field"),
    [
        ({"cost_account": "461"}, "cost_account"),
        ({"cost_account": "46110"}, "cost_account"),
        ({"cost_account": "0611"}, "cost_account"),  # no account class 0
        ({"cost_account": "9611"}, "cost_account"),
        ({"cost_account": "４６１１"}, "cost_account"),  # full-width digits are no account
        ({"cost_account": 4611}, "cost_account"),
        ({"payable_account": "4611"}, "payable_account"),  # credited where it is debited
        ({"internal_account": "4611"}, "internal_account"),
        ({"vat_account": "2441"}, "vat_account"),
        ({"dimension": 0}, "dimension"),
        ({"dimension": 100}, "dimension"),
        ({"dimension": True}, "dimension"),
        ({"ledger": "x"}, "ledger"),
    ],
)
def test_a_bad_block_names_its_field(block: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        PaymentModel.model_validate(example_model(accounting=block))
    assert [e["loc"] for e in err.value.errors()] == [("accounting", field)]


def test_put_refuses_a_bad_block_naming_the_field(harness: PaymentHarness) -> None:
    r = harness.client.put(
        "/v1/models/2026",
        json=example_model(accounting={**OWN, "vat_account": "2440"}),
        headers=ADMIN,
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["accounting.vat_account"]
    ok = harness.client.put("/v1/models/2026", json=example_model(accounting=OWN), headers=ADMIN)
    assert ok.status_code == 201
    assert harness.client.get("/v1/models/2026", headers=ADMIN).json()["model"]["accounting"] == OWN


def _accounts(sie: bytes) -> tuple[set[str], list[list[str]]]:
    doc = parse(sie)
    booked = {acc for ver in doc.vers for acc, _, _ in ver.trans}
    return booked, doc.labels["#DIM"]


def _put_approved(h: PaymentHarness, **changes: Any) -> None:
    put = h.put_model(approve=False, **changes)
    assert put.status_code in (200, 201), put.text
    ok = h.approve_model(2026, put.json()["version"])
    assert ok.status_code == 200, ok.text


def test_sie_books_to_the_accounts_of_the_version_its_run_used(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    h = make_harness(payee_units())
    _put_approved(h, accounting=OWN)
    approved_run(h)
    first = pay(h).json()
    first = approve_payout(h, first["payout_id"]).json()
    sie = h.client.get(f"/v1/payouts/{first['payout_id']}/files/sie", headers=FINANCE)
    assert sie.status_code == 200, sie.text
    booked, dim = _accounts(sie.content)
    # A and B are private (payable 2440), C the region's own (internal 2890); no VAT here
    assert booked == {"4620", "2440", "2890"} and dim == [["20", "Kostnadsställe"]]
    ver = parse(sie.content).vers[0]
    assert {obj["20"] for _, obj, _ in ver.trans} == {A, B, C}
    assert sum(a for _, _, a in ver.trans) == D(0)
    konto = {row[0] for row in parse(sie.content).labels["#KONTO"]}
    assert {"4620", "2440", "2890", "4625"} <= konto and "4611" not in konto

    # version 2 (from January) goes back to the default accounts; the re-run of March uses it
    _put_approved(h)
    b_gains_a_listing(h)
    approved_run(h)
    corr = approve_payout(h, pay(h).json()["payout_id"]).json()
    again = h.client.get(f"/v1/payouts/{corr['payout_id']}/files/sie", headers=FINANCE)
    booked, dim = _accounts(again.content)
    assert booked <= {"4611", "2441", "2899"} and "4611" in booked and dim[0][0] == "1"
    # the first payout's file is booked as before: its run used version 1
    before = h.client.get(f"/v1/payouts/{first['payout_id']}/files/sie", headers=FINANCE)
    assert _accounts(before.content)[0] == {"4620", "2440", "2890"}
