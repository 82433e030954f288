"""Synthetic data for the listing service: care units, a population register extract and a
year of listing history, of any size, streamed in bounded memory and reproducible per seed.

Used by the demo region (`make run`), the benchmarks (`make bench`) and `halsoval generate`.
The data is synthetic: no real person is described, identity numbers are merely valid.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from services.listing.synthetic.geography import PROFILES, REGION_CODES, build_region
from services.listing.synthetic.population import write_population

__all__ = ["DEFAULT_AS_OF", "PROFILES", "REGION_CODES", "GeneratedFiles", "generate"]

# The last day of the generated year of listing changes: fixed, so a seed gives the same files
# on any day. Counts on or after it see the final state of every history.
DEFAULT_AS_OF = dt.date(2026, 10, 31)


@dataclass(frozen=True)
class GeneratedFiles:
    units_json: Path
    register_csv: Path
    listings_csv: Path
    residents: int = 0
    listing_rows: int = 0
    units: int = 0


def generate(
    *,
    residents: int,
    units: int,
    seed: int,
    out_dir: Path,
    profile: str = "rjh",
    as_of: dt.date = DEFAULT_AS_OF,
) -> GeneratedFiles:
    """Write units.json, register.csv and listings.csv into out_dir and return their paths.

    `units` is the number of primary-care centres; one dental clinic per municipality comes
    on top. Profiles: "rjh" (Jämtland Härjedalen), "stockholm", "national".
    """
    if residents < 1 or units < 1:
        raise ValueError("residents and units must be at least 1")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    region = build_region(profile, residents, units, seed)
    units_json = out_dir / "units.json"
    all_units = region.primary_units + region.dental_units
    units_json.write_text(
        json.dumps([u.as_json() for u in all_units], ensure_ascii=False, indent=1), encoding="utf-8"
    )
    register_csv = out_dir / "register.csv"
    listings_csv = out_dir / "listings.csv"
    with (
        register_csv.open("w", encoding="utf-8", newline="", buffering=1 << 20) as reg,
        listings_csv.open("w", encoding="utf-8", newline="", buffering=1 << 20) as lst,
    ):
        counters = write_population(region, residents, seed, as_of, reg, lst)
    return GeneratedFiles(
        units_json,
        register_csv,
        listings_csv,
        residents=counters.residents,
        listing_rows=counters.listing_rows,
        units=len(all_units),
    )
