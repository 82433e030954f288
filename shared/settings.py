"""Settings from environment variables, identical for `make run`, the services and the CLI."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_AUTH_SECRET = "dev-secret-change-me-0123456789abcdef"
ServiceName = Literal["listing", "payment", "lastresort"]


class Settings(BaseSettings):
    """Everything configurable; each service reads the fields it needs."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./var")
    demo: bool = True

    listing_port: int = 8001
    payment_port: int = 8002
    lastresort_port: int = 8003
    listing_url: str = "http://127.0.0.1:8001"
    payment_url: str = "http://127.0.0.1:8002"
    lastresort_url: str = "http://127.0.0.1:8003"

    listing_database_url: str | None = None
    payment_database_url: str | None = None
    lastresort_database_url: str | None = None

    # Development tokens (HS256). ENV=production refuses the default.
    auth_secret: str = DEFAULT_AUTH_SECRET
    # A real identity provider (RS256/ES256 via JWKS).
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_jwks_url: str | None = None
    auth_jwks_file: Path | None = None
    # How a service gets its own token for calls to its peers when an identity provider is
    # used: a file the platform keeps fresh (e.g. a Kubernetes projected token), or OAuth2
    # client credentials. Without either, development mints HS256 tokens from AUTH_SECRET.
    service_token_file: Path | None = None
    auth_token_url: str | None = None
    auth_client_id: str | None = None
    auth_client_secret: str | None = None
    auth_token_scope: str | None = None
    # Key for the keyed hash of identity numbers in audit rows.
    audit_hash_key: str | None = None

    log_level: str = "INFO"
    max_body_bytes: int = 10 * 1024 * 1024
    # Streaming/large-upload paths (create_service_app(large_body_paths=...)) get this cap instead.
    max_upload_bytes: int = 2 * 1024 * 1024 * 1024
    cors_origins: list[str] = []
    # Per-token limits on provider-facing endpoints (shared.ratelimit): at most PROVIDER_BURST
    # requests in any PROVIDER_BURST / PROVIDER_RATE_PER_S seconds; shared by every replica of
    # a service through Redis when REDIS_URL is set (redis://host:6379/0), else per process.
    redis_url: str | None = None
    provider_rate_per_s: float = 50.0
    provider_burst: int = 200
    # The business date (YYYY-MM-DD) that runs, approvals and settlements measure their count
    # dates against (shared.clock.business_today); unset: the date in Europe/Stockholm now.
    halsoval_today: dt.date | None = None

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.env == "production":
            idp = bool(self.auth_jwks_url or self.auth_jwks_file)
            if self.auth_secret == DEFAULT_AUTH_SECRET and not idp:
                raise ValueError(
                    "ENV=production refuses the default AUTH_SECRET: "
                    "configure the identity provider"
                )
            if idp and not (self.auth_issuer and self.auth_audience):
                raise ValueError(
                    "ENV=production with an identity provider needs AUTH_ISSUER and AUTH_AUDIENCE"
                )
            if "*" in self.cors_origins:
                raise ValueError("ENV=production refuses CORS_ORIGINS=*: list the allowed origins")
            if self.halsoval_today is not None:
                # A fixed business date is for tests and demos: in production it would let a
                # month be paid before its count date, or stop every run after it.
                raise ValueError("ENV=production refuses HALSOVAL_TODAY: the date is the real one")
            for name in ("listing", "payment", "lastresort"):
                if self.database_url(name).startswith("sqlite"):
                    raise ValueError(
                        f"ENV=production refuses SQLite: "
                        f"set {name.upper()}_DATABASE_URL to PostgreSQL"
                    )
        return self

    def database_url(self, service: ServiceName) -> str:
        """The service's own database: the *_DATABASE_URL variable, else SQLite in DATA_DIR."""
        explicit = getattr(self, f"{service}_database_url")
        if explicit:
            return str(explicit)
        return f"sqlite:///{(self.data_dir / f'{service}.db').resolve()}"

    def service_url(self, service: ServiceName) -> str:
        return str(getattr(self, f"{service}_url")).rstrip("/")

    @property
    def hash_key(self) -> str:
        return self.audit_hash_key or self.auth_secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
