"""Make the README's screenshots from the real app: ``.venv/bin/python scripts/screenshots.py``.

Builds a fresh demo database in a temporary folder, starts the dashboard on a
free local port, signs in as each demo role in headless Chromium (Debian's
``/usr/bin/chromium``) and saves ``docs/screenshots/<name>.png``: at 1280×900,
and a few on small screens (a phone, 200 % zoom) and in the dark theme.
Uses the browser-test helpers, so the pictures show what the tests check.
"""

from __future__ import annotations

import sys
import tempfile
from itertools import groupby
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from engagement.demo import DEMO_ACCOUNTS
from engagement.vocabulary import Role
from harness.browser import CHROMIUM, SMALL_SCREENS, launch_chromium, open_page, screenshot, signed_in_page
from harness.servers import ROOT, build_demo_database, dashboard

OUT = ROOT / "docs" / "screenshots"
DESKTOP = "desktop"
# How each kind of screen is made (keyword arguments of new_context).
SCREENS: dict[str, dict[str, Any]] = {DESKTOP: {}, **SMALL_SCREENS, "dark": {"color_scheme": "dark"}}
# (file name, who is signed in, page title, screen); None: the sign-in page, signed out.
SHOTS: tuple[tuple[str, Role | None, str | None, str], ...] = (
    ("sign-in", None, None, DESKTOP),
    ("my-standing", Role.AGENT, "My standing", DESKTOP),
    ("leaderboards", Role.AGENT, "Leaderboards", DESKTOP),
    ("challenges", Role.AGENT, "Challenges", DESKTOP),
    ("log-results", Role.LEAD, "Log results", DESKTOP),
    ("approvals", Role.LEAD, "Approvals", DESKTOP),
    ("morale", Role.MANAGER, "Morale", DESKTOP),
    ("impact-report", Role.MANAGER, "Impact report", DESKTOP),
    ("admin", Role.ADMIN, "Admin", DESKTOP),
    ("my-standing-phone", Role.AGENT, "My standing", "phone"),
    ("leaderboards-phone", Role.AGENT, "Leaderboards", "phone"),
    ("my-standing-zoom-200", Role.AGENT, "My standing", "zoom-200"),
    ("leaderboards-zoom-200", Role.AGENT, "Leaderboards", "zoom-200"),
    ("leaderboards-dark", Role.AGENT, "Leaderboards", "dark"),
)
# Shots that start further down the page than its top: the element scrolled to the top.
SCROLL_TO = {"leaderboards-zoom-200": "[data-testid='stTabs']", "leaderboards-phone": "[data-testid='stTabs']"}


def main() -> int:
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: `sudo apt-get install -y chromium` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="impact-shots-") as tmp:
        folder = Path(tmp)
        database_url = build_demo_database(folder / "demo.db")
        with dashboard(database_url, folder / "streamlit.log") as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for (role, screen), shots in groupby(SHOTS, key=lambda shot: (shot[1], shot[3])):
                email = DEMO_ACCOUNTS[role] if role is not None else None
                with signed_in_page(browser, server.url, email, **SCREENS[screen]) as page:
                    for name, _, title, _ in shots:
                        if title is not None:
                            open_page(page, title)
                        if name in SCROLL_TO:
                            page.locator(SCROLL_TO[name]).first.evaluate("element => element.scrollIntoView()")
                        print(screenshot(page, OUT / f"{name}.png").relative_to(ROOT))
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
