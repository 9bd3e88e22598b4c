"""Hostile input at every entry point: a clear message naming row and column, no traceback, nothing written.

Entry points: the command line (``import`` of each kind, ``settings``,
``password``, report options), CSV upload on Log results and the roster
upload on Admin, the single-entry form and the team table on Log results, My
standing's log and pulse forms, and the Admin person form. "Nothing written"
is checked by hashing every table before and after.

Streamlit is a first line of defence for forms: a number the browser could not
have sent (NaN, infinity, below the field's minimum) or a date outside the
picker's range is replaced by the field's default before the page sees it, and
text is cut to the field's ``max_chars``. Where the default is empty, the page
then asks for a value; where it is a value (My standing's "How much", 1), that
value is what gets saved. The tests pin down both.

The CSV importer is also fuzzed with hypothesis (random bytes, random tables):
it fails only with ``ValidationError`` and never writes part of a file.
"""

from __future__ import annotations

import codecs
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, unit_of_work
from db.models import Challenge, Person, PulseResponse, Result, Role
from engagement import demo, imports, periods, results
from engagement.access import SYSTEM
from engagement.cli import main
from engagement.csvio import MAX_BYTES, MAX_CELL, read_table
from engagement.errors import ValidationError
from tests.factories import NOW
from tests.loops import each
from tests.reliability.helpers import build_org, changed_tables, checksums, checksums_of, cli, no_traceback

HEADER = "email,challenge,quantity,occurred_on,ref,note"
GOOD = "p5@example.org,home-energy,2,2025-06-02,,"
RLO = "Ali\u202ece"  # a right-to-left override: reads "Alice" backwards on screen


