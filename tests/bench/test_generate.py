"""The synthetic data generator: valid, reproducible, and consistent with the listing rules."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from typer.testing import CliRunner

from services.listing.synthetic import DEFAULT_AS_OF, GeneratedFiles, generate
from services.listing.synthetic.cli import app
from shared.ids import make_identity_number, parse_identity_number
from shared.schemas.common import DesoCode, MunicipalityCode
from shared.schemas.listing import Unit

RJH_CODES = {"2303", "2305", "2309", "2313", "2321", "2326", "2361", "2380"}


@pytest.fixture(scope="module")
def rjh(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFiles:
    return generate(residents=30_000, units=27, seed=7, out_dir=tmp_path_factory.mktemp("rjh"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_headers_are_the_import_contract(rjh: GeneratedFiles) -> None:
    assert rjh.register_csv.read_text().splitlines()[0] == (
        "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,moved_out_on"
    )
    assert rjh.listings_csv.read_text().splitlines()[0] == (
        "personnummer,hsa_id,valid_from,valid_to,reason,special_reason"
    )


def test_units_parse_and_have_the_rjh_shape(rjh: GeneratedFiles) -> None:
    units = [Unit.model_validate(u) for u in json.loads(rjh.units_json.read_text())]
    primary = [u for u in units if u.care_type == "primary"]
    dental = [u for u in units if u.care_type == "dental"]
    assert len(primary) == 27
    assert len({u.hsa_id for u in units}) == len(units)
    assert {u.municipality_code for u in dental} == RJH_CODES and len(dental) == 8
    assert all(u.ownership == "region" and u.name.startswith("Folktandvården") for u in dental)
    for code in RJH_CODES:
        assert any(u.ownership == "region" for u in primary if u.municipality_code == code), code
    ost = [u for u in primary if u.municipality_code == "2380"]
    assert sum(u.ownership == "region" for u in ost) == 5
    assert any(u.ownership == "private" for u in primary)
    for u in units:
        assert 61.5 < (u.lat or 0) < 65 and 12 < (u.lon or 0) < 17.5
        assert u.distance_to_hospital_km >= 0 and u.active_to is None
        # a payee for every unit, valid by its check digits (the contract checks them), the
        # organisation number the one its HSA-id carries
        assert u.organisation_number is not None and u.bankgiro is not None
        assert u.organisation_number.replace("-", "")[:9] == u.hsa_id[2:11]


def test_identity_numbers_are_valid_unique_and_sorted(rjh: GeneratedFiles) -> None:
    rows = _rows(rjh.register_csv)
    assert len(rows) == 30_000 == rjh.residents
    pnrs = [r["personnummer"] for r in rows]
    assert pnrs == sorted(pnrs) and len(set(pnrs)) == len(pnrs)
    sexes: Counter[str] = Counter()
    for p in pnrs:
        ident = parse_identity_number(p)
        assert not ident.is_coordination_number
        assert make_identity_number(ident.birth_date, int(p[8:11])) == p
        assert ident.birth_date <= DEFAULT_AS_OF
        sexes[ident.sex] += 1
    assert 0.45 < sexes["F"] / len(pnrs) < 0.55


def test_register_fields_and_population_shape(rjh: GeneratedFiles) -> None:
    rows = _rows(rjh.register_csv)
    deso = TypeAdapter(DesoCode)
    muni = TypeAdapter(MunicipalityCode)
    by_muni: Counter[str] = Counter()
    desos: set[str] = set()
    ages: Counter[int] = Counter()
    protected = dead = moved = 0
    year_ago = DEFAULT_AS_OF - dt.timedelta(days=365)
    for r in rows:
        muni.validate_python(r["municipality_code"])
        by_muni[r["municipality_code"]] += 1
        if r["protected_identity"] == "true":
            protected += 1
            assert r["deso_code"] == "" and r["lat"] == ""
        else:
            assert r["protected_identity"] == "false"
            deso.validate_python(r["deso_code"])
            assert r["deso_code"][:4] == r["municipality_code"] and r["deso_code"][4] in "ABC"
            desos.add(r["deso_code"])
            assert 61 < float(r["lat"]) < 66 and 11 < float(r["lon"]) < 18
        assert not (r["deceased_on"] and r["moved_out_on"])
        for field in ("deceased_on", "moved_out_on"):
            if r[field]:
                assert year_ago < dt.date.fromisoformat(r[field]) <= DEFAULT_AS_OF
        dead += bool(r["deceased_on"])
        moved += bool(r["moved_out_on"])
        ages[DEFAULT_AS_OF.year - int(r["personnummer"][:4])] += 1
    assert set(by_muni) == RJH_CODES
    assert 0.45 < by_muni["2380"] / len(rows) < 0.52  # Östersund: about half
    assert by_muni["2380"] > by_muni["2309"] > by_muni["2303"]
    assert 14 <= len(desos) <= 26  # about one DeSO per 1,500 residents
    assert 5 <= protected <= 80  # ~0.1 %
    assert 0.004 < dead / len(rows) < 0.02 and 0.005 < moved / len(rows) < 0.03
    assert max(ages) >= 100 and min(ages) == 0
    assert 0.17 < sum(n for a, n in ages.items() if a >= 65) / len(rows) < 0.25


def test_histories_follow_the_listing_rules(rjh: GeneratedFiles) -> None:
    units = {u["hsa_id"]: u for u in json.loads(rjh.units_json.read_text())}
    register = {r["personnummer"]: r for r in _rows(rjh.register_csv)}
    rows = _rows(rjh.listings_csv)
    assert len(rows) == rjh.listing_rows
    keys = [(r["personnummer"], r["valid_from"]) for r in rows]
    assert keys == sorted(keys)
    people: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        people[r["personnummer"]].append(r)
    assert 0.96 < len(people) / len(register) <= 0.99
    assert 1.2 < len(rows) / len(people) < 1.4
    reasons = Counter(r["reason"] for r in rows)
    assert set(reasons) == {"choice", "default", "administrative"}
    same_muni = 0
    for pnr, hist in people.items():
        person = register[pnr]
        birth = parse_identity_number(pnr).birth_date
        end = person["deceased_on"] or person["moved_out_on"]
        choices: list[dt.date] = []
        for i, r in enumerate(hist):
            unit = units[r["hsa_id"]]
            assert unit["care_type"] == "primary"
            start = dt.date.fromisoformat(r["valid_from"])
            assert birth <= start <= DEFAULT_AS_OF
            if end:
                assert start <= dt.date.fromisoformat(end)
            if i + 1 < len(hist):  # closed the day before the next one starts: no overlap, no gap
                nxt = dt.date.fromisoformat(hist[i + 1]["valid_from"])
                assert r["valid_to"] == (nxt - dt.timedelta(days=1)).isoformat()
                assert nxt > start
            elif r["valid_to"]:
                assert (
                    end and r["valid_to"] <= end and dt.date.fromisoformat(r["valid_to"]) >= start
                )
            assert r["special_reason"] in ("true", "false")
            if r["reason"] == "choice":
                within = [c for c in choices if c >= start - dt.timedelta(days=365)]
                assert len(within) < 2 or r["special_reason"] == "true", pnr
                choices.append(start)
            same_muni += unit["municipality_code"] == person["municipality_code"]
    assert same_muni / len(rows) > 0.85


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path, rjh: GeneratedFiles) -> None:
    again = generate(residents=30_000, units=27, seed=7, out_dir=tmp_path / "a")
    other = generate(residents=30_000, units=27, seed=8, out_dir=tmp_path / "b")
    for name in ("units_json", "register_csv", "listings_csv"):
        assert getattr(again, name).read_bytes() == getattr(rjh, name).read_bytes()
    assert other.register_csv.read_bytes() != rjh.register_csv.read_bytes()


def test_national_profile_spreads_units_over_290_municipalities(tmp_path: Path) -> None:
    files = generate(residents=40_000, units=400, seed=3, out_dir=tmp_path, profile="national")
    units = [Unit.model_validate(u) for u in json.loads(files.units_json.read_text())]
    primary = [u for u in units if u.care_type == "primary"]
    munis = {r["municipality_code"] for r in _rows(files.register_csv)}
    assert len(primary) == 400
    assert 280 <= len({u.municipality_code for u in primary}) <= 300
    assert len(munis) >= 250


def test_memory_stays_bounded(tmp_path: Path) -> None:
    """Memory does not grow with the size: 100k residents need the same few MB as 20k."""
    peaks = []
    for n in (20_000, 100_000):
        tracemalloc.start()
        generate(residents=n, units=27, seed=1, out_dir=tmp_path / str(n))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0] + 1_000_000
    assert peaks[1] < 20_000_000


def test_cli_generate(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "--residents",
            "500",
            "--units",
            "10",
            "--seed",
            "2",
            "--out",
            str(tmp_path),
            "--profile",
            "stockholm",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(_rows(tmp_path / "register.csv")) == 500
    codes = {u["municipality_code"] for u in json.loads((tmp_path / "units.json").read_text())}
    assert "0180" in codes
    bad = CliRunner().invoke(app, ["--residents", "5", "--out", str(tmp_path), "--profile", "mars"])
    assert bad.exit_code != 0
