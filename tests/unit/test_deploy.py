"""The notify units in deploy/ and the README's cron line: they parse, and the commands they name exist."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from db.engine import PROJECT_ROOT
from engagement.cli import main

DEPLOY = PROJECT_ROOT / "deploy"
INSTALLED = "/opt/impact-board"  # where the units expect the checkout (as deploy/impact-board@.service does)
UNITS = ("impact-board-notify.service", "impact-board-notify.timer", "impact-board-notifier.service")


def sections(path: Path) -> dict[str, dict[str, str]]:
    """A unit file's sections and keys (systemd's syntax: comments, [Section], Key=Value; no key twice here)."""
    parsed: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = parsed.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: {line!r} before any section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: {line!r} is not Key=Value"
        assert key not in current, f"{path.name}: {key} twice"
        current[key] = value
    return parsed


def notify_options(exec_start: str) -> dict[str, object]:
    """The options a unit's ExecStart gives `python -m engagement`, as the CLI parses them (unknown ones fail)."""
    argv = shlex.split(exec_start)
    assert argv[:3] == [f"{INSTALLED}/.venv/bin/python", "-m", "engagement"], argv
    assert argv[3] == "notify", argv
    return dict(main.commands["notify"].make_context("notify", argv[4:]).params)


def test_the_timer_starts_the_one_shot_notify_every_five_minutes() -> None:
    service = sections(DEPLOY / "impact-board-notify.service")
    timer = sections(DEPLOY / "impact-board-notify.timer")
    assert service["Service"]["Type"] == "oneshot"
    assert notify_options(service["Service"]["ExecStart"]) == {"dry_run": False, "every": None}
    assert "Install" not in service  # started by the timer only
    assert timer["Timer"] == {
        "OnCalendar": "*:0/5",
        "Persistent": "true",
        "AccuracySec": "10s",
        "Unit": "impact-board-notify.service",
    }
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_the_long_running_service_runs_notify_every_five_minutes() -> None:
    service = sections(DEPLOY / "impact-board-notifier.service")
    assert service["Service"]["Type"] == "simple"
    assert notify_options(service["Service"]["ExecStart"]) == {"dry_run": False, "every": timedelta(minutes=5)}
    assert service["Service"]["Restart"] == "on-failure"
    assert service["Unit"]["Conflicts"] == "impact-board-notify.timer"
    assert service["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("unit", ["impact-board-notify.service", "impact-board-notifier.service"])
def test_the_services_follow_the_dashboard_units_conventions(unit: str) -> None:
    dashboard = sections(DEPLOY / "impact-board@.service")["Service"]
    service = sections(DEPLOY / unit)["Service"]
    for key in ("User", "WorkingDirectory", "EnvironmentFile", "NoNewPrivileges", "ProtectSystem", "ReadWritePaths"):
        assert service[key] == dashboard[key], key


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """``systemd-analyze verify`` on copies pointing at this checkout: it checks keys, values and that
    ExecStart is executable (a misspelt key is only a warning, so any output fails the test)."""
    for unit in UNITS:
        text = (DEPLOY / unit).read_text().replace(INSTALLED, str(PROJECT_ROOT))
        (tmp_path / unit).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / u) for u in UNITS)], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr
    calendar = subprocess.run(
        ["systemd-analyze", "calendar", "--iterations=2", "*:0/5"], capture_output=True, text=True, check=True
    )
    assert "Normalized form: *-*-* *:00/5:00" in calendar.stdout


def test_the_readme_cron_line_runs_notify_every_five_minutes() -> None:
    [line] = [
        ln
        for ln in (PROJECT_ROOT / "README.md").read_text().splitlines()
        if ln.startswith("*/5 ") and "engagement notify" in ln
    ]
    minute, hour, day, month, weekday, user, command = line.split(maxsplit=6)
    assert (minute, hour, day, month, weekday, user) == ("*/5", "*", "*", "*", "*", "impact-board")
    assert command.startswith(f"cd {INSTALLED} && set -a && . /etc/impact-board.env && set +a && ")
    run = command.split(" && ")[-1]
    assert run.startswith(f"{INSTALLED}/.venv/bin/python -m engagement notify")
    assert notify_options(run.split(" >>")[0]) == {"dry_run": False, "every": None}
    assert (PROJECT_ROOT / ".venv/bin/python").exists()
