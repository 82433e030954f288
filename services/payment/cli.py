"""`halsoval payment ...`: migrate the payment database, run or approve a period from a shell."""

from __future__ import annotations

from typing import Annotated

import typer

from services.payment.db.migrate import migrate as migrate_db
from services.payment.settings import database_url, get_settings
from shared.audit_api import add_audit_verify_command
from shared.cli import call_service

app = typer.Typer(no_args_is_help=True, help="Payment service: models, monthly runs, statements.")


@app.command()
def migrate() -> None:
    """Bring the payment database to its newest migration."""
    migrate_db(database_url(get_settings()))
    typer.echo("payment: migrated")


def _call(
    method: str, path: str, *, sub: str, role: str, body: dict[str, str] | None = None
) -> None:
    call_service(get_settings(), "payment", method, path, sub=sub, role=role, body=body)


@app.command("run")
def run_period(
    period: Annotated[str, typer.Argument(help="YYYY-MM")],
    sub: Annotated[str, typer.Option(help="who runs it (development token)")] = "cli:admin",
) -> None:
    """Run a period against the running payment service (development tokens)."""
    _call("POST", "/v1/runs", sub=sub, role="region_admin", body={"period": period})


@app.command()
def approve(
    run_id: Annotated[str, typer.Argument(help="the run to approve")],
    sub: Annotated[
        str, typer.Option(help="who approves (must differ from who ran it)")
    ] = "cli:finance",
) -> None:
    """Approve a run against the running payment service (development tokens)."""
    _call("POST", f"/v1/runs/{run_id}/approve", sub=sub, role="finance_approver")


add_audit_verify_command(app, lambda: database_url(get_settings()))
