"""A deterministic demo organisation, so a new user sees a working product at once.

Three sites, eight teams of 4 to 14 people (home and centre workers), the three
challenge kinds plus one that has ended, months of results (some pending, some
rejected) and 26 closed weeks of pulse answers, two small teams always below
the anonymity threshold, and one team whose morale is falling. Whatever the
day, the demo agent has points this week and their team has nearly reached
the tree challenge's team target (tests/unit/test_demo_any_day.py). Everything is
drawn from a seeded random generator and placed relative to ``today``, so the
same day and seed give the same organisation.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Kind, Person, Role, Status, Team, WorkMode
from engagement import amounts, auth, challenges, impact, organisation, periods, publication, pulse, results, settings
from engagement.access import SYSTEM, Actor
from engagement.errors import ValidationError

SEED = 20261125
DEMO_PASSWORD = "impact-demo-2026"
DEMO_ACCOUNTS = {
    Role.AGENT: "agent@example.com",
    Role.LEAD: "lead@example.com",
    Role.MANAGER: "manager@example.com",
    Role.ADMIN: "admin@example.com",
}

# site, time zone, teams (name, size including the lead)
# The team whose morale falls: its last 2 closed weeks score 3 or less, the 6 before 4 or more, so its mean
# falls by 1 or more within the last 4 closed weeks (engagement.alert_rules.MEAN_DROP is 0.75).
FALLING = "Alder"
# A small team that skips the pulse half the time: in some weeks Leeds' hidden teams hold 1 to 4 answers,
# so Leeds is withheld to protect them (by subtraction), in others shown.
QUIET = "Yew"
SITES = (
    ("Leeds", "Europe/London", (("Cedar", 12), ("Birch", 8), ("Rowan", 4), ("Yew", 4))),
    ("Cardiff", "Europe/London", (("Willow", 10), ("Alder", 7))),
    ("Manila", "Asia/Manila", (("Maple", 14), ("Acacia", 9), ("Hazel", 7))),
)
FIRST = (
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Ebony",
    "Farid",
    "Grace",
    "Hamza",
    "Isla",
    "Jun",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Xavi",
    "Yara",
    "Zoe",
    "Aled",
    "Bea",
    "Carys",
    "Dafydd",
    "Elin",
    "Ffion",
    "Gethin",
    "Hana",
    "Ifan",
    "Jomar",
    "Kristine",
    "Liza",
    "Marco",
    "Nico",
    "Paolo",
    "Rhea",
    "Santi",
    "Tess",
)
LAST = (
    "Okafor",
    "Silva",
    "Nguyen",
    "Patel",
    "Hughes",
    "Reyes",
    "Kowalski",
    "Haddad",
    "Jones",
    "Santos",
    "Mensah",
    "Evans",
    "Cruz",
    "Ahmed",
    "Davies",
    "Garcia",
    "Bautista",
    "Morgan",
    "Khan",
    "Lopez",
)
ORGANISATIONS = ("Be My Eyes", "UPchieve", "TutorMate", "Translators without Borders", "Crisis Text Line")
ACTIVITIES = {
    "Be My Eyes": "visual assistance",
    "UPchieve": "tutoring",
    "TutorMate": "tutoring",
    "Translators without Borders": "interpreting",
    "Crisis Text Line": "crisis line",
}
REJECTION_REASONS = ("Date is outside your shift pattern; please re-check", "Looks like a duplicate of Monday's entry")


@dataclass(frozen=True)
class DemoSummary:
    people: int
    results: int
    pulse_answers: int


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Person))


def load_demo(session: Session, today: date | None = None, seed: int = SEED) -> DemoSummary:
    """Fill an empty database with the demo organisation (as the command line)."""
    if not is_empty(session):
        raise ValidationError.single("database", "already has people; load the demo into an empty database")
    settings.update(session, SYSTEM, timezone="Europe/London")
    today = today or periods.today("Europe/London")
    rng = random.Random(seed)
    impact.seed_default_factors(session, SYSTEM)
    people = _people(session, rng, today)
    _regions(session, today)
    challenge_ids = _challenges(session, today)
    n_results = _results(session, rng, people, challenge_ids, today)
    _nearly_reached(session, challenge_ids[Kind.TREES])
    n_answers = _pulse(session, seed, people, today)
    for email in DEMO_ACCOUNTS.values():
        person_id = session.scalar(select(Person.id).where(Person.email == email))
        assert person_id is not None
        auth.create_account(session, SYSTEM, person_id, DEMO_PASSWORD, must_change=False)
    settings.mark_demo(session, SYSTEM)
    # The ended weeks are published as they would have been, each closed at its end.
    publication.close_weeks(session, datetime.combine(today, time(12), ZoneInfo("Europe/London")))
    everyone = session.scalar(select(func.count()).select_from(Person)) or 0
    return DemoSummary(everyone, n_results, n_answers)


def _regions(session: Session, today: date) -> None:
    """Leeds and Cardiff are in the United Kingdom, converted with the UK grid factor since this year began.

    Manila has no region: it keeps the world average, so the report shows a
    figure made with two factors and one made with the default alone.
    """
    for site in impact.site_regions(session, SYSTEM):
        if site.name in ("Leeds", "Cardiff"):
            impact.set_site_region(session, SYSTEM, site.id, "United Kingdom")
    uk = next(f for f in impact.list_factors(session, SYSTEM) if f.name == "UK DESNZ grid 2025")
    impact.use_factor(session, SYSTEM, uk.id, today.replace(month=1, day=1), today=today, regional=True, restate=True)


def _people(session: Session, rng: random.Random, today: date) -> list[tuple[Actor, float]]:
    """Create everyone; return each team member with how keen they are (0-1)."""
    joined = today - timedelta(days=400)
    members: list[tuple[Actor, float]] = []
    names = iter(rng.sample([f"{f} {ln}" for f in FIRST for ln in LAST], 200))
    for site, zone, teams in SITES:
        for team, size in teams:
            for i in range(size):
                role = Role.LEAD if i == 0 else Role.AGENT
                email = None
                if team == "Cedar" and i in (0, 1):
                    email = DEMO_ACCOUNTS[role]
                name = next(names)
                person = organisation.add_person(
                    session,
                    SYSTEM,
                    organisation.PersonInput(
                        email=email or _email(name),
                        name=name,
                        role=role,
                        team=team,
                        site=site,
                        work_mode=WorkMode.CENTRE if rng.random() < 0.3 else WorkMode.HOME,
                        timezone=zone,
                    ),
                    since=joined,
                )
                keen = 0.9 if email else rng.random() ** 1.5
                members.append((Actor.of(person), keen))
    for role, email in ((Role.MANAGER, DEMO_ACCOUNTS[Role.MANAGER]), (Role.ADMIN, DEMO_ACCOUNTS[Role.ADMIN])):
        organisation.add_person(
            session,
            SYSTEM,
            organisation.PersonInput(
                email=email,
                name=f"Demo {role.value.title()}",
                role=role,
                site="Leeds",
                work_mode=WorkMode.CENTRE,
                timezone="Europe/London",
            ),
        )
    # One agent moved from Birch to Cedar a month ago: their older results still credit Birch.
    mover = next(a for a, _ in members if a.role is Role.AGENT and _team(session, a) == "Birch")
    organisation.move_person(session, SYSTEM, mover.person_id or 0, "Cedar", today - timedelta(days=30))
    session.flush()
    return [(Actor.of(session.get(Person, a.person_id)), keen) for a, keen in members]  # type: ignore[arg-type]


def _team(session: Session, actor: Actor) -> str | None:
    person = session.get(Person, actor.person_id)
    return person.team.name if person and person.team else None


def _email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@example.com"


def _challenges(session: Session, today: date) -> dict[Kind | str, int]:
    monday = periods.week_start(today)
    specs = (
        (
            "home-energy",
            "Home energy saver",
            Kind.ENERGY,
            1.0,
            monday - timedelta(weeks=17),
            today + timedelta(days=30),
            10.0,
            400.0,
            5.0,
            "Log the kWh you saved at home compared with your usual day: turning the heating down, "
            "drying washing outside, switching devices off at the wall.",
        ),
        (
            "plant-a-tree",
            "Plant a tree",
            Kind.TREES,
            10.0,
            monday - timedelta(weeks=13),
            today + timedelta(days=60),
            20.0,
            None,  # set once the results are in: see _nearly_reached
            None,
            "Plant trees at home, with a local group or through a planting partner. One tree, one entry.",
        ),
        (
            "virtual-volunteering",
            "Virtual volunteering",
            Kind.VOLUNTEERING,
            8.0,
            monday - timedelta(weeks=21),
            today + timedelta(days=90),
            8.0,
            100.0,
            1.0,
            "Volunteer from home: tutoring, interpreting, or being a remote pair of eyes for someone with low vision. "
            "Log the time you gave, in minutes.",
        ),
        (
            "winter-switch-off",
            "Winter switch-off",
            Kind.ENERGY,
            2.0,
            monday - timedelta(weeks=35),
            monday - timedelta(weeks=19),
            8.0,
            None,
            None,
            "Last winter's energy challenge (ended).",
        ),
    )
    ids: dict[Kind | str, int] = {}
    for slug, name, kind, ppu, starts, ends, cap, target, auto, description in specs:
        challenge = challenges.create_challenge(
            session,
            SYSTEM,
            challenges.ChallengeInput(
                slug,
                name,
                kind,
                ppu,
                starts,
                ends,
                daily_cap=cap,
                team_target=target,
                auto_approve_up_to=auto,
                description=description,
            ),
        )
        ids[slug if slug == "winter-switch-off" else kind] = challenge.id
    return ids


def _results(
    session: Session, rng: random.Random, people: list[tuple[Actor, float]], ids: dict[Kind | str, int], today: date
) -> int:
    windows = {
        key: (c.starts_on, min(c.ends_on, today))
        for key, c in ((k, challenges.get_challenge(session, v)) for k, v in ids.items())
    }
    approved: list[results.ResultInput] = []
    pending: list[results.ResultInput] = []
    for actor, keen in people:
        for key, (start, end) in windows.items():
            day = start
            while day <= end:
                # The demo agent always has points this week, even on a Monday morning: today's energy entry.
                shown = day == today and key == Kind.ENERGY and actor.email == DEMO_ACCOUNTS[Role.AGENT]
                if shown or rng.random() < keen * _rate(key):
                    entry = _entry(rng, actor, ids[key], key, day)
                    waits = not shown and (today - day).days < 6 and rng.random() < 0.5
                    (pending if waits else approved).append(entry)
                day += timedelta(days=1)
    _record_by_day(session, approved, today)
    stored = _record_by_day(session, [_as_pending(e) for e in pending], today)
    rejected = stored[::7]
    for i, result_id in enumerate(rejected):
        results.decide(session, SYSTEM, [result_id], approve=False, reason=REJECTION_REASONS[i % 2])
    return len(approved) + len(pending)


def _nearly_reached(session: Session, challenge_id: int) -> None:
    """Give the challenge a team target the demo agent's team has nearly reached (90 %), whatever the draw."""
    challenge = challenges.get_challenge(session, challenge_id)
    team_id = session.scalar(select(Person.team_id).where(Person.email == DEMO_ACCOUNTS[Role.AGENT]))
    done = impact.team_totals(session, SYSTEM, team_id or 0, [challenge_id]).get(challenge_id, 0.0)
    rules = challenges.ChallengeInput(
        challenge.slug,
        challenge.name,
        challenge.kind,
        challenge.points_per_unit,
        challenge.starts_on,
        challenge.ends_on,
        unit=challenge.unit,
        daily_cap=challenge.daily_cap,
        team_target=float(max(1, math.ceil(done / 0.9))),
        auto_approve_up_to=challenge.auto_approve_up_to,
        description=challenge.description,
    )
    challenges.update_challenge(session, SYSTEM, challenge_id, challenge.version, rules)


