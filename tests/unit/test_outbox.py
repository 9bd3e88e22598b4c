"""The notification outbox against a real SMTP server on loopback (aiosmtpd), on both stores."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from db.engine import make_engine, unit_of_work
from db.models import OutboxMessage
from engagement import delivery, outbox, smtp
from engagement.cli import main
from harness.mail import MailServer, mail_server
from harness.servers import free_port
from tests.factories import make_person

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[MailServer]:
    with mail_server() as s:
        yield s


@pytest.fixture
def settings(server: MailServer) -> smtp.SmtpSettings:
    return smtp.SmtpSettings.from_env(server.env)


def queue(engine: Engine, count: int, *, kind: str = "decision") -> list[str]:
    """Queue ``count`` messages to new people; return their Message-IDs."""
    with unit_of_work(engine) as session:
        for n in range(count):
            person_id = make_person(session).person_id
            assert person_id is not None
            assert outbox.enqueue(
                session,
                kind=kind,
                person_id=person_id,
                period=f"entry-{n}",
                recipient=f"zoë{n}@example.org",
                subject=f"Your entry {n} was approved",
                body_text=f"Entry {n} was approved.",
                body_html=f"<h1>Entry {n}</h1><p>It was approved.</p>",
                now=NOW,
            )
    with unit_of_work(engine, write=False) as session:
        return list(session.scalars(select(OutboxMessage.message_id).order_by(OutboxMessage.id)))


def statuses(engine: Engine) -> list[str]:
    with unit_of_work(engine, write=False) as session:
        return list(session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_enqueue_twice_keeps_one_row(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        person_id = make_person(session).person_id
        fields: dict[str, Any] = {
            "kind": "pulse_invitation",
            "person_id": person_id,
            "period": "2026-W50",
            "recipient": "a@example.org",
            "subject": "This week's pulse",
            "body_text": "How was your week?",
            "body_html": "<p>How was your week?</p>",
            "now": NOW,
        }
        assert outbox.enqueue(session, **fields) is True
        assert outbox.enqueue(session, **fields) is False
    with unit_of_work(engine) as session:
        assert outbox.enqueue(session, **fields) is False
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        with pytest.raises(ValueError, match="unknown kind"):
            outbox.enqueue(session, **{**fields, "kind": "spam"})


def test_a_delivered_message_has_its_headers_and_both_parts(
    engine: Engine, server: MailServer, settings: smtp.SmtpSettings
) -> None:
    [message_id] = queue(engine, 1)
    done = delivery.deliver(engine, settings, now=NOW, unsubscribe_url="https://board.example/unsubscribe?t=x")
    assert done == delivery.Delivered(sent=1, retrying=0, failed=0)
    [got] = server.inbox.messages
    assert got["Message-ID"] == message_id
    assert got["To"] == "zoë0@example.org"
    assert got["Subject"] == "Your entry 0 was approved"
    assert got["List-Unsubscribe"] == "<https://board.example/unsubscribe?t=x>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in got.iter_parts()}
    assert parts["text/plain"].strip() == "Entry 0 was approved."
    assert "<h1>Entry 0</h1>" in parts["text/html"]
    assert statuses(engine) == ["sent"]
    assert delivery.deliver(engine, settings, now=NOW + timedelta(hours=1)) == delivery.Delivered(0, 0, 0)
    assert len(server.inbox.messages) == 1


def test_two_senders_at_once_deliver_each_message_once(
    database_url: str, engine: Engine, server: MailServer, settings: smtp.SmtpSettings
) -> None:
    ids = queue(engine, 30)
    engines = [make_engine(database_url) for _ in range(2)]
    results: list[delivery.Delivered] = []
    start = threading.Barrier(2)

    def run(e: Engine) -> None:
        start.wait()
        results.append(delivery.deliver(e, settings, now=NOW))

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for e in engines:
        e.dispose()
    assert len(results) == 2
    assert sum(r.sent for r in results) == 30
    assert sorted(server.inbox.ids()) == sorted(ids)
    assert statuses(engine) == ["sent"] * 30


def test_a_stopped_server_means_retry_later_and_each_message_arrives_once(
    engine: Engine, server: MailServer, settings: smtp.SmtpSettings
) -> None:
    first = queue(engine, 1)
    assert delivery.deliver(engine, settings, now=NOW).sent == 1
    server.stop()
    rest = queue(engine, 3)[1:]
    assert delivery.deliver(engine, settings, now=NOW) == delivery.Delivered(sent=0, retrying=3, failed=0)
    with unit_of_work(engine, write=False) as session:
        waiting = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
        assert len(waiting) == 3
        assert {m.next_attempt_at for m in waiting} == {NOW + outbox.BACKOFF[0]}
        assert all(m.last_error for m in waiting)
    server.start()
    assert delivery.deliver(engine, settings, now=NOW + timedelta(seconds=30)) == delivery.Delivered(0, 0, 0)
    assert delivery.deliver(engine, settings, now=NOW + outbox.BACKOFF[0]).sent == 3
    assert sorted(server.inbox.ids()) == sorted(first + rest)
    assert statuses(engine) == ["sent"] * 4


def test_a_sender_killed_mid_send_is_retried_with_the_same_message_id(
    engine: Engine, server: MailServer, settings: smtp.SmtpSettings
) -> None:
    [message_id] = queue(engine, 1)
    with unit_of_work(engine) as session:
        assert len(outbox.claim(session, NOW, 10)) == 1  # this sender dies before marking it
    assert delivery.deliver(engine, settings, now=NOW + timedelta(minutes=1)) == delivery.Delivered(0, 0, 0)
    assert delivery.deliver(engine, settings, now=NOW + outbox.LEASE).sent == 1
    assert server.inbox.ids() == [message_id]


def test_after_the_last_attempt_a_message_is_failed_with_the_reason(
    engine: Engine, server: MailServer, settings: smtp.SmtpSettings
) -> None:
    queue(engine, 1)
    nowhere = replace(settings, port=free_port())
    at, outcomes = NOW, []
    for wait in (*outbox.BACKOFF, timedelta(0)):
        outcomes.append(delivery.deliver(engine, nowhere, now=at))
        at += wait
    assert outcomes == [delivery.Delivered(0, 1, 0)] * len(outbox.BACKOFF) + [delivery.Delivered(0, 0, 1)]
    with unit_of_work(engine, write=False) as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
        assert row.last_error and "Connection" in row.last_error
    assert delivery.deliver(engine, settings, now=at + timedelta(days=1)) == delivery.Delivered(0, 0, 0)
    assert server.inbox.messages == []


def test_notify_dry_run_prints_what_is_due_and_notify_sends_it(
    database_url: str, engine: Engine, server: MailServer
) -> None:
    queue(engine, 2)
    env = {"DATABASE_URL": database_url, "IB_SMTP_HOST": "127.0.0.1", "IB_SMTP_PORT": str(server.port)}
    runner = CliRunner()
    with time_machine.travel(NOW, tick=False):
        dry = runner.invoke(main, ["notify", "--dry-run"], env=env)
        assert dry.exit_code == 0, dry.output
        assert "zoë1@example.org" in dry.output and "Your entry 0 was approved" in dry.output
        assert dry.output.endswith("2 message(s) due; nothing sent (dry run)\n")
        assert server.inbox.messages == [] and statuses(engine) == ["pending"] * 2
        sent = runner.invoke(main, ["notify"], env=env)
    assert sent.output == "queued nothing new; sent 2, to retry 0, failed 0\n"
    assert len(server.inbox.messages) == 2
    bad = runner.invoke(main, ["notify"], env={**env, "IB_SMTP_PORT": "smtp"})
    assert bad.exit_code == 1 and "IB_SMTP_PORT must be a port number" in bad.output


def test_the_server_killed_mid_run_loses_nothing_and_doubles_nothing(engine: Engine) -> None:
    ids = queue(engine, 60)
    with mail_server(delay=0.005) as server:
        settings = smtp.SmtpSettings.from_env(server.env)

        def kill_after_20() -> None:
            while len(server.inbox.messages) < 20:
                threading.Event().wait(0.002)
            server.stop()

        killer = threading.Thread(target=kill_after_20)
        killer.start()
        first = delivery.deliver(engine, settings, now=NOW)
        killer.join()
        arrived = server.inbox.ids()
        assert 20 <= len(arrived) < 60 and first.sent >= 20 and first.retrying == 60 - first.sent
        server.start()
        assert delivery.deliver(engine, settings, now=NOW + outbox.BACKOFF[0]).sent == 60 - first.sent
        # Every message arrived; one the server took just as it was killed may be in flight twice,
        # and then carries the same Message-ID, so a mail system keeps one.
        arrived = server.inbox.ids()
        assert sorted(set(arrived)) == sorted(ids)
        assert len(arrived) - len(set(arrived)) <= 1
    assert statuses(engine) == ["sent"] * 60
