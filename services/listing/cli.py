"""`halsoval listing ...`: bulk loaders for files of millions of rows, with a progress bar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from services.listing import loaders, service
from services.listing.db.migrate import migrate
from services.listing.db.models import audit_head, audit_log
from services.listing.db.problems import DataProblem
from services.listing.settings import database_url
from shared.audit import AuditLog
from shared.audit_api import add_audit_verify_command
from shared.db import Database
from shared.errors import HalsovalError
from shared.ids import today_in_sweden
from shared.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Listing service: bulk imports and data checks.")
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
T = TypeVar("T")


def _run(work: Callable[[Database, Settings], T]) -> T:
    """Migrate, run one import against the configured database, report a refusal and exit 1."""
    settings = Settings()
    url = database_url(settings)
    migrate(url)
    db = Database(url)
    try:
        return work(db, settings)
    except HalsovalError as exc:
        _fail(exc)
    finally:
        db.dispose()


def _with_progress(path: Path, run: Callable[[Callable[[int], None]], T]) -> T:
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as bar:
        task = bar.add_task(path.name, total=path.stat().st_size)
        result = run(lambda done: bar.update(task, completed=done))
        bar.update(task, completed=path.stat().st_size)
    return result


def _fail(exc: HalsovalError) -> NoReturn:
    typer.echo(f"refused: {exc.detail}", err=True)
    for e in (exc.errors or [])[:50]:
        typer.echo(f"  row {e.get('row')}: {e.get('field')}: {e.get('message')}", err=True)
    raise typer.Exit(1)


@app.command("import-register")
def import_register(file: FileArg) -> None:
    """Import a population-register CSV (same rules as POST /v1/register/import)."""
    r = _run(
        lambda db, settings: _with_progress(
            file, lambda p: loaders.import_register_file(db, settings, file, progress=p)
        )
    )
    typer.echo(f"inserted {r.inserted}, updated {r.updated}, unchanged {r.unchanged}")


@app.command("import-units")
def import_units(file: FileArg) -> None:
    """Create or update care units from a JSON list of units."""
    created, updated = _run(lambda db, settings: loaders.import_units_file(db, settings, file))
    typer.echo(f"units created {created}, updated {updated}")


@app.command("import-listings")
def import_listings(file: FileArg) -> None:
    """Import historic listings (personnummer,hsa_id,valid_from,valid_to,reason,special_reason)."""
    added = _run(
        lambda db, settings: _with_progress(
            file, lambda p: loaders.import_listings_file(db, settings, file, progress=p)
        )
    )
    typer.echo(f"listings added {added}")


@app.command("data-problems")
def data_problems(
    on: Annotated[
        dt.datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="the count date (default: today)"),
    ] = None,
) -> None:
    """Persons whose stored facts break a rule the counts rely on (born after the count date or
    before 1870): the counts leave them out and say how many; this names them, to be corrected
    in the register. Identity numbers are shown only here; the listing is audited."""
    day = on.date() if on is not None else today_in_sweden()

    def work(db: Database, settings: Settings) -> list[DataProblem]:
        with db.sessionmaker() as session:
            return service.data_problems(
                session=session,
                audit=AuditLog(audit_log, audit_head, settings.hash_key),
                principal=loaders.cli_principal(),
                on=day,
            )

    found = _run(work)
    if not found:
        typer.echo(f"no stored facts break a rule for counts on {day}")
        return
    typer.echo("personnummer  birth     rule                    register  current listings")
    for p in found:
        typer.echo(
            f"{p.personnummer}  {p.birth_ymd:08d}  {p.rule.value:<22}  "
            f"{'yes' if p.in_register else 'no':<8}  {p.current_listings}"
        )
    typer.echo(f"{len(found)} person(s) left out of the counts on {day}")


add_audit_verify_command(app, lambda: database_url(Settings()))
