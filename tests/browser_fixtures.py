"""The browser fixtures, one definition for every folder (a plugin ``tests/conftest.py`` loads).

Each test process starts at most one Playwright and one Chromium: two session
fixtures of the same name in two conftests would be two Playwrights, and the
second refuses to start inside the first's event loop.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from harness import browser as e2e

NO_CHROMIUM = f"{e2e.CHROMIUM} is missing: install Debian's chromium (scripts/run-tests does) to run browser tests"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = e2e.launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile for one test; it reaches 127.0.0.1 and nothing else."""
    ctx = e2e.new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
