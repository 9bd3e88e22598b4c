"""Typed errors, caught once at the page or CLI edge and shown plainly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from db.engine import Conflict as Conflict  # the store raises it too: one class for both


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: which row (if a file), which field, what."""

    field: str
    message: str
    row: int | None = None

    def __str__(self) -> str:
        prefix = f"row {self.row}: " if self.row is not None else ""
        return f"{prefix}{self.field}: {self.message}"


class ValidationError(ValueError):
    """Input that breaks a rule; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls([Problem(field, message)])


class PermissionDenied(PermissionError):
    """The acting person's role or scope does not allow this call."""


class NotFound(LookupError):
    """The entity asked for does not exist (or is not visible to the actor)."""
