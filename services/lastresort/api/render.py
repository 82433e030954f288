"""Records of the repository as the contracts answer them (öre to SEK, stored text to values)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from services.lastresort.api.schemas import (
    ApprovedModelVersion,
    ApprovedSettlement,
    CountDate,
    CountedNeutrality,
    CountedScope,
    CountedScopeUnit,
    DatedCount,
)
from services.lastresort.db import repository as repo
from services.lastresort.domain.calculation import UNDEFINED_RATE_NOTE, rate_display
from shared.money import from_ore
from shared.period import Period
from shared.schemas.common import Ownership
from shared.schemas.lastresort import (
    Account,
    Designation,
    PaymentVersion,
    PeriodRevenue,
    SettlementUnit,
)


def designation(r: repo.DesignationRecord) -> Designation:
    return Designation(
        year=r.year,
        care_type=r.care_type,
        municipality_code=r.municipality_code,
        hsa_id=r.hsa_id,
        unit_name=r.unit_name,
        updated_at=r.updated_at,
    )


def model_version(r: repo.ModelRecord) -> ApprovedModelVersion:
    return ApprovedModelVersion(
        year=r.year,
        applies_to=r.applies_to,
        version=r.version,
        used=r.used,
        model=r.model,
        updated_at=r.updated_at,
        status=r.status,
        written_by=r.written_by,
        body_sha256=r.body_sha256,
        approved_by=r.approved_by,
        approved_at=r.approved_at,
    )


def account(r: repo.AccountRecord) -> Account:
    return Account(
        year=r.year,
        hsa_id=r.hsa_id,
        costs_sek=from_ore(r.costs_ore),
        other_revenue_sek=from_ore(r.other_revenue_ore),
        targeted_grants_sek=from_ore(r.targeted_grants_ore),
        updated_at=r.updated_at,
    )


def _sek(ore: int | None) -> Decimal | None:
    return None if ore is None else from_ore(ore)


def _unit(u: repo.UnitRow) -> SettlementUnit:
    return SettlementUnit(
        hsa_id=u.hsa_id,
        unit_name=u.unit_name,
        municipality_code=u.municipality_code,
        fixed_sum_sek=_sek(u.fixed_sum_ore),
        costs_sek=_sek(u.costs_ore),
        other_revenue_sek=_sek(u.other_revenue_ore),
        targeted_grants_sek=_sek(u.targeted_grants_ore),
        halsoval_revenue_sek=_sek(u.halsoval_revenue_ore),
        revenue_by_period=[
            PeriodRevenue(period=Period.parse(r.period), revenue_sek=from_ore(r.revenue_ore))
            for r in u.revenue
        ],
        deficit_sek=_sek(u.deficit_ore),
        coverage=None if u.coverage is None else Decimal(u.coverage),
        covered_deficit=None if u.covered_deficit is None else Decimal(u.covered_deficit),
        cap_sek=_sek(u.cap_ore),
        compensation_sek=from_ore(u.compensation_ore),
    )


def _dated(counts: tuple[int, ...], dates: list[CountDate]) -> list[DatedCount]:
    """Counts stored in period order beside the settlement's count dates (none before 0003)."""
    if len(counts) != len(dates):
        return []
    return [
        DatedCount(period=d.period, count_date=d.count_date, listed=n)
        for d, n in zip(dates, counts, strict=True)
    ]


def _scope(
    sc: repo.ScopeRow, units: list[CountedScopeUnit], dates: list[CountDate]
) -> CountedScope:
    rate = None
    if sc.rate_numerator is not None and sc.rate_denominator is not None:
        rate = Fraction(int(sc.rate_numerator), int(sc.rate_denominator))
    return CountedScope(
        scope=sc.scope,
        total_compensation_sek=from_ore(sc.total_compensation_ore),
        region_listed=sc.region_listed,
        rate_defined=rate is not None,
        rate_sek_per_person=None if rate is None else rate_display(rate),
        note=None if rate is not None else UNDEFINED_RATE_NOTE,
        total_neutrality_sek=from_ore(sc.total_neutrality_ore),
        units=units,
        region_counts=_dated(sc.region_counts, dates),
    )


def settlement(s: repo.StoredSettlement) -> ApprovedSettlement:
    """A stored settlement as its reader may see it (the parts were chosen by the repository)."""
    header, parts = s.header, s.parts
    dates = (
        [
            CountDate(
                period=Period.parse(p.period), count_date=p.count_date, as_known_at=p.as_known_at
            )
            for p in parts.periods
            if p.count_date is not None and p.as_known_at is not None
        ]
        if header.neutrality_enabled
        else []
    )
    scope_units: dict[str, list[CountedScopeUnit]] = {}
    for su in parts.scope_units:
        scope_units.setdefault(su.scope, []).append(
            CountedScopeUnit(
                hsa_id=su.hsa_id,
                unit_name=su.unit_name,
                municipality_code=su.municipality_code,
                ownership=Ownership(su.ownership),
                designated=su.designated,
                listed=su.listed,
                amount_sek=_sek(su.amount_ore),
                counts=_dated(su.counts, dates),
            )
        )
    return ApprovedSettlement(
        year=header.year,
        care_type=header.care_type,
        version=header.version,
        created_at=header.created_at,
        view=s.view,
        model_applies_to=header.model_applies_to,
        model_version=header.model_version,
        model=header.model,
        payment_versions=[
            PaymentVersion(period=Period.parse(p.period), version=p.payment_version)
            for p in parts.periods
        ],
        units=[_unit(u) for u in parts.units],
        neutrality=CountedNeutrality(
            enabled=header.neutrality_enabled,
            scope=header.neutrality_scope,
            count_date=header.count_date,
            count_dates=dates,
            scopes=[_scope(sc, scope_units.get(sc.scope, []), dates) for sc in parts.scopes],
        ),
        total_compensation_sek=from_ore(header.total_compensation_ore),
        total_neutrality_sek=from_ore(header.total_neutrality_ore),
        status=header.status,
        created_by=header.created_by if s.view == "full" else None,
        approved_by=header.approved_by,
        approved_at=header.approved_at,
    )
