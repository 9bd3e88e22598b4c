"""Small drawing helpers shared by pages: safe text, errors, periods, downloads."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from engagement import organisation, periods, settings
from engagement.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ui.resources import read, read_fresh

T = TypeVar("T")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$=])")
# Where the renderer's autolinking of web addresses would start: http(s):// and www.
_AUTOLINK = re.compile(r"(?i)(?<=http)(?=s?:)|(?<=www)(?=\.)")
WORD_JOINER = "\u2060"


def md(text: object) -> str:
    """Escape user text for st.markdown, so names and notes show as typed, never as markup.

    Escapes alone leave bare web addresses, which the Markdown renderer turns
    into links (a "name" could then be a link to anywhere); an invisible word
    joiner after "http" and "www" keeps them plain text.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(text)))


def required(value: T | None) -> T:
    """What a selectbox or radio drawn with a default returned: one option is always chosen.

    Streamlit types their value as optional (for ``index=None``); ours never are.
    """
    if value is None:
        raise RuntimeError("a choice drawn with a default came back empty")
    return value


def org_settings() -> settings.OrgSettings:
    return read(settings.load)


def org_today() -> date:
    return periods.today(org_settings().zone)


def day_for(person_ids: Sequence[int]) -> date:
    """The day a form logging for these people offers: the earliest of their todays, so none is refused it.

    Each person's today is in their own zone (``organisation.todays``), the rule
    the engine checks; read fresh, since it turns with the clock, not with writes.
    """
    return min(read_fresh(organisation.todays, list(person_ids)).values(), default=org_today())


def attempt(action: Callable[[], T], success: str | None = None) -> T | None:
    """Run a write; show what went wrong plainly instead of a traceback."""
    try:
        result = action()
    except ValidationError as e:
        lines = "\n".join(f"- {md(p)}" for p in e.problems)
        st.error(f"Nothing was saved:\n{lines}")
        return None
    except Conflict as e:
        st.warning(f"{str(e).rstrip('.')}. Nothing was saved.")
        return None
    except (PermissionDenied, NotFound) as e:
        st.error(f"Not allowed: {e}")
        return None
    if success:
        st.toast(success, icon=":material/check_circle:")
    return result


def period_choice(key: str, today: date, *, challenge_window: tuple[date, date] | None = None) -> periods.Period:
    """A period picker: this week, last week, this month, the challenge's period, or custom dates."""
    options = ["This week", "Last week", "This month"]
    if challenge_window:
        options.append("Challenge period")
    options.append("Custom dates")
    choice = st.selectbox("Period", options, key=key)
    if choice == "This week":
        return periods.this_week(today)
    if choice == "Last week":
        return periods.last_week(today)
    if choice == "This month":
        return periods.this_month(today)
    if choice == "Challenge period" and challenge_window:
        return periods.challenge(*challenge_window)
    start, end = today.replace(day=1), today
    picked = st.date_input("From and to", value=(start, end), key=f"{key}.dates", format="YYYY-MM-DD")
    if isinstance(picked, Sequence) and len(picked) == 2 and picked[0] <= picked[1]:
        return periods.custom(picked[0], picked[1])
    st.caption("Pick both a first and a last day.")
    return periods.custom(start, end)


def reset_note(period: periods.Period) -> str:
    """The period and when it resets, in the organisation's zone (see :func:`engagement.periods.reset_words`)."""
    return periods.reset_words(period, org_settings().zone)


def csv_download(label: str, data: str, file_name: str, key: str) -> None:
    st.download_button(
        label,
        data=data.encode("utf-8"),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def table(records: Sequence[dict[str, Any]], **column_config: Any) -> None:
    """A read-only table that shows user text as plain text."""
    st.dataframe(list(records), hide_index=True, width="stretch", column_config=column_config or None)
