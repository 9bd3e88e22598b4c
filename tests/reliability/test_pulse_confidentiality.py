"""Pulse confidentiality against an attacker who tries every view the product offers.

A property-based attacker (hypothesis) builds random organisations (2-8 teams
of 1-20 people in 1-3 sites, some teams without a site), random answers over
1-4 closed weeks plus the open week, and a threshold of 3-6. It then calls
every morale function a manager can reach (weekly_morale by every grouping
and site filter, team_trend, participation_vs_morale, the pages' pooled
means) over every period, and collects what is shown; every figure an alert
states must be one a shown cell already shows. Knowing who really answered
(the test built the data), it checks that:

1. every shown figure covers at least k answers, and hidden cells carry no
   number at all (no score, eNPS, count or roster size);
2. no two shown groups, one inside the other, differ by 1..k-1 answers
   (site minus team, company minus site, a period minus a shorter one);
3. no combination of shown sums (the linear system an attacker can solve)
   determines one person's answer, or the sum of any group of 1..k-1 answers
   (rank check with numpy);
4. the current, still-open week is never shown;
5. a site filter never shows anything the unfiltered view does not.

The Morale page itself (AppTest over the demo, whose smallest team is always
below the threshold) shows no number for a hidden group, and the data sent to
the browser (tables and chart data) holds no value for it.
"""

from __future__ import annotations

import io
import itertools
import json
import random
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, unit_of_work
from db.models import Membership, Person, Role, Site, Team, WorkMode
from engagement import morale, periods, pulse
from engagement import settings as org_settings
from engagement.access import SYSTEM, Actor
from engagement.alert_rules import Alert, Rule
from engagement.morale import Cell, GroupBy
from tests.factories import after_closing
from tests.loops import each

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)  # a Wednesday: the week of 16 March is open
OPEN_WEEK = periods.week_start(NOW.date())
EVER = date(2000, 1, 1)
MANAGER = Actor(None, "manager@example.org", "Manager", Role.MANAGER)

AnswerId = tuple[int, date]  # (person id, week)


# -- an organisation and its answers --------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    """Teams as (size, site index or None); per team and week how many answered; the threshold."""

    k: int
    sites: int
    teams: list[tuple[int, int | None]]
    weeks: int  # closed weeks before the open one
    answered: dict[tuple[int, int], int]  # (team index, week index) -> respondents; week index == weeks is open
    seed: int


@st.composite
def org_specs(draw: st.DrawFn) -> OrgSpec:
    sites = draw(st.integers(1, 3))
    teams = draw(st.lists(st.tuples(st.integers(1, 20), st.none() | st.integers(0, sites - 1)), min_size=2, max_size=8))
    weeks = draw(st.integers(1, 4))
    answered = {(t, w): draw(st.integers(0, size)) for t, (size, _) in enumerate(teams) for w in range(weeks + 1)}
    return OrgSpec(draw(st.integers(3, 6)), sites, teams, weeks, answered, draw(st.integers(0, 2**16)))


@dataclass
class Truth:
    """Who answered what, as only the test knows it."""

    k: int
    mondays: list[date]  # closed weeks, oldest first
    team_ids: list[int]
    site_ids: list[int]
    team_site: dict[int, int | None]
    atoms: dict[tuple[int, date], set[AnswerId]] = field(default_factory=dict)  # (team, week) -> answers
    score: dict[AnswerId, int] = field(default_factory=dict)
    enps: dict[AnswerId, int] = field(default_factory=dict)

    def members(self, group: GroupBy, group_id: int | None, week: date) -> set[AnswerId]:
        teams = [
            t
            for t in self.team_ids
            if group is GroupBy.COMPANY
            or (group is GroupBy.TEAM and t == group_id)
            or (group is GroupBy.SITE and self.team_site[t] == group_id)
        ]
        return set().union(*(self.atoms.get((t, week), set()) for t in teams))


