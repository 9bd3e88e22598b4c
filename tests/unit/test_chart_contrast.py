"""Chart colours read in the light and the dark theme; nothing is told by colour alone.

axe-core cannot see inside a chart, so contrast is checked here, on the specs
and on the theme palettes in ``.streamlit/config.toml``, with WCAG's formula:
4.5:1 for text, 3:1 for bars, points and lines.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engagement import charts
from engagement.impact import ImpactReport, ImpactRow
from engagement.leaderboards import PersonRow, RankBy, TeamRow
from engagement.morale import Cell, TeamComparison
from tests.loops import each

CONFIG = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
# The page backgrounds: Streamlit 1.67's white for light, config.toml's for dark.
BACKGROUNDS = {"light": "#FFFFFF", "dark": CONFIG["theme"]["dark"]["backgroundColor"]}
TEXT, GRAPHIC = 4.5, 3.0


def luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def palette(theme: str) -> list[str]:
    return list(CONFIG["theme"][theme]["chartCategoricalColors"])


def layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("layer", [spec])


def charts_with_printed_text() -> dict[str, dict[str, Any]]:
    """Every builder that prints values or names on the page, with more than nine rows (sorting "10." after "9.")."""
    teams = [TeamRow(i + 1, i, f"Team {i}", "Leeds", 12.0 - i, 5, 2.4 - i / 5, 3, 0.6) for i in range(12)]
    people = [PersonRow(i + 1, i, f"p{i}@example.com", f"Person {i}", "Oak", 30.0 - i) for i in range(12)]
    report = ImpactReport([ImpactRow(f"Team {i}", i, i, i, i, i, i) for i in range(12)], {}, None, None)
    return {
        "team_bars": charts.team_bars(teams, RankBy.PER_MEMBER, my_team_id=3).to_dict(),
        "person_bars": charts.person_bars(people, my_person_id=4).to_dict(),
        "hours_bars": charts.hours_bars([(f"activity {i}", 12.0 - i) for i in range(12)], "Activity").to_dict(),
        "impact_bars": charts.impact_bars(report.rows, "kwh_saved", "Energy saved (kWh)").to_dict(),
        "participation_vs_morale": charts.participation_vs_morale(
            [TeamComparison("Oak", 0.5, 3.0, 3.2, 9), TeamComparison("Ash", 0.8, 4.0, None, 2)]
        ).to_dict(),
    }


@pytest.mark.parametrize("name", list(charts_with_printed_text()))
def test_printed_text_takes_the_themes_colour_not_a_fixed_one(name: str) -> None:
    """No one colour reads on both backgrounds: text is coloured by the theme palette, with no legend."""
    spec = charts_with_printed_text()[name]
    texts = [layer for layer in layers(spec) if layer["mark"]["type"] == "text"]
    assert texts, "the chart prints its values or names"
    for layer in texts:
        assert "color" not in layer["mark"]
        assert layer["mark"]["aria"] is False, "screen readers get the figures from the bars and points"
        assert layer["encoding"]["color"] == {"field": "tone", "legend": None, "type": "nominal"}
    assert {row["tone"] for row in spec["data"]["values"]} == {"text"}


@pytest.mark.parametrize("name", list(charts_with_printed_text()))
def test_every_layer_reads_the_same_data_so_bars_keep_their_rank_order(name: str) -> None:
    """A transform in one layer makes Vega union the axis domains and drop the sort: "10." came before "2."."""
    spec = charts_with_printed_text()[name]
    assert all("transform" not in layer and "data" not in layer for layer in each(layers(spec)))


def test_morale_series_take_the_theme_palette_and_differ_by_shape_too() -> None:
    week = date(2026, 3, 2)
    cells = [Cell(week, name, i, "Leeds", 9, 3.5, 10.0, False, 9) for i, name in enumerate(("Oak", "Ash"))]
    spec = charts.morale_trend(cells).to_dict()
    for layer in each(layers(spec)):
        assert "scale" not in layer["encoding"]["color"], "a fixed range would ignore the dark palette"
        assert layer["encoding"]["shape"]["field"] == "group"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_first_palette_colour_is_legible_text_on_its_own_background(theme: str) -> None:
    """Printed values and names take the palette's first colour (see charts._on_page)."""
    assert contrast(palette(theme)[0], BACKGROUNDS[theme]) >= TEXT


def test_every_dark_palette_colour_stands_out_from_the_dark_background() -> None:
    assert all(contrast(c, BACKGROUNDS["dark"]) >= GRAPHIC for c in each(palette("dark")))


def test_the_light_palette_puts_the_colours_that_stand_out_on_white_first() -> None:
    """Okabe-Ito's orange, sky blue and yellow are pale on white: they come last, for a sixth group on."""
    ratios = [contrast(c, BACKGROUNDS["light"]) >= GRAPHIC for c in palette("light")]
    assert ratios == [True] * 5 + [False] * 3


def test_both_palettes_are_okabe_ito() -> None:
    okabe_ito = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"}
    assert set(palette("light")) == okabe_ito | {"#000000"}
    assert set(palette("dark")) == okabe_ito | {"#FFFFFF"}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_primary_colour_reads_as_text_and_under_white_text(theme: str) -> None:
    """A chosen tab's label is the primary colour on the page; a primary button's label is white on it."""
    primary = CONFIG["theme"].get(theme, {}).get("primaryColor", CONFIG["theme"]["primaryColor"])
    assert contrast(primary, BACKGROUNDS[theme]) >= TEXT
    assert contrast("#FFFFFF", primary) >= TEXT


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axis_and_legend_text_reads_in_both_themes(theme: str) -> None:
    assert contrast(charts.AXIS_TEXT, BACKGROUNDS[theme]) >= TEXT


def every_chart() -> dict[str, dict[str, Any]]:
    week = date(2026, 3, 2)
    cells = [Cell(week, name, i, "Leeds", 9, 3.5, 10.0, False, 9) for i, name in enumerate(("Oak", "Ash"))]
    return {
        **charts_with_printed_text(),
        "morale_trend": charts.morale_trend(cells).to_dict(),
        "morale_heatmap": charts.morale_heatmap(cells).to_dict(),
    }


@pytest.mark.parametrize("name", list(every_chart()))
def test_every_chart_sets_its_axis_and_legend_text_colour(name: str) -> None:
    """Streamlit's theme draws them in a grey with 3.8:1 on white; the chart's own config wins."""
    config = every_chart()[name]["config"]
    for part in ("axis", "legend"):
        assert config[part]["labelColor"] == config[part]["titleColor"] == charts.AXIS_TEXT


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_fixed_bar_colours_stand_out_in_both_themes(theme: str) -> None:
    for colour in (charts.BASE, charts.HIGHLIGHT):
        assert contrast(colour, BACKGROUNDS[theme]) >= GRAPHIC, colour
