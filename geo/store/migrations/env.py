"""Alembic environment: the URL comes from the Alembic config (set by geo.store.migrate) or
from settings (GEO_DATABASE_URL)."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from geo.settings import get_settings
from geo.store.tables import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().store.database_url
if not url:
    raise SystemExit(
        "GEO_DATABASE_URL is not set: the embedded GeoPackage store needs no migration"
    )


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # PostGIS's own tables (spatial_ref_sys, topology...) are not ours to manage.
    if type_ == "table" and reflected and name not in Base.metadata.tables:
        return False
    included = alembic_helpers.include_object(  # type: ignore[no-untyped-call]
        obj, name, type_, reflected, compare_to
    )
    return bool(included)


def run_migrations_online() -> None:
    assert url is not None
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=_include_object,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
