"""Make the README's screenshots from the real app: ``.venv/bin/python scripts/screenshots.py``.

Builds a fresh demo database in a temporary folder, starts the dashboard on a
free local port, signs in as each demo role in headless Chromium (Debian's
``/usr/bin/chromium``) and saves ``docs/screenshots/<name>.png`` at 1280×900.
Uses the browser-test helpers, so the pictures show what the tests check.
"""

from __future__ import annotations

import sys
import tempfile
from itertools import groupby
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from db.models import Role
from engagement.demo import DEMO_ACCOUNTS
from tests.e2e.browser import (
    CHROMIUM,
    ROOT,
    build_demo_database,
    dashboard,
    launch_chromium,
    new_context,
    open_page,
    open_url,
    screenshot,
    sign_in,
)

OUT = ROOT / "docs" / "screenshots"
# (file name, who is signed in, page title); None: the sign-in page, signed out.
SHOTS: tuple[tuple[str, Role | None, str | None], ...] = (
    ("sign-in", None, None),
    ("my-standing", Role.AGENT, "My standing"),
    ("leaderboards", Role.AGENT, "Leaderboards"),
    ("log-results", Role.LEAD, "Log results"),
    ("approvals", Role.LEAD, "Approvals"),
    ("morale", Role.MANAGER, "Morale"),
    ("impact-report", Role.MANAGER, "Impact report"),
    ("admin", Role.ADMIN, "Admin"),
)


def main() -> int:
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: `sudo apt-get install -y chromium` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="impact-shots-") as tmp:
        folder = Path(tmp)
        database_url = build_demo_database(folder / "demo.db")
        with dashboard(database_url, folder / "streamlit.log") as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for role, shots in groupby(SHOTS, key=lambda shot: shot[1]):
                context = new_context(browser)
                page = context.new_page()
                open_url(page, server.url)
                if role is not None:
                    sign_in(page, DEMO_ACCOUNTS[role])
                for name, _, title in shots:
                    if title is not None:
                        open_page(page, title)
                    print(screenshot(page, OUT / f"{name}.png").relative_to(ROOT))
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
