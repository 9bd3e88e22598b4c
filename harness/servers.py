"""Start the real app on loopback: a demo store made by the product's own CLI, ``streamlit run`` on a free port.

Shared by the browser harness, the load benchmark, the load test and ``scripts/screenshots.py``;
every process it starts listens on 127.0.0.1 only and ends with its ``with`` block.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
STARTUP_SECONDS = 90
# What the app needs to run from another folder (the SSO test runs a copy with its own secrets).
APP_FILES = ("app.py", "dashboard.py", "pages", "ui", "engagement", "db", ".streamlit/config.toml")
EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception|Timeout)\b")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _run_cli(args: list[str], env: Mapping[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "engagement", *args], cwd=ROOT, env=dict(env), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"`python -m engagement {' '.join(args)}` failed:\n{done.stdout}\n{done.stderr}")


def build_demo_database(path: Path) -> str:
    """Create ``path`` as a demo database through the CLI, as a new user would; return its URL."""
    url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url}
    _run_cli(["init"], env)
    _run_cli(["demo"], env)
    return url


def copy_database(template: str, path: Path) -> str:
    """Copy a SQLite database file (made by :func:`build_demo_database`) to ``path``; return its URL."""
    shutil.copyfile(template.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


def copy_app(target: Path) -> Path:
    """Copy the app (code and config, no secrets, no data) into ``target`` and return it."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in APP_FILES:
        source, dest = ROOT / name, target / name
        if source.is_dir():
            shutil.copytree(source, dest, ignore=ignore)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
    return target


def wait_for_http(url: str, expect_body: str | None, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url`` until it answers 200 (with ``expect_body`` if given); fail early if ``process`` died."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = response.read().decode()
            if expect_body is None or body.strip() == expect_body:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")


@dataclass(frozen=True)
class Server:
    """A process started by these helpers, with the base URL it answers on and its log file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    database_url: str | None = None  # the dashboard's store, for tests that check what was saved

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the log, for failure messages (tracebacks land there, not on screen)."""
        return self.log.read_text(errors="replace")[-chars:]


# Starts a new dashboard over a new copy of the demo database (the e2e ``start_app`` fixture).
StartApp = Callable[[], AbstractContextManager[Server]]


@contextmanager
def serve(
    command: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    url: str,
    health: str,
    health_body: str | None = None,
) -> Iterator[Server]:
    """Run ``command`` until the ``with`` block ends; ready once ``url + health`` answers (``health_body``)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for_http(url + health, health_body, process, log)
        yield Server(url, process, log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # The server runs in its own process group (start_new_session), so this ends it and nothing else.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def dashboard(database_url: str, log: Path, *, app_dir: Path = ROOT, port: int | None = None) -> Iterator[Server]:
    """``streamlit run app.py`` (the dashboard and its one-click unsubscribe) from ``app_dir`` on a local port."""
    port = port or free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", HOST, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONDONTWRITEBYTECODE": "1"}
    url = f"http://{HOST}:{port}"
    with serve(command, cwd=app_dir, env=env, log=log, url=url, health="/_stcore/health", health_body="ok") as server:
        yield replace(server, database_url=database_url)


class Fleet:
    """``count`` dashboards over one store on free loopback ports, their memory and CPU sampled while they run.

    Each starts from an empty cache; :meth:`stop` ends them and returns the exception
    lines they logged (the causes of any error element a session saw).
    """

    def __init__(self, database_url: str, count: int, logs: Path) -> None:
        self._stack = ExitStack()
        try:
            self.servers = [
                self._stack.enter_context(dashboard(database_url, logs / f"dashboard-{i}.log")) for i in range(count)
            ]
        except BaseException:
            self._stack.close()
            raise
        self.ports = [int(s.url.rsplit(":", 1)[1]) for s in self.servers]
        self.peak_rss = [0.0] * count
        self._cpu_start = [_cpu_seconds(s.process.pid) for s in self.servers]
        self._started = time.monotonic()

    def sample(self) -> None:
        for i, server in enumerate(self.servers):
            for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_rss[i] = max(self.peak_rss[i], int(line.split()[1]) / 1024)

    def cpu_share(self) -> float:
        """Average CPU of all app processes since the start, as a percentage of one core."""
        used = sum(_cpu_seconds(s.process.pid) - c for s, c in zip(self.servers, self._cpu_start, strict=True))
        return round(100 * used / max(1e-6, time.monotonic() - self._started), 1)

    def stop(self) -> list[str]:
        """Stop the processes; return the exception lines they logged."""
        self._stack.close()
        causes: list[str] = []
        for server in self.servers:
            lines = server.log.read_text(errors="replace").splitlines()
            causes += [ln[:200] for ln in lines if EXCEPTION_LINE.match(ln)]
        return causes


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS
