"""hours_bars and the bar charts' labels: pure Altair specs, checked through to_dict()."""

from __future__ import annotations

from engagement import charts
from engagement.leaderboards import TeamRow


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
    spec = charts.team_bars(rows, "points_per_member", my_team_id=7).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["axis"]["labelOverlap"] is False
    assert "8. Team 7 (your team)" in [v["label"] for v in spec["data"]["values"]]
    assert spec["height"] >= 26 * len(rows)