def _record_by_day(session: Session, entries: list[results.ResultInput], today: date) -> list[int]:
    """Store entries as if logged on their own day (evening), so "recent" and "oldest first" mean something."""
    by_day: dict[date, list[results.ResultInput]] = {}
    for entry in entries:
        by_day.setdefault(entry.occurred_on, []).append(entry)
    latest = min(periods.now_utc(), datetime.combine(today, time(23), UTC))
    ids: list[int] = []
    for day in sorted(by_day):
        logged = min(datetime.combine(day, time(18), UTC), latest)
        ids += results.record_results(session, SYSTEM, by_day[day], source="demo", now=logged).ids
    return ids


def _rate(key: Kind | str) -> float:
    rates: dict[Kind | str, float] = {Kind.ENERGY: 0.35, Kind.TREES: 0.05, Kind.VOLUNTEERING: 0.12}
    return rates.get(key, 0.25)


def _entry(rng: random.Random, actor: Actor, challenge_id: int, key: Kind | str, day: date) -> results.ResultInput:
    assert actor.person_id is not None
    if key == Kind.VOLUNTEERING:
        organisation_name = rng.choice(ORGANISATIONS)
        minutes = rng.choice((15, 20, 30, 45, 60, 90, 120))
        return results.ResultInput(
            actor.person_id,
            challenge_id,
            amounts.hours_from_minutes(minutes),
            day,
            organisation=organisation_name,
            activity_type=ACTIVITIES[organisation_name],
        )
    if key == Kind.TREES:
        return results.ResultInput(actor.person_id, challenge_id, float(rng.choice((1, 1, 1, 2, 3, 5))), day)
    return results.ResultInput(actor.person_id, challenge_id, round(rng.uniform(0.5, 9.0), 1), day)


