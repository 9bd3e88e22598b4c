"""Who may call what: every public engagement function tried by every role.

A call refused by role alone must refuse before any SQL runs; a call refused by
scope (a lead acting on another team) may read, but must not write.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import ImpactFactor, Kind, Role, Status
from engagement import (
    audit,
    challenges,
    deliveries,
    goals,
    impact,
    import_guide,
    imports,
    leaderboards,
    morale,
    organisation,
    preferences,
    pulse,
    results,
    settings,
)
from engagement.access import SYSTEM, Actor
from engagement.csvio import read_table
from engagement.errors import PermissionDenied, ValidationError
from tests.factories import NOW, log, make_challenge, make_person
from tests.unit.conftest import statement_log, writes

pytestmark = pytest.mark.usefixtures("march_challenge_clock")

ENGAGEMENT = Path(__file__).resolve().parents[2] / "engagement"
OK, ROLE, SCOPE, FIELD = "ok", "refused by role, before any SQL", "refused by scope, nothing written", "invalid"
WAITS = "stored, waiting for someone else to decide"
LEFT = "left undecided, nothing written"
ROLES = ("agent", "lead of another team", "manager", "admin")
ADMIN_ONLY = (ROLE, ROLE, ROLE, OK)
EVERYONE = (OK, OK, OK, OK)
MANAGERS = (ROLE, ROLE, OK, OK)
LEADS_OF_CEDAR = (ROLE, SCOPE, ROLE, OK)  # a team's own lead or an admin: the other lead reads no Cedar emails
D = date(2026, 3, 10)
HOOK = "https://hooks.slack.com/services/T000/B000/XXXX"
MOVED_ON = date(2026, 3, 9)  # the mover left Cedar for Birch, the other lead's team
YEAR_GOAL = goals.GoalInput("10,000 trees", goals.GoalMeasure.TREES, 10_000, date(2026, 1, 1), date(2026, 12, 31))


@dataclass(frozen=True)
class Org:
    actors: dict[str, Actor]
    colleague: int
    cedar: int
    challenge: int
    pending: int
    approved: int
    factor: int
    mover: int
    mover_cedar_pending: int  # logged while the mover was in Cedar: Cedar's, whatever their team is now
    mover_cedar_approved: int
    mover_birch: int  # logged after the move: Birch's
    own_pending: dict[str, int]  # each role's own entry, waiting (above the challenge's auto-approve limit)
    own_approved: dict[str, int]
    site: int
    goal: int


@pytest.fixture
def org(engine: Engine) -> Org:
    """Cedar: the agent and a colleague (one pending, one approved entry); Birch: its lead.

    The mover was in Cedar until 8 March and is in Birch since 9 March, with
    entries on both sides of the move; every actor has an entry of their own
    that waits and one that was approved.
    """
    with unit_of_work(engine) as session:
        impact.seed_default_factors(session, SYSTEM)
        challenge = make_challenge(session, slug="home-energy", auto_approve_up_to=5)
        agent = make_person(session, team="Cedar", email="agent@example.org")
        colleague = make_person(session, team="Cedar", email="colleague@example.org")
        make_person(session, team="Birch", email="birch@example.org")
        actors = {
            "agent": agent,
            "lead of another team": make_person(session, team="Birch", role=Role.LEAD, email="lead@example.org"),
            "manager": make_person(session, team=None, role=Role.MANAGER, email="manager@example.org"),
            "admin": make_person(session, team=None, role=Role.ADMIN, email="admin@example.org"),
        }
        pending = log(session, colleague, challenge, 2, status=Status.PENDING)
        approved = log(session, colleague, challenge, 3)
        uk = (ImpactFactor.kind == Kind.ENERGY) & (ImpactFactor.region == "United Kingdom")
        factor = session.scalars(select(ImpactFactor.id).where(uk)).one()
        mover = make_person(session, team="Cedar", email="mover@example.org")
        mover_pending = log(session, mover, challenge, 2, date(2026, 3, 4), status=Status.PENDING)
        mover_approved = log(session, mover, challenge, 10, date(2026, 3, 5))
        assert mover.person_id is not None and agent.team_id is not None and colleague.person_id is not None
        organisation.move_person(session, SYSTEM, mover.person_id, "Birch", MOVED_ON)
        mover_birch = log(session, mover, challenge, 4, D)
        own_pending = {role: log(session, a, challenge, 6, status=Status.PENDING) for role, a in actors.items()}
        own_approved = {role: log(session, a, challenge, 1) for role, a in actors.items()}
        return Org(
            actors,
            colleague.person_id,
            agent.team_id,
            challenge,
            pending,
            approved,
            factor,
            mover.person_id,
            mover_pending,
            mover_approved,
            mover_birch,
            own_pending,
            own_approved,
            organisation.resolve_site(session, SYSTEM, "Leeds").id,
            goal=goals.create_goal(session, SYSTEM, YEAR_GOAL).id,
        )


def _table(kind: imports.ImportKind, *lines: str) -> Any:
    required, optional = imports.COLUMNS[kind]
    return read_table(("\n".join(lines) + "\n").encode(), required, optional)


Call = Callable[[Session, Actor, Org], object]


def _role(actor: Actor, org: Org) -> str:
    return next(role for role, a in org.actors.items() if a == actor)


SCOPE_WEEK = leaderboards.Scope()


def _calls() -> dict[str, tuple[Call, tuple[str, str, str, str]]]:
    """Each public function with actor rights, and what each role should meet: agent, other lead, manager, admin."""
    new_person = organisation.PersonInput("new@example.org", "New", Role.AGENT, team="Cedar")
    new_challenge = challenges.ChallengeInput("tree-2026", "Trees", Kind.TREES, 10, date(2026, 3, 2), date(2026, 3, 29))
    factor = impact.FactorInput(Kind.ENERGY, "REE Spain 2024", 0.2, "kg CO2e per kWh", "Spain", 2024, "REE 2024")
    R = imports.ImportKind
    return {
        # organisation
        "organisation.add_person": (lambda s, a, o: organisation.add_person(s, a, new_person), ADMIN_ONLY),
        "organisation.update_person": (
            lambda s, a, o: organisation.update_person(s, a, o.colleague, 1, name="X"),
            ADMIN_ONLY,
        ),
        "organisation.deactivate_person": (
            lambda s, a, o: organisation.deactivate_person(s, a, o.colleague, 1),
            ADMIN_ONLY,
        ),
        "organisation.move_person": (
            lambda s, a, o: organisation.move_person(s, a, o.colleague, "Birch", D),
            ADMIN_ONLY,
        ),
        "organisation.resolve_team": (lambda s, a, o: organisation.resolve_team(s, a, "Rowan", None), ADMIN_ONLY),
        "organisation.resolve_site": (lambda s, a, o: organisation.resolve_site(s, a, "Leeds"), ADMIN_ONLY),
        "organisation.rename_team": (lambda s, a, o: organisation.rename_team(s, a, o.cedar, "Cedars"), ADMIN_ONLY),
        "organisation.set_team_active": (lambda s, a, o: organisation.set_team_active(s, a, o.cedar, True), ADMIN_ONLY),
        "organisation.list_people": (
            lambda s, a, o: organisation.list_people(s, a, team_id=o.cedar),
            (ROLE, SCOPE, ROLE, OK),
        ),
        "organisation.find_people": (lambda s, a, o: organisation.find_people(s, a, "cedar"), ADMIN_ONLY),
        "organisation.person_names": (
            lambda s, a, o: organisation.person_names(s, a, [o.colleague]),
            ADMIN_ONLY,
        ),
        # challenges
        "challenges.create_challenge": (lambda s, a, o: challenges.create_challenge(s, a, new_challenge), ADMIN_ONLY),
        "challenges.update_challenge": (
            lambda s, a, o: challenges.update_challenge(s, a, o.challenge, 1, new_challenge),
            ADMIN_ONLY,
        ),
        "challenges.close_challenge": (lambda s, a, o: challenges.close_challenge(s, a, o.challenge, D), ADMIN_ONLY),
        # results
        "results.record_results for a colleague": (
            lambda s, a, o: results.record_results(
                s, a, [results.ResultInput(o.colleague, o.challenge, 1, D)], now=NOW
            ),
            (ROLE, FIELD, ROLE, OK),
        ),
        "results.record_results for oneself": (
            lambda s, a, o: results.record_results(
                s, a, [results.ResultInput(a.person_id or 0, o.challenge, 1, D)], now=NOW
            ),
            (OK, OK, ROLE, OK),
        ),
        "results.record_result": (
            lambda s, a, o: results.record_result(s, a, results.ResultInput(a.person_id or 0, o.challenge, 1, D)),
            (OK, OK, ROLE, OK),
        ),
        "results.edit_result": (
            lambda s, a, o: results.edit_result(s, a, o.pending, 1, quantity=5, now=NOW),
            (SCOPE, SCOPE, ROLE, OK),
        ),
        "results.void_result": (
            lambda s, a, o: results.void_result(s, a, o.approved, 1, "duplicate"),
            (SCOPE, SCOPE, ROLE, OK),
        ),
        "results.decide": (lambda s, a, o: results.decide(s, a, [o.pending], True), (ROLE, SCOPE, ROLE, OK)),
        "results.entries_for_person": (
            lambda s, a, o: results.entries_for_person(s, a, o.colleague),
            (ROLE, SCOPE, ROLE, OK),
        ),
        "results.team_entries": (
            lambda s, a, o: results.team_entries(s, a, o.cedar, D, D),
            (ROLE, SCOPE, ROLE, OK),
        ),
        "results.pending_entries": (lambda s, a, o: results.pending_entries(s, a), (ROLE, OK, ROLE, OK)),
        "results.own_pending_entries": (lambda s, a, o: results.own_pending_entries(s, a), (OK, OK, ROLE, OK)),
        # a moved person: their entries belong to the team they are credited to, not to today's team
        "results.decide on a moved person's entry of their old team": (
            lambda s, a, o: results.decide(s, a, [o.mover_cedar_pending], True),
            (ROLE, SCOPE, ROLE, OK),
        ),
        "results.edit_result of a moved person's entry of their old team": (
            lambda s, a, o: results.edit_result(s, a, o.mover_cedar_approved, 1, quantity=1000, now=NOW),
            (SCOPE, SCOPE, ROLE, OK),
        ),
        "results.void_result of a moved person's entry of their old team": (
            lambda s, a, o: results.void_result(s, a, o.mover_cedar_approved, 1, "duplicate"),
            (SCOPE, SCOPE, ROLE, OK),
        ),
        "results.edit_result back-dating a moved person's entry into their old team": (
            lambda s, a, o: results.edit_result(s, a, o.mover_birch, 1, occurred_on=date(2026, 3, 6), now=NOW),
            (SCOPE, FIELD, ROLE, OK),
        ),
        "results.record_results for a moved person before they joined": (
            lambda s, a, o: results.record_results(
                s, a, [results.ResultInput(o.mover, o.challenge, 1, date(2026, 3, 6))], now=NOW
            ),
            (ROLE, FIELD, ROLE, OK),
        ),
        "results.record_results for a moved person since they joined": (
            lambda s, a, o: results.record_results(s, a, [results.ResultInput(o.mover, o.challenge, 1, D)], now=NOW),
            (ROLE, OK, ROLE, OK),
        ),
        # one's own entry: nobody decides on it, whatever their role
        "results.record_result of one's own entry above the auto-approve limit": (
            lambda s, a, o: (
                results.record_result(s, a, results.ResultInput(a.person_id or 0, o.challenge, 50, D)).status
            ),
            (WAITS, WAITS, ROLE, WAITS),
        ),
        "results.decide on one's own entry": (
            lambda s, a, o: results.decide(s, a, [o.own_pending[_role(a, o)]], True),
            (ROLE, LEFT, ROLE, LEFT),
        ),
        "results.edit_result of one's own approved entry": (
            lambda s, a, o: results.edit_result(s, a, o.own_approved[_role(a, o)], 1, quantity=500, now=NOW),
            (SCOPE, SCOPE, ROLE, SCOPE),
        ),
        "results.void_result of one's own approved entry": (
            lambda s, a, o: results.void_result(s, a, o.own_approved[_role(a, o)], 1, "withdrawn"),
            (SCOPE, SCOPE, ROLE, SCOPE),
        ),
        # withdrawing and correcting: one's own entry, while it waits, whatever one's role
        "results.withdraw_result of one's own pending entry": (
            lambda s, a, o: results.withdraw_result(s, a, o.own_pending[_role(a, o)], 1, now=NOW),
            (OK, OK, ROLE, OK),
        ),
        "results.withdraw_result of one's own approved entry": (
            lambda s, a, o: results.withdraw_result(s, a, o.own_approved[_role(a, o)], 1, now=NOW),
            (SCOPE, SCOPE, ROLE, SCOPE),
        ),
        "results.withdraw_result of a colleague's pending entry": (
            lambda s, a, o: results.withdraw_result(s, a, o.pending, 1, now=NOW),
            (SCOPE, SCOPE, ROLE, SCOPE),
        ),
        "results.edit_result of one's own pending entry": (
            lambda s, a, o: results.edit_result(s, a, o.own_pending[_role(a, o)], 1, quantity=7, now=NOW),
            (OK, OK, ROLE, OK),
        ),
        "results.find_duplicate for oneself": (
            lambda s, a, o: results.find_duplicate(s, a, results.ResultInput(a.person_id or 0, o.challenge, 6, D)),
            (OK, OK, ROLE, OK),
        ),
        "results.find_duplicate for a colleague": (
            lambda s, a, o: results.find_duplicate(s, a, results.ResultInput(o.colleague, o.challenge, 2, D)),
            (ROLE, OK, ROLE, OK),
        ),
        "results.pending_count": (lambda s, a, o: results.pending_count(s, a), EVERYONE),
        # leaderboards
        "leaderboards.team_leaderboard": (lambda s, a, o: leaderboards.team_leaderboard(s, a, SCOPE_WEEK), EVERYONE),
        "leaderboards.person_leaderboard": (
            lambda s, a, o: leaderboards.person_leaderboard(s, a, SCOPE_WEEK),
            EVERYONE,
        ),
        "leaderboards.person_row": (
            lambda s, a, o: leaderboards.person_row(s, a, SCOPE_WEEK, a.person_id),
            EVERYONE,
        ),
        "leaderboards.standing": (lambda s, a, o: leaderboards.standing(s, a, SCOPE_WEEK), EVERYONE),
        "leaderboards.my_points": (lambda s, a, o: leaderboards.my_points(s, a, [o.challenge]), EVERYONE),
        "leaderboards.ranking": (lambda s, a, o: leaderboards.ranking(s, a, SCOPE_WEEK), EVERYONE),
        "leaderboards.my_period_points": (
            lambda s, a, o: leaderboards.my_period_points(s, a, SCOPE_WEEK.start, SCOPE_WEEK.end),
            EVERYONE,
        ),
        "leaderboards.podium": (lambda s, a, o: leaderboards.podium(s, a, o.challenge, date(2026, 5, 1)), EVERYONE),
        # pulse and morale
        "pulse.answer_pulse": (lambda s, a, o: pulse.answer_pulse(s, a, 4, 8, now=NOW), (OK, OK, FIELD, FIELD)),
        "pulse.my_history": (lambda s, a, o: pulse.my_history(s, a), EVERYONE),
        "pulse.answered_this_week": (lambda s, a, o: pulse.answered_this_week(s, a, now=NOW), EVERYONE),
        "morale.weekly_morale": (
            lambda s, a, o: morale.weekly_morale(s, a, morale.GroupBy.TEAM, D, D),
            MANAGERS,
        ),
        "morale.alerts": (lambda s, a, o: morale.alerts(s, a), MANAGERS),
        "morale.team_trend": (lambda s, a, o: morale.team_trend(s, a, o.cedar, D, D), MANAGERS),
        "morale.participation_vs_morale": (
            lambda s, a, o: morale.participation_vs_morale(s, a, D, D),
            MANAGERS,
        ),
        "morale.team_view": (lambda s, a, o: morale.team_view(s, a), MANAGERS),
        # impact
        "impact.list_factors": (lambda s, a, o: impact.list_factors(s, a), EVERYONE),
        "impact.add_factor": (lambda s, a, o: impact.add_factor(s, a, factor), ADMIN_ONLY),
        "impact.use_factor": (
            lambda s, a, o: impact.use_factor(s, a, o.factor, date(2026, 4, 1), today=date(2026, 3, 18)),
            ADMIN_ONLY,
        ),
        "impact.factor_uses": (lambda s, a, o: impact.factor_uses(s, a), EVERYONE),
        "impact.site_regions": (lambda s, a, o: impact.site_regions(s, a), ADMIN_ONLY),
        "impact.set_site_region": (lambda s, a, o: impact.set_site_region(s, a, o.site, "United Kingdom"), ADMIN_ONLY),
        "impact.seed_default_factors": (lambda s, a, o: impact.seed_default_factors(s, a), ADMIN_ONLY),
        "impact.impact_report": (lambda s, a, o: impact.impact_report(s, a, impact.ImpactBy.SITE), MANAGERS),
        "impact.challenge_impact": (lambda s, a, o: impact.challenge_impact(s, a, o.challenge), EVERYONE),
        "impact.target_standing": (
            lambda s, a, o: impact.target_standing(s, a, o.challenge, o.cedar),
            EVERYONE,
        ),
        "impact.team_totals": (lambda s, a, o: impact.team_totals(s, a, o.cedar, [o.challenge]), EVERYONE),
        "impact.company_total": (lambda s, a, o: impact.company_total(s, a, D, D), EVERYONE),
        # company goals
        "goals.list_goals": (lambda s, a, o: goals.list_goals(s, a, D), EVERYONE),
        "goals.create_goal": (lambda s, a, o: goals.create_goal(s, a, YEAR_GOAL), ADMIN_ONLY),
        "goals.update_goal": (lambda s, a, o: goals.update_goal(s, a, o.goal, 1, YEAR_GOAL), ADMIN_ONLY),
        "goals.retire_goal": (lambda s, a, o: goals.retire_goal(s, a, o.goal, 1, NOW), ADMIN_ONLY),
        # messages: preferences, webhooks, deliveries
        "preferences.set_default": (lambda s, a, o: preferences.set_default(s, a, "decision", "off"), ADMIN_ONLY),
        "preferences.set_defaults": (lambda s, a, o: preferences.set_defaults(s, a, {"decision": "off"}), ADMIN_ONLY),
        "preferences.choices": (lambda s, a, o: preferences.choices(s, a), EVERYONE),
        "preferences.choose": (lambda s, a, o: preferences.choose(s, a, "decision", False, "email"), EVERYONE),
        "preferences.choose_many": (
            lambda s, a, o: preferences.choose_many(s, a, {"decision": (False, "email")}),
            EVERYONE,
        ),
        "preferences.quiet_hours": (lambda s, a, o: preferences.quiet_hours(s, a), EVERYONE),
        "preferences.set_quiet_hours": (
            lambda s, a, o: preferences.set_quiet_hours(s, a, time(22, 0), time(7, 0)),
            EVERYONE,
        ),
        "preferences.set_webhook for oneself": (
            lambda s, a, o: preferences.set_webhook(s, a, "person", a.person_id or 0, "slack", HOOK, NOW),
            EVERYONE,
        ),
        "preferences.set_webhook for Cedar": (
            lambda s, a, o: preferences.set_webhook(s, a, "team", o.cedar, "teams", HOOK, NOW),
            (ROLE, SCOPE, ROLE, OK),
        ),
        "preferences.remove_webhook": (
            lambda s, a, o: (
                preferences.set_webhook(s, a, "person", a.person_id or 0, "slack", HOOK, NOW),
                preferences.remove_webhook(s, a, "person", a.person_id or 0, "slack"),
            ),
            EVERYONE,
        ),
        "preferences.remove_webhook for Cedar": (
            lambda s, a, o: (
                preferences.set_webhook(s, a, "team", o.cedar, "teams", HOOK, NOW),
                preferences.remove_webhook(s, a, "team", o.cedar, "teams"),
            ),
            (ROLE, SCOPE, ROLE, OK),
        ),
        "preferences.webhook_list": (lambda s, a, o: preferences.webhook_list(s, a), EVERYONE),
        "preferences.manageable_teams": (lambda s, a, o: preferences.manageable_teams(s, a), EVERYONE),
        "deliveries.overview": (lambda s, a, o: deliveries.overview(s, a, NOW), ADMIN_ONLY),
        "deliveries.retry": (lambda s, a, o: deliveries.retry(s, a, [1], NOW), ADMIN_ONLY),
        # settings and audit
        "settings.update": (lambda s, a, o: settings.update(s, a, anonymity_threshold=6), ADMIN_ONLY),
        "settings.mark_demo": (lambda s, a, o: settings.mark_demo(s, a), ADMIN_ONLY),
        "audit.audit_entries": (lambda s, a, o: audit.audit_entries(s, a), ADMIN_ONLY),
        "audit.audit_facets": (lambda s, a, o: audit.audit_facets(s, a), ADMIN_ONLY),
        # imports
        "imports.import_people": (
            lambda s, a, o: imports.import_people(
                s, a, _table(R.PEOPLE, "email,name,team,role", "z@example.org,Z,Cedar,agent"), D
            ),
            ADMIN_ONLY,
        ),
        "imports.import_challenges": (
            lambda s, a, o: imports.import_challenges(
                s,
                a,
                _table(
                    R.CHALLENGES,
                    "slug,name,kind,unit,points_per_unit,starts_on,ends_on",
                    "walk,Walk,energy,kWh,1,2026-03-02,2026-03-29",
                ),
                D,
            ),
            ADMIN_ONLY,
        ),
        "imports.import_results": (
            lambda s, a, o: imports.import_results(
                s,
                a,
                _table(
                    R.RESULTS, "email,challenge,quantity,occurred_on", "colleague@example.org,home-energy,1,2026-03-10"
                ),
                D,
                now=NOW,
            ),
            (SCOPE, FIELD, ROLE, OK),
        ),
        "imports.team_template": (lambda s, a, o: imports.team_template(s, a, o.cedar, now=NOW), LEADS_OF_CEDAR),
        "import_guide.reference": (lambda s, a, o: import_guide.reference(s, a, o.cedar), LEADS_OF_CEDAR),
        "import_guide.sample_rows": (
            lambda s, a, o: import_guide.sample_rows(s, a, o.cedar, now=NOW),
            LEADS_OF_CEDAR,
        ),
        "imports.import_pulse": (
            lambda s, a, o: imports.import_pulse(
                s, a, _table(R.PULSE, "email,week_of,score", "colleague@example.org,2026-03-09,4"), D
            ),
            ADMIN_ONLY,
        ),
    }


# Public functions that take an actor but are not entry points: the checks
# themselves, writers called from inside checked functions, and the wrapper that
# opens a transaction around the importers tried above.
NOT_ENTRY_POINTS = {
    "access.require",
    "access.require_team",
    "audit.record",
    "audit.record_many",
    "results.check",
    "results.check_results",
    "results.out_of_reach",
    "imports.run_import",
}
CORE = ("access", "audit", "settings", "organisation", "challenges", "results", "leaderboards", "pulse", "morale")
CORE += ("impact", "imports", "import_guide", "exports", "csvio", "parsing", "periods", "text", "demo", "goals")
CORE += ("preferences", "deliveries")


@contextmanager
def _rolled_back(engine: Engine) -> Iterator[Session]:
    """A write transaction, opened before the statement log starts and always rolled back."""
    with Session(engine, expire_on_commit=False) as session:
        session.begin()
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        try:
            yield session
        finally:
            session.rollback()


def _attempt(engine: Engine, actor: Actor, org: Org, call: Call, expected: str) -> str:
    with _rolled_back(engine) as session, statement_log(engine) as statements:
        try:
            returned = call(session, actor, org)
            session.flush()
            if returned is Status.PENDING:  # the status an entry was stored with
                return WAITS
            if isinstance(returned, results.Decisions) and not returned.decided:
                return LEFT if not writes(statements) else f"left undecided after writing: {writes(statements)}"
        except PermissionDenied:
            if writes(statements):
                return f"refused after writing: {writes(statements)}"
            if not statements:
                return SCOPE if expected == SCOPE else ROLE
            return SCOPE
        except ValidationError as e:
            return FIELD if not writes(statements) else f"invalid after writing ({e})"
    return OK


@pytest.mark.parametrize("role", ROLES)
def test_every_role_meets_the_rights_of_every_function(engine: Engine, org: Org, role: str) -> None:
    column = ROLES.index(role)
    calls = _calls()
    expected = {name: outcomes[column] for name, (_, outcomes) in calls.items()}
    observed = {
        name: _attempt(engine, org.actors[role], org, call, expected[name]) for name, (call, _) in calls.items()
    }
    assert observed == expected


def test_the_matrix_covers_every_public_function_that_takes_an_actor() -> None:
    tried = {name.split(" ")[0] for name in _calls()}
    public = set()
    for module_name in CORE:
        module = importlib.import_module(f"engagement.{module_name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            takes_actor = "actor" in list(inspect.signature(function).parameters)[:2]
            if function.__module__ == module.__name__ and not name.startswith("_") and takes_actor:
                public.add(f"{module_name}.{name}")
    missing = public - tried - NOT_ENTRY_POINTS
    assert not missing, f"add these to the access matrix in {__file__}: {sorted(missing)}"


def test_refusals_name_the_rule() -> None:
    agent = Actor(1, "a@example.org", "A", Role.AGENT, team_id=1)
    with pytest.raises(PermissionDenied, match="agents may not do this \\(allowed: admin\\)"):
        organisation.add_person(None, agent, organisation.PersonInput("x@example.org", "X", Role.AGENT))  # type: ignore[arg-type]
    lead = Actor(2, "l@example.org", "L", Role.LEAD, team_id=1)
    with pytest.raises(PermissionDenied, match="you can only see entries of your own team"):
        results.team_entries(None, lead, 2, D, D)  # type: ignore[arg-type]


def test_the_domain_never_imports_streamlit() -> None:
    offenders = []
    for path in sorted(ENGAGEMENT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(f"{path.relative_to(ENGAGEMENT.parent)}:{node.lineno}")
    assert offenders == []