def build(engine: Engine, spec: OrgSpec) -> Truth:
    """Store the organisation with plain inserts and the answers through the pulse module."""
    rng = random.Random(spec.seed)
    mondays = [OPEN_WEEK - timedelta(weeks=spec.weeks - i) for i in range(spec.weeks)]
    with unit_of_work(engine) as session:
        org_settings.update(session, SYSTEM, anonymity_threshold=spec.k, timezone="UTC")
        site_ids: list[int] = []
        for s in range(spec.sites):
            site_id = session.scalar(insert(Site).values(name=f"Site {s}").returning(Site.id))
            assert site_id is not None
            site_ids.append(site_id)
        truth = Truth(spec.k, mondays, [], site_ids, {})
        answers: list[pulse.Answer] = []
        for t, (size, site) in enumerate(spec.teams):
            site_id = None if site is None else site_ids[site]
            team_id = session.scalar(
                insert(Team).values(name=f"Team {t}", site_id=site_id, active=True).returning(Team.id)
            )
            assert team_id is not None
            truth.team_ids.append(team_id)
            truth.team_site[team_id] = site_id
            people = [
                session.scalar(
                    insert(Person)
                    .values(
                        email=f"t{t}p{i}@example.org",
                        name=f"P{i}",
                        role=Role.AGENT,
                        team_id=team_id,
                        site_id=site_id,
                        work_mode=WorkMode.HOME,
                        active=True,
                        version=1,
                    )
                    .returning(Person.id)
                )
                for i in range(size)
            ]
            session.execute(
                insert(Membership),
                [{"person_id": p, "team_id": team_id, "valid_from": date(2020, 1, 1)} for p in people],
            )
            for w, monday in enumerate([*mondays, OPEN_WEEK]):
                for person in rng.sample(people, spec.answered[(t, w)]):
                    score, enps = rng.randint(1, 5), rng.choice([None, *range(11)])
                    answers.append(
                        pulse.Answer(person, team_id, monday + timedelta(days=rng.randint(0, 6)), score, enps)
                    )  # type: ignore[arg-type]
                    if monday == OPEN_WEEK:
                        continue
                    key = (person, monday)
                    truth.atoms.setdefault((team_id, monday), set()).add(key)  # type: ignore[arg-type]
                    truth.score[key] = score  # type: ignore[index]
                    if enps is not None:
                        truth.enps[key] = 1 if enps >= 9 else (-1 if enps <= 6 else 0)  # type: ignore[index]
        pulse.record_history(session, answers)
    return truth


# -- what the product shows --------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One figure a manager can see: the answers it is computed from, per measure."""

    what: str
    measure: str  # "score" or "enps"
    members: frozenset[AnswerId]


def _periods(truth: Truth) -> list[tuple[date, date]]:
    """Every run of consecutive closed weeks, and each run stretched into the open week."""
    mondays = truth.mondays
    runs = [(mondays[i], mondays[j] + timedelta(days=6)) for i in range(len(mondays)) for j in range(i, len(mondays))]
    return runs + [(start, NOW.date()) for start, _ in runs] + [(OPEN_WEEK, NOW.date())]


def observe(engine: Engine, truth: Truth) -> tuple[list[Shown], list[str]]:
    """Call every morale function with every option; return what is shown and any broken rule found on the way."""
    shown: list[Shown] = []
    problems: list[str] = []
    with unit_of_work(engine, write=False) as session:
        for start, end in _periods(truth):
            full: dict[GroupBy, list[Cell]] = {}
            for by in GroupBy:
                full[by] = after_closing(morale.weekly_morale, session, MANAGER, by, start, end, now=NOW)
                for site in truth.site_ids:
                    narrowed = after_closing(
                        morale.weekly_morale, session, MANAGER, by, start, end, site_id=site, now=NOW
                    )
                    if not set(narrowed) <= set(full[by]):
                        problems.append(f"site filter {site} shows cells the full {by} view does not")
                    shown += _pooled(f"{by} site {site} {start}..{end}", narrowed, by, truth)
                shown += _cells(full[by], by, truth, problems)
                shown += _pooled(f"{by} {start}..{end}", full[by], by, truth)
            for team in truth.team_ids:
                trend = after_closing(morale.team_trend, session, MANAGER, team, start, end, now=NOW)
                if trend != [c for c in full[GroupBy.TEAM] if c.group_id == team]:
                    problems.append(f"team_trend of team {team} differs from the team view")
                shown += _cells(trend, GroupBy.TEAM, truth, problems)
            for row in after_closing(morale.participation_vs_morale, session, MANAGER, start, end, now=NOW):
                if row.morale is None:
                    continue
                team_cells = [c for c in full[GroupBy.TEAM] if c.group == row.team]
                members = _visible_members(team_cells, GroupBy.TEAM, truth)
                if row.responses != len(members):
                    problems.append(
                        f"participation_vs_morale counts {row.responses} for {row.team}, not {len(members)}"
                    )
                shown.append(Shown(f"participation {row.team} {start}..{end}", "score", frozenset(members)))
        every_week = after_closing(morale.weekly_morale, session, MANAGER, GroupBy.TEAM, EVER, NOW.date(), now=NOW)
        for alert in after_closing(morale.alerts, session, MANAGER, now=NOW):
            problems += _unpublished(alert, {(c.group, c.week): c for c in every_week if not c.suppressed})
    return shown, problems


