"""``python -m engagement``: the command line for admins and automation.

Each command parses its options and calls one engagement function; the
command line acts as an admin that is not a person (the audit log says "cli").
Errors are printed as plain lines (``row N: column: problem`` for files) with a
non-zero exit code, never as a traceback.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from db.engine import database_url, make_engine, unit_of_work, write_transaction
from db.migrate import SchemaTooNew, is_current, upgrade
from db.models import WorkMode
from engagement import (
    amounts,
    auth,
    backup,
    demo,
    exports,
    impact,
    imports,
    leaderboards,
    morale,
    notify,
    organisation,
    periods,
    publication,
    settings,
    smtp,
)
from engagement.access import SYSTEM
from engagement.challenges import by_slug
from engagement.errors import Conflict, NotFound, PermissionDenied, ValidationError

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = click.Choice(["table", "csv", "json"])
ISO_DATE = click.DateTime(formats=["%Y-%m-%d"])


def friendly_errors(command: F) -> F:
    """Turn domain and database errors into plain messages and exit codes."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValidationError as e:
            for problem in e.problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
        except (NotFound, Conflict, SchemaTooNew) as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        except PermissionDenied as e:
            click.echo(f"not allowed: {e}", err=True)
            sys.exit(2)
        except OperationalError as e:
            click.echo(f"error: the database is unavailable or busy ({e.orig}); nothing was changed", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def open_store() -> Engine:
    """The configured store, refusing one that `init` has not brought up to date."""
    engine = make_engine()
    try:
        current = is_current(engine)
    except OperationalError as e:
        raise click.ClickException(f"cannot open the database at {database_url()}: {e.orig}") from None
    if not current:
        raise click.ClickException("the database schema is not up to date: run `python -m engagement init` first")
    return engine


def emit(records: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> None:
    if fmt == "json":
        click.echo(exports.to_json(records))
    elif fmt == "csv":
        click.echo(exports.to_csv(records, columns), nl=False)
    elif not records:
        click.echo("(no rows)")
    else:
        click.echo(_table(records, columns))


def _table(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    import pandas as pd

    frame = pd.DataFrame([{c: _plain(r.get(c), c) for c in columns} for r in records], columns=list(columns))
    return frame.to_string(index=False)


def _plain(value: Any, column: str) -> Any:
    """A cell as people read it: impact figures in the house style of their unit, other numbers to 2 decimals."""
    if value is None:
        return "-"
    if isinstance(value, float):
        unit = amounts.MEASURE_UNITS.get(column)
        return amounts.number(value, 2) if unit is None else amounts.figure(value, unit)
    return value


def _day(value: Any) -> date | None:
    return value.date() if value is not None else None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Impact Board: challenges, leaderboards, morale and impact for distributed teams.

    The store is DATABASE_URL (default: the SQLite file data/impact.db).
    """


@main.command()
@friendly_errors
def init() -> None:
    """Create the schema, or upgrade it to the newest version, and load default impact factors."""
    engine = make_engine()
    upgrade(engine)
    with unit_of_work(engine) as session:
        added = impact.seed_default_factors(session, SYSTEM)
    click.echo(
        f"database ready at {engine.url.render_as_string(hide_password=True)}"
        + (f" ({added} default impact factors loaded)" if added else "")
    )


@main.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if the database already has people.")
@click.option("--seed", type=int, default=demo.SEED, show_default=True, help="Random seed of the demo.")
@friendly_errors
def demo_command(if_empty: bool, seed: int) -> None:
    """Load a deterministic demo organisation into an empty database (runs init first)."""
    engine = make_engine()
    upgrade(engine)
    with unit_of_work(engine) as session:
        if if_empty and not demo.is_empty(session):
            click.echo("database already has data; demo not loaded")
            return
        summary = demo.load_demo(session, seed=seed)
    click.echo(
        f"demo loaded: {summary.people} people, {summary.results} results, {summary.pulse_answers} pulse answers"
    )
    click.echo("demo accounts (password " + demo.DEMO_PASSWORD + "): " + ", ".join(demo.DEMO_ACCOUNTS.values()))


@main.command("import")
@click.argument("kind", type=click.Choice([k.value for k in imports.ImportKind]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report, writing nothing.")
@click.option("--encoding", help="The file's encoding if not UTF-8 (e.g. cp1252).")
@friendly_errors
def import_command(kind: str, file: Path, dry_run: bool, encoding: str | None) -> None:
    """Import a CSV FILE of people, challenges, results or pulse answers: all rows or none.

    \b
    people:     email,name,team,role [+ site,work_mode,timezone,active,left_on]
    challenges: slug,name,kind,unit,points_per_unit,starts_on,ends_on [+ daily_cap,team_target,
                auto_approve_up_to,description]
    results:    email,challenge,quantity,occurred_on [+ ref,note,status,organisation,activity_type]
    pulse:      email,week_of,score [+ enps,comment]

    Bad rows are reported as "row N: column: problem" (the header is row 1), all
    of a row's problems at once. Results of people who have left import as their
    history when dated on or before their last day (left_on).
    """
    report = imports.run_import(
        open_store(), SYSTEM, imports.ImportKind(kind), file.read_bytes(), dry_run=dry_run, encoding=encoding
    )
    click.echo(report.summary())
    if report.already_stored_rows:
        click.echo("already stored: rows " + ", ".join(str(n) for n in report.already_stored_rows))


@main.command()
@click.option("--by", type=click.Choice(["team", "person"]), default="team", show_default=True)
@click.option("--challenge", default="all", show_default=True, help="A challenge slug, or all.")
@click.option("--from", "start", type=ISO_DATE, help="First day (default: the challenge's start, or all time).")
@click.option("--to", "end", type=ISO_DATE, help="Last day (default: the challenge's end, or today).")
@click.option(
    "--rank-by",
    type=click.Choice([r.value for r in leaderboards.RankBy]),
    default="per_member",
    show_default=True,
    help="How teams are ranked.",
)
@click.option("--site", help="Only this site's teams or people.")
@click.option("--work-mode", type=click.Choice([m.value for m in WorkMode]), help="Only home or centre workers.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@friendly_errors
def leaderboard(
    by: str, challenge: str, start: Any, end: Any, rank_by: str, site: str | None, work_mode: str | None, fmt: str
) -> None:
    """Rank teams (by points per member, total or participation) or people (by points)."""
    engine = open_store()
    with unit_of_work(engine, write=False) as session:
        challenge_id = None if challenge == "all" else by_slug(session, challenge).id
        scope = leaderboards.Scope(
            challenge_id,
            _day(start),
            _day(end),
            organisation.site_id(session, site) if site else None,
            WorkMode(work_mode) if work_mode else None,
        )
        if by == "team":
            rows = leaderboards.team_leaderboard(session, SYSTEM, scope, leaderboards.RankBy(rank_by))
            emit(exports.team_records(rows), exports.TEAM_COLUMNS, fmt)
        else:
            people = leaderboards.person_leaderboard(session, SYSTEM, scope)
            emit(exports.person_records(people), exports.PERSON_COLUMNS, fmt)


@main.command("morale")
@click.option("--by", type=click.Choice([g.value for g in morale.GroupBy]), default="team", show_default=True)
@click.option("--from", "start", type=ISO_DATE, help="First day (default: 26 weeks ago).")
@click.option("--to", "end", type=ISO_DATE, help="Last day (default: today; the open week is never shown).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@friendly_errors
def morale_command(by: str, start: Any, end: Any, fmt: str) -> None:
    """Weekly morale per team, site or company; small groups are suppressed to keep answers anonymous."""
    engine = open_store()
    write_transaction(engine, publication.close_weeks)  # weeks that ended since anyone looked close now
    with unit_of_work(engine, write=False) as session:
        today = periods.today(settings.load(session).zone)
        cells = morale.weekly_morale(
            session,
            SYSTEM,
            morale.GroupBy(by),
            _day(start) or today - timedelta(weeks=26),
            _day(end) or today,
        )
    group = morale.GroupBy(by)
    emit(exports.morale_records(cells, group), exports.morale_columns(group), fmt)


@main.command("impact")
@click.option("--by", type=click.Choice([g.value for g in impact.ImpactBy]), default="company", show_default=True)
@click.option("--from", "start", type=ISO_DATE, help="First day (default: all time).")
@click.option("--to", "end", type=ISO_DATE, help="Last day (default: all time).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@friendly_errors
def impact_command(by: str, start: Any, end: Any, fmt: str) -> None:
    """kWh saved and kg CO2e avoided, trees and kg CO2e a year, volunteer hours and their value."""
    engine = open_store()
    with unit_of_work(engine, write=False) as session:
        report = impact.impact_report(session, SYSTEM, impact.ImpactBy(by), _day(start), _day(end))
    emit(exports.impact_records(report, by), exports.impact_columns(by), fmt)
    if fmt == "table":
        click.echo("\nfactors used:")
        for n, u in enumerate(report.uses.values(), start=1):
            f = u.factor
            click.echo(
                f"  {n}. {f.kind.value}: {f.name}, {f.value:g} {f.unit} ({f.region}, {f.year}); "
                f"{u.applies_to.lower()}, from {u.since}{' to ' + u.until if u.until else ''} - {f.source}"
            )


@main.command("settings")
@click.option("--timezone", help="The organisation's time zone, e.g. Europe/London.")
@click.option("--anonymity-threshold", type=int, help="Smallest group shown in morale figures (3 or more).")
@click.option("--session-hours", type=int, help="How long a built-in sign-in lasts across reloads (1 to 168).")
@friendly_errors
def settings_command(timezone: str | None, anonymity_threshold: int | None, session_hours: int | None) -> None:
    """Show the organisation's settings, or change them."""
    engine = open_store()
    changes: dict[str, Any] = {}
    if timezone is not None:
        changes["timezone"] = timezone
    if anonymity_threshold is not None:
        changes["anonymity_threshold"] = anonymity_threshold
    if session_hours is not None:
        changes["session_hours"] = session_hours
    with unit_of_work(engine, write=bool(changes)) as session:
        current = settings.update(session, SYSTEM, **changes) if changes else settings.load(session)
    click.echo(
        f"timezone: {current.timezone}\nanonymity_threshold: {current.anonymity_threshold}\n"
        f"session_hours: {current.session_hours}"
    )


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@friendly_errors
def backup_command(file: Path) -> None:
    """Write a consistent copy of the SQLite store to FILE while the dashboard keeps running.

    For PostgreSQL it prints how to use pg_dump instead.
    """
    engine = make_engine()
    try:
        size = backup.backup(engine, file)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"backup written to {file} ({size:,} bytes, integrity ok)")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@friendly_errors
def restore_command(file: Path, yes: bool) -> None:
    """Replace the SQLite store's contents with the backup FILE (checked first), then migrate it."""
    engine = make_engine()
    if not yes:
        click.confirm(f"Replace everything in {database_url()} with {file}?", abort=True)
    try:
        backup.restore(engine, file)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"restored {file} into {database_url()}")


@main.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@friendly_errors
def password_command(email: str, password_stdin: bool) -> None:
    """Give EMAIL a built-in login, or reset it (they choose a new password at next sign-in).

    Use it to create the first admin's login on a new installation.
    """
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else click.prompt("New password", hide_input=True, confirmation_prompt=True)
    )
    engine = open_store()
    with unit_of_work(engine) as session:
        person = organisation.person_by_email(session, email)
        auth.set_password(session, SYSTEM, person.id, password)
    click.echo(f"password set for {person.email}; they will choose their own at next sign-in")


