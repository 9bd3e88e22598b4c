"""Morale additions for the Morale page: why a cell is hidden, and the pooled response rate."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from engagement import charts, morale, pulse
from engagement.access import SYSTEM, Actor
from engagement.morale import BY_SUBTRACTION, TOO_FEW, Cell, GroupBy
from tests.factories import NOW, make_person

WEEK = date(2026, 3, 9)  # a closed week before NOW (Wednesday 18 March 2026)


def _team(session: Session, team: str, size: int, answering: int, site: str = "North") -> list[Actor]:
    people = [make_person(session, team=team, site=site) for _ in range(size)]
    pulse.store_answers(
        session,
        [pulse.Answer(p.person_id or 0, p.team_id or 0, WEEK, score=4, enps=9) for p in people[:answering]],
    )
    return people


def _cells(session: Session, by: GroupBy) -> dict[str, Cell]:
    return {c.group: c for c in morale.weekly_morale(session, SYSTEM, by, WEEK, WEEK, now=NOW)}


def test_a_team_under_the_threshold_is_hidden_for_too_few_answers(session: Session) -> None:
    _team(session, "Oak", 9, 9)
    _team(session, "Ash", 4, 4)
    teams = _cells(session, GroupBy.TEAM)
    assert teams["Ash"].suppressed and teams["Ash"].reason == TOO_FEW
    assert teams["Ash"].responses is None and teams["Ash"].invited is None
    assert not teams["Oak"].suppressed and teams["Oak"].reason is None


def test_a_site_with_enough_answers_is_withheld_by_subtraction_and_says_so(session: Session) -> None:
    _team(session, "Oak", 9, 9)
    _team(session, "Ash", 4, 4)
    site = _cells(session, GroupBy.SITE)["North"]
    assert site.suppressed and site.reason == BY_SUBTRACTION
    assert (site.responses, site.avg_score, site.enps, site.invited) == (None, None, None, None)


def test_a_site_with_too_few_answers_says_too_few(session: Session) -> None:
    _team(session, "Oak", 9, 2)
    assert _cells(session, GroupBy.SITE)["North"].reason == TOO_FEW


def test_pooled_response_rate_counts_shown_cells_only(session: Session) -> None:
    _team(session, "Oak", 10, 8)
    _team(session, "Elm", 8, 6, site="South")
    _team(session, "Ash", 4, 3, site="South")
    cells = list(_cells(session, GroupBy.TEAM).values())
    assert morale.pooled_response_rate(cells) == (round(14 / 18, 4), 14, 18)


def test_pooled_response_rate_is_none_when_everything_is_hidden() -> None:
    hidden = Cell(WEEK, "Ash", 1, "South", None, None, None, True, None, TOO_FEW)
    assert morale.pooled_response_rate([hidden]) == (None, 0, 0)


def test_the_heat_map_prints_n_a_and_no_score_for_a_hidden_cell() -> None:
    cells = [
        Cell(WEEK, "Oak", 1, "North", 9, 4.0, 100.0, False, 9),
        Cell(WEEK, "Ash", 2, "North", None, None, None, True, None, TOO_FEW),
    ]
    spec = charts.morale_heatmap(cells).to_dict()
    rows = {r["team"]: r for r in spec["data"]["values"]}
    assert (rows["Ash"]["label"], rows["Ash"]["score"], rows["Ash"]["status"]) == ("n/a", None, "Not enough responses")
    assert rows["Oak"]["label"] == "4.0"
    assert spec["layer"][0]["encoding"]["x"]["type"] == "ordinal", "weeks never shift a day in the viewer's zone"


def test_the_trend_puts_weeks_on_an_ordinal_axis() -> None:
    spec = charts.morale_trend([Cell(WEEK, "Oak", 1, "North", 9, 4.0, 100.0, False, 9)]).to_dict()
    assert spec["layer"][0]["encoding"]["x"] == {
        "axis": {"labelAngle": -40},
        "field": "week",
        "title": "Week starting",
        "type": "ordinal",
    }
