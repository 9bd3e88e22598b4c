"""The engine and the read cache: the only place the dashboard opens the database.

Reads go through :func:`read`, cached for a minute and shared by every session
of this process (the actor is part of the key, so rights are checked on every
miss, and boards read as :data:`VIEWER` are shared by all). Writes go through
:func:`write`, which clears the cache so the next rerun in any session shows
the change at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine

from db.engine import database_url, make_engine, unit_of_work, write_transaction
from db.migrate import is_current
from engagement.access import Actor
from engagement.vocabulary import Role

T = TypeVar("T")
CACHE_TTL = "60s"
# Leaderboards, challenges and impact-so-far are the same for everyone who is
# logged in; reading them as one neutral viewer lets all sessions share them.
VIEWER = Actor(person_id=None, email="viewer", name="Viewer", role=Role.AGENT)


class SchemaOutOfDate(RuntimeError):
    pass


@st.cache_resource(on_release=lambda engine: engine.dispose(), show_spinner=False)
def _engine(url: str) -> Engine:
    engine = make_engine(url, background_checkpoints=True)
    if not is_current(engine):
        engine.dispose()
        raise SchemaOutOfDate("The database schema is not up to date: run `python -m engagement init`.")
    return engine


def get_engine() -> Engine:
    return _engine(database_url())


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=2_000)
def _cached(
    url: str, name: str, _fn: Callable[..., Any], args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
) -> Any:
    # ``name`` (module.function) is the key; the function object itself is not hashable.
    with unit_of_work(_engine(url), write=False) as session:
        return _fn(session, *args, **dict(kwargs))


def read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(session, *args, **kwargs)`` in a read transaction, through the shared cache."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached(database_url(), name, fn, args, tuple(sorted(kwargs.items())))  # type: ignore[no-any-return]


def read_fresh(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Like :func:`read` without the cache (for what must be current: login, guards)."""
    with unit_of_work(get_engine(), write=False) as session:
        return fn(session, *args, **kwargs)


def write(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(session, *args, **kwargs)`` in one write transaction, then clear the read cache."""
    result = write_transaction(get_engine(), fn, *args, **kwargs)
    st.cache_data.clear()
    return result


def note(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Like :func:`write` for a write no read shows (a session's last use): the read cache stays."""
    return write_transaction(get_engine(), fn, *args, **kwargs)