class Interval(click.ParamType[timedelta]):
    """A duration such as 30s, 5m or 1h (see :func:`engagement.notify.parse_interval`)."""

    name = "interval"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return notify.parse_interval(str(value))
        except ValueError as e:
            self.fail(str(e), param, ctx)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT, so a run finishes the message in flight before it ends.

    The previous handlers come back afterwards (the command may run inside another program, such as a test).
    """
    stop = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after the message in flight", err=True)
        stop.set()

    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@main.command("notify")
@click.option("--dry-run", is_flag=True, help="Print the messages that are due; send and change nothing.")
@click.option(
    "--every",
    type=Interval(),
    help="Keep running: a round every interval (30s, 5m, 1h), one log line each, until SIGTERM or Ctrl-C.",
)
@friendly_errors
def notify_command(dry_run: bool, every: timedelta | None) -> None:
    """Send the due emails in the outbox once (SMTP settings from IB_SMTP_* and IB_MAIL_FROM) and exit.

    Safe to run from cron while another run is going: each message is sent once.
    With --every it keeps running instead; SIGTERM or Ctrl-C ends it after the
    message in flight, and what it had not sent yet is due for the next run.
    """
    engine = open_store()
    if dry_run:
        if every is not None:
            raise click.UsageError("--dry-run sends nothing, so it cannot run --every interval")
        records = [asdict(due) for due in notify.preview(engine, periods.now_utc())]
        emit(records, ["kind", "period", "channel", "to", "subject", "tries"], "table")
        click.echo(f"{len(records)} message(s) due; nothing sent (dry run)")
        return
    try:
        config = smtp.SmtpSettings.from_env()
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    with stop_on_signals() as stop:
        if every is None:
            click.echo(notify.run_once(engine, config, periods.now_utc(), stop=stop).describe())
            return
        click.echo(f"notify: a round every {every.total_seconds():g} s, until SIGTERM or Ctrl-C")
        notify.run_every(engine, config, every, stop=stop, log=lambda line: click.echo(line))
