"""My standing and Leaderboards at 200 % zoom and on a phone: nothing cut off, nothing overlapping.

200 % zoom is emulated as Chromium zooms: a 1280 × 900 window zoomed to 200 %
lays the page out in 640 × 450 CSS pixels and draws each at 2 × 2 device
pixels, so media queries and Streamlit's narrow layout see what they would
see; CSS ``zoom`` on the body would not change them. The phone is 390 × 844
CSS pixels at 3 ×, touch, reporting itself as mobile. Screenshots of each
(whole page) are saved for people to look at; ``scripts/screenshots.py``
puts the same views in the README.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser

from db.models import Role
from engagement.demo import DEMO_ACCOUNTS
from harness.browser import (
    SCREENSHOTS,
    SMALL_SCREENS,
    exception_problems,
    layout_problems,
    open_page,
    screenshot,
    signed_in_page,
)
from harness.servers import Server

PAGES = ("My standing", "Leaderboards")


@pytest.mark.parametrize("screen", list(SMALL_SCREENS), ids=str)
def test_my_standing_and_leaderboards_fit_a_small_screen(app_server: Server, browser: Browser, screen: str) -> None:
    settings: dict[str, Any] = SMALL_SCREENS[screen]
    with signed_in_page(browser, app_server.url, DEMO_ACCOUNTS[Role.AGENT], **settings) as page:
        found: dict[str, list[str]] = {}
        for title in PAGES:
            open_page(page, title)
            for tab in ("Teams", "People") if title == "Leaderboards" else ("",):
                if tab:
                    page.get_by_role("tab", name=tab).click()
                problems = exception_problems(page) + layout_problems(page)
                name = f"{screen}-{title}{'-' + tab if tab else ''}".lower().replace(" ", "-")
                screenshot(page, SCREENSHOTS / f"{name}.png", full=True)
                if problems:
                    found[name] = problems
        assert not found, found