def _unpublished(alert: Alert, shown: dict[tuple[str, date], Cell]) -> list[str]:
    """An alert's figures that are not a shown cell's: each one it states must be in the team's table already."""
    problems = []
    for f in alert.findings:
        for week, value in ((f.from_week, f.from_value), (f.to_week, f.to_value)):
            cell = shown.get((alert.team, week))
            figure = None if cell is None else cell.enps if f.rule is Rule.ENPS_FELL else cell.avg_score
            if figure != value:
                problems.append(f"alert {alert.team}: {f.rule} states {value} for {week}, the table shows {figure}")
    return problems


def _cells(cells: list[Cell], by: GroupBy, truth: Truth, problems: list[str]) -> Iterable[Shown]:
    for c in cells:
        where = f"{by} {c.group} week {c.week}"
        if c.week >= OPEN_WEEK:
            problems.append(f"{where}: the open week is shown")
            continue
        if c.suppressed:
            if (c.responses, c.avg_score, c.enps, c.invited) != (None, None, None, None):
                problems.append(f"{where}: hidden but carries {c}")
            continue
        members = truth.members(by, c.group_id, c.week)
        scores = [truth.score[a] for a in members]
        if c.responses != len(members) or c.avg_score != round(sum(scores) / len(scores), 2):
            problems.append(f"{where}: shows {c.responses} / {c.avg_score}, truth {len(members)} answers")
        yield Shown(where, "score", frozenset(members))
        if c.enps is not None:
            yield Shown(where, "enps", frozenset(a for a in members if a in truth.enps))


def _visible_members(cells: list[Cell], by: GroupBy, truth: Truth) -> set[AnswerId]:
    return set().union(*(truth.members(by, c.group_id, c.week) for c in cells if not c.suppressed))


def _pooled(what: str, cells: list[Cell], by: GroupBy, truth: Truth) -> list[Shown]:
    """The page's "across the shown groups and weeks" mean and response rate."""
    mean, n = morale.pooled_mean(cells)
    if mean is None:
        return []
    members = _visible_members(cells, by, truth)
    assert n == len(members), f"{what}: pooled over {n} answers, truth {len(members)}"
    return [Shown(f"pooled {what}", "score", frozenset(members))]


# -- the attacker's checks ------------------------------------------------------------------


def breaches(shown: list[Shown], truth: Truth) -> list[str]:
    found: list[str] = []
    for measure, known in (("score", truth.score), ("enps", truth.enps)):
        figures = {s.members: s.what for s in shown if s.measure == measure and s.members}
        found += [f"{what}: only {len(m)} answers" for m, what in figures.items() if len(m) < truth.k]
        found += _differences(figures, truth.k)
        found += _solvable(figures, known, truth)
    return found


def _differences(figures: dict[frozenset[AnswerId], str], k: int) -> list[str]:
    """Two shown groups, one inside the other, must differ by nothing or by at least k answers."""
    sets = sorted(figures, key=len)
    return [
        f"{figures[big]} minus {figures[small]} leaves {len(big) - len(small)} answers"
        for small, big in itertools.combinations(sets, 2)
        if small < big and 0 < len(big) - len(small) < k
    ]


def _solvable(figures: dict[frozenset[AnswerId], str], known: dict[AnswerId, int], truth: Truth) -> list[str]:
    """Which individual answers, or sums over groups of 1..k-1 answers, the shown sums determine."""
    answers = sorted(known)
    if not figures or not answers:
        return []
    column = {a: i for i, a in enumerate(answers)}
    rows = np.zeros((len(figures), len(answers)))
    for r, members in enumerate(figures):
        rows[r, [column[a] for a in members]] = 1.0
    basis = _row_space(rows)

    def determined(group: Iterable[AnswerId]) -> bool:
        v = np.zeros(len(answers))
        v[[column[a] for a in group]] = 1.0
        return bool(np.linalg.norm(v - basis.T @ (basis @ v)) < 1e-6)

    found = [f"the answer of person {a[0]} in week {a[1]} can be solved for" for a in answers if determined([a])]
    for monday in truth.mondays:
        small = [
            atom & known.keys()
            for t in truth.team_ids
            if 0 < len(atom := truth.atoms.get((t, monday), set()) & known.keys()) < truth.k
        ]
        for n in range(2, len(small) + 1):
            for combo in itertools.combinations(small, n):
                group = set().union(*combo)
                if len(group) < truth.k and determined(group):
                    found.append(f"a group of {len(group)} answers in week {monday} can be solved for")
        found += [f"a team of {len(a)} answers in week {monday} can be solved for" for a in small if determined(a)]
    return found


