"""Insert many rows in the session's transaction at the store's own bulk speed.

A CSV import writes ten thousand results and as many audit entries at once.
SQLAlchemy sends those to PostgreSQL as statements of a thousand rows each,
which psycopg re-parses placeholder by placeholder (seconds per import), and
it cannot return SQLite's new ids in order for a multi-row insert, so it falls
back to one statement per row there. Here: new ids are taken up front (the
sequence on PostgreSQL; on SQLite, under the write lock every writing unit of
work takes, the next free ones), then PostgreSQL gets one ``COPY`` and SQLite
one ``executemany``. Values pass through the columns' own bind processing, so
what is stored is exactly what an ORM insert would store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

COPY_FROM = 50  # below this, a plain insert costs less than setting up COPY


def next_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, in order, reserved for this transaction."""
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": count},
        )
        return [int(r[0]) for r in rows]
    # SQLite: writing units of work hold the write lock from their start, so nobody else can take these.
    first = (session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(first, first + count))


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of column values; all with the same keys) in one bulk operation."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql" or len(rows) < COPY_FROM:
        session.execute(insert(table), list(rows))
        return
    columns = [table.c[name] for name in rows[0]]
    processors = [column.type._cached_bind_processor(dialect) for column in columns]
    connection = session.connection().connection.driver_connection
    assert connection is not None
    names = ", ".join(column.name for column in columns)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                tuple(
                    value if process is None or value is None else process(value)
                    for value, process in zip(row.values(), processors, strict=True)
                )
            )
