"""Clean user-supplied text before it is stored.

Names and notes are shown to colleagues, so invisible characters that change
how text reads (right-to-left overrides, zero-width joiners, control codes) are
refused, Unicode is stored in one form (NFC), and look-alike names (a Cyrillic
"А" for a Latin "A") are caught before they become a second team.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import confusables

from engagement.errors import Problem

NAME_MAX = 100
NOTE_MAX = 500
COMMENT_MAX = 2000
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn"}


def clean(value: str, field: str, max_length: int, *, multiline: bool = False) -> str:
    """Return ``value`` normalised, or raise :class:`TextProblem` naming ``field``."""
    value = unicodedata.normalize("NFC", value)
    # Line breaks and tabs are whitespace (Alt+Enter in a spreadsheet cell, a pasted
    # tab): kept as lines where a field is multiline, folded into one space elsewhere.
    allowed = {"\n", "\r", "\t"}
    if any(unicodedata.category(ch) in _INVISIBLE and ch not in allowed for ch in value):
        raise TextProblem(
            Problem(field, "contains invisible or control characters (such as right-to-left marks); remove them")
        )
    if multiline:
        value = "\n".join(" ".join(line.split()) for line in value.strip().splitlines())
    else:
        value = " ".join(value.split())
    if len(value) > max_length:
        raise TextProblem(Problem(field, f"is too long ({len(value):,} characters; the limit is {max_length:,})"))
    return value


class TextProblem(ValueError):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def skeleton(name: str) -> str:
    """A form of ``name`` in which look-alike letters and case compare equal."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    forms = confusables.normalize(folded, prioritize_alpha=True)
    return forms[0] if forms else folded


def look_alike(name: str, existing: Iterable[str]) -> str | None:
    """An existing name that ``name`` could be mistaken for, other than itself."""
    key = skeleton(name)
    for other in existing:
        if other != name and skeleton(other) == key:
            return other
    return None
