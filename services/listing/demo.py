"""The listing service's part of the demo region: a synthetic Jämtland Härjedalen, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select

from services.listing import loaders
from services.listing.db.migrate import migrate
from services.listing.db.models import unit
from services.listing.settings import database_url
from shared.db import Database
from shared.settings import Settings

RESIDENTS, UNITS, SEED = 133_000, 27, 2026


def load(settings: Settings) -> None:
    """Generate and import units, register and a year of listings, if no unit exists yet."""
    url = database_url(settings)
    migrate(url)
    db = Database(url)
    try:
        with db.sessionmaker() as session:
            if session.execute(select(func.count()).select_from(unit)).scalar_one():
                return
        from services.listing.synthetic import generate

        files = generate(
            residents=RESIDENTS, units=UNITS, seed=SEED, out_dir=settings.data_dir / "demo"
        )
        loaders.import_units_file(db, settings, files.units_json)
        loaders.import_register_file(db, settings, files.register_csv)
        loaders.import_listings_file(db, settings, files.listings_csv)
    finally:
        db.dispose()
