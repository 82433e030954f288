"""Where people live and where the health centres are, per profile.

Three profiles: "rjh" (Region Jämtland Härjedalen's 8 municipalities, real codes, real
towns and approximate road distances to Östersund hospital), "stockholm" (Region
Stockholm's 26 municipalities, real codes, approximate centres) and "national" (Sweden's
290 municipalities, real codes and names from SCB's list, synthetic places and sizes).
Numbers are approximate 2024 figures: good enough to give the data the right shape, not
official statistics. DeSO codes are synthetic but of SCB's form and always of the person's
municipality. The listing service serving a profile runs with REGION_CODES[profile].
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.listing.db.reference import MunicipalityRecord, vendored_municipalities
from shared.payee import luhn_valid

PROFILES = ("rjh", "stockholm", "national")
# The REGION_CODE a listing service loading the profile serves (Jämtland, Stockholm, Sweden).
REGION_CODES = {"rjh": "23", "stockholm": "01", "national": "SE"}

# Municipality code, name, approximate 2024 population, centre (lat, lon), spread in km of
# where people live around the centre, road km from the centre to the county hospital.
_RJH: list[tuple[str, str, int, float, float, float, float]] = [
    ("2380", "Östersund", 64979, 63.1792, 14.6357, 12.0, 3.0),
    ("2309", "Krokom", 15680, 63.3267, 14.4561, 30.0, 22.0),
    ("2321", "Åre", 12693, 63.3470, 13.4700, 40.0, 65.0),
    ("2313", "Strömsund", 11023, 63.8520, 15.5560, 60.0, 105.0),
    ("2361", "Härjedalen", 10175, 62.0340, 14.3570, 60.0, 195.0),
    ("2326", "Berg", 7108, 62.7670, 14.4350, 35.0, 70.0),
    ("2305", "Bräcke", 6035, 62.7510, 15.4200, 30.0, 70.0),
    ("2303", "Ragunda", 5146, 63.1070, 16.3450, 25.0, 95.0),
]

# Health centres of the rjh profile: municipality, name, ownership, lat, lon, road km to hospital.
_RJH_UNITS: list[tuple[str, str, str, float, float, float]] = [
    ("2380", "Hälsocentralen Lugnvik", "region", 63.1903, 14.6060, 4.0),
    ("2380", "Hälsocentralen Odenslund", "region", 63.1820, 14.6550, 2.0),
    ("2380", "Hälsocentralen Z-gränd", "region", 63.1760, 14.6420, 1.5),
    ("2380", "Hälsocentralen Torvalla", "region", 63.1550, 14.6800, 5.0),
    ("2380", "Hälsocentralen Brunflo", "region", 63.0770, 14.8230, 18.0),
    ("2380", "Frösö Hälsocentral", "private", 63.1840, 14.5450, 6.0),
    ("2380", "Hälsocentralen Kronan", "private", 63.1700, 14.6300, 2.5),
    ("2380", "Capio Vårdcentral Östersund", "private", 63.1790, 14.6380, 1.0),
    ("2309", "Hälsocentralen Krokom", "region", 63.3270, 14.4560, 22.0),
    ("2309", "Hälsocentralen Föllinge", "region", 63.6700, 14.6150, 75.0),
    ("2309", "Hälsocentralen Ås", "private", 63.2530, 14.5620, 12.0),
    ("2321", "Hälsocentralen Järpen", "region", 63.3470, 13.4700, 65.0),
    ("2321", "Hälsocentralen Åre", "region", 63.3990, 13.0810, 100.0),
    ("2321", "Hälsocentralen Hallen", "private", 63.1830, 13.9830, 55.0),
    ("2313", "Hälsocentralen Strömsund", "region", 63.8520, 15.5560, 105.0),
    ("2313", "Hälsocentralen Hammerdal", "region", 63.5920, 15.3500, 80.0),
    ("2313", "Hälsocentralen Gäddede", "region", 64.5020, 14.1510, 230.0),
    ("2313", "Hälsocentralen Backe", "private", 63.8240, 16.4000, 150.0),
    ("2361", "Hälsocentralen Sveg", "region", 62.0340, 14.3570, 195.0),
    ("2361", "Hälsocentralen Funäsdalen", "region", 62.5430, 12.5480, 215.0),
    ("2361", "Hälsocentralen Hede", "private", 62.4180, 13.5030, 160.0),
    ("2326", "Hälsocentralen Svenstavik", "region", 62.7670, 14.4350, 70.0),
    ("2326", "Hälsocentralen Myrviken", "region", 62.9930, 14.3400, 45.0),
    ("2326", "Hälsocentralen Hackås", "private", 62.9230, 14.5170, 35.0),
    ("2305", "Hälsocentralen Bräcke", "region", 62.7510, 15.4200, 70.0),
    ("2305", "Hälsocentralen Kälarne", "region", 62.9800, 16.0800, 110.0),
    ("2303", "Hälsocentralen Hammarstrand", "region", 63.1070, 16.3450, 95.0),
]

_STOCKHOLM: list[tuple[str, str, int, float, float, float, float]] = [
    ("0180", "Stockholm", 984748, 59.3293, 18.0686, 8.0, 0.0),
    ("0126", "Huddinge", 115314, 59.2370, 17.9820, 5.0, 0.0),
    ("0182", "Nacka", 108000, 59.3110, 18.1640, 5.0, 0.0),
    ("0181", "Södertälje", 101000, 59.1960, 17.6260, 7.0, 0.0),
    ("0136", "Haninge", 97000, 59.1680, 18.1370, 8.0, 0.0),
    ("0127", "Botkyrka", 96000, 59.1990, 17.8330, 5.0, 0.0),
    ("0123", "Järfälla", 85000, 59.4230, 17.8350, 4.0, 0.0),
    ("0184", "Solna", 85000, 59.3600, 18.0000, 2.0, 0.0),
    ("0163", "Sollentuna", 76000, 59.4280, 17.9510, 4.0, 0.0),
    ("0160", "Täby", 74000, 59.4440, 18.0690, 4.0, 0.0),
    ("0188", "Norrtälje", 64000, 59.7580, 18.7050, 25.0, 0.0),
    ("0183", "Sundbyberg", 55000, 59.3610, 17.9720, 2.0, 0.0),
    ("0191", "Sigtuna", 50000, 59.6220, 17.8570, 8.0, 0.0),
    ("0138", "Tyresö", 49000, 59.2440, 18.2290, 4.0, 0.0),
    ("0114", "Upplands Väsby", 48000, 59.5180, 17.9110, 4.0, 0.0),
    ("0117", "Österåker", 48000, 59.4800, 18.3000, 8.0, 0.0),
    ("0186", "Lidingö", 48000, 59.3670, 18.1330, 3.0, 0.0),
    ("0120", "Värmdö", 47000, 59.3260, 18.3890, 10.0, 0.0),
    ("0115", "Vallentuna", 35000, 59.5340, 18.0780, 8.0, 0.0),
    ("0162", "Danderyd", 33000, 59.4000, 18.0330, 2.0, 0.0),
    ("0139", "Upplands-Bro", 30000, 59.4780, 17.7520, 7.0, 0.0),
    ("0125", "Ekerö", 29000, 59.2900, 17.8120, 8.0, 0.0),
    ("0192", "Nynäshamn", 29000, 58.9030, 17.9480, 10.0, 0.0),
    ("0128", "Salem", 17000, 59.2020, 17.7660, 3.0, 0.0),
    ("0187", "Vaxholm", 12000, 59.4020, 18.3510, 3.0, 0.0),
    ("0140", "Nykvarn", 11000, 59.1790, 17.4300, 5.0, 0.0),
]
_KAROLINSKA = (59.3490, 18.0340)

# Organisation-number based HSA prefixes: the region's own, and a few private providers.
_REGION_ORG = {"rjh": "SE2321000065", "stockholm": "SE2321000016"}
_PRIVATE_ORGS = ("SE5565123456", "SE5567891234", "SE5569876543", "SE5560246810", "SE5561357913")
_ROAD_FACTOR = 1.3  # road km per great-circle km, a typical Swedish detour factor


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    name: str
    population: int
    lat: float
    lon: float
    spread_km: float
    hospital_km: float
    county_hospital: tuple[float, float] = (0.0, 0.0)


@dataclass(slots=True)
class UnitSpec:
    """A care unit as the units JSON holds it (shared.schemas.listing.Unit)."""

    hsa_id: str
    name: str
    municipality_code: str
    ownership: str
    care_type: str
    lat: float
    lon: float
    distance_to_hospital_km: str
    active_from: str = "2015-01-01"
    active_to: str | None = None

    def as_json(self) -> dict[str, object]:
        organisation_number, bankgiro = _payee(self.hsa_id)
        return {
            "hsa_id": self.hsa_id,
            "name": self.name,
            "municipality_code": self.municipality_code,
            "ownership": self.ownership,
            "care_type": self.care_type,
            "lat": self.lat,
            "lon": self.lon,
            "distance_to_hospital_km": self.distance_to_hospital_km,
            "active_from": self.active_from,
            "active_to": self.active_to,
            "organisation_number": organisation_number,
            "bankgiro": bankgiro,
        }


def _with_check_digit(payload: str) -> str:
    """The payload with the Luhn check digit that makes it valid (shared.payee checks it)."""
    return next(payload + d for d in "0123456789" if luhn_valid(payload + d))


def _payee(hsa_id: str) -> tuple[str, str]:
    """A generated payee for a unit: the organisation number its HSA-id carries (SE, then ten
    digits: the first nine with their check digit), and a bankgiro number made from the id."""
    digits = hsa_id[2:12]
    organisation = _with_check_digit(digits[:9])
    giro = _with_check_digit(f"{zlib.crc32(hsa_id.encode()) % 10**6:06d}")
    return f"{organisation[:6]}-{organisation[6:]}", f"{giro[:3]}-{giro[3:]}"


@dataclass(slots=True)
class Deso:
    """A DeSO area: where a share of a municipality's residents live, and the units near it."""

    code: str
    municipality_code: str
    lat: float
    lon: float
    radius_km: float
    nearest: int = 0  # index into the primary units
    candidates: list[int] = field(default_factory=list)  # nearby primary units, nearest first