def _row_space(rows: np.ndarray) -> np.ndarray:
    """An orthonormal basis (as rows) of the space the shown sums span."""
    _, s, vt = np.linalg.svd(rows, full_matrices=False)
    return vt[s > 1e-9 * max(rows.shape) * (s[0] if len(s) else 1)]


def _check(engine: Engine, spec: OrgSpec) -> None:
    truth = build(engine, spec)
    shown, problems = observe(engine, truth)
    assert problems == [], problems[:5]
    found = breaches(shown, truth)
    assert found == [], found[:5]


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=org_specs())
def test_no_view_lets_an_attacker_learn_a_small_group(sqlite_template: str, tmp_path: Path, spec: OrgSpec) -> None:
    path = tmp_path / "org.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        _check(engine, spec)
    finally:
        engine.dispose()


# Culture Amp's example and its neighbours: a site of 9 + 4, an unsited team of 6, a lone answer.
ADVERSARIAL = OrgSpec(
    k=5,
    sites=2,
    teams=[(12, 0), (6, 0), (8, None), (3, 1), (20, 1), (1, None)],
    weeks=3,
    answered={
        **{(0, w): n for w, n in enumerate((9, 5, 12, 7))},
        **{(1, w): n for w, n in enumerate((4, 5, 6, 2))},
        **{(2, w): n for w, n in enumerate((6, 4, 8, 8))},
        **{(3, w): n for w, n in enumerate((3, 3, 0, 1))},
        **{(4, w): n for w, n in enumerate((5, 20, 1, 9))},
        **{(5, w): n for w, n in enumerate((1, 0, 1, 1))},
    },
    seed=7,
)


def test_the_subtraction_attacks_we_know_fail_on_both_stores(engine: Engine) -> None:
    _check(engine, ADVERSARIAL)


def test_the_checks_themselves_catch_a_leak() -> None:
    """The attacker's checks flag a site shown beside one of its two teams (the site minus the team = 4 answers)."""
    monday = date(2026, 3, 9)
    a = {(i, monday) for i in range(9)}
    b = {(i, monday) for i in range(9, 13)}
    truth = Truth(5, [monday], [1, 2], [1], {1: 1, 2: 1}, {(1, monday): a, (2, monday): b})
    truth.score = {x: 3 for x in a | b}
    shown = [Shown("team A", "score", frozenset(a)), Shown("site", "score", frozenset(a | b))]
    found = breaches(shown, truth)
    assert any("leaves 4 answers" in f for f in found)
    assert any("a team of 4 answers" in f for f in found)
    lone = {(99, monday)}
    truth.atoms[(3, monday)] = lone
    truth.team_ids.append(3)
    truth.score[(99, monday)] = 1
    found = breaches([*shown, Shown("company", "score", frozenset(a | b | lone))], truth)
    assert any("person 99" in f for f in found)


# -- the Morale page and what it sends to the browser ------------------------------------------


def _chart_rows(element: object) -> pd.DataFrame:
    """The data rows of an Altair chart as the browser receives them (Arrow bytes and inline datasets)."""
    proto = element.proto  # type: ignore[attr-defined]
    frames = []
    if proto.data.data:
        frames.append(pa.ipc.open_stream(io.BytesIO(proto.data.data)).read_all().to_pandas())
    for dataset in getattr(proto, "datasets", []):
        frames.append(pa.ipc.open_stream(io.BytesIO(dataset.data.data)).read_all().to_pandas())
    spec = json.loads(proto.spec)
    for values in spec.get("datasets", {}).values():
        frames.append(pd.DataFrame(values))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _numbers(row: pd.Series, skip: Callable[[str], bool]) -> dict[str, object]:
    """The numeric values in a row, other than the columns ``skip`` names."""
    out = {}
    for key, value in row.items():
        if skip(str(key)) or value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        number = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
        if number or (isinstance(value, str) and any(ch.isdigit() for ch in value) and not _is_date(value)):
            out[str(key)] = value
    return out


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _hidden_groups(demo_url: str, by: GroupBy, start: date, end: date) -> dict[str, set[str]]:
    """Group name -> weeks (ISO) the engagement layer hides, for this view."""
    engine = make_engine(demo_url)
    with unit_of_work(engine, write=False) as session:
        cells = morale.weekly_morale(session, MANAGER, by, start, end)
    engine.dispose()
    hidden: dict[str, set[str]] = defaultdict(set)
    for c in cells:
        if c.suppressed:
            hidden[c.group].add(c.week.isoformat())
    return hidden


