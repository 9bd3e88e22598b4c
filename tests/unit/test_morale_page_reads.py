"""Morale additions for the Morale page: why a cell is hidden, the pooled response rate, one site at a time."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from db.models import Role
from engagement import charts, morale, organisation, pulse
from engagement.access import SYSTEM, Actor
from engagement.morale import BY_SUBTRACTION, TOO_FEW, Cell, GroupBy
from tests.factories import NOW, after_closing, make_person

WEEK = date(2026, 3, 9)  # a closed week before NOW (Wednesday 18 March 2026)


def _team(session: Session, team: str, size: int, answering: int, site: str = "North") -> list[Actor]:
    people = [make_person(session, team=team, site=site) for _ in range(size)]
    pulse.record_history(
        session,
        [pulse.Answer(p.person_id or 0, p.team_id or 0, WEEK, score=4, enps=9) for p in people[:answering]],
    )
    return people


def _cells(session: Session, by: GroupBy) -> dict[str, Cell]:
    return {c.group: c for c in after_closing(morale.weekly_morale, session, SYSTEM, by, WEEK, WEEK, now=NOW)}


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


# -- one site at a time: what a large organisation's page asks for ------------------------------


def _two_sites(session: Session) -> None:
    """North: Oak 9 of 9 and Ash 4 of 4 answer (North is withheld by subtraction); South: Elm 6 of 8 and Fir 5 of 5."""
    _team(session, "Oak", 9, 9)
    _team(session, "Ash", 4, 4)
    _team(session, "Elm", 8, 6, site="South")
    _team(session, "Fir", 5, 5, site="South")


def _site(session: Session, name: str) -> int:
    return organisation.site_id(session, name)


def test_a_site_filter_shows_that_sites_cells_exactly_as_the_full_view(session: Session) -> None:
    _two_sites(session)
    for by in (GroupBy.TEAM, GroupBy.SITE):
        full = after_closing(morale.weekly_morale, session, SYSTEM, by, WEEK, WEEK, now=NOW)
        for site in ("North", "South"):
            one = after_closing(
                morale.weekly_morale, session, SYSTEM, by, WEEK, WEEK, site_id=_site(session, site), now=NOW
            )
            assert one == [c for c in full if c.site == site], (by, site)
    north = after_closing(
        morale.weekly_morale, session, SYSTEM, GroupBy.SITE, WEEK, WEEK, site_id=_site(session, "North"), now=NOW
    )
    assert [(c.group, c.reason) for c in north] == [("North", BY_SUBTRACTION)]
    assert (
        after_closing(
            morale.weekly_morale, session, SYSTEM, GroupBy.COMPANY, WEEK, WEEK, site_id=_site(session, "North"), now=NOW
        )
        == []
    )


def test_the_company_is_withheld_when_a_hidden_site_and_a_small_team_leave_a_small_group(session: Session) -> None:
    """North (13) is withheld to protect Ash (4); the company (24) minus Oak (9) and South (11) would be Ash's 4."""
    _two_sites(session)
    # Settled twice without publishing, to compare two organisations' weeks.
    (company,) = morale.settle(session, [WEEK], 5)[GroupBy.COMPANY]
    assert (company.suppressed, company.reason, company.responses) == (True, BY_SUBTRACTION, None)
    _team(session, "Yew", 3, 3)  # Ash's 4 and Yew's 3 (no site) now leave 7 hidden answers: safe to show
    (company,) = after_closing(morale.weekly_morale, session, SYSTEM, GroupBy.COMPANY, WEEK, WEEK, now=NOW)
    assert (company.responses, company.invited) == (27, 29)


def test_site_rosters_count_every_team_of_the_site_on_each_monday(session: Session) -> None:
    """A South member moves to Oak (North) on the Friday between two Mondays: each Monday counts them once."""
    _two_sites(session)
    before = WEEK - timedelta(weeks=1)
    mover = make_person(session, team="Elm", site="South")
    south = [p for team in ("Elm", "Fir") for p in _members(session, team)]
    pulse.record_history(session, [pulse.Answer(p.id, p_team, before, score=3) for p, p_team in south])
    organisation.move_person(session, SYSTEM, mover.person_id or 0, "Oak", WEEK - timedelta(days=3))
    cells = after_closing(morale.weekly_morale, session, SYSTEM, GroupBy.SITE, before, WEEK, now=NOW)
    assert {c.week: c.invited for c in cells if c.group == "South"} == {before: 8 + 1 + 5, WEEK: 8 + 5}
    teams = after_closing(morale.weekly_morale, session, SYSTEM, GroupBy.TEAM, before, WEEK, now=NOW)
    assert {(c.week, c.group): c.invited for c in teams if c.group in ("Oak", "Elm")} == {
        (before, "Oak"): None,  # no answers that week: hidden, so no roster size either
        (before, "Elm"): 9,
        (WEEK, "Oak"): 10,
        (WEEK, "Elm"): 8,
    }


def _members(session: Session, team: str) -> list[tuple[organisation.PersonRow, int]]:
    found = organisation.find_team(session, team)
    assert found is not None
    return [(p, found.id) for p in organisation.list_people(session, SYSTEM, team_id=found.id)]


def test_team_view_counts_teams_with_an_active_member_and_starts_at_the_actors_own_site(session: Session) -> None:
    _two_sites(session)
    _team(session, "Gone", 1, 0, site="South")
    gone = organisation.find_team(session, "Gone")
    assert gone is not None
    for person in organisation.list_people(session, SYSTEM, team_id=gone.id):
        organisation.deactivate_person(session, SYSTEM, person.id, person.version)
    assert morale.team_view(session, SYSTEM) == morale.TeamView(4, "North"), "no site of its own: the first by name"
    manager = make_person(session, team=None, role=Role.MANAGER, site="South")
    assert morale.team_view(session, manager) == morale.TeamView(4, "South")


def test_participation_for_one_site_lists_its_teams_with_the_mean_of_their_visible_answers(session: Session) -> None:
    _two_sites(session)
    start, end = WEEK, WEEK + timedelta(days=6)
    full = after_closing(morale.participation_vs_morale, session, SYSTEM, start, end, now=NOW)
    south = after_closing(
        morale.participation_vs_morale, session, SYSTEM, start, end, now=NOW, site_id=_site(session, "South")
    )
    assert sorted(r.team for r in south) == ["Elm", "Fir"]
    assert {r.team: (r.morale, r.responses) for r in south} == {
        r.team: (r.morale, r.responses) for r in full if r.team in ("Elm", "Fir")
    }
    assert {r.team: (r.morale, r.responses) for r in full} == {
        "Oak": (4.0, 9),
        "Ash": (None, 0),
        "Elm": (4.0, 6),
        "Fir": (4.0, 5),
    }


def test_alerts_say_which_site_the_team_is_at(session: Session) -> None:
    falling = _team(session, "Oak", 5, 0)
    for back, score in enumerate((2, 2, 2, 2, 4, 4, 4, 4)):
        monday = WEEK - timedelta(weeks=back)
        pulse.record_history(session, [pulse.Answer(p.person_id or 0, p.team_id or 0, monday, score) for p in falling])
    assert [(a.team, a.site) for a in after_closing(morale.alerts, session, SYSTEM, now=NOW)] == [("Oak", "North")]
