"""Settings from environment variables, identical for `make run`, the services and the CLI."""

from __future__ import annotations

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
    # Key for the keyed hash of identity numbers in audit rows.
    audit_hash_key: str | None = None

    log_level: str = "INFO"
    max_body_bytes: int = 10 * 1024 * 1024
    cors_origins: list[str] = []

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.env == "production":
            if self.auth_secret == DEFAULT_AUTH_SECRET and not self.auth_jwks_url and not self.auth_jwks_file:
                raise ValueError("ENV=production refuses the default AUTH_SECRET: configure the identity provider")
            for name in ("listing", "payment", "lastresort"):
                if self.database_url(name).startswith("sqlite"):  # type: ignore[arg-type]
                    raise ValueError(f"ENV=production refuses SQLite: set {name.upper()}_DATABASE_URL to PostgreSQL")
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
