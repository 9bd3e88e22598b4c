"""Names, notes and comments show as typed on every page, never as markup.

A person, a team, a challenge, an entry's note and a lead's reason hold HTML,
Markdown links and images, ``:red[...]`` and look-alike letters (see
:mod:`tests.reliability.markup`). Every page of every role (and every Admin
tab) is drawn with AppTest; wherever Streamlit would interpret text as
Markdown (markdown, captions, headings, alerts, labels, metrics, tabs) the raw
markup must not appear, and the planted text must be shown somewhere, so the
check is not vacuous. Tables and charts show text as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from streamlit.testing.v1 import AppTest

from db.models import Role
from engagement import demo
from tests.app.conftest import DASHBOARD, TIMEOUT, signed_in
from tests.loops import each
from tests.reliability.markup import PAYLOADS, RAW, plant
from ui.navigation import PAGES

ADMIN_TABS = ("People", "Teams", "Challenges", "Impact factors", "Accounts", "Settings", "Audit log")
MARKDOWN_TEXT = ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success", "toast")
LABELLED = (
    "metric",
    "button",
    "selectbox",
    "radio",
    "multiselect",
    "text_input",
    "number_input",
    "date_input",
    "checkbox",
    "text_area",
    "tabs",
    "expander",
    "toggle",
    "select_slider",
    "slider",
)


def rendered_as_markdown(at: AppTest) -> Iterator[tuple[str, str]]:
    """(where, text) for every string Streamlit renders as Markdown on this run."""
    for kind in MARKDOWN_TEXT:
        for element in at.get(kind) if kind != "toast" else at.toast:
            yield kind, str(element.value)
    for kind in LABELLED:
        for element in at.get(kind):
            label = getattr(element, "label", None)
            if label:
                yield f"{kind} label", str(label)
            if kind == "metric":
                yield "metric value", str(element.value)


def everything_shown(at: AppTest) -> str:
    """Markdown text, labels, options and table cells: to prove the planted text is on the page at all."""
    parts = [text for _, text in rendered_as_markdown(at)]
    for kind in ("selectbox", "multiselect", "radio"):
        parts += [str(o) for element in at.get(kind) for o in getattr(element, "options", [])]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    parts += [table.value.to_csv() for table in at.table]
    return "\n".join(parts).replace("\\", "")


def raw_markup(at: AppTest, where: str) -> list[str]:
    return [f"{where} / {kind}: {text[:120]!r}" for kind, text in rendered_as_markdown(at) if RAW.search(text)]


@pytest.mark.slow
def test_hostile_names_notes_and_reasons_render_as_plain_text_everywhere(demo_url: str) -> None:
    plant(demo_url)
    found: list[str] = []
    shown = ""
    for role, email in each(demo.DEMO_ACCOUNTS.items()):
        at = signed_in(AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT), demo_url, email).run()
        for spec in each(s for s in PAGES if role in s.roles):
            at.switch_page(spec.path).run()
            assert not at.exception, (spec.path, at.exception)
            found += raw_markup(at, f"{role.value} {spec.title}")
            shown += everything_shown(at)
            if spec.path == "pages/admin.py":
                for tab in each(ADMIN_TABS):
                    at.session_state["admin.tab"] = tab
                    at.run()
                    assert not at.exception, (tab, at.exception)
                    found += raw_markup(at, f"admin {tab}")
                    shown += everything_shown(at)
    assert found == []
    missing = [p for p in PAYLOADS if p not in shown]
    assert missing == [], "the planted text should be on some page, shown as typed"


def test_the_check_sees_markup_that_is_not_escaped(app_as: Callable[[Role], AppTest]) -> None:
    """The detector itself: a page element holding raw markup is reported."""
    at = app_as(Role.AGENT)
    assert raw_markup(at, "clean") == []
    fake = [("markdown", "Hello <img src=x>")]
    assert [text for _, text in fake if RAW.search(text)] == ["Hello <img src=x>"]
