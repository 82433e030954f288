"""The `halsoval` command: tokens, migrations, running the system, and each service's own commands.

This is a composition root, like a Makefile: it may start every service, but the
services themselves never import each other.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from typing import Annotated

import httpx
import typer

from shared.auth import mint_token
from shared.settings import ServiceName, Settings

SERVICES: tuple[ServiceName, ...] = ("listing", "payment", "lastresort")

app = typer.Typer(
    no_args_is_help=True, help="Hälsoval backend: listing, payment and last-resort services."
)


@app.command()
def token(
    role: Annotated[
        list[str],
        typer.Option("--role", help="region_admin, finance_approver, provider, ops, service"),
    ],
    unit: Annotated[
        list[str] | None, typer.Option("--unit", help="HSA-id a provider acts for")
    ] = None,
    sub: Annotated[str, typer.Option(help="the token's subject")] = "",
    hours: Annotated[int, typer.Option(help="validity in hours")] = 8,
) -> None:
    """Print a development token signed with AUTH_SECRET."""
    import datetime as dt

    settings = Settings()
    subject = sub or f"dev:{'+'.join(role)}"
    typer.echo(
        mint_token(
            settings, sub=subject, roles=role, hsa_ids=unit or [], ttl=dt.timedelta(hours=hours)
        )
    )


@app.command()
def migrate(
    service: Annotated[
        str | None, typer.Argument(help="listing, payment or lastresort; all if left out")
    ] = None,
) -> None:
    """Bring a service's database (or every service's) to its newest migration."""
    settings = Settings()
    if service is not None and service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; choose from {', '.join(SERVICES)}")
    for name in [service] if service else SERVICES:
        mod = importlib.import_module(f"services.{name}.db.migrate")
        mod.migrate(settings.database_url(name))
        typer.echo(f"{name}: migrated")


def _wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy within {timeout:.0f} s")


@app.command()
def run(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
) -> None:
    """Migrate, start the three services, load the demo region (DEMO=1), wait; Ctrl-C stops all."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(None)
    procs: list[subprocess.Popen[bytes]] = []

    def stop(*_args: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    env = dict(os.environ)
    try:
        for name in SERVICES:
            port = getattr(settings, f"{name}_port")
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        f"services.{name}.main:create_app",
                        "--factory",
                        "--host",
                        host,
                        "--port",
                        str(port),
                        "--no-access-log",
                    ],
                    env=env,
                )
            )
        for name in SERVICES:
            _wait_healthy(settings.service_url(name))
        if settings.demo:
            demo = importlib.import_module("services.demo")
            demo.load(settings)
        typer.echo(
            "Hälsoval is running: "
            + ", ".join(f"{n} {settings.service_url(n)}/docs" for n in SERVICES)
            + " (Ctrl-C stops all)"
        )
        signal.signal(signal.SIGTERM, lambda *_: stop())
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()


def _register_service_commands() -> None:
    for name in SERVICES:
        try:
            mod = importlib.import_module(f"services.{name}.cli")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(f"services.{name}"):
                continue
            raise
        app.add_typer(mod.app, name=name)


_register_service_commands()


def _register_generator() -> None:
    """`halsoval generate`: synthetic registers and listing histories of any size."""
    from services.listing.synthetic.cli import generate_command

    app.command("generate")(generate_command)


_register_generator()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
