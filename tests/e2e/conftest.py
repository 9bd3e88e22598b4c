"""Browser tests: the real app, served by ``streamlit run``, in Debian's headless Chromium.

Every test here is marked ``e2e`` and skips, saying why, where /usr/bin/chromium
is missing (``scripts/run-tests`` installs it). The demo database is built once
per run with the product's CLI and copied for each server, so servers may write
freely. One app server serves a whole module unless a test needs a fresh one;
one browser serves the whole run and every test gets its own context (no shared
cookies). Requests to anything but this machine are blocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness import browser as e2e
from harness import servers
from harness.servers import Server, StartApp
from tests.browser_fixtures import NO_CHROMIUM

E2E_DIR = Path(__file__).resolve().parent
# A save reruns the page twice (the write, then the message); on a busy 2-core machine the
# Admin page can take longer than Playwright's default 5 s for an expectation to come true.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            if not e2e.CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo organisation, built by ``python -m engagement init`` and ``demo`` (the URL of a template file)."""
    return servers.build_demo_database(tmp_path_factory.mktemp("e2e-demo") / "demo.db")


@pytest.fixture(scope="session")
def start_app(demo_database: str, tmp_path_factory: pytest.TempPathFactory) -> StartApp:
    """``with start_app() as server:`` a new server over a new copy of the demo database."""

    def start() -> AbstractContextManager[Server]:
        folder = tmp_path_factory.mktemp("e2e-app")
        return servers.dashboard(servers.copy_database(demo_database, folder / "impact.db"), folder / "streamlit.log")

    return start


@pytest.fixture(scope="module")
def app_server(start_app: StartApp) -> Iterator[Server]:
    """One running dashboard for the module's tests."""
    with start_app() as server:
        yield server
