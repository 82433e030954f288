"""The payout rules and the SIE 4 writer on their own: lines per unit never netted, the
ledger's balances, the PC8 rule, and a written file read back by an independent reader."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.payment.domain.payouts import (
    DEFAULT_ACCOUNTING,
    LineKind,
    UnitAmount,
    ledger,
    paid_so_far,
    payout_lines,
)
from services.payment.domain.sie import (
    SieDocument,
    Trans,
    Voucher,
    amount,
    payout_voucher,
    pc8_text,
    write_sie,
)
from shared.period import Period
from tests.payment.sie_reader import parse, tokens

MARCH = Period(2026, 3)


def test_first_payout_has_a_line_per_unit() -> None:
    lines = payout_lines(
        period=MARCH,
        version=1,
        amounts={"B": UnitAmount(200, 0, "Bee"), "A": UnitAmount(0), "C": UnitAmount(150, 9)},
        paid=None,
        paid_version=None,
    )
    assert [(ln.hsa_id, ln.kind, ln.amount_ore, ln.vat_ore) for ln in lines] == [
        ("A", LineKind.payment, 0, 0),
        ("B", LineKind.payment, 200, 0),
        ("C", LineKind.payment, 150, 9),
    ]
    assert lines[2].cost_ore == 141


def test_correction_is_per_unit_and_never_netted() -> None:
    paid = {"A": UnitAmount(500), "B": UnitAmount(300), "C": UnitAmount(100), "D": UnitAmount(7)}
    new = {"A": UnitAmount(400), "B": UnitAmount(410), "C": UnitAmount(100), "E": UnitAmount(3)}
    lines = payout_lines(period=MARCH, version=3, amounts=new, paid=paid, paid_version=2)
    got = {ln.hsa_id: (ln.kind, ln.amount_ore) for ln in lines}
    # C unchanged has no line; D gone is credited in full; E new is paid in full
    assert got == {
        "A": (LineKind.credit, -100),
        "B": (LineKind.correction, 110),
        "D": (LineKind.credit, -7),
        "E": (LineKind.correction, 3),
    }
    assert all((ln.paid_version, ln.version, ln.period) == (2, 3, MARCH) for ln in lines)
    # paid so far + the correction = the new version, unit by unit
    after = paid_so_far(
        [*payout_lines(period=MARCH, version=2, amounts=paid, paid=None, paid_version=None), *lines]
    )
    assert {h: a.total_ore for h, a in after.items() if a.total_ore} == {
        h: a.total_ore for h, a in new.items()
    }


def test_ledger_balances_and_runs() -> None:
    rows = ledger(
        2026,
        computed={Period(2026, 1): (1, 1000), Period(2026, 2): (2, 900)},
        lines=[
            (Period(2026, 1), LineKind.payment, 1000),
            (Period(2026, 2), LineKind.payment, 1000),
            (Period(2026, 2), LineKind.credit, -60),
        ],
    )
    assert len(rows) == 12
    jan, feb, mar = rows[:3]
    assert (jan.computed_ore, jan.paid_ore, jan.corrected_ore, jan.balance_ore) == (
        1000,
        1000,
        0,
        0,
    )
    # February: version 2 pays 900, 1000 was paid and 60 credited: the unit still owes 40
    assert (feb.version, feb.paid_ore, feb.corrected_ore, feb.balance_ore) == (2, 1000, -60, -40)
    assert feb.running_ore == -40 and mar.version is None and mar.running_ore == -40


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hälsocentral Åre – Östersund", "Hälsocentral Åre - Östersund"),
        ("“Citat” ’x’ … é", "\"Citat\" 'x' ... é"),
        # ó and ü are in CP437; ź and ő lose their accent; Ł has no base letter: ?
        ("Łódź ő ü", "?ódz o ü"),
        ("a\u00a0b\tc", "a b c"),
        ("漢", "?"),
    ],
)
def test_pc8_rule(text: str, expected: str) -> None:
    assert pc8_text(text) == expected
    pc8_text(text).encode("cp437")


@given(st.text(max_size=40))
def test_pc8_always_encodes(text: str) -> None:
    pc8_text(text).encode("cp437")


def test_amounts_are_exact() -> None:
    assert [amount(x) for x in (0, 7, -7, 123456, -100)] == [
        "0.00",
        "0.07",
        "-0.07",
        "1234.56",
        "-1.00",
    ]


def test_reader_tokenises_like_the_format() -> None:
    assert tokens('#OBJEKT 1 "A \\"x\\"" "B"') == ["#OBJEKT", "1", 'A "x"', "B"]
    assert tokens('#TRANS 4611 {1 "SE1"} -1.00') == ["#TRANS", "4611", '{1 "SE1"}', "-1.00"]


def test_voucher_books_private_and_region_units_and_balances() -> None:
    lines = payout_lines(
        period=MARCH,
        version=2,
        amounts={"P": UnitAmount(10_600, 600), "R": UnitAmount(5_000), "Q": UnitAmount(1)},
        paid={"P": UnitAmount(10_000), "R": UnitAmount(5_100), "Q": UnitAmount(1)},
        paid_version=1,
    )
    v = payout_voucher(
        lines, private={"P"}, accounting=DEFAULT_ACCOUNTING, date=dt.date(2026, 4, 25), text="t"
    )
    # P: 600 more, all of it VAT compensation (so no cost row); R: 100 less, a credit line
    # booked with the opposite signs; Q unchanged: no line, no rows
    assert v.transactions == (
        Trans("4612", "P", 600),
        Trans("2441", "P", -600),
        Trans("4611", "R", -100),
        Trans("2899", "R", 100),
    )
    by = {(t.account, t.object_id): t.amount_ore for t in v.transactions}
    assert by == {("4612", "P"): 600, ("2441", "P"): -600, ("4611", "R"): -100, ("2899", "R"): 100}
    assert v.balance_ore == 0


def _doc(vouchers: tuple[Voucher, ...]) -> SieDocument:
    return SieDocument(
        program="Hälsoval",
        program_version="0.1.0",
        generated=dt.date(2026, 12, 1),
        company="Region Jämtland Härjedalen – Hälsoval",
        year_start=dt.date(2026, 1, 1),
        year_end=dt.date(2026, 12, 31),
        accounts=(("4611", "Vårdersättning"), ("2441", "Leverantörsskulder")),
        dimension=(1, "Kostnadsställe"),
        objects=(("SE2321000207-A001", 'Hälsocentral "Åre"'),),
        vouchers=vouchers,
    )


def test_written_file_reads_back() -> None:
    v = Voucher(
        dt.date(2026, 4, 25),
        "Hälsoval utbetalning 2026-03",
        (
            Trans("4611", "SE2321000207-A001", 123_456),
            Trans("2441", "SE2321000207-A001", -123_456),
        ),
    )
    data = write_sie(_doc((v,)))
    sie = parse(data)
    assert sie.labels["#FLAGGA"] == [["0"]]
    assert sie.labels["#FORMAT"] == [["PC8"]]
    assert sie.labels["#SIETYP"] == [["4"]]
    assert sie.labels["#PROGRAM"] == [["Hälsoval", "0.1.0"]]
    assert sie.labels["#GEN"] == [["20261201"]]
    assert sie.labels["#FNAMN"] == [["Region Jämtland Härjedalen - Hälsoval"]]  # – → -
    assert sie.labels["#RAR"] == [["0", "20260101", "20261231"]]
    assert sie.labels["#KONTO"] == [["2441", "Leverantörsskulder"], ["4611", "Vårdersättning"]]
    assert sie.labels["#DIM"] == [["1", "Kostnadsställe"]]
    assert sie.labels["#OBJEKT"] == [["1", "SE2321000207-A001", 'Hälsocentral "Åre"']]
    (ver,) = sie.vers
    assert ver.head == ["", "", "20260425", "Hälsoval utbetalning 2026-03"]  # no number
    assert ver.trans == [
        ("4611", {"1": "SE2321000207-A001"}, D("1234.56")),
        ("2441", {"1": "SE2321000207-A001"}, D("-1234.56")),
    ]
    # the labels come in the order the format gives them
    order = [ln.split(" ")[0] for ln in data.decode("cp437").split("\r\n") if ln.startswith("#")]
    assert order[:7] == ["#FLAGGA", "#FORMAT", "#SIETYP", "#PROGRAM", "#GEN", "#FNAMN", "#RAR"]


def test_an_unbalanced_voucher_is_never_written() -> None:
    v = Voucher(dt.date(2026, 4, 25), "x", (Trans("4611", None, 1),))
    with pytest.raises(ValueError, match="does not balance"):
        write_sie(_doc((v,)))
