"""`halsoval listing ...`: bulk loaders for files of millions of rows, with a progress bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from services.listing import loaders
from services.listing.db.migrate import migrate
from services.listing.settings import database_url
from shared.audit_api import add_audit_verify_command
from shared.db import Database
from shared.errors import HalsovalError
from shared.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Listing service: bulk imports.")
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
T = TypeVar("T")


def _database() -> tuple[Database, Settings]:
    settings = Settings()
    url = database_url(settings)
    migrate(url)
    return Database(url), settings


def _with_progress(path: Path, run: Callable[[Callable[[int], None]], T]) -> T:
    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
               TimeRemainingColumn())
    with Progress(*columns) as bar:
        task = bar.add_task(path.name, total=path.stat().st_size)
        result = run(lambda done: bar.update(task, completed=done))
        bar.update(task, completed=path.stat().st_size)
    return result


def _fail(exc: HalsovalError) -> None:
    typer.echo(f"refused: {exc.detail}", err=True)
    for e in (exc.errors or [])[:50]:
        typer.echo(f"  row {e.get('row')}: {e.get('field')}: {e.get('message')}", err=True)
    raise typer.Exit(1)


@app.command("import-register")
def import_register(file: FileArg) -> None:
    """Import a population-register CSV (same rules as POST /v1/register/import)."""
    db, settings = _database()
    try:
        r = _with_progress(file, lambda p: loaders.import_register_file(db, settings, file,
                                                                         progress=p))
    except HalsovalError as exc:
        _fail(exc)
        return
    finally:
        db.dispose()
    typer.echo(f"inserted {r.inserted}, updated {r.updated}, unchanged {r.unchanged}")


@app.command("import-units")
def import_units(file: FileArg) -> None:
    """Create or update care units from a JSON list of units."""
    db, settings = _database()
    try:
        created, updated = loaders.import_units_file(db, settings, file)
    except HalsovalError as exc:
        _fail(exc)
        return
    finally:
        db.dispose()
    typer.echo(f"units created {created}, updated {updated}")


@app.command("import-listings")
def import_listings(file: FileArg) -> None:
    """Import historic listings (personnummer,hsa_id,valid_from,valid_to,reason,special_reason)."""
    db, settings = _database()
    try:
        added = _with_progress(file, lambda p: loaders.import_listings_file(db, settings, file,
                                                                            progress=p))
    except HalsovalError as exc:
        _fail(exc)
        return
    finally:
        db.dispose()
    typer.echo(f"listings added {added}")


add_audit_verify_command(app, lambda: database_url(Settings()))
