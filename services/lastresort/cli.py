"""`halsoval lastresort ...`: migrate, inspect the configuration, settle and show from a shell."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from services.lastresort.clients import Peers
from services.lastresort.db.migrate import migrate as migrate_db
from services.lastresort.settings import database_url
from shared.audit_api import add_audit_verify_command
from shared.cli import call_service
from shared.errors import HalsovalError
from shared.settings import get_settings

app = typer.Typer(
    no_args_is_help=True, help="Last-resort service: designations, models, accounts, settlements."
)


@app.command()
def migrate() -> None:
    """Bring the last-resort database to its newest migration."""
    migrate_db(database_url(get_settings()))
    typer.echo("lastresort: migrated")


@app.command()
def municipalities() -> None:
    """The municipalities where the region must keep a unit: the region's, as the running
    listing service answers them (GET /v1/region, from its REGION_CODE)."""
    peers = Peers.connect(get_settings())
    try:
        typer.echo(" ".join(peers.listing.region_municipalities()))
    except HalsovalError as exc:
        typer.echo(f"refused: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        peers.close()


def _call(
    method: str, path: str, *, sub: str, role: str, body: dict[str, Any] | None = None
) -> None:
    call_service(get_settings(), "lastresort", method, path, sub=sub, role=role, body=body)


@app.command()
def settle(
    year: Annotated[int, typer.Argument(help="the year to settle")],
    care_type: Annotated[str, typer.Option(help="primary or dental")] = "primary",
    sub: Annotated[str, typer.Option(help="who settles (development token)")] = "cli:admin",
) -> None:
    """Settle a year against the running service (a new version only if inputs changed)."""
    _call(
        "POST",
        "/v1/settlements",
        sub=sub,
        role="region_admin",
        body={"year": year, "care_type": care_type},
    )


@app.command()
def show(
    year: Annotated[int, typer.Argument(help="the settled year")],
    care_type: Annotated[str | None, typer.Option(help="primary or dental")] = None,
    sub: Annotated[str, typer.Option(help="who reads (development token)")] = "cli:finance",
) -> None:
    """Print the newest settlements of a year, every input and step."""
    query = f"?care_type={care_type}" if care_type else ""
    _call("GET", f"/v1/settlements/{year}{query}", sub=sub, role="finance_approver")


add_audit_verify_command(app, lambda: database_url(get_settings()))
