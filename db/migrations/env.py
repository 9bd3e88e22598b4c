"""Alembic environment: migrate through the product's own engine factory."""

from __future__ import annotations

from alembic import context
from sqlalchemy.pool import NullPool

from db.engine import database_url, make_engine
from db.models import Base, UTCDateTime

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url(), poolclass=NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch mode copies tables; enforced foreign keys would break the copy.
            # The pragma is ignored inside a transaction, so set it on the raw
            # connection first; NullPool throws this connection away afterwards.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        _migrate(connection)
        connection.commit()
    engine.dispose()


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # UTCDateTime only changes what Python sees; the column is a plain DATETIME.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
