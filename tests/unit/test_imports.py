"""CSV imports: every kind, all or nothing, every bad row reported as ``row N: column: problem``."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import AuditEntry, Challenge, Person, PulseResponse, Result, Role, Status, Team
from engagement import organisation, publication, pulse
from engagement.access import SYSTEM, Actor
from engagement.errors import PermissionDenied, ValidationError
from engagement.imports import ImportKind, run_import, template
from tests.factories import make_challenge, make_person

pytestmark = pytest.mark.usefixtures("march_challenge_clock")


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _problems(engine: Engine, kind: ImportKind, data: bytes, actor: Actor = SYSTEM, **kw: object) -> list[str]:
    with pytest.raises(ValidationError) as error:
        run_import(engine, actor, kind, data, **kw)  # type: ignore[arg-type]
    return [str(p) for p in error.value.problems]


def _count(engine: Engine, model: type) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def org(engine: Engine) -> dict[str, Actor]:
    """Ana and Ben in Cedar, Cai in Birch, a home-energy challenge in March 2026."""
    with unit_of_work(engine) as session:
        make_challenge(session, slug="home-energy")
        people = {
            "ana": make_person(session, team="Cedar", email="ana@example.org", name="Ana"),
            "ben": make_person(session, team="Cedar", email="ben@example.org", name="Ben"),
            "cai": make_person(session, team="Birch", email="cai@example.org", name="Cai"),
            "lead": make_person(session, team="Cedar", email="lead@example.org", role=Role.LEAD),
        }
        make_person(session, team="Cedar", email="gone@example.org", active=False, left_on=date(2026, 3, 12))
        make_person(session, team="Birch", email="left-birch@example.org", active=False, left_on=date(2026, 3, 12))
    return people


# -- people ----------------------------------------------------------------------


def test_people_import_creates_people_and_teams_on_first_mention(engine: Engine) -> None:
    data = _csv(
        "email,name,team,role,site,work_mode,timezone,active",
        "Ana@Example.org ,Ana Silva,Cedar,agent,Leeds,home,Europe/London,yes",
        "ben@example.org,Ben Okafor,cedar,lead,Leeds,centre,,",
        "cai@example.org,Cai Nguyen,Birch,agent,,,,no",
        "mo@example.org,Mo Manager,,manager,,,,",
    )
    report = run_import(engine, SYSTEM, ImportKind.PEOPLE, data)
    assert (report.rows, report.created, report.updated) == (4, 4, 0)
    with unit_of_work(engine, write=False) as session:
        teams = [(t.name, t.site, t.members) for t in organisation.list_teams(session)]
        people = [
            (p.email, p.name, p.role, p.team, p.site, p.work_mode.value, p.active)
            for p in organisation.list_people(session, SYSTEM, include_inactive=True)
        ]
    assert teams == [("Birch", None, 0), ("Cedar", "Leeds", 2)]
    assert people == [
        ("ana@example.org", "Ana Silva", Role.AGENT, "Cedar", "Leeds", "home", True),
        ("ben@example.org", "Ben Okafor", Role.LEAD, "Cedar", "Leeds", "centre", True),
        ("cai@example.org", "Cai Nguyen", Role.AGENT, "Birch", None, "home", False),
        ("mo@example.org", "Mo Manager", Role.MANAGER, None, None, "home", True),
    ]


def test_a_look_alike_team_name_is_an_error_not_a_new_team(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        make_person(session, team="Aurora")
    data = _csv("email,name,team,role", "new@example.org,New Person,Аurora,agent")  # Cyrillic А
    assert _problems(engine, ImportKind.PEOPLE, data) == [
        "row 2: team: 'Аurora' looks like the existing team 'Aurora'; use that name"
    ]
    with unit_of_work(engine, write=False) as session:
        assert session.scalars(select(Team.name)).all() == ["Aurora"]


def test_look_alike_teams_within_one_file_are_caught(engine: Engine) -> None:
    data = _csv("email,name,team,role", "a@example.org,A,Aurora,agent", "b@example.org,B,Аurora,agent")
    assert _problems(engine, ImportKind.PEOPLE, data) == [
        "row 3: team: 'Аurora' looks like the existing team 'Aurora'; use that name"
    ]
    assert _count(engine, Team) == 0
    assert _count(engine, Person) == 0


def test_people_rows_are_checked_in_full(engine: Engine) -> None:
    data = _csv(
        "email,name,team,role,work_mode,active",
        "not-an-email,Ana,Cedar,agent,home,yes",
        "ben@example.org,Ben,Cedar,boss,home,yes",
        "cai@example.org,Cai,,agent,home,yes",
        "BEN@example.org,Ben again,Cedar,agent,office,maybe",
        "eve@example.org,Eve\u202eevE,Cedar,agent,,",
    )
    assert _problems(engine, ImportKind.PEOPLE, data) == [
        "row 2: email: 'not-an-email' is not an email address",
        "row 3: role: 'boss' is not one of agent, lead, manager, admin",
        "row 4: team: is required for an agent",
        "row 5: work_mode: 'office' is not one of home, centre",
        "row 5: active: 'maybe' is not one of yes, no, true, false, 1, 0",
        "row 5: email: ben@example.org is repeated (first on row 3)",
        "row 6: name: contains invisible or control characters (such as right-to-left marks); remove them",
    ]
    assert _count(engine, Person) == 0


def test_people_import_updates_known_people(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv(
        "email,name,team,role",
        "ana@example.org,Ana Silva,Birch,agent",
        "ben@example.org,Ben,Cedar,agent",
    )
    report = run_import(engine, SYSTEM, ImportKind.PEOPLE, data)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    with unit_of_work(engine, write=False) as session:
        ana = organisation.get_person(session, org["ana"].person_id or 0)
        assert (ana.name, ana.team.name if ana.team else None) == ("Ana Silva", "Birch")


# -- challenges ------------------------------------------------------------------


def test_challenges_import_with_decimal_commas(engine: Engine) -> None:
    data = _csv(
        "slug;name;kind;unit;points_per_unit;starts_on;ends_on;daily_cap;team_target",
        "tea-light;Tea light;energy;kWh;1,5;2026-01-05;2026-03-29;10,5;",
        "hours;Helping hours;volunteering;hours;8;2026-01-05;2026-06-28;;100",
    )
    report = run_import(engine, SYSTEM, ImportKind.CHALLENGES, data)
    assert report.created == 2
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(
            select(Challenge.slug, Challenge.points_per_unit, Challenge.daily_cap, Challenge.team_target).order_by(
                Challenge.slug
            )
        ).all()
    assert [tuple(r) for r in rows] == [("hours", 8.0, None, 100.0), ("tea-light", 1.5, 10.5, None)]


def test_bad_challenge_rows_are_each_reported(engine: Engine) -> None:
    data = _csv(
        "slug,name,kind,unit,points_per_unit,starts_on,ends_on,daily_cap",
        "Bad Slug,Name,energy,kWh,1,2026-01-05,2026-03-29,",
        "ok,Name,energy,Wh,0,2026-03-29,2026-01-05,-1",
        "ok,Again,trees,trees,1,2026-01-05,2026-03-29,",
        "watts,Watts,energy,Wh,1,2026-03-29,2026-01-05,",
    )
    assert _problems(engine, ImportKind.CHALLENGES, data) == [
        "row 2: slug: use 1-60 lower-case letters, digits and hyphens (e.g. home-energy-2026)",
        "row 3: daily_cap: must be greater than 0",
        "row 3: points_per_unit: must be greater than 0",
        "row 4: slug: 'ok' is repeated (first on row 3)",
        "row 5: unit: an energy challenge is measured in kWh",
        "row 5: ends_on: is before starts_on (2026-03-29)",
    ]
    assert _count(engine, Challenge) == 0


# -- results ---------------------------------------------------------------------


RESULTS_HEADER = "email,challenge,quantity,occurred_on,ref,note,status"


def test_results_import_approved_unless_status_says_otherwise(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv(
        RESULTS_HEADER,
        "ana@example.org,home-energy,2.5,2026-03-10,r1,Heating down,",
        " BEN@example.org ,home-energy,1,2026-03-11,r2,, Pending ",
    )
    report = run_import(engine, SYSTEM, ImportKind.RESULTS, data)
    assert (report.rows, report.created, report.unchanged) == (2, 2, 0)
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(
            select(Result.quantity, Result.status, Result.ref, Result.source, Result.note).order_by(Result.ref)
        ).all()
    assert [tuple(r) for r in rows] == [
        (2.5, Status.APPROVED, "r1", "csv", "Heating down"),
        (1.0, Status.PENDING, "r2", "csv", ""),
    ]


def test_reimporting_with_refs_counts_nothing_twice(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv(
        RESULTS_HEADER,
        "ana@example.org,home-energy,2.5,2026-03-10,r1,,",
        "ben@example.org,home-energy,1,2026-03-11,r2,,",
    )
    run_import(engine, SYSTEM, ImportKind.RESULTS, data)
    again = run_import(engine, SYSTEM, ImportKind.RESULTS, data)
    assert (again.created, again.unchanged) == (0, 2)
    assert again.summary() == "results: 2 rows read, 0 imported, 2 already stored"
    assert _count(engine, Result) == 2
    changed = data.replace(b"2.5", b"3.5")
    assert _problems(engine, ImportKind.RESULTS, changed) == [
        "row 2: ref: 'r1' was already imported with different content"
    ]


def test_every_bad_result_row_is_reported_and_nothing_is_written(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv(
        RESULTS_HEADER,
        "ana@example.org,home-energy,2,2026-03-10,r1,,",
        "ana@example.org,home-energy,0,2026-03-10,,,",
        "ana@example.org,home-energy,12 kWh,2026-03-10,,,",
        "",
        "ana@example.org,home-energy,nan,03/04/2026,,,",
        "nobody@example.org,home-energy,1e309,2026-03-10,,,",
        "ana@example.org,no-such-challenge,1,2026-03-10,,,",
        "ana@example.org,home-energy,1,2026-02-01,,,done",
        "ana@example.org,home-energy,1,2099-01-01,,,",
        "ana@example.org,home-energy,1,2026-03-12,r1,,",
        "ana@example.org,home-energy,1.234,5,2026-03-10,,,",
        '"ana@example.org",home-energy,-0,2026-03-10,,"a note',
        'over two lines",',
        "ana@example.org,home-energy,,2026-03-10,,,",
        "gone@example.org,home-energy,1,2026-03-14,,,",
    )
    before = _count(engine, AuditEntry)
    assert _problems(engine, ImportKind.RESULTS, data) == [
        "row 3: quantity: must be greater than 0",
        "row 4: quantity: must be a number on its own ('12 kWh'); the unit (kWh) is set by the challenge",
        "row 6: quantity: must be a finite number",
        "row 6: occurred_on: '03/04/2026' is not a date in the form YYYY-MM-DD",
        "row 7: email: no such person 'nobody@example.org'",
        "row 7: quantity: must be a finite number",
        "row 8: challenge: no such challenge 'no-such-challenge'",
        "row 9: occurred_on: 2026-02-01 is outside the challenge window 2026-03-02 to 2026-03-29",
        "row 9: status: 'done' is not one of pending, approved, rejected, voided",
        "row 10: occurred_on: 2099-01-01 is outside the challenge window 2026-03-02 to 2026-03-29",
        "row 10: occurred_on: 2099-01-01 is in the future (today is 2026-04-01 in UTC)",
        "row 11: ref: 'r1' is repeated (first used in row 2)",
        "row 12: occurred_on: '5' is not a date in the form YYYY-MM-DD",
        "row 13: quantity: must be greater than 0",
        "row 14: quantity: is required",
        "row 15: occurred_on: 2026-03-14 is after gone@example.org left (their last day was 2026-03-12); "
        "only results up to that day are their history",
    ]
    assert _count(engine, Result) == 0
    assert _count(engine, AuditEntry) == before


def test_a_note_over_two_lines_is_one_row_stored_on_one_line(engine: Engine, org: dict[str, Actor]) -> None:
    data = b'email,challenge,quantity,occurred_on,note\r\nana@example.org,home-energy,1,2026-03-10,"Fridge\r\n off"\r\n'
    data += b"ana@example.org,home-energy,x,2026-03-10,\r\n"
    assert _problems(engine, ImportKind.RESULTS, data) == ["row 3: quantity: 'x' is not a number"]
    run_import(engine, SYSTEM, ImportKind.RESULTS, data.split(b"ana@example.org,home-energy,x")[0])
    with unit_of_work(engine, write=False) as session:
        assert session.scalars(select(Result.note)).all() == ["Fridge off"]


def test_voided_is_not_a_status_a_file_can_set(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv(RESULTS_HEADER, "ana@example.org,home-energy,1,2026-03-10,,,voided")
    assert _problems(engine, ImportKind.RESULTS, data) == ["row 2: status: must be pending, approved or rejected"]


def test_a_lead_imports_for_their_own_team_only(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv(
        RESULTS_HEADER, "ben@example.org,home-energy,1,2026-03-10,,,", "cai@example.org,home-energy,1,2026-03-10,,,"
    )
    assert _problems(engine, ImportKind.RESULTS, data, actor=org["lead"]) == ["row 3: email: not a member of your team"]
    assert _count(engine, Result) == 0


def test_a_leads_dry_run_does_not_tell_who_exists_in_the_organisation(engine: Engine, org: dict[str, Actor]) -> None:
    """Elsewhere, another team's leaver and unknown read alike to a lead; an admin keeps the precise messages."""
    data = _csv(
        RESULTS_HEADER,
        "cai@example.org,home-energy,1,2026-03-10,,,",
        "left-birch@example.org,home-energy,1,2026-03-14,,,",
        "nobody@example.org,home-energy,1,2026-03-10,,,",
    )
    assert _problems(engine, ImportKind.RESULTS, data, actor=org["lead"], dry_run=True) == [
        "row 2: email: not a member of your team",
        "row 3: email: not a member of your team",
        "row 4: email: not a member of your team",
    ]
    assert _problems(engine, ImportKind.RESULTS, data, dry_run=True) == [
        "row 3: occurred_on: 2026-03-14 is after left-birch@example.org left (their last day was 2026-03-12); "
        "only results up to that day are their history",
        "row 4: email: no such person 'nobody@example.org'",
    ]