FIGURES = {"Mean score (1-5)", "eNPS (-100 to 100)", "Responses", "Invited", "Response rate (%)", "Answers counted"}
TABS = ("Trend", "Team × week", "Response rate", "Challenges and morale")
VIEWS = [
    ("Team", "All sites", 26),
    ("Team", "All sites", 4),
    ("Team", "Leeds", 26),
    ("Site", "All sites", 26),
    ("Site", "Cardiff", 8),
    ("Whole company", "All sites", 26),
]


@pytest.mark.slow
def test_the_morale_page_shows_and_sends_no_figure_for_a_hidden_group(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = app_as(Role.MANAGER)
    at.switch_page("pages/morale.py").run()
    assert not at.exception
    this_monday = periods.week_start(periods.today("Europe/London"))
    checked_hidden = 0
    for by_label, site, weeks in each(VIEWS):
        at.radio(key="morale.by").set_value(by_label)
        if by_label != "Whole company":
            at.selectbox(key="morale.site").set_value(site)
        at.selectbox(key="morale.weeks").set_value(weeks).run()
        assert not at.exception, at.exception
        start = this_monday - timedelta(weeks=weeks)
        by = {"Team": GroupBy.TEAM, "Site": GroupBy.SITE, "Whole company": GroupBy.COMPANY}[by_label]
        hidden = _hidden_groups(demo_url, by, start, this_monday - timedelta(days=1))
        hidden_teams = _hidden_groups(demo_url, GroupBy.TEAM, start, this_monday - timedelta(days=1))
        for tab in each(TABS):  # only the open tab runs: open each in turn
            at.session_state["morale.tab"] = tab
            at.run()
            assert not at.exception, at.exception
            checked_hidden += _check_page(at, f"{by_label} {site} {tab}", this_monday, hidden, hidden_teams)
    assert checked_hidden > 20, "the demo should have hidden groups on the page to check"


def _check_page(
    at: AppTest, view: str, this_monday: date, hidden: dict[str, set[str]], hidden_teams: dict[str, set[str]]
) -> int:
    """Check every table and chart on the page as it stands; return how many hidden figures were checked."""
    checked_hidden = 0
    for table in at.dataframe:
        frame = table.value
        for _, row in frame.iterrows():
            group = str(row.get("Group", row.get("Team", "")))
            weeks_hidden = hidden.get(group, set()) | hidden_teams.get(group, set())
            week = row.get("Week of")
            if week is not None and str(week) >= this_monday.isoformat():
                raise AssertionError(f"the open week is on the page: {dict(row)}")
            if week is not None and str(week) in weeks_hidden:
                figures = _numbers(row, lambda c: c in {"Week of"})
                assert figures == {}, f"{view}: hidden {group} shows {figures}"
                checked_hidden += 1
            if str(row.get("Status", row.get("Morale", ""))).startswith(("Not enough", "Withheld")):
                figures = _numbers(row, lambda c: c not in FIGURES)
                assert figures == {}, f"{view}: hidden {group} shows {figures}"
                checked_hidden += 1
            for column in frame.columns:
                if str(column) in weeks_hidden:
                    assert not any(ch.isdigit() for ch in str(row[column])), f"{group} {column}: {row[column]}"
                    checked_hidden += 1
    for chart in at.get("vega_lite_chart"):
        data = _chart_rows(chart)
        for _, row in data.iterrows():
            group = str(row.get("group", row.get("team", "")))
            week = str(row.get("week", ""))[:10]
            if week and week >= this_monday.isoformat():
                raise AssertionError(f"the open week is in a chart: {dict(row)}")
            if week in hidden.get(group, set()) | hidden_teams.get(group, set()):
                figures = _numbers(row, lambda c: c in {"week", "group", "team", "label", "status"})
                assert figures == {}, f"chart sends {figures} for hidden {group} {week}"
                checked_hidden += 1
    return checked_hidden
