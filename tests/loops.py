"""A test that loops over nothing asserts nothing: loops over computed lists go through :func:`each`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def each(items: Iterable[T]) -> list[T]:
    """``items`` as a list, failing the test when there is nothing to check."""
    listed = list(items)
    assert listed, "the test loops over an empty list: it would check nothing"
    return listed
