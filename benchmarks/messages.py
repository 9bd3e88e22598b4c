"""The notification benchmark: building the weekly digests at scale, and sending to a local SMTP server.

    python -m benchmarks.messages                    # L on SQLite (builds and caches it the first time)
    python -m benchmarks.messages --scale M --pg-url postgresql://postgres@127.0.0.1:5432/test

Digests: the week's digests for everyone (agents', leads', managers') are
planned in a child process of their own over the cached benchmark database,
inside a transaction that is rolled back, so the cache stays as generated. The
invitation and reminder moments are moved past the week first, so the figure
is the digests' alone. Reports the seconds, how many were queued and the
child's peak RSS (Linux ``VmHWM``); targets: at most 60 s and under 300 MB at L.

Sending: messages like a real decision email are queued in a fresh SQLite
store and sent by ``engagement.delivery`` to aiosmtpd on loopback (its own
process, discarding what it accepts); the same
emails are then sent by bare ``smtplib`` over one connection to the same
server, the limit any sender can reach there. Target: at least 200 messages a
second. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks import store
from db.engine import PROJECT_ROOT, make_engine, unit_of_work
from db.migrate import upgrade
from db.models import OutboxMessage
from engagement import delivery, messages, outbox, periods, schedule, settings, smtp
from engagement.access import SYSTEM
from harness.servers import HOST, free_port

DIGEST_SECONDS = 60.0
DIGEST_MB = 300.0
SEND_RATE = 200.0
SENT = 2_000


def digests(url: str, anchor: date) -> dict[str, Any]:
    """Plan the anchor week's digests at Friday 16:00 UTC, rolled back; the seconds, the counts and peak RSS."""
    engine = make_engine(url)
    week = periods.week_start(anchor)
    friday = datetime.combine(week + timedelta(days=4), datetime.min.time(), UTC) + timedelta(hours=16)
    with Session(engine) as session:
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        # Invitations and reminders later in the week than the digests: this run plans digests only.
        settings.update(session, SYSTEM, friday, invite_at="sun 23:59", remind_at="sun 23:59")
        started = time.perf_counter()
        planned = schedule.plan(session, friday)
        session.flush()
        seconds = time.perf_counter() - started
        session.rollback()
    engine.dispose()
    return {"seconds": round(seconds, 2), "queued": planned.counts, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def sending(count: int = SENT) -> dict[str, Any]:
    """Messages a second through the outbox and ``engagement.delivery``, and through bare ``smtplib``."""
    now = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'send.db'}")
        upgrade(engine)
        text = messages.render(
            "decision",
            {
                "name": "Zoë Ñúñez",
                "challenge": "Plant trees",
                "day": "Tuesday 17 March 2026",
                "amount": "3 trees",
                "decision": "approved",
                "approved": True,
                "by": "Lee Lead",
                "reason": "",
                "link": "http://localhost:8501/my_standing",
                "preferences_url": "http://localhost:8501/account",
                "unsubscribe_url": "http://localhost:8501/unsubscribe?t=" + "x" * 120,
            },
        )
        rows = [
            {
                "kind": "decision",
                "audience": f"bench:{n}",
                "period": "bench",
                "recipient": f"person{n}@example.org",
                "subject": text.subject,
                "body_text": text.text,
                "body_html": text.html,
                "unsubscribe_url": "http://localhost:8501/unsubscribe?t=" + "x" * 120,
            }
            for n in range(count)
        ]
        with unit_of_work(engine) as session:
            outbox.enqueue_many(session, rows, now)
        with smtp_server() as env:
            config = smtp.SmtpSettings.from_env(env)
            started = time.perf_counter()
            done = delivery.deliver(engine, config, now)
            ours = time.perf_counter() - started
            assert done == delivery.Delivered(count, 0, 0), done
            with unit_of_work(engine, write=False) as session:
                built = [smtp.build(r, config.mail_from, "") for r in session.scalars(select(OutboxMessage))]
            started = time.perf_counter()
            client = smtplib.SMTP(config.host, config.port)
            for message in built:
                client.send_message(message)
            client.quit()
            bare = time.perf_counter() - started
        engine.dispose()
    return {"messages": count, "ours_per_s": round(count / ours, 1), "smtplib_per_s": round(count / bare, 1)}


@contextmanager
def smtp_server() -> Iterator[dict[str, str]]:
    """aiosmtpd in a process of its own on a free loopback port, accepting and discarding (its Sink handler).

    Out of this process, so the server and the sender do not share one
    interpreter lock and the rates are the sender's.
    """
    port = free_port()
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"{HOST}:{port}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield {"IB_SMTP_HOST": HOST, "IB_SMTP_PORT": str(port)}
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="L", choices=sorted(store.SCALES))
    parser.add_argument("--pg-url", help="Also (instead) measure the digests on PostgreSQL.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--digests-child", nargs=2, metavar=("URL", "ANCHOR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.digests_child:
        print(json.dumps(digests(args.digests_child[0], date.fromisoformat(args.digests_child[1]))))
        return
    name = "postgresql" if args.pg_url else "sqlite"
    built = store.build(name, args.scale, args.seed, pg_url=args.pg_url)
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.messages", "--digests-child", built.url, built.meta["anchor"]],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
    )
    planned = json.loads(child.stdout.strip().splitlines()[-1])
    sent = sending()
    people = built.meta["people"]
    print(f"{name} {args.scale} ({people:,} people):")
    print(
        f"  weekly digests: {sum(planned['queued'].values()):,} queued ({planned['queued']}) in {planned['seconds']} s "
        f"(target ≤ {DIGEST_SECONDS:g} s), peak RSS {planned['peak_rss_mb']} MB (target < {DIGEST_MB:g} MB)"
    )
    print(
        f"  sending {sent['messages']:,} emails to aiosmtpd on loopback: {sent['ours_per_s']} msg/s through the outbox "
        f"(target ≥ {SEND_RATE:g}); bare smtplib on the same server: {sent['smtplib_per_s']} msg/s (the limit)"
    )
    met = (
        planned["seconds"] <= DIGEST_SECONDS and planned["peak_rss_mb"] < DIGEST_MB and sent["ours_per_s"] >= SEND_RATE
    )
    print(json.dumps({"store": name, "scale": args.scale, "digests": planned, "sending": sent, "met": met}))


if __name__ == "__main__":
    main()