def _as_pending(entry: results.ResultInput) -> results.ResultInput:
    return results.ResultInput(
        entry.person_id,
        entry.challenge_id,
        entry.quantity,
        entry.occurred_on,
        entry.note,
        entry.organisation,
        entry.activity_type,
        entry.ref,
        Status.PENDING,
    )


def _pulse(session: Session, seed: int, people: list[tuple[Actor, float]], today: date) -> int:
    """26 closed weeks plus part of this one; the demo agent has not answered this week yet.

    The pulse has its own generator and makes every draw whatever it decides,
    so the answers are the same, relative to this week, on whatever day the
    demo is loaded: one falling team, the others steady, the small teams hidden.
    Each person has their own mood and answers much as they did the week
    before, as people do, so a steady team's weekly figures move too little to
    raise an alert (:mod:`engagement.alert_rules`).
    """
    rng = random.Random(f"{seed}-pulse")
    this_monday = periods.week_start(today)
    names = dict(session.execute(select(Team.id, Team.name)).all())
    mood = {team: rng.uniform(3.2, 4.3) for _, _, teams in SITES for team, _ in teams}
    mondays = [this_monday - timedelta(weeks=w) for w in range(26, -1, -1)]
    members = [a for a, _ in people if a.team_id is not None and a.person_id is not None]
    # Each person's own mood (1-5), and how far above twice that they put the company (0-10).
    own = {
        a.person_id: (rng.gauss(mood[names[a.team_id]], 0.5), rng.gauss(0.5, 1.2))
        for a in members
        if a.team_id is not None
    }
    teams = organisation.teams_on(session, [(a.person_id, m) for a in members for m in mondays])  # type: ignore[misc]
    answers: list[pulse.Answer] = []
    for monday in mondays:
        weeks_ago = (this_monday - monday).days // 7
        for actor in members:
            assert actor.person_id is not None and actor.team_id is not None
            # Every draw is made whatever it decides, so no answer shifts the draws of the next.
            early, present, noise, enps_noise = rng.random(), rng.random(), rng.gauss(0, 0.3), rng.gauss(0, 0.35)
            if weeks_ago == 0 and (actor.email == DEMO_ACCOUNTS[Role.AGENT] or early < 0.5):
                continue
            team_id = teams[(actor.person_id, monday)] or actor.team_id
            team = names[team_id]
            if present > (0.5 if team == QUIET else 0.95):
                continue
            person_mood, recommends = own[actor.person_id]
            base = person_mood - (0.25 * max(0, 5 - weeks_ago) if team == FALLING else 0)
            score = min(5, max(1, round(base + noise)))
            if team == FALLING:  # a sharp fall within the last 4 closed weeks, whatever the draw
                score = min(score, 3) if 1 <= weeks_ago <= 2 else max(score, 4) if 3 <= weeks_ago <= 8 else score
            enps = min(10, max(0, round(2 * base + recommends + enps_noise)))
            answers.append(pulse.Answer(actor.person_id, team_id, monday, score, enps, ""))
    pulse.record_history(session, answers)
    return len(answers)
