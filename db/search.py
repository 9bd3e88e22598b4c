"""Case-insensitive "contains" search that answers the same on SQLite and PostgreSQL.

PostgreSQL's ``lower()`` folds every letter (É to é); SQLite's built-in one
folds only A to Z, so there "élodie" would miss "Élodie". Every SQLite
connection the engine opens therefore gets :data:`SQLITE_LOWER` (Python's
``str.lower``), and :class:`folded` renders as that on SQLite and as ``lower()``
elsewhere. The pattern escapes the wildcards a person may type (``%``, ``_``),
so a search for "50%" finds "50%", not everything starting with 50.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

ESCAPE = "\\"
SQLITE_LOWER = "ib_lower"


def lower_text(value: str | None) -> str | None:
    """SQLite's :data:`SQLITE_LOWER`: lower case for every alphabet, as PostgreSQL does it."""
    return None if value is None else value.lower()


class folded(FunctionElement[str]):
    """``lower(expr)`` that folds non-ASCII letters on SQLite too."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _lower(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _lower_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_LOWER}({compiler.process(element.clauses, **kw)})"


def pattern(text: str) -> str:
    """A LIKE pattern for "contains ``text``": NFC, single spaces and lower case, as names are stored."""
    key = " ".join(unicodedata.normalize("NFC", text).split()).lower()
    for special in (ESCAPE, "%", "_"):
        key = key.replace(special, ESCAPE + special)
    return f"%{key}%"


def contains(expr: SQLColumnExpression[str], like: str, *, fold: bool = True) -> ColumnElement[bool]:
    """``expr`` matches the :func:`pattern` ``like`` in any case; ``fold=False`` for text stored lower-cased."""
    return (folded(expr) if fold else expr).like(like, escape=ESCAPE)
