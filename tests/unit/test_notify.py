"""``notify`` once and ``notify --every``: the loop on an injected clock, and the real process stopped by a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from db.engine import PROJECT_ROOT, unit_of_work
from db.models import OutboxMessage
from engagement import notify, smtp
from engagement.cli import main
from harness.mail import MailServer, mail_server
from tests.factories import outbox_statuses, queue_emails

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
# The subprocesses run on the machine's clock: their messages are queued at an instant long past,
# so they are due whatever that clock says, and nothing here depends on today's date.
PAST = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[MailServer]:
    with mail_server() as s:
        yield s


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def start_notify(database_url: str, server: MailServer, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url, **server.env}
    return subprocess.Popen(
        [sys.executable, "-m", "engagement", "notify", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), (" 90s ", 90)])
def test_an_interval_is_a_whole_number_and_a_unit(text: str, seconds: int) -> None:
    assert notify.parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["5", "0s", "1d", "-5m", "1.5m", "5 m", "", "m"])
def test_any_other_interval_is_a_plain_error(text: str) -> None:
    with pytest.raises(ValueError, match="such as 30s, 5m or 1h"):
        notify.parse_interval(text)


def test_the_command_refuses_a_bad_interval_and_every_with_dry_run(database_url: str) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": database_url}
    bad = runner.invoke(main, ["notify", "--every", "5 minutes"], env=env)
    assert bad.exit_code == 2
    assert "Invalid value for '--every': expected a whole number of seconds, minutes or hours" in bad.output
    both = runner.invoke(main, ["notify", "--every", "5m", "--dry-run"], env=env)
    assert both.exit_code == 2 and "--dry-run sends nothing" in both.output


def test_each_round_sends_what_is_due_then_waits_for_the_next(engine: Engine, server: MailServer) -> None:
    first = queue_emails(engine, 3, now=NOW)
    clock = [NOW]
    pauses: list[float] = []
    later: list[str] = []

    def wait(seconds: float) -> bool:
        pauses.append(seconds)
        clock[0] += timedelta(seconds=seconds)
        if len(pauses) == 1:
            later.extend(queue_emails(engine, 2, now=clock[0]))  # queued while the loop sleeps
        return len(pauses) == 3

    lines: list[str] = []
    settings = smtp.SmtpSettings.from_env(server.env)
    stop = threading.Event()
    rounds = notify.run_every(
        engine, settings, timedelta(minutes=5), stop=stop, log=lines.append, clock=lambda: clock[0], wait=wait
    )
    assert rounds == 3
    assert pauses == [300.0, 300.0, 300.0]
    assert lines == [
        "2026-12-07 09:00:00Z round 1: queued nothing new; sent 3, to retry 0, failed 0",
        "2026-12-07 09:05:00Z round 2: queued nothing new; sent 2, to retry 0, failed 0",
        "2026-12-07 09:10:00Z round 3: queued nothing new; sent 0, to retry 0, failed 0",
        "stopped after 3 round(s)",
    ]
    assert server.inbox.ids() == first + later


def test_a_round_longer_than_the_interval_is_followed_at_once(engine: Engine, server: MailServer) -> None:
    """The clock reads 7 minutes later when the first round ends: no pause, and no backlog of rounds."""
    readings = iter([NOW, NOW + timedelta(minutes=7), NOW + timedelta(minutes=7), NOW + timedelta(minutes=8)])
    pauses: list[float] = []

    def wait(seconds: float) -> bool:
        pauses.append(seconds)
        return len(pauses) == 2

    settings = smtp.SmtpSettings.from_env(server.env)
    lines: list[str] = []
    notify.run_every(
        engine,
        settings,
        timedelta(minutes=5),
        stop=threading.Event(),
        log=lines.append,
        clock=lambda: next(readings),
        wait=wait,
    )
    assert pauses == [0.0, 240.0]
    assert [line.split(" round")[0] for line in lines[:2]] == ["2026-12-07 09:00:00Z", "2026-12-07 09:07:00Z"]


def test_sigterm_mid_round_finishes_the_message_in_flight_and_gives_back_the_rest(
    database_url: str, engine: Engine
) -> None:
    ids = queue_emails(engine, 300, now=PAST)
    with mail_server(delay=0.01) as server:
        process = start_notify(database_url, server, "--every", "1h")
        try:
            wait_for(lambda: len(server.inbox.messages) >= 20, "the first 20 messages")
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 0, err
        arrived = server.inbox.ids()
        assert 20 <= len(arrived) < 300
        assert "SIGTERM: stopping after the message in flight" in err
        assert f"round 1: queued nothing new; sent {len(arrived)}, to retry 0, failed 0" in out
        assert out.splitlines()[-1] == "stopped after 1 round(s)"
        # Nothing is left 'sending' under a lease: the rest is due again at once, its claim's try taken back.
        assert outbox_statuses(engine) == {"sent": len(arrived), "pending": 300 - len(arrived)}
        rest = subprocess.run(
            [sys.executable, "-m", "engagement", "notify"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DATABASE_URL": database_url, **server.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rest.stdout == f"queued nothing new; sent {300 - len(arrived)}, to retry 0, failed 0\n", rest.stderr
        counted = Counter(server.inbox.ids())
    assert sorted(counted) == sorted(ids) and set(counted.values()) == {1}
    with unit_of_work(engine, write=False) as session:
        assert set(session.scalars(select(OutboxMessage.attempts))) == {1}


def test_a_signal_while_waiting_for_the_next_round_ends_the_process_at_once(
    database_url: str, server: MailServer
) -> None:
    process = start_notify(database_url, server, "--every", "1h")
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("notify: a round every 3600 s")
        assert process.stdout.readline().endswith(" round 1: queued nothing new; sent 0, to retry 0, failed 0\n")
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert time.monotonic() - started < 5
    assert out == "stopped after 1 round(s)\n" and "SIGINT: stopping" in err
