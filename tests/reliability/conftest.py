"""Fixtures for the reliability and security tests.

The store fixtures (``database_url``, ``engine``, ``sqlite_engine``) come from
``tests/conftest.py``; the demo database and signed-in AppTests from
``tests/app/conftest.py``, the browser's demo database from ``tests/e2e/conftest.py``
and the browser itself from ``tests/browser_fixtures.py``, one per test process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import browser as e2e
from tests.app.conftest import app_as, app_clock, app_signed_out, demo_template, demo_url  # noqa: F401
from tests.browser_fixtures import NO_CHROMIUM
from tests.e2e.conftest import demo_database  # noqa: F401

BROWSER_TESTS = {"test_rendering_browser.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests here are e2e tests too: marked so, and skipped (saying why) without Chromium."""
    for item in items:
        if Path(item.path).name in BROWSER_TESTS:
            item.add_marker(pytest.mark.e2e)
            if not e2e.CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))
