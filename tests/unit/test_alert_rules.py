"""Morale alerts: a sharp fall of the mean or of eNPS, and a slow slide, read from published weeks (issue 11).

Each test files a team's answers week by week, closes the weeks as the Morale
page does, and reads :func:`engagement.morale.alerts` on both stores. The
reported case is first: a mean from 3.83 to 3.00 and an eNPS from +16.7 to
-80.0 inside the last 4 weeks, which the old rule (4 weeks pooled against the
4 before) let through while the page said no team had dropped.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from engagement import alert_rules, pulse
from engagement.access import SYSTEM, Actor
from engagement.alert_rules import Alert, Finding, Rule
from engagement.morale import alerts
from tests.factories import after_closing, make_person

LAST_WEEK = date(2026, 3, 9)  # the latest closed week at the factories' NOW (Wednesday 18 March 2026)
PROMOTER, PASSIVE, DETRACTOR = 10, 8, 3


def _week(back: int) -> date:
    return LAST_WEEK - timedelta(weeks=back)


def _team(session: Session, name: str = "Alder", size: int = 12, site: str | None = None) -> list[Actor]:
    return [make_person(session, team=name, site=site) for _ in range(size)]


def _file(session: Session, people: list[Actor], weeks: dict[int, list[tuple[int, int | None]]]) -> None:
    """Answers (score, eNPS) per week, keyed by how many weeks before the latest closed week; one person each."""
    pulse.record_history(
        session,
        [
            pulse.Answer(p.person_id or 0, p.team_id or 0, _week(back), score, enps)
            for back, answers in weeks.items()
            for p, (score, enps) in zip(people, answers, strict=False)
        ],
    )


def _scores(*scores: int) -> list[tuple[int, int | None]]:
    return [(s, None) for s in scores]


def _found(session: Session) -> list[Alert]:
    return after_closing(alerts, session, SYSTEM)


def test_the_reported_fall_of_mean_and_enps_inside_four_weeks_raises_an_alert(session: Session) -> None:
    """3.83 (+16.7) four weeks ago, 3.00 (-80.0) last week, after a steady 3.83: sharp falls of both."""
    people = _team(session, site="Cardiff")
    steady = [(5, PROMOTER), (4, PROMOTER), (4, PASSIVE), (4, PASSIVE), (3, DETRACTOR), (3, PASSIVE)]  # 3.83, +16.7
    weeks = {back: steady for back in range(3, 8)}
    weeks[2] = [(4, PASSIVE), (4, PASSIVE), (3, DETRACTOR), (3, PASSIVE), (4, PASSIVE), (3, PASSIVE)]  # 3.50
    weeks[1] = [(4, PASSIVE), (3, DETRACTOR), (3, DETRACTOR), (3, PASSIVE), (4, PASSIVE), (3, PASSIVE)]  # 3.33
    weeks[0] = [(3, DETRACTOR), (3, DETRACTOR), (3, DETRACTOR), (3, DETRACTOR), (3, PASSIVE)]  # 3.00, -80.0
    _file(session, people, weeks)
    (alert,) = _found(session)
    assert (alert.team, alert.site) == ("Alder", "Cardiff")
    mean, enps = alert.findings[:2]
    assert mean == Finding(Rule.MEAN_FELL, _week(3), 3.83, LAST_WEEK, 3.0)
    assert enps == Finding(Rule.ENPS_FELL, _week(3), 16.7, LAST_WEEK, -80.0)
    assert mean.sentence() == "mean score fell from 3.83 to 3.00 in 3 weeks (week of 2026-02-16 to week of 2026-03-09)"
    assert enps.sentence() == "eNPS fell from +16.7 to −80.0 in 3 weeks (week of 2026-02-16 to week of 2026-03-09)"
    assert alert.sentence().startswith(f"{mean.sentence()}; {enps.sentence()}")


def test_a_slow_slide_raises_an_alert_though_no_week_falls_sharply(session: Session) -> None:
    """4.4 down to 3.6 over 8 weeks, never 0.75 within 4: the trend falls 0.12 a week."""
    people = _team(session)
    means = [4.4, 4.2, 4.2, 4.0, 3.8, 3.8, 3.6, 3.6]  # oldest first; 5 answers each
    _file(session, people, {7 - i: _scores(*_five(mean)) for i, mean in enumerate(means)})
    (alert,) = _found(session)
    assert alert.findings == (Finding(Rule.MEAN_SLIDING, _week(7), 4.4, LAST_WEEK, 3.6, -0.12, 8),)
    assert alert.sentence() == (
        "mean score is sliding 0.12 a week (the trend through 8 shown weeks), from 4.40 to 3.60 in 7 weeks "
        "(week of 2026-01-19 to week of 2026-03-09)"
    )


def _five(mean: float) -> list[int]:
    """Five whole scores whose mean is ``mean`` (a multiple of 0.2)."""
    total = round(mean * 5)
    return [total // 5 + (1 if i < total % 5 else 0) for i in range(5)]


def test_a_one_week_dip_that_has_recovered_raises_nothing(session: Session) -> None:
    people = _team(session)
    weeks = {back: [(4, PROMOTER)] * 6 for back in range(8)}
    weeks[2] = [(2, DETRACTOR)] * 6  # mean 2.00, eNPS -100, one week, two weeks ago
    _file(session, people, weeks)
    assert _found(session) == []


def test_a_fall_in_the_latest_week_is_reported_at_once(session: Session) -> None:
    people = _team(session)
    weeks = {back: [(4, PASSIVE)] * 6 for back in range(1, 8)}
    weeks[0] = [(3, PASSIVE)] * 6
    _file(session, people, weeks)
    (alert,) = _found(session)
    assert alert.findings == (Finding(Rule.MEAN_FELL, _week(1), 4.0, LAST_WEEK, 3.0),)
    assert alert.sentence() == "mean score fell from 4.00 to 3.00 in 1 week (week of 2026-03-02 to week of 2026-03-09)"


@pytest.mark.parametrize(
    ("latest", "fired"),
    [([3] * 11 + [4], True), ([3] * 10 + [4], False)],
    ids=["3.08-is-0.75-below", "3.09-is-0.74-below"],
)
def test_a_fall_of_exactly_the_threshold_fires_and_one_just_under_does_not(
    session: Session, latest: list[int], fired: bool
) -> None:
    """3.83 to 3.08 is a fall of 0.75; 3.83 to 3.09 is 0.74."""
    assert alert_rules.MEAN_DROP == 0.75
    people = _team(session)
    _file(session, people, {1: _scores(5, 4, 4, 4, 3, 3), 0: _scores(*latest)})
    found = _found(session)
    assert [f.rule for a in found for f in a.findings] == ([Rule.MEAN_FELL] if fired else [])


def test_an_enps_fall_alone_raises_an_alert(session: Session) -> None:
    """The mean holds at 4.00 while eNPS goes from +60.0 to 0.0: 60 points."""
    people = _team(session)
    _file(session, people, {1: [(4, PROMOTER)] * 3 + [(4, PASSIVE)] * 2})
    _file(session, people, {0: [(4, PROMOTER)] * 1 + [(4, PASSIVE)] * 3 + [(4, DETRACTOR)]})
    (alert,) = _found(session)
    assert alert.findings == (Finding(Rule.ENPS_FELL, _week(1), 60.0, LAST_WEEK, 0.0),)
    assert alert.sentence().startswith("eNPS fell from +60.0 to 0.0 in 1 week")


def test_hidden_weeks_in_between_are_skipped_and_say_nothing(session: Session) -> None:
    """Two weeks of 3 answers (under 5) between a 4.00 and a 3.00: the fall is from the last shown week."""
    people = _team(session)
    _file(
        session,
        people,
        {3: _scores(4, 4, 4, 4, 4), 2: _scores(1, 1, 1), 1: _scores(5, 5, 5), 0: _scores(3, 3, 3, 3, 3)},
    )
    (alert,) = _found(session)
    assert alert.findings == (Finding(Rule.MEAN_FELL, _week(3), 4.0, LAST_WEEK, 3.0),)


def test_a_hidden_week_cannot_raise_an_alert(session: Session) -> None:
    """A week of 1s from 4 people (under the threshold of 5) between steady weeks: nothing shown, nothing raised."""
    people = _team(session)
    _file(session, people, {back: _scores(4, 4, 4, 4, 4) for back in (0, 2, 3, 4, 5, 6, 7)})
    _file(session, people, {1: _scores(1, 1, 1, 1)})
    assert _found(session) == []


def test_a_slide_through_hidden_weeks_counts_the_weeks_between(session: Session) -> None:
    """Five shown weeks of the last 8, three hidden: the slope runs over real weeks, not over the shown ones."""
    people = _team(session)
    shown = {7: 4.4, 5: 4.2, 3: 4.0, 2: 3.8, 0: 3.6}
    _file(session, people, {back: _scores(*_five(mean)) for back, mean in shown.items()})
    _file(session, people, {back: _scores(1, 1) for back in (6, 4, 1)})
    (alert,) = _found(session)
    (slide,) = alert.findings
    assert (slide.rule, slide.per_week, slide.shown_weeks) == (Rule.MEAN_SLIDING, -0.12, 5)
    assert (slide.from_week, slide.to_week) == (_week(7), LAST_WEEK)


def test_a_fall_before_the_last_four_weeks_is_no_sharp_fall_but_a_trend(session: Session) -> None:
    """5.00 five weeks ago, 4.00 in each of the last 4: no sharp fall within 4 weeks; the 8-week trend is down."""
    people = _team(session)
    _file(session, people, {5: _scores(5, 5, 5, 5, 5), **{back: _scores(4, 4, 4, 4, 4) for back in range(4)}})
    assert [f.rule for a in _found(session) for f in a.findings] == [Rule.MEAN_SLIDING]


def test_one_shown_week_raises_nothing(session: Session) -> None:
    people = _team(session)
    _file(session, people, {0: _scores(1, 1, 1, 1, 1)})
    assert _found(session) == []


def test_alerts_list_sharp_falls_first_biggest_first(session: Session) -> None:
    """A fall of 2.00, a fall of 1.00, then a slide: in that order whatever the names."""
    for name, before, after in (("Ash", 4, 3), ("Birch", 5, 3)):
        _file(session, _team(session, name), {1: _scores(*[before] * 5), 0: _scores(*[after] * 5)})
    _file(
        session, _team(session, "Aspen"), {7 - i: _scores(*_five(m)) for i, m in enumerate([4.4, 4.2, 4.2, 4.0, 3.8])}
    )
    assert [a.team for a in _found(session)] == ["Birch", "Ash", "Aspen"]


def test_checked_names_every_threshold() -> None:
    """The banner shown when nothing fires states each rule with its numbers."""
    text = alert_rules.checked()
    assert "0.75 or more below" in text and "50 points or more below" in text
    assert "last 4 closed weeks" in text and "0.1 a week or faster" in text
    assert "at least 5 shown weeks of the last 8 closed weeks" in text and "Hidden weeks are skipped" in text


def test_a_fall_is_measured_at_the_published_decimals() -> None:
    """4.10 - 3.35 is 0.7499999999999996 in binary: still the 0.75 the table shows."""
    weeks = [alert_rules.Week(_week(1), 4.1, None), alert_rules.Week(LAST_WEEK, 3.35, None)]
    assert [f.rule for f in alert_rules.findings(weeks, LAST_WEEK)] == [Rule.MEAN_FELL]
