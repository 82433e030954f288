"""Helpers for the services' command-line tools."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import typer

from shared.auth import mint_token
from shared.settings import ServiceName, Settings


def call_service(
    settings: Settings,
    service: ServiceName,
    method: str,
    path: str,
    *,
    sub: str,
    role: str,
    body: dict[str, Any] | None = None,
) -> None:
    """Call a running service with a short-lived development token and print its JSON answer."""
    token = mint_token(settings, sub=sub, roles=[role], ttl=dt.timedelta(minutes=5))
    r = httpx.request(
        method,
        settings.service_url(service) + path,
        json=body,
        timeout=120,
        headers={"Authorization": f"Bearer {token}"},
    )
    typer.echo(json.dumps(r.json(), indent=2, ensure_ascii=False))
    if r.status_code >= 400:
        raise typer.Exit(1)
