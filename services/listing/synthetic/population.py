"""The residents and their listing histories, streamed to CSV in personnummer order.

People are produced birth date by birth date with ascending serial numbers, so both
files come out sorted by personnummer without ever holding the population in memory:
memory stays flat (a few MB) whatever the size. Plain `random.Random` seeded from the
caller's seed makes every run byte-for-byte reproducible.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from services.listing.synthetic.geography import Deso, Region, scale_largest_remainder
from shared.ids import luhn_check_digit

# Sweden's population by five-year age group, thousands (approximate, 2024). Single years get
# a fifth each; 100-105 tails off.
_PYRAMID_5Y = [
    560,
    620,
    650,
    620,
    600,
    680,
    720,
    700,
    650,
    660,
    680,
    640,
    590,
    560,
    540,
    480,
    320,
    170,
    75,
    22,
]
MAX_AGE = 105
PROTECTED_SHARE = 0.001
LISTED_SHARE = 0.98
_FLUSH_EVERY = 20_000
_LUHN_W = (2, 1, 2, 1, 2, 1, 2, 1, 2)


def age_weights() -> list[float]:
    """Relative number of people of each completed age 0..105."""
    w = [_PYRAMID_5Y[a // 5] / 5 for a in range(100)]
    w += [0.9, 0.55, 0.3, 0.15, 0.07, 0.03]
    return w


def _death_probability(age: int) -> float:
    """Gompertz-like yearly mortality: ~0.15% at 40, ~4.5% at 80, ~25% at 100."""
    return min(0.5, 0.00005 * math.exp(0.085 * age) + (0.002 if age == 0 else 0.0))


def _move_probability(age: int) -> float:
    """Share moving out of the region in a year: young adults move most."""
    return 0.025 if 19 <= age <= 34 else 0.008


def _digit_sum(digits: str, weights: tuple[int, ...]) -> int:
    total = 0
    for ch, w in zip(digits, weights, strict=True):
        d = int(ch) * w
        total += d - 9 if d > 9 else d
    return total


# Luhn contribution of the three serial digits (positions 7-9 of the 10 checked digits).
_SERIAL_SUM = [_digit_sum(f"{s:03d}", _LUHN_W[6:]) for s in range(1000)]
assert all(  # the fast path agrees with shared.ids for a sample
    (10 - (_digit_sum("260131", _LUHN_W[:6]) + _SERIAL_SUM[s]) % 10) % 10
    == luhn_check_digit(f"260131{s:03d}")
    for s in range(0, 1000, 37)
)


@dataclass(slots=True)
class Counters:
    residents: int = 0
    listing_rows: int = 0
    protected: int = 0
    deceased: int = 0
    moved_out: int = 0


class _Dates:
    """ISO strings of date ordinals, cached: formatting dates is the hot path."""

    def __init__(self) -> None:
        self._cache: dict[int, str] = {}

    def __call__(self, ordinal: int) -> str:
        s = self._cache.get(ordinal)
        if s is None:
            s = dt.date.fromordinal(ordinal).isoformat()
            self._cache[ordinal] = s
        return s


def write_population(
    region: Region, residents: int, seed: int, as_of: dt.date, register: TextIO, listings: TextIO
) -> Counters:
    """Write the register and listing CSVs (headers included) for `residents` people."""
    rng = random.Random(f"halsoval-people-{seed}")
    r: Callable[[], float] = rng.random
    iso = _Dates()
    counters = Counters()
    register.write(
        "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,moved_out_on\n"
    )
    listings.write("personnummer,hsa_id,valid_from,valid_to,reason,special_reason\n")

    munis = region.municipalities
    cum: list[float] = []
    acc = 0.0
    for m in munis:
        acc += m.population
        cum.append(acc)
    areas: list[list[Deso]] = [region.desos[m.code] for m in munis]
    units = region.primary_units
    hsa = [u.hsa_id for u in units]
    n_units = len(units)
    as_of_ord = as_of.toordinal()
    win_start = as_of_ord - 365  # changes happen in (win_start, as_of]
    death_p = [_death_probability(a) for a in range(MAX_AGE + 1)]
    move_p = [_move_probability(a) for a in range(MAX_AGE + 1)]

    reg_buf: list[str] = []
    lst_buf: list[str] = []
    cohorts = scale_largest_remainder(age_weights(), residents)

    for age in range(MAX_AGE, -1, -1):  # oldest first: birth dates ascend, so personnummer do
        year = as_of.year - age
        first = dt.date(year, 1, 1).toordinal()
        last = min(dt.date(year, 12, 31).toordinal(), as_of_ord)
        n_days = last - first + 1
        n = cohorts[age]
        if n == 0:
            continue
        base, extra = divmod(n, n_days)
        extra_days = set(rng.sample(range(n_days), extra))
        for day in range(n_days):
            k = base + (1 if day in extra_days else 0)
            if k == 0:
                continue
            if k > 999:  # serials 001-999: 000 is never issued
                raise ValueError("more than 999 people born on one day: too many residents")
            birth_ord = first + day
            bdate = dt.date.fromordinal(birth_ord)
            prefix = f"{bdate.year:04d}{bdate.month:02d}{bdate.day:02d}"
            date_sum = _digit_sum(prefix[2:], _LUHN_W[:6])
            step = 999 // k
            for i in range(k):
                serial = 1 + i * step + int(r() * step)
                pnr = f"{prefix}{serial:03d}{(10 - (date_sum + _SERIAL_SUM[serial]) % 10) % 10}"
                # where they live
                mi = bisect.bisect_right(cum, r() * acc)
                if mi >= len(munis):
                    mi = len(munis) - 1
                muni_areas = areas[mi]
                area = muni_areas[int(r() * len(muni_areas))]
                protected = r() < PROTECTED_SHARE
                # deaths and moves during the last year
                x = r()
                event = 0
                deceased = moved = ""
                if x < death_p[age]:
                    event = max(birth_ord, win_start + 1 + int(r() * 365))
                    deceased = iso(event)
                    counters.deceased += 1
                elif x < death_p[age] + move_p[age]:
                    event = max(birth_ord, win_start + 1 + int(r() * 365))
                    moved = iso(event)
                    counters.moved_out += 1
                if protected:
                    counters.protected += 1
                    reg_buf.append(f"{pnr},{munis[mi].code},,,,true,{deceased},{moved}\n")
                else:
                    rad = area.radius_km
                    lat = area.lat + (r() - 0.5) * rad / 55.5
                    lon = area.lon + (r() - 0.5) * rad / (55.5 * math.cos(math.radians(area.lat)))
                    reg_buf.append(
                        f"{pnr},{munis[mi].code},{area.code},{lat:.5f},{lon:.5f},false,"
                        f"{deceased},{moved}\n"
                    )
                counters.residents += 1
                if r() < LISTED_SHARE:
                    counters.listing_rows += _history(
                        pnr,
                        birth_ord,
                        event,
                        win_start,
                        as_of_ord,
                        area,
                        hsa,
                        n_units,
                        r,
                        iso,
                        lst_buf,
                    )
                if len(reg_buf) >= _FLUSH_EVERY:
                    register.write("".join(reg_buf))
                    listings.write("".join(lst_buf))
                    reg_buf.clear()
                    lst_buf.clear()
    register.write("".join(reg_buf))
    listings.write("".join(lst_buf))
    return counters


def _history(
    pnr: str,
    birth: int,
    event: int,
    win_start: int,
    as_of: int,
    area: Deso,
    hsa: list[str],
    n_units: int,
    r: Callable[[], float],
    iso: _Dates,
    out: list[str],
) -> int:
    """One person's listings, oldest first; returns the number of rows written.

    Respects the rules the listing service enforces: no overlaps (valid_to inclusive, the day
    before the next valid_from), nothing starting after a death or move, and never a third
    `choice` listing within 365 days unless special_reason is set.
    """
    limit = event or as_of
    x = r()
    if birth > win_start:  # born during the year: listed from birth or soon after
        start = birth + int(r() * 30)
        reason = "default" if x < 0.6 else "choice"
    elif x < 0.05:  # moved into the region during the year: placed by the region
        start = win_start + 1 + int(r() * 365)
        reason = "default"
    else:
        start = max(birth, win_start - 1 - int(r() * 3650))
        y = r()
        reason = "choice" if y < 0.7 else "default" if y < 0.95 else "administrative"
    if start > limit:
        return 0
    cands = area.candidates
    y = r()
    unit = area.nearest if y < 0.7 else cands[int(r() * len(cands))]
    # how many changes during the year (rows per person ~1.3 on average)
    y = r()
    n_changes = 0 if y < 0.715 else 1 if y < 0.96 else 2
    lo = max(start, win_start)
    span = limit - lo
    changes: list[int] = []
    if n_changes and span > 0:
        changes = sorted({lo + 1 + int(r() * span) for _ in range(n_changes)})
    choices: list[int] = [start] if reason == "choice" else []
    rows: list[tuple[int, int, str, bool]] = [(start, unit, reason, False)]
    for d in changes:
        y = r()
        reason = "choice" if y < 0.85 else "administrative" if y < 0.95 else "default"
        special = False
        if reason == "choice" and sum(1 for c in choices if c >= d - 365) >= 2:
            if r() < 0.2:
                special = True
            else:
                reason = "administrative"
        if reason == "choice":
            choices.append(d)
        if len(cands) > 1:
            new = cands[int(r() * len(cands))]
            while new == unit:
                new = cands[int(r() * len(cands))]
        else:
            new = int(r() * n_units)
        unit = new
        rows.append((d, unit, reason, special))
    for i, (d, u, reason, special) in enumerate(rows):
        if i + 1 < len(rows):
            valid_to = iso(rows[i + 1][0] - 1)
        elif event and r() < 0.5:
            valid_to = iso(
                event
            )  # ended when they died or moved (or left open: counts exclude them)
        else:
            valid_to = ""
        out.append(
            f"{pnr},{hsa[u]},{iso(d)},{valid_to},{reason},{'true' if special else 'false'}\n"
        )
    return len(rows)