def rows(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


# In-process commands run on the factories' clock (NOW); a day this far ahead is in the future on any clock.
FUTURE = date(2099, 6, 1)


def future() -> str:
    return FUTURE.isoformat()


# What each bad results file must be told, as the CLI prints it ("row N: column: problem").
BAD_FILES: dict[str, tuple[Callable[[], bytes], list[str]]] = {
    "NaN": (
        lambda: rows(GOOD, "p6@example.org,home-energy,NaN,2025-06-02,,"),
        ["row 3: quantity: must be a finite number"],
    ),
    "inf": (lambda: rows("p6@example.org,home-energy,inf,2025-06-02,,"), ["row 2: quantity: must be a finite number"]),
    "-inf": (
        lambda: rows("p6@example.org,home-energy,-inf,2025-06-02,,"),
        ["row 2: quantity: must be a finite number"],
    ),
    "Infinity": (
        lambda: rows("p6@example.org,home-energy,Infinity,2025-06-02,,"),
        ["row 2: quantity: must be a finite number"],
    ),
    "1e309": (
        lambda: rows("p6@example.org,home-energy,1e309,2025-06-02,,"),
        ["row 2: quantity: must be a finite number"],
    ),
    "negative": (
        lambda: rows("p6@example.org,home-energy,-5,2025-06-02,,"),
        ["row 2: quantity: must be greater than 0"],
    ),
    "zero": (lambda: rows("p6@example.org,home-energy,0,2025-06-02,,"), ["row 2: quantity: must be greater than 0"]),
    "huge": (lambda: rows("p6@example.org,home-energy,1e12,2025-06-02,,"), ["row 2: quantity: 1e+12 kWh is more than"]),
    "words": (
        lambda: rows("p6@example.org,home-energy,twelve,2025-06-02,,"),
        ["row 2: quantity: 'twelve' is not a number"],
    ),
    "unit typed": (
        lambda: rows("p6@example.org,home-energy,12 kWh,2025-06-02,,"),
        ["row 2: quantity: must be a number on its own"],
    ),
    "thousands": (
        lambda: rows('p6@example.org,home-energy,"1,234.5",2025-06-02,,'),
        ["row 2: quantity: '1,234.5' is not a number; use a point"],
    ),
    "blank quantity": (lambda: rows("p6@example.org,home-energy,,2025-06-02,,"), ["row 2: quantity: is required"]),
    "impossible date": (
        lambda: rows("p6@example.org,home-energy,2,2025-02-30,,"),
        ["row 2: occurred_on: '2025-02-30' is not a real date"],
    ),
    "ambiguous date": (
        lambda: rows("p6@example.org,home-energy,2,03/04/2025,,"),
        ["row 2: occurred_on: '03/04/2025' is not a date in the form YYYY-MM-DD"],
    ),
    "future date": (
        lambda: rows(f"p6@example.org,home-energy,2,{future()},,"),
        ["row 2: occurred_on:", "is in the future"],
    ),
    "outside the window": (
        lambda: rows("p6@example.org,home-energy,2,2024-12-31,,"),
        ["row 2: occurred_on: 2024-12-31 is outside the challenge window"],
    ),
    "unknown person": (lambda: rows("nobody@example.org,home-energy,2,2025-06-02,,"), ["row 2: email: no such person"]),
    "unknown challenge": (
        lambda: rows("p6@example.org,tree-hugging,2,2025-06-02,,"),
        ["row 2: challenge: no such challenge"],
    ),
    "repeated ref, other content": (
        lambda: rows("p6@example.org,home-energy,2,2025-06-02,r-1,", "p7@example.org,home-energy,3,2025-06-02,r-1,"),
        ["row 3: ref: 'r-1' is repeated (first used in row 2)"],
    ),
    "stored ref, other content": (
        lambda: rows("p5@example.org,home-energy,9,2025-06-02,stored-1,"),
        ["row 2: ref: 'stored-1' was already imported with different content"],
    ),
    "cp1252": (
        lambda: (
            rows("p6@example.org,home-energy,2,2025-06-02,,Café’s heating")
            .replace("’".encode(), b"\x92")
            .replace("é".encode(), b"\xe9")
        ),
        ["file: is not UTF-8 (byte 0xe9 on line 2)", "CSV UTF-8"],
    ),
    "empty": (lambda: b"", ["file: is empty"]),
    "only a byte-order mark": (lambda: codecs.BOM_UTF8, ["file: is empty"]),
    "header only": (lambda: rows(), ["row 1: file: has a header but no rows"]),
    "missing column": (
        lambda: rows("p6@example.org,home-energy,2025-06-02", header="email,challenge,occurred_on"),
        ["row 1: quantity: missing column"],
    ),
    "repeated column": (
        lambda: rows(
            "p6@example.org,home-energy,2,3,2025-06-02", header="email,challenge,quantity,quantity,occurred_on"
        ),
        ["row 1: quantity: column appears more than once"],
    ),
    "wrong header case": (
        lambda: rows("p6@example.org,home-energy,2,2025-06-02", header="Email,challenge,quantity,occurred_on"),
        ["row 1: Email: unknown column", "row 1: email: missing column"],
    ),
    "more cells than columns": (
        lambda: rows("p6@example.org,home-energy,2,2025-06-02,,,surprise"),
        ["row 2: file: has 7 cells but the header has 6"],
    ),
    "cell of 150,000 characters": (
        lambda: rows("p6@example.org,home-energy,2,2025-06-02,," + "x" * 150_000),
        [f"row 2: note: is 150,000 characters long; the limit is {MAX_CELL:,}"],
    ),
    "NUL byte": (
        lambda: rows("p6@example.org,home-energy,2,2025-06-02,,a\x00b"),
        ["file: contains a NUL byte on line 2"],
    ),
    "right-to-left override": (
        lambda: rows(f"p6@example.org,home-energy,2,2025-06-02,,{RLO}"),
        ["row 2: note: contains invisible or control characters"],
    ),
    "too large": (
        lambda: rows(*[GOOD] * (MAX_BYTES // len(GOOD) + 10)),
        ["file: is 20.5 MB; the limit is 20 MB, so split it"],
    ),
    "three bad rows among good ones": (
        lambda: rows(
            GOOD,
            "p6@example.org,home-energy,-1,2025-06-02,,",
            GOOD,
            "x@example.org,home-energy,1,2025-06-02,,",
            GOOD,
            "p7@example.org,home-energy,1,2025-13-01,,",
        ),
        ["row 3: quantity:", "row 5: email:", "row 7: occurred_on:"],
    ),
}

# Files in other shapes that hold the same three good rows: each must import exactly as the plain file does.
PLAIN = rows(
    "p5@example.org,home-energy,2.5,2025-06-02,a,Crème brûlée’s oven off",
    "p6@example.org,home-energy,1,2025-06-03,b,",
    "p7@example.org,home-energy,3,2025-06-04,c,",
)
SAME_DATA = {
    "UTF-8 with a byte-order mark": codecs.BOM_UTF8 + PLAIN,
    "UTF-16 (Excel's Unicode text)": PLAIN.decode().encode("utf-16"),
    "CRLF line ends and blank lines": PLAIN.replace(b"\n", b"\r\n") + b"\r\n\r\n",
    "semicolons and decimal commas": PLAIN.decode().replace(",", ";").replace("2.5", "2,5").encode(),
    "columns in another order": rows(
        "Crème brûlée’s oven off,a,2025-06-02,2.5,home-energy,p5@example.org",
        ",b,2025-06-03,1,home-energy,p6@example.org",
        ",c,2025-06-04,3,home-energy,p7@example.org",
        header="note,ref,occurred_on,quantity,challenge,email",
    ),
}


@pytest.fixture
def org_url(database_url: str, engine: Engine) -> str:
    """p0..p49 in five teams, the 2025 energy challenge, and one stored entry with ref stored-1."""
    with unit_of_work(engine) as session:
        org = build_org(session)
        results.record_results(
            session,
            SYSTEM,
            [results.ResultInput(org.people[5], org.challenge, 2.0, date(2025, 6, 2), ref="stored-1")],
            source="csv",
        )
    return database_url


def run_cli(url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    """The CLI in this process (click's runner), on a fixed clock: exit code and all it printed; no traceback."""
    with time_machine.travel(NOW, tick=False):
        result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": url}, input=stdin, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_results_file_is_refused_row_by_row_and_nothing_is_written(
    org_url: str, tmp_path: Path, case: str
) -> None:
    make, expected = BAD_FILES[case]
    file = tmp_path / "bad.csv"
    file.write_bytes(make())
    before = checksums_of(org_url)
    code, printed = run_cli(org_url, "import", "results", str(file))
    assert code != 0
    for message in each(expected):
        assert message in printed, printed[:2000]
    assert changed_tables(before, checksums_of(org_url)) == []


def _stored(url: str) -> set[tuple[str, float, date, str, str | None]]:
    engine = make_engine(url)
    with unit_of_work(engine, write=False) as session:
        found = session.execute(
            select(Person.email, Result.quantity, Result.occurred_on, Result.note, Result.ref)
            .join(Person, Person.id == Result.person_id)
            .where(Result.ref.in_(["a", "b", "c"]))
        ).all()
    engine.dispose()
    return {tuple(r) for r in found}  # type: ignore[misc]


def test_every_shape_of_the_same_data_imports_the_same_rows(database_url: str, engine: Engine, tmp_path: Path) -> None:
    """BOM, UTF-16, CRLF, semicolons with decimal commas, any column order: read as the plain file, and accepted."""
    with unit_of_work(engine) as session:
        build_org(session)
    required, optional = imports.COLUMNS[imports.ImportKind.RESULTS]
    plain = [(n, dict(sorted(r.items()))) for n, r in read_table(PLAIN, required, optional).rows]
    file = tmp_path / "plain.csv"
    file.write_bytes(PLAIN)
    assert run_cli(database_url, "import", "results", str(file))[0] == 0
    assert ("p5@example.org", 2.5, date(2025, 6, 2), "Crème brûlée’s oven off", "a") in _stored(database_url)
    for name, data in each(SAME_DATA.items()):
        parsed = read_table(data, required, optional)
        assert [
            (n, dict(sorted(r.items()))) for n, r in parsed.rows
        ] == plain or name == "semicolons and decimal commas"
        file.write_bytes(data)
        before = checksums_of(database_url)
        code, printed = run_cli(database_url, "import", "results", "--dry-run", str(file))
        assert code == 0 and "3 already stored" in printed, (name, printed)
        assert changed_tables(before, checksums_of(database_url)) == [], name


def test_cp1252_imports_correctly_when_named(database_url: str, engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(engine) as session:
        build_org(session)
    file = tmp_path / "excel.csv"
    file.write_bytes(PLAIN.decode().encode("cp1252"))
    code, printed = run_cli(database_url, "import", "results", "--encoding", "cp1252", str(file))
    assert code == 0, printed
    assert ("p5@example.org", 2.5, date(2025, 6, 2), "Crème brûlée’s oven off", "a") in _stored(database_url)


# Other files and options of the command line.
OTHER_CLI: dict[str, tuple[list[str], bytes | None, str | None, list[str]]] = {
    "people: look-alike team": (
        ["import", "people"],
        b"email,name,team,role\nz@example.org,Zed,T\xd0\xb5am 1,agent\n",
        None,
        ["row 2: team:", "looks like", "Team 1"],
    ),
    "people: right-to-left name": (
        ["import", "people"],
        f"email,name,team,role\nz@example.org,{RLO},Team 1,agent\n".encode(),
        None,
        ["row 2: name: contains invisible or control characters"],
    ),
    "people: same email twice in another case": (
        ["import", "people"],
        b"email,name,team,role\nz@example.org,Zed,Team 1,agent\nZ@Example.org,Zed,Team 1,agent\n",
        None,
        ["row 3: email:", "repeated (first on row 2)"],
    ),
    "challenges: NaN points": (
        ["import", "challenges"],
        b"slug,name,kind,unit,points_per_unit,starts_on,ends_on\nx,X,energy,kWh,nan,2025-01-01,2025-02-01\n",
        None,
        ["row 2: points_per_unit: must be a finite number"],
    ),
    "challenges: ends before it starts": (
        ["import", "challenges"],
        b"slug,name,kind,unit,points_per_unit,starts_on,ends_on\nx,X,energy,kWh,1,2025-03-01,2025-02-01\n",
        None,
        ["row 2: ends_on:"],
    ),
    "pulse: score 6 and eNPS 11": (
        ["import", "pulse"],
        b"email,week_of,score,enps\np5@example.org,2025-06-02,6,11\n",
        None,
        ["row 2: score: must be from 1 to 5", "row 2: enps: must be from 0 to 10"],
    ),
    "pulse: a future week": (
        ["import", "pulse"],
        f"email,week_of,score\np5@example.org,{FUTURE.isoformat()},3\n".encode(),
        None,
        ["row 2: week_of:", "future week"],
    ),
    "threshold below the floor": (["settings", "--anonymity-threshold", "2"], None, None, ["must be at least 3"]),
    "unknown time zone": (["settings", "--timezone", "Mars/Olympus"], None, None, ["unknown time zone 'Mars/Olympus'"]),
    "impossible report date": (["leaderboard", "--from", "2025-02-30"], None, None, ["Invalid value for '--from'"]),
    "injected rank": (["leaderboard", "--rank-by", "points desc; --"], None, None, ["Invalid value for '--rank-by'"]),
    "a password of a megabyte": (
        ["password", "p5@example.org", "--password-stdin"],
        None,
        "x" * 1_000_000 + "\n",
        ["password: must be at most"],
    ),
    "unknown person's password": (
        ["password", "nobody@example.org", "--password-stdin"],
        None,
        "a long enough password\n",
        ["nobody@example.org"],
    ),
}


@pytest.mark.parametrize("case", list(OTHER_CLI))
def test_other_commands_refuse_hostile_input_plainly(org_url: str, tmp_path: Path, case: str) -> None:
    args, data, stdin, expected = OTHER_CLI[case]
    if data is not None:
        file = tmp_path / "input.csv"
        file.write_bytes(data)
        args = [*args, str(file)]
    before = checksums_of(org_url)
    code, printed = run_cli(org_url, *args, stdin=stdin)
    assert code != 0
    for message in each(expected):
        assert message in printed, printed[:2000]
    assert changed_tables(before, checksums_of(org_url)) == []


@pytest.mark.slow
def test_the_real_command_line_reports_every_bad_row_without_a_traceback(org_url: str, tmp_path: Path) -> None:
    make, _ = BAD_FILES["three bad rows among good ones"]
    file = tmp_path / "bad.csv"
    file.write_bytes(make())
    before = checksums_of(org_url)
    process = cli(org_url, "import", "results", str(file))
    no_traceback(process)
    assert process.returncode == 1
    assert process.stderr.splitlines()[:3] == [
        "row 3: quantity: must be greater than 0",
        "row 5: email: no such person 'x@example.org'",
        "row 7: occurred_on: '2025-13-01' is not a real date",
    ]
    assert changed_tables(before, checksums_of(org_url)) == []


# -- fuzzing the importer -------------------------------------------------------------------

KNOWN = [*imports.COLUMNS[imports.ImportKind.RESULTS][0], *imports.COLUMNS[imports.ImportKind.RESULTS][1]]
CELLS = st.sampled_from(
    [
        "p5@example.org",
        "P6@EXAMPLE.ORG ",
        "home-energy",
        "2",
        "0.5",
        "2025-06-02",
        "nan",
        "-1",
        "",
        "1e400",
        "x" * 50,
        "2025-02-30",
        "=1+1",
        "stored-1",
        "approved",
        "voided",
        "\u202e",
        "1,5",
    ]
) | st.text(max_size=12)
HEADERS = st.lists(
    st.sampled_from([*KNOWN, "", "Email", " quantity", "notes2"]) | st.text(max_size=8), min_size=1, max_size=8
)


@st.composite
def tables(draw: st.DrawFn) -> bytes:
    header = draw(HEADERS)
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    body = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 1), max_size=6))
    text = "\n".join(delimiter.join(cells) for cells in [header, *body])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


@pytest.fixture
def fuzz_engine(sqlite_template: str, tmp_path: Path) -> Engine:
    path = tmp_path / "fuzz.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with unit_of_work(engine) as session:
        build_org(session, 10)
        results.record_results(
            session,
            SYSTEM,
            [
                results.ResultInput(
                    session.scalar(select(Person.id).limit(1)) or 0,
                    session.scalar(select(Challenge.id)) or 0,
                    2.0,
                    date(2025, 6, 2),
                    ref="stored-1",
                )
            ],
            source="csv",
        )
    return engine


def _import_or_refuse(engine: Engine, data: bytes) -> None:
    before = checksums(engine)
    with unit_of_work(engine, write=False) as session:
        stored = session.scalar(select(func.count()).select_from(Result)) or 0
    try:
        report = imports.run_import(engine, SYSTEM, imports.ImportKind.RESULTS, data)
    except ValidationError as e:
        assert e.problems and all(p.field and p.message for p in e.problems)
        assert changed_tables(before, checksums(engine)) == [], "a refused file left something behind"
        return
    with unit_of_work(engine, write=False) as session:
        now_stored = session.scalar(select(func.count()).select_from(Result)) or 0
    assert now_stored - stored == report.created, "an accepted file is stored whole"


FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_are_refused_cleanly_or_imported_whole(fuzz_engine: Engine, data: bytes) -> None:
    _import_or_refuse(fuzz_engine, data)


@FUZZ
@given(data=tables())
def test_random_tables_are_refused_cleanly_or_imported_whole(fuzz_engine: Engine, data: bytes) -> None:
    _import_or_refuse(fuzz_engine, data)


# -- the pages --------------------------------------------------------------------------------


def shown_problems(at: AppTest) -> str:
    """Every error and warning on the page as plain text, markdown escapes removed."""
    return re.sub(r"\\(.)", r"\1", "\n".join(e.value for e in [*at.error, *at.warning]))


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


@dataclass(frozen=True)
class Attempt:
    """One hostile value typed into a page, and what must follow."""

    label: str
    refused_with: str | None  # the message shown, nothing written; None: saved as Streamlit left it


def _new_results(url: str, after_id: int) -> list[Result]:
    engine = make_engine(url)
    with unit_of_work(engine, write=False) as session:
        found = list(session.scalars(select(Result).where(Result.id > after_id)))
    engine.dispose()
    return found


def _last_result_id(url: str) -> int:
    engine = make_engine(url)
    with unit_of_work(engine, write=False) as session:
        found = session.scalar(select(func.max(Result.id))) or 0
    engine.dispose()
    return found


def _check(at: AppTest, url: str, before: dict[str, tuple[int, str]], refused_with: str | None, what: str) -> None:
    no_exception(at)
    if refused_with is not None:
        assert refused_with in shown_problems(at), f"{what}: {shown_problems(at)!r}"
        assert changed_tables(before, checksums_of(url)) == [], f"{what} wrote something"


MY_STANDING_QUANTITIES = [
    (float("nan"), None),
    (float("inf"), None),
    (float("-inf"), None),
    (-5.0, None),
    (0.0, "quantity: must be greater than 0"),
    (1e12, "quantity: 1e+12 trees is more than one entry can hold"),
]


@pytest.mark.slow
def test_my_standing_log_form_refuses_or_resets_every_hostile_value(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = app_as(Role.AGENT)
    no_exception(at)
    submit = "FormSubmitter:standing.log-Submit"
    challenge = at.selectbox(key="standing.log.challenge").value
    assert at.number_input[0].label == "How much (trees)", f"the form shows {challenge} first"
    today = periods.today("Europe/London")
    for days_ago, (value, refused) in enumerate(each(MY_STANDING_QUANTITIES), start=1):
        before, last = checksums_of(demo_url), _last_result_id(demo_url)
        at.number_input[0].set_value(value)
        # Each on its own day: a second "1 tree" on one day would be a repeat, which the form asks about first.
        at.date_input[0].set_value(today - timedelta(days=days_ago))
        at.button(key=submit).click().run()
        _check(at, demo_url, before, refused, f"quantity {value}")
        if refused is None:  # Streamlit put the field's default (1) back; that is what was saved
            saved = _new_results(demo_url, last)
            assert [r.quantity for r in saved] == [1.0], f"quantity {value}"
    before = checksums_of(demo_url)
    at.number_input[0].set_value(2.0)
    at.text_input[0].input(RLO)
    at.button(key=submit).click().run()
    _check(at, demo_url, before, "note: contains invisible or control characters", "note")
    # The picker runs from the challenge's first day to today: a day outside it is put back to today.
    for quantity, day, note in ((3.0, today + timedelta(days=3), "n" * 100_000), (4.0, date(2020, 1, 6), "early")):
        last = _last_result_id(demo_url)
        at.number_input[0].set_value(quantity)
        at.text_input[0].set_value(note)  # set_value: what a client that ignores max_chars sends
        at.date_input[0].set_value(day)
        at.button(key=submit).click().run()
        no_exception(at)
        saved = _new_results(demo_url, last)
        assert [(len(r.note), r.occurred_on) for r in saved] == [(min(len(note), 500), today)], f"{day}: day reset"


@pytest.mark.slow
def test_my_standing_pulse_form_refuses_control_characters_and_keeps_comments_bounded(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = app_as(Role.AGENT)
    submit = "FormSubmitter:standing.pulse-Send my answer"
    assert [b for b in at.button if b.key == submit], "the demo agent has not answered this week's pulse yet"
    before = checksums_of(demo_url)
    at.button(key=submit).click().run()
    _check(at, demo_url, before, "Choose how your week was", "no score")
    at.radio[0].set_value(3)
    at.text_area[0].input(f"fine {RLO}")
    at.button(key=submit).click().run()
    _check(at, demo_url, before, "comment: contains invisible or control characters", "control characters")
    at.radio[0].set_value(3)
    at.text_area[0].set_value("c" * 100_000)
    at.button(key=submit).click().run()
    no_exception(at)
    engine = make_engine(demo_url)
    with unit_of_work(engine, write=False) as session:
        email = demo.DEMO_ACCOUNTS[Role.AGENT]
        comment = session.scalar(
            select(PulseResponse.comment)
            .join(Person, Person.id == PulseResponse.person_id)
            .where(Person.email == email)
            .order_by(PulseResponse.week_start.desc())
        )
    engine.dispose()
    assert comment is not None and len(comment) == 2000


@pytest.mark.slow
def test_log_results_single_entry_refuses_every_hostile_value(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = app_as(Role.LEAD).switch_page("pages/log_results.py").run()
    no_exception(at)
    submit = "FormSubmitter:log.one.form-Save entry"
    # Home energy takes decimals (trees and minutes are whole numbers, typed in whole-number fields).
    chooser = at.selectbox(key="log.one.ch")
    chooser.select_index(next(i for i, o in enumerate(chooser.options) if "energy" in o.lower())).run()
    quantity = next(n for n in at.number_input if n.key and n.key.startswith("log.one.entry.0.quantity."))
    assert quantity.label == "How much (kWh)"
    cases = [
        (float("nan"), "Nothing was saved: type how much"),
        (float("inf"), "Nothing was saved: type how much"),
        (-5.0, "Nothing was saved: type how much"),
        (0.0, "quantity: must be greater than 0"),
        (1e12, "is more than one entry can hold"),
    ]
    for value, refused_with in cases:
        before = checksums_of(demo_url)
        at.number_input(key=quantity.key).set_value(value)
        at.button(key=submit).click().run()
        _check(at, demo_url, before, refused_with, f"quantity {value}")
    before = checksums_of(demo_url)
    at.number_input(key=quantity.key).set_value(2.0)
    at.text_input(key="log.one.entry.0.note").input(f"<b>{RLO}</b>")
    at.button(key=submit).click().run()
    _check(at, demo_url, before, "note: contains invisible or control characters", "note")


GRID_SUBMIT = "FormSubmitter:log.grid.form-Save the table"
ENERGY = "Home energy saver (kWh)"


@pytest.mark.slow
def test_the_team_table_refuses_every_hostile_cell_naming_person_and_column(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = app_as(Role.LEAD).switch_page("pages/log_results.py").run()
    no_exception(at)
    cases: list[tuple[dict[str, object], str]] = [
        ({ENERGY: "abc"}, "every cell is blank"),
        ({ENERGY: float("nan")}, "every cell is blank"),
        ({ENERGY: float("inf")}, f"{ENERGY}: must be a finite number"),
        ({ENERGY: -5.0}, f"{ENERGY}: must be greater than 0"),
        ({ENERGY: 1e300}, f"{ENERGY}: 1e+300 kWh is more than one entry can hold"),
        ({ENERGY: 2.0, "Note": RLO}, "contains invisible or control characters"),
        ({ENERGY: 2.0, "Note": "x" * 100_000}, "is too long"),
    ]
    for cells, refused_with in each(cases):
        editor = at.data_editor[0]
        name = editor.value["Person"].iloc[0]
        at.session_state[editor.key] = {"edited_rows": {0: cells}, "added_rows": [], "deleted_rows": []}
        before = checksums_of(demo_url)
        at.button(key=GRID_SUBMIT).click().run()
        _check(at, demo_url, before, refused_with, str(cells)[:40])
        if "blank" not in refused_with:
            assert name in shown_problems(at), "the message names the person"
    editor = at.data_editor[0]
    at.session_state[editor.key] = {"edited_rows": {}, "added_rows": [{ENERGY: 5.0}], "deleted_rows": [0, 1]}
    before = checksums_of(demo_url)
    at.button(key=GRID_SUBMIT).click().run()
    _check(at, demo_url, before, "Nothing was saved", "added and deleted rows")


UPLOADS: dict[str, tuple[bytes, str]] = {
    "NaN row": (rows("agent@example.com,home-energy,NaN,{today},,"), "quantity|must be a finite number"),
    "cp1252": (BAD_FILES["cp1252"][0](), "file|is not UTF-8"),
    "empty": (b"", "file|is empty"),
    "header only": (rows(), "file|has a header but no rows"),
    "repeated column": (BAD_FILES["repeated column"][0](), "quantity|column appears more than once"),
    "cell of 150,000 characters": (
        rows("agent@example.com,home-energy,1,{today},," + "x" * 150_000),
        "note|is 150,000 characters long",
    ),
    "unknown person": (rows("nobody@example.org,home-energy,1,{today},,"), "email|not a member of your team"),
}


@pytest.mark.slow
def test_the_csv_upload_lists_every_problem_and_saves_nothing(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = app_as(Role.LEAD).switch_page("pages/log_results.py").run()
    today = periods.today("Europe/London").isoformat()
    for case, (data, expected) in each(UPLOADS.items()):
        column, message = expected.split("|")
        before = checksums_of(demo_url)
        at.file_uploader[0].set_value((f"{case}.csv", data.replace(b"{today}", today.encode()), "text/csv")).run()
        no_exception(at)
        assert "nothing is saved until every row is valid" in shown_problems(at), case
        listed = [t.value for t in at.dataframe if "Problem" in t.value.columns]
        assert listed, case
        problems = listed[0]
        assert any(
            c == column and message in m for c, m in zip(problems["Column"], problems["Problem"], strict=True)
        ), (case, problems.to_dict("records")[:3])
        import_button = next(b for b in at.button if b.key == "log.csv.import")
        assert import_button.disabled, case
        assert changed_tables(before, checksums_of(demo_url)) == [], case
    before = checksums_of(demo_url)
    oversize = rows(*["agent@example.com,home-energy,1,2025-06-02,,"] * 140_000)
    at.file_uploader[0].set_value(("big.csv", oversize, "text/csv")).run()
    no_exception(at)
    assert "the limit here is 5 MB" in shown_problems(at)
    assert not [b for b in at.button if b.key == "log.csv.import"], "no import offered for an oversized file"
    assert changed_tables(before, checksums_of(demo_url)) == []
    utf16 = rows(f"agent@example.com,home-energy,1,{today},u-1,").decode().encode("utf-16")
    at.file_uploader[0].set_value(("unicode.csv", utf16, "text/csv")).run()
    no_exception(at)
    assert not at.error, shown_problems(at)
    assert not next(b for b in at.button if b.key == "log.csv.import").disabled


@pytest.mark.slow
def test_the_admin_person_form_and_roster_upload_refuse_hostile_names(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = app_as(Role.ADMIN).switch_page("pages/admin.py").run()
    at.session_state["admin.tab"] = "People"
    at.run()
    no_exception(at)

    def form() -> str:
        generation = at.session_state["admin.add#generation"] if "admin.add#generation" in at.session_state else 0  # noqa: SIM401 (no .get on AppTest state)
        return f"admin.add.{generation}"

    def form_key(field_name: str) -> str:
        return f"{form()}.{field_name}"

    cases = [
        (RLO, "Birch", "", "contains invisible or control characters"),
        ("Zoë Ng", "A new team…", "B\u0456rch", "looks like"),  # Cyrillic і in "Birch"
    ]
    for name, team, new_team, refused_with in cases:
        at.text_input(key=form_key("email")).input("hostile@example.org")
        at.text_input(key=form_key("name")).input(name)
        at.selectbox(key=form_key("team")).set_value(team)
        at.text_input(key=form_key("new_team")).input(new_team)
        before = checksums_of(demo_url)
        at.button(key=f"FormSubmitter:{form()}-Add person").click().run()
        _check(at, demo_url, before, refused_with, name)

    # Rows with bad values are all listed at once; a look-alike team (found while storing) once those are fixed.
    rosters = [
        (
            "email,name,team,role\n"
            f"r1@example.org,{RLO},Birch,agent\n"
            "r3@example.org,<img src=x onerror=alert(1)>,Birch,boss\n",
            ["row 2: name: contains invisible", "row 3: role: 'boss' is not one of"],
        ),
        ("email,name,team,role\nr2@example.org,Ok Name,B\u0456rch,agent\n", ["row 2: team:", "looks like"]),
    ]
    for roster, expected in each(rosters):
        at.file_uploader(key="admin.import.0.file").set_value(("roster.csv", roster.encode(), "text/csv")).run()
        before = checksums_of(demo_url)
        at.button(key="admin.import.go").click().run()
        no_exception(at)
        for message in each(expected):
            assert message in shown_problems(at), shown_problems(at)
        assert changed_tables(before, checksums_of(demo_url)) == []
