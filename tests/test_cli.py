"""The `halsoval` command root: tokens, migrations and the wiring of the service commands."""

from __future__ import annotations

import jwt
from typer.testing import CliRunner

from services.cli import app

runner = CliRunner()


def test_token_carries_roles_units_and_subject(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AUTH_SECRET", "cli-test-secret-0123456789abcdef0123")
    result = runner.invoke(
        app, ["token", "--role", "provider", "--unit", "SE5565123456-7306", "--sub", "hc-frosö"]
    )
    assert result.exit_code == 0, result.output
    claims = jwt.decode(
        result.output.strip(), "cli-test-secret-0123456789abcdef0123", algorithms=["HS256"]
    )
    assert claims["roles"] == ["provider"]
    assert claims["hsa_ids"] == ["SE5565123456-7306"]
    assert claims["sub"] == "hc-frosö"
    assert claims["exp"] > claims["iat"]


def test_migrate_refuses_an_unknown_service() -> None:
    result = runner.invoke(app, ["migrate", "billing"])
    assert result.exit_code != 0
    assert "unknown service" in result.output


def test_migrate_one_service_creates_its_tables(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, inspect

    url = f"sqlite:///{tmp_path / 'payment.db'}"
    monkeypatch.setenv("PAYMENT_DATABASE_URL", url)
    result = runner.invoke(app, ["migrate", "payment"])
    assert result.exit_code == 0, result.output
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"audit_log", "audit_head", "alembic_version"} <= tables
    assert not (tmp_path / "listing.db").exists()


def test_every_service_and_the_generator_are_wired() -> None:
    result = runner.invoke(app, ["--help"])
    for command in ("token", "migrate", "run", "generate", "listing", "payment", "lastresort"):
        assert command in result.output
