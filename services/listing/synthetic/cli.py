"""`halsoval generate`: write a synthetic units file, register extract and listing history."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from services.listing.synthetic import DEFAULT_AS_OF, PROFILES, generate

app = typer.Typer(no_args_is_help=True, help="Synthetic data for the listing service.")


@app.command("generate")
def generate_command(
    residents: Annotated[
        int, typer.Option("--residents", min=1, help="number of residents")
    ] = 133_000,
    units: Annotated[
        int,
        typer.Option("--units", min=1, help="primary-care centres (dental clinics come on top)"),
    ] = 27,
    seed: Annotated[int, typer.Option("--seed", help="same seed, same files")] = 1,
    out: Annotated[
        Path, typer.Option("--out", help="directory for units.json, register.csv, listings.csv")
    ] = Path("var/generated"),
    profile: Annotated[
        str, typer.Option("--profile", help=f"one of {', '.join(PROFILES)}")
    ] = "rjh",
) -> None:
    """Stream a synthetic region of any size to DIR in bounded memory (deterministic per seed)."""
    if profile not in PROFILES:
        raise typer.BadParameter(f"choose one of {', '.join(PROFILES)}", param_hint="--profile")
    started = time.perf_counter()
    files = generate(residents=residents, units=units, seed=seed, out_dir=out, profile=profile)
    typer.echo(
        f"{files.residents} residents, {files.listing_rows} listing rows, {files.units} units "
        f"(history up to {DEFAULT_AS_OF}) in {time.perf_counter() - started:.1f} s:\n"
        f"  {files.units_json}\n  {files.register_csv}\n  {files.listings_csv}"
    )
