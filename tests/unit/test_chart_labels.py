"""hours_bars, impact_bars and the bar charts' labels: pure Altair specs, checked through to_dict()."""

from __future__ import annotations

from engagement import charts
from engagement.impact import ImpactRow
from engagement.leaderboards import PersonRow, RankBy, TeamRow, places_apart
from engagement.morale import TeamComparison


def test_hours_bars_print_each_bar_with_its_hours_in_order() -> None:
    spec = charts.hours_bars([("tutoring", 4.25), ("interpreting", 0.5)], "Activity").to_dict()
    values = spec["data"]["values"]
    assert [(v["label"], v["text"], v["order"]) for v in values] == [
        ("tutoring", "4 hours 15 minutes", 0),
        ("interpreting", "30 minutes", 1),
    ]
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Hours volunteered"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Activity"
    assert {layer["mark"]["type"] for layer in spec["layer"]} == {"bar", "text"}


def test_bar_labels_are_never_thinned_out() -> None:
    """With many teams Vega hides every other label unless told not to; the "(your team)" one must stay."""
    rows = [TeamRow(i + 1, i, f"Team {i}", None, 1.0, 1, 10.0 - i, 1, 1.0) for i in range(12)]
    spec = charts.team_bars(rows, RankBy.PER_MEMBER, my_team_id=7).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["axis"]["labelOverlap"] is False
    assert "8. Team 7 (your team)" in [v["label"] for v in spec["data"]["values"]]
    assert spec["height"] >= 26 * len(rows)


def _team(rank: int, per_member: float, participants: int = 1, members: int = 4) -> TeamRow:
    share = round(participants / members, 4)
    return TeamRow(rank, rank, f"Team {rank}", None, per_member * members, members, per_member, participants, share)


def _printed(spec: dict[str, object]) -> list[str]:
    return [v["text"] for v in spec["data"]["values"]]  # type: ignore[index]


def test_two_ranks_never_print_the_same_value() -> None:
    """3.24 and 3.16 (ranks 5 and 6) both read "3.2" with one decimal: the chart prints the two ranking uses."""
    rows = [_team(1, 5.0), _team(2, 4.5), _team(3, 4.0), _team(4, 3.6), _team(5, 3.24), _team(6, 3.16)]
    assert _printed(charts.team_bars(rows, RankBy.PER_MEMBER).to_dict()) == [
        "5.00",
        "4.50",
        "4.00",
        "3.60",
        "3.24",
        "3.16",
    ]


def test_one_decimal_is_enough_when_it_tells_every_rank_apart() -> None:
    rows = [_team(1, 5.0), _team(2, 3.24), _team(2, 3.24), _team(4, 3.06)]
    assert _printed(charts.team_bars(rows, RankBy.PER_MEMBER).to_dict()) == ["5.0", "3.2", "3.2", "3.1"]


def test_people_tied_on_points_print_alike_and_the_next_rank_differs() -> None:
    people = [PersonRow(1, 1, "a@x.org", "A", None, 10.25), PersonRow(1, 2, "b@x.org", "B", None, 10.25)]
    people.append(PersonRow(3, 3, "c@x.org", "C", None, 10.24))
    assert _printed(charts.person_bars(people).to_dict()) == ["10.25", "10.25", "10.24"]


def test_participation_prints_the_whole_percentage_it_ranks_on_on_a_percent_axis() -> None:
    """1 of 8 is 12.5%, ranked as 13% (half up, as both stores round); 3 of 25 is 12%: two ranks, two figures."""
    rows = [_team(1, 1.0, participants=1, members=8), _team(2, 1.0, participants=3, members=25)]
    spec = charts.team_bars(rows, RankBy.PARTICIPATION).to_dict()
    assert _printed(spec) == ["13%", "12%"]
    assert spec["layer"][0]["encoding"]["x"]["axis"]["format"] == "%"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Share of members taking part"
    points = charts.team_bars(rows, RankBy.PER_MEMBER).to_dict()
    assert "format" not in points["layer"][0]["encoding"]["x"]["axis"], "points are not a share"


def test_the_participation_scatter_reads_in_percent() -> None:
    spec = charts.participation_vs_morale([TeamComparison("Oak", 0.5, 3.0, 3.2, 9)]).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["axis"]["format"] == "%"


def test_places_apart_adds_a_decimal_only_when_two_ranks_would_read_alike() -> None:
    assert places_apart([3.24, 3.16]) == 2
    assert places_apart([4.0, 3.2, 3.2]) == 1
    assert places_apart([]) == 1
    assert places_apart([12.0, 11.0], fewest=0) == 0


def test_impact_bars_print_each_figure_in_the_house_style() -> None:
    rows = [
        ImpactRow("Cedar", 1234.56, 549.4, 12.0, 72.0, 80 / 60, 42.4),
        ImpactRow("Birch", 0.5, 0.2225, 1.0, 6.0, 0.25, 7.95),
    ]
    texts = {
        measure: [v["text"] for v in charts.impact_bars(rows, measure, "x").to_dict()["data"]["values"]]
        for measure in ("kwh_saved", "kg_co2e_avoided", "trees_planted", "volunteer_hours", "volunteer_value")
    }
    assert texts == {
        "kwh_saved": ["1,234.56", "0.5"],
        "kg_co2e_avoided": ["549.4", "0.2"],
        "trees_planted": ["12", "1"],
        "volunteer_hours": ["1 hour 20 minutes", "15 minutes"],
        "volunteer_value": ["42.40", "7.95"],
    }