@dataclass(slots=True)
class Region:
    municipalities: list[Municipality]
    primary_units: list[UnitSpec]
    dental_units: list[UnitSpec]
    desos: dict[str, list[Deso]]  # by municipality code


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; the same measure the listing service uses for default placement."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    """A point some km north and east of another (flat-earth approximation)."""
    return lat + north_km / 111.0, lon + east_km / (111.0 * math.cos(math.radians(lat)))


def scale_largest_remainder(base: Sequence[float], total: int) -> list[int]:
    """Largest-remainder scaling, so the parts add up to exactly `total`."""
    s = sum(base)
    raw = [b * total / s for b in base]
    out = [int(r) for r in raw]
    order = sorted(range(len(base)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _allocate(weights: list[int], n: int, minimum: int) -> list[int]:
    """Split n items over weighted bins, each bin getting at least `minimum` (when n allows)."""
    k = len(weights)
    floor = minimum if n >= minimum * k else 0
    rest = n - floor * k
    return (
        [floor + x for x in scale_largest_remainder([max(w, 1) for w in weights], rest)]
        if rest
        else [floor] * k
    )


def _municipalities(profile: str, residents: int, rng: random.Random) -> list[Municipality]:
    if profile in ("rjh", "stockholm"):
        table = _RJH if profile == "rjh" else _STOCKHOLM
        pops = scale_largest_remainder([row[2] for row in table], residents)
        hospital = (63.1792, 14.6357) if profile == "rjh" else _KAROLINSKA
        out = []
        for row, pop in zip(table, pops, strict=True):
            code, name, _, lat, lon, spread, km = row
            if profile == "stockholm":
                km = round(haversine_km(lat, lon, *hospital) * _ROAD_FACTOR + 2.0, 1)
            out.append(Municipality(code, name, pop, lat, lon, spread, km, hospital))
        return out
    # national: SCB's 290 municipalities in their 21 counties, Zipf-like sizes, spread over
    # Sweden's extent.
    by_county: dict[str, list[MunicipalityRecord]] = {}
    for record in vendored_municipalities():
        by_county.setdefault(record.county_code, []).append(record)
    n = sum(len(members) for members in by_county.values())
    base = [int(1_000_000 / (i + 1) ** 0.8) for i in range(n)]
    rng.shuffle(base)
    pops = scale_largest_remainder(base, residents)
    out = []
    i = 0
    for _county, members in sorted(by_county.items()):
        # A county is a box somewhere in Sweden; its hospital at its first municipality.
        c_lat, c_lon = rng.uniform(55.6, 66.0), rng.uniform(12.5, 20.5)
        hospital = (c_lat, c_lon)
        for j, record in enumerate(members):
            lat, lon = (
                offset(c_lat, c_lon, rng.uniform(-80, 80), rng.uniform(-60, 60))
                if j
                else (c_lat, c_lon)
            )
            km = round(haversine_km(lat, lon, *hospital) * _ROAD_FACTOR + 2.0, 1)
            spread = 4.0 + 25.0 * rng.random()
            out.append(
                Municipality(
                    record.code,
                    record.name,
                    pops[i],
                    lat,
                    lon,
                    spread,
                    km,
                    hospital,
                )
            )
            i += 1
    return out


def _units(
    profile: str, munis: list[Municipality], units: int, rng: random.Random
) -> list[UnitSpec]:
    """About `units` primary-care centres, at least one region-owned per municipality."""
    region_org = _REGION_ORG.get(profile, "SE2321000000")
    if profile == "rjh" and units == len(_RJH_UNITS):
        out = []
        for n, (code, name, ownership, lat, lon, km) in enumerate(_RJH_UNITS):
            org = region_org if ownership == "region" else _PRIVATE_ORGS[n % len(_PRIVATE_ORGS)]
            out.append(
                UnitSpec(
                    f"{org}-{7301 + n}", name, code, ownership, "primary", lat, lon, f"{km:.1f}"
                )
            )
        return out
    named = (
        {m.code: [u for u in _RJH_UNITS if u[0] == m.code] for m in munis}
        if profile == "rjh"
        else {}
    )
    per_muni = _allocate([m.population for m in munis], units, 1)
    if sum(per_muni) == 0:
        per_muni[0] = 1
    out = []
    serial = 7301
    for m, k in zip(munis, per_muni, strict=True):
        n_region = max(1, round(k * 0.6)) if k else 0
        for j in range(k):
            ownership = "region" if j < n_region else "private"
            if j < len(named.get(m.code, [])):
                _, name, _, lat, lon, km = named[m.code][j]
                dist = f"{km:.1f}"
            else:
                name = f"Vårdcentralen {m.name}" + (f" {j + 1}" if j else "")
                r = m.spread_km * (0.1 + 0.5 * rng.random()) if j else 0.0
                angle = rng.uniform(0, 2 * math.pi)
                lat, lon = offset(m.lat, m.lon, r * math.cos(angle), r * math.sin(angle))
                km_f = (
                    haversine_km(lat, lon, *m.county_hospital) * _ROAD_FACTOR + 1.0
                    if m.county_hospital != (0.0, 0.0)
                    else m.hospital_km + r * _ROAD_FACTOR
                )
                dist = f"{km_f:.1f}"
            org = (
                region_org if ownership == "region" else _PRIVATE_ORGS[serial % len(_PRIVATE_ORGS)]
            )
            out.append(
                UnitSpec(
                    f"{org}-{serial}",
                    name,
                    m.code,
                    ownership,
                    "primary",
                    round(lat, 5),
                    round(lon, 5),
                    dist,
                )
            )
            serial += 1
    return out


def _dental(profile: str, munis: list[Municipality]) -> list[UnitSpec]:
    """One region-owned Folktandvården clinic per municipality (beyond the primary units)."""
    org = _REGION_ORG.get(profile, "SE2321000000")
    return [
        UnitSpec(
            f"{org}-FTV{m.code}",
            f"Folktandvården {m.name}",
            m.code,
            "region",
            "dental",
            round(m.lat, 5),
            round(m.lon, 5),
            f"{m.hospital_km:.1f}",
        )
        for m in munis
    ]


def _desos(
    munis: list[Municipality], units: list[UnitSpec], rng: random.Random
) -> dict[str, list[Deso]]:
    """About one DeSO per 1,500 residents; C (town) near the centre, B further out, A rural."""
    by_muni: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        by_muni.setdefault(u.municipality_code, []).append(i)
    by_county: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        by_county.setdefault(u.municipality_code[:2], []).append(i)
    out: dict[str, list[Deso]] = {}
    for m in munis:
        own_set = set(by_muni.get(m.code, []))
        n = max(1, round(m.population / 1500))
        areas = []
        for i in range(n):
            frac = i / n
            letter, lo, hi = (
                ("C", 0.0, 0.35)
                if frac < 0.6
                else ("B", 0.3, 0.7)
                if frac < 0.8
                else ("A", 0.5, 1.0)
            )
            r = m.spread_km * rng.uniform(lo, hi)
            angle = rng.uniform(0, 2 * math.pi)
            lat, lon = offset(m.lat, m.lon, r * math.cos(angle), r * math.sin(angle))
            area = Deso(
                f"{m.code}{letter}{1001 + i:04d}",
                m.code,
                lat,
                lon,
                radius_km=max(0.5, m.spread_km / math.sqrt(n)),
            )
            pool = by_county.get(m.code[:2]) or list(range(len(units)))
            dist = sorted(pool, key=lambda u: haversine_km(lat, lon, units[u].lat, units[u].lon))
            own = [u for u in dist if u in own_set]
            area.nearest = own[0] if own else dist[0]
            area.candidates = (own + [u for u in dist[:3] if u not in own])[:8] or dist[:3]
            areas.append(area)
        out[m.code] = areas
    return out


def build_region(profile: str, residents: int, units: int, seed: int) -> Region:
    """Municipalities, units and DeSO areas for a profile, deterministic for a seed."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    rng = random.Random(f"halsoval-geo-{profile}-{seed}")
    munis = _municipalities(profile, residents, rng)
    primary = _units(profile, munis, units, rng)
    return Region(munis, primary, _dental(profile, munis), _desos(munis, primary, rng))