def test_an_agents_import_rows_wait_as_pending(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv(RESULTS_HEADER, "ana@example.org,home-energy,1,2026-03-10,,,approved")
    run_import(engine, org["ana"], ImportKind.RESULTS, data)
    with unit_of_work(engine, write=False) as session:
        assert session.scalars(select(Result.status)).all() == [Status.PENDING]


def test_dry_run_reports_and_writes_nothing(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv(RESULTS_HEADER, "ana@example.org,home-energy,2,2026-03-10,r1,,")
    before = _count(engine, AuditEntry)
    report = run_import(engine, SYSTEM, ImportKind.RESULTS, data, dry_run=True)
    assert report.summary() == "results: 1 rows read, 1 would import"
    assert _count(engine, Result) == 0
    assert _count(engine, AuditEntry) == before
    bad = data.replace(b",2,", b",-2,")
    assert _problems(engine, ImportKind.RESULTS, bad, dry_run=True) == ["row 2: quantity: must be greater than 0"]


def test_semicolon_results_use_decimal_commas(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv("email;challenge;quantity;occurred_on", "ana@example.org;home-energy;1,5;2026-03-10")
    run_import(engine, SYSTEM, ImportKind.RESULTS, data)
    with unit_of_work(engine, write=False) as session:
        assert session.scalars(select(Result.quantity)).all() == [1.5]


def test_a_cp1252_file_imports_when_its_encoding_is_named(engine: Engine, org: dict[str, Actor]) -> None:
    data = "email,challenge,quantity,occurred_on,note\nana@example.org,home-energy,1,2026-03-10,Thé – café\n"
    raw = data.encode("cp1252")
    assert _problems(engine, ImportKind.RESULTS, raw)[0].startswith("file: is not UTF-8 (byte 0xe9 on line 2)")
    run_import(engine, SYSTEM, ImportKind.RESULTS, raw, encoding="cp1252")
    with unit_of_work(engine, write=False) as session:
        assert session.scalars(select(Result.note)).all() == ["Thé – café"]


def test_a_utf8_file_with_a_bom_imports(engine: Engine, org: dict[str, Actor]) -> None:
    data = b"\xef\xbb\xbf" + _csv("email,challenge,quantity,occurred_on", "ana@example.org,home-energy,1,2026-03-10")
    assert run_import(engine, SYSTEM, ImportKind.RESULTS, data).created == 1


def test_managers_import_nothing(engine: Engine, org: dict[str, Actor]) -> None:
    with unit_of_work(engine) as session:
        manager = make_person(session, team=None, role=Role.MANAGER)
    data = _csv(RESULTS_HEADER, "ana@example.org,home-energy,1,2026-03-10,,,")
    for kind in ImportKind:
        with pytest.raises((PermissionDenied, ValidationError)) as error:
            run_import(engine, manager, kind, template(kind).encode() if kind is not ImportKind.RESULTS else data)
        assert error.type is PermissionDenied, kind


# -- pulse -----------------------------------------------------------------------


def test_pulse_import_stores_answers_and_replaces_earlier_ones(engine: Engine, org: dict[str, Actor]) -> None:
    data = _csv(
        "email,week_of,score,enps,comment", "ana@example.org,2026-03-11,4,9,", "ben@example.org,2026-03-09,2,,tired"
    )
    report = run_import(engine, SYSTEM, ImportKind.PULSE, data, today=date(2026, 3, 12))
    assert (report.created, report.updated) == (2, 0)
    again = run_import(engine, SYSTEM, ImportKind.PULSE, data.replace(b",4,9,", b",5,10,"), today=date(2026, 3, 12))
    assert (again.created, again.updated) == (0, 2)
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(
            select(PulseResponse.week_start, PulseResponse.score).order_by(PulseResponse.score)
        ).all()
    assert [tuple(r) for r in rows] == [(date(2026, 3, 9), 2), (date(2026, 3, 9), 5)]


def test_bad_pulse_rows_are_each_reported(engine: Engine, org: dict[str, Actor]) -> None:
    with unit_of_work(engine) as session:
        make_person(session, team=None, role=Role.MANAGER, email="mo@example.org")
    data = _csv(
        "email,week_of,score,enps,comment",
        "ana@example.org,2026-03-09,0,,",
        "ana@example.org,2026-03-10,3.5,11,",
        "ben@example.org,2099-01-01,3,7.5,",
        "mo@example.org,2026-03-09,3,,",
        "cai@example.org,2026-03-09,3,,",
        "cai@example.org,2026-03-15,4,,",
        "ben@example.org,2026-03-09,4,," + "x" * 2001,
        "ana@example.org,2026-03-08,3,,",
    )
    assert _problems(engine, ImportKind.PULSE, data, today=date(2026, 3, 12)) == [
        "row 2: score: must be from 1 to 5",
        "row 3: score: must be a whole number from 1 to 5",
        "row 3: enps: must be from 0 to 10",
        "row 4: week_of: 2099-01-01 is in a future week",
        "row 4: enps: must be a whole number from 0 to 10",
        "row 5: email: mo@example.org has no team; the pulse is answered by team members",
        "row 7: week_of: cai@example.org already answered this week on row 6",
        "row 8: comment: is too long (2,001 characters; the limit is 2,000)",
        "row 9: week_of: the pulse for the week of 2026-03-02 has closed; answers are taken for the current week only",
    ]
    assert _count(engine, PulseResponse) == 0


def test_templates_import_cleanly(engine: Engine) -> None:
    """The example row offered to people for each kind is itself a valid file (as a dry run)."""
    with unit_of_work(engine) as session:
        make_person(session, team="Cedar", email="ana@example.org")
        make_challenge(session, slug="home-energy", starts_on=date(2026, 1, 5), ends_on=date(2026, 3, 29))
    for kind in ImportKind:  # on a day of the examples' pulse week, so its answer is for the open week
        assert (
            run_import(engine, SYSTEM, kind, template(kind).encode(), dry_run=True, today=date(2026, 1, 14)).rows == 1
        )


def test_a_session_level_import_keeps_earlier_writes_of_the_transaction(session: Session) -> None:
    """Importers write into the caller's transaction; only run_import owns one."""
    from engagement.csvio import read_table
    from engagement.imports import COLUMNS, import_people

    table = read_table(_csv("email,name,team,role", "x@example.org,X,Cedar,agent"), *COLUMNS[ImportKind.PEOPLE])
    import_people(session, SYSTEM, table, date(2026, 3, 18))
    assert session.scalar(select(func.count()).select_from(Person)) == 1


def test_a_pulse_import_takes_the_open_week_only_under_the_team_the_person_is_in_now(
    engine: Engine, org: dict[str, Actor]
) -> None:
    """As on the form: a closed week takes no answer (its figures stay as published); a move files later answers."""
    with unit_of_work(engine) as session:
        pulse.record_history(
            session, [pulse.Answer(org["ana"].person_id or 0, org["ana"].team_id or 0, date(2026, 3, 2), 3)]
        )
        publication.close_weeks(session, datetime(2026, 3, 10, 12, tzinfo=UTC))
        organisation.move_person(session, SYSTEM, org["ana"].person_id or 0, "Birch", date(2026, 3, 10))
    closed = _csv("email,week_of,score,enps,comment", "ana@example.org,2026-03-04,5,,")
    assert _problems(engine, ImportKind.PULSE, closed, today=date(2026, 3, 12)) == [
        "row 2: week_of: the pulse for the week of 2026-03-02 has closed; answers are taken for the current week only"
    ]
    run_import(
        engine,
        SYSTEM,
        ImportKind.PULSE,
        _csv("email,week_of,score,enps,comment", "ana@example.org,2026-03-11,4,,"),
        today=date(2026, 3, 12),
    )
    with unit_of_work(engine, write=False) as session:
        teams = dict(session.execute(select(PulseResponse.week_start, PulseResponse.team_id)).all())
    assert teams == {date(2026, 3, 2): org["ana"].team_id, date(2026, 3, 9): org["cai"].team_id}


def test_a_team_name_typed_with_a_combining_accent_is_the_same_team(engine: Engine) -> None:
    """'Cafe' + U+0301 is 'Café' as stored (NFC): it joins that team instead of colliding with it."""
    composed, decomposed = "Caf\u00e9", "Cafe\u0301"
    run_import(engine, SYSTEM, ImportKind.PEOPLE, _csv("email,name,team,role", f"a@example.org,A,{composed},agent"))
    rows = (f"b@example.org,B,{decomposed},agent", f"c@example.org,C,{decomposed.upper()},agent")
    report = run_import(engine, SYSTEM, ImportKind.PEOPLE, _csv("email,name,team,role", *rows))
    assert report.created == 2
    with unit_of_work(engine, write=False) as session:
        assert list(session.scalars(select(Team.name))) == [composed]
        assert session.scalar(select(func.count()).select_from(Person).join(Team).where(Team.name == composed)) == 3
