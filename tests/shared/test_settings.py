"""Settings: the environment variables of issue 2, and what ENV=production refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.settings import Settings

PG = "postgresql+psycopg://halsoval@db.example/halsoval_{}"
STRONG = "a-production-secret-that-is-long-enough-0123456789"


def test_defaults_put_sqlite_files_in_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEMO", raising=False)  # the suite itself runs with DEMO=0, ENV=test
    monkeypatch.delenv("ENV", raising=False)
    s = Settings(data_dir=tmp_path)
    assert s.database_url("listing") == f"sqlite:///{(tmp_path / 'listing.db').resolve()}"
    assert (s.listing_port, s.payment_port, s.lastresort_port) == (8001, 8002, 8003)
    assert s.service_url("payment") == "http://127.0.0.1:8002"
    assert s.demo is True and s.env == "development"


def test_environment_variables_select_postgresql_and_peers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENT_DATABASE_URL", PG.format("payment"))
    monkeypatch.setenv("LISTING_URL", "http://listing.internal:8080/")
    monkeypatch.setenv("DEMO", "0")
    s = Settings()
    assert s.database_url("payment") == PG.format("payment")
    assert s.service_url("listing") == "http://listing.internal:8080"
    assert s.demo is False


def test_production_refuses_sqlite() -> None:
    with pytest.raises(ValidationError, match="SQLite"):
        Settings(
            env="production",
            auth_secret=STRONG,
            listing_database_url=PG.format("listing"),
            payment_database_url=PG.format("p"),
        )


def test_production_refuses_a_fixed_business_date() -> None:
    urls = {f"{n}_database_url": PG.format(n) for n in ("listing", "payment", "lastresort")}
    with pytest.raises(ValidationError, match="HALSOVAL_TODAY"):
        Settings(env="production", auth_secret=STRONG, halsoval_today="2027-01-15", **urls)


def test_production_starts_with_postgresql_and_its_own_secret() -> None:
    urls = {f"{n}_database_url": PG.format(n) for n in ("listing", "payment", "lastresort")}
    s = Settings(env="production", auth_secret=STRONG, **urls)
    assert s.env == "production"
