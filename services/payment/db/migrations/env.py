"""Alembic environment of the payment service (called through services.payment.db.migrate)."""

from __future__ import annotations

from alembic import context

from services.payment.db.models import metadata
from shared.db import make_engine

config = context.config
_url = config.get_main_option("sqlalchemy.url")
assert _url is not None
url: str = _url


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
