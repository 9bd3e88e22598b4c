"""``python -m engagement`` as other tools run it: a real process on each store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from db.engine import make_engine, unit_of_work
from db.models import ImpactFactor, ImpactFactorPeriod, Person, Result, Role
from engagement import cli, exports, leaderboards, pulse
from engagement.access import SYSTEM
from engagement.cli import main
from tests.factories import log, make_challenge, make_person
from tests.loops import each

ROOT = Path(__file__).resolve().parents[2]


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "engagement", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _count(url: str, model: type) -> int:
    engine = make_engine(url)
    try:
        with unit_of_work(engine, write=False) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


@pytest.fixture
def small_org(database_url: str) -> str:
    """Cedar: Ana (10 points) and Ben (none); Birch: Cai (4); a week of pulse answers."""
    engine = make_engine(database_url)
    with unit_of_work(engine) as session:
        challenge = make_challenge(session, slug="home-energy")
        ana = make_person(session, team="Cedar", site="Leeds", email="ana@example.org", name="Ana")
        make_person(session, team="Cedar", site="Leeds", email="ben@example.org", name="Ben")
        cai = make_person(session, team="Birch", site="Cardiff", email="cai@example.org", name="Cai")
        log(session, ana, challenge, 10)
        log(session, cai, challenge, 4)
        happy = [make_person(session, team="Morale", site="Leeds") for _ in range(5)]
        pulse.record_history(
            session,
            [
                pulse.Answer(p.person_id or 0, p.team_id or 0, date(2026, 3, 9), s, 9)
                for p, s in zip(happy, [5, 4, 4, 4, 3], strict=True)
            ],
        )
    engine.dispose()
    return database_url


def test_init_twice_is_a_no_op(database_url: str) -> None:
    first = run(database_url, "init")
    assert first.returncode == 0, first.stderr
    assert first.stdout.endswith("(7 default impact factors loaded)\n")
    second = run(database_url, "init")
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("database ready at ") and "factors loaded" not in second.stdout
    assert _count(database_url, ImpactFactor) == 7


def test_leaderboard_json_has_the_promised_keys_in_rank_order(small_org: str) -> None:
    teams = run(small_org, "leaderboard", "--by", "team", "--format", "json")
    assert teams.returncode == 0, teams.stderr
    rows = json.loads(teams.stdout)
    assert [list(r) for r in rows] == [
        ["rank", "team", "points", "members", "points_per_member", "participants", "participation"]
    ] * 3
    assert rows == [
        {"rank": 1, "team": "Cedar", "points": 10.0, "members": 2, "points_per_member": 5.0, "participants": 1,
         "participation": 0.5},
        {"rank": 2, "team": "Birch", "points": 4.0, "members": 1, "points_per_member": 4.0, "participants": 1,
         "participation": 1.0},
        {"rank": 3, "team": "Morale", "points": 0.0, "members": 5, "points_per_member": 0.0, "participants": 0,
         "participation": 0.0},
    ]  # fmt: skip
    people = run(small_org, "leaderboard", "--by", "person", "--challenge", "home-energy", "--format", "json")
    assert people.returncode == 0, people.stderr
    assert [list(r.items()) for r in json.loads(people.stdout)] == [
        [("rank", 1), ("email", "ana@example.org"), ("name", "Ana"), ("team", "Cedar"), ("points", 10.0)],
        [("rank", 2), ("email", "cai@example.org"), ("name", "Cai"), ("team", "Birch"), ("points", 4.0)],
    ]


def test_morale_csv_and_impact_by_site(small_org: str) -> None:
    morale = run(small_org, "morale", "--by", "team", "--from", "2026-03-09", "--to", "2026-03-15", "--format", "csv")
    assert morale.returncode == 0, morale.stderr
    assert morale.stdout.splitlines() == [
        "week,team,responses,avg_score,enps,suppressed",
        "2026-03-09,Birch,,,,True",
        "2026-03-09,Cedar,,,,True",
        "2026-03-09,Morale,5,4.0,100.0,False",
    ]
    impact = run(small_org, "impact", "--by", "site", "--format", "csv")
    assert impact.returncode == 0, impact.stderr
    assert impact.stdout.splitlines() == [
        "site,kwh_saved,kg_co2e_avoided,trees_planted,kg_co2e_per_year,volunteer_hours,volunteer_value,currency,factors",
        "Cardiff,4.0,0.0,0.0,0.0,0.0,0.0,,",
        "Leeds,10.0,0.0,0.0,0.0,0.0,0.0,,",
    ]
    table = run(small_org, "impact", "--by", "site")
    assert table.returncode == 0, table.stderr
    assert table.stdout.split()[:10] == [
        "site",
        "kwh_saved",
        "kg_co2e_avoided",
        "trees_planted",
        "kg_co2e_per_year",
        "volunteer_hours",
        "volunteer_value",
        "currency",
        "factors",
        "Cardiff",
    ]


def test_a_bad_import_reports_rows_and_writes_nothing_and_a_dry_run_writes_nothing(
    small_org: str, tmp_path: Path
) -> None:
    before = _count(small_org, Result)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,challenge,quantity,occurred_on\n"
        "ana@example.org,home-energy,2,2026-03-10\n"
        "ana@example.org,home-energy,0,2026-03-10\n"
        "nobody@example.org,home-energy,1,2026-03-40\n"
    )
    failed = run(small_org, "import", "results", str(bad))
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        "row 3: quantity: must be greater than 0",
        "row 4: email: no such person 'nobody@example.org'",
        "row 4: occurred_on: '2026-03-40' is not a real date",
    ]
    assert "Traceback" not in failed.stderr and failed.stdout == ""
    good = tmp_path / "good.csv"
    good.write_text("email,challenge,quantity,occurred_on\nana@example.org,home-energy,2,2026-03-10\n")
    dry = run(small_org, "import", "results", str(good), "--dry-run")
    assert (dry.returncode, dry.stdout, dry.stderr) == (0, "results: 1 rows read, 1 would import\n", "")
    assert _count(small_org, Result) == before
    assert run(small_org, "import", "results", str(good)).returncode == 0
    again = run(small_org, "import", "results", str(good))
    assert again.stdout.splitlines() == ["results: 1 rows read, 0 imported, 1 already stored", "already stored: rows 2"]
    assert _count(small_org, Result) == before + 1


@pytest.mark.slow
def test_demo_loads_and_the_cli_board_is_the_librarys(database_url: str) -> None:
    demo = run(database_url, "demo")
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.startswith("demo loaded: ")
    board = run(database_url, "leaderboard", "--by", "team", "--rank-by", "total", "--format", "json")
    assert board.returncode == 0, board.stderr
    engine = make_engine(database_url)
    with unit_of_work(engine, write=False) as session:
        rows = leaderboards.team_leaderboard(session, SYSTEM, leaderboards.Scope(), leaderboards.RankBy.TOTAL)
        in_use = session.scalar(select(func.count()).select_from(ImpactFactorPeriod))
        teams = session.scalar(select(func.count(Person.team_id.distinct())).where(Person.active))
    engine.dispose()
    assert json.loads(board.stdout) == exports.team_records(rows)
    assert len(rows) == teams and in_use == 4  # a default per kind, and the UK sites' grid factor
    assert [r["rank"] for r in json.loads(board.stdout)] == sorted(r["rank"] for r in json.loads(board.stdout))
    again = run(database_url, "demo")
    assert (
        again.returncode == 1 and again.stderr == "database: already has people; load the demo into an empty database\n"
    )


def test_help_is_offered_on_every_command() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "engagement", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert process.returncode == 0 and process.stdout.startswith("Usage: python -m engagement")
    runner = CliRunner()
    for name in each(main.commands):
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert result.output.startswith(f"Usage: main {name}") or f" {name} " in result.output.splitlines()[0], name
    assert {"init", "demo", "import", "leaderboard", "morale", "impact"} <= set(main.commands)
    for option in ("--by", "--challenge", "--from", "--to", "--rank-by", "--format"):
        assert option in runner.invoke(main, ["leaderboard", "--help"]).output
    assert Role.ADMIN.value == "admin"


def test_a_store_newer_than_the_code_is_refused_plainly(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    runner = CliRunner()
    init = runner.invoke(main, ["init"], env={"DATABASE_URL": database_url})
    assert init.exit_code == 1
    assert init.output == (
        "error: the database schema (9999_future) is newer than this version of Impact Board; "
        "upgrade Impact Board instead\n"
    )
    board = runner.invoke(main, ["leaderboard"], env={"DATABASE_URL": database_url})
    assert board.exit_code == 1 and "run `python -m engagement init` first" in board.output
    assert "Traceback" not in init.output + board.output


def test_the_table_output_writes_figures_in_the_house_style() -> None:
    """The same words as the dashboard: time in hours and minutes, whole trees, money to the cent."""
    assert [
        cli._plain(80 / 60, "volunteer_hours"),
        cli._plain(12.0, "trees_planted"),
        cli._plain(15845.9, "volunteer_value"),
        cli._plain(4896.389, "kg_co2e_avoided"),
        cli._plain(1234.5, "points"),
        cli._plain(None, "team"),
    ] == ["1 hour 20 minutes", "12", "15,845.90", "4,896.4", "1,234.5", "-"]
