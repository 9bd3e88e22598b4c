"""Chart builders: pure functions from domain rows to Altair charts.

Every chart uses the Okabe-Ito palette (safe for the common colour-vision
deficiencies), never encodes anything by colour alone (values are printed as
text, the viewer's own row is named in its label, series also differ by
shape), and has plain-word titles and axis labels. Pages show the same
numbers in a table beside each chart. Charts are drawn as SVG so screen
readers and zoom keep working.

Text on the page's background takes its colour from the Streamlit theme, which
differs between light and dark (``.streamlit/config.toml``); no one colour
reads on both. Printed values and names are coloured through the theme's
categorical palette (:func:`_on_page`), whose first colour has 4.5:1 or more
on its own theme's background; series take the same palette. Axis and legend
text cannot be coloured that way: it is :data:`AXIS_TEXT`, which reads on
white and on the dark theme's black alike (:func:`_legible`; Streamlit's own
grey has 3.8:1 on white). The fixed bar colours below have 3:1 or more on
both backgrounds; text on a heat-map cell is coloured against that cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

from engagement import amounts
from engagement.impact import ImpactRow
from engagement.leaderboards import RANKED_VALUE, PersonRow, RankBy, TeamRow, places_apart, ranked_value
from engagement.morale import Cell, TeamComparison

HIGHLIGHT = "#D55E00"
BASE = "#0072B2"
SVG = {"embedOptions": {"renderer": "svg"}}
AXIS_TEXT = "#767676"  # 4.5:1 on white, 4.6:1 on black (the dark theme's background)
VALUE_TITLES = {
    "points_per_member": "Points per member",
    "points": "Points",
    "participation": "Share of members taking part",
}


def _frame(records: Sequence[dict[str, Any]]) -> alt.Data:
    # "tone" is one category for :func:`_on_page`; in the data, not a transform, so every layer
    # reads one data source and a sorted axis keeps its order (Vega drops the sort of a union).
    return alt.Data(values=[{**r, "tone": "text"} for r in records])  # type: ignore[no-untyped-call]


def _legible(chart: alt.LayerChart) -> alt.LayerChart:
    """Axis and legend labels and titles in :data:`AXIS_TEXT` (over Streamlit's theme grey)."""
    axes = chart.configure_axis(labelColor=AXIS_TEXT, titleColor=AXIS_TEXT)
    legible: alt.LayerChart = axes.configure_legend(labelColor=AXIS_TEXT, titleColor=AXIS_TEXT)
    return legible


def _on_page(text: alt.Chart) -> alt.Chart:
    """Colour a text layer with the theme palette's first colour: one category, no legend.

    The light and the dark theme each put first a colour that reads on their own background.
    Text layers are drawn with ``aria=False``: they repeat what the bars and points already
    tell a screen reader, which would otherwise also read out "tone: text".
    """
    return text.encode(color=alt.Color("tone:N", legend=None))


def team_bars(rows: Sequence[TeamRow], rank_by: RankBy, my_team_id: int | None = None) -> alt.LayerChart:
    """Horizontal bars in rank order; the viewer's team is labelled "(your team)" and coloured.

    Each bar prints the value the team is ranked on, as ranking sees it, so two ranks never read alike.
    """
    value = RANKED_VALUE[rank_by]
    texts = _ranked_texts([ranked_value(r, rank_by) for r in rows], rank_by)
    records = [
        {
            "label": f"{r.rank}. {r.team}" + (" (your team)" if r.team_id == my_team_id else ""),
            "value": getattr(r, value),
            "text": text,
            "mine": r.team_id == my_team_id,
            "order": i,
        }
        for i, (r, text) in enumerate(zip(rows, texts, strict=True))
    ]
    return _bars(records, VALUE_TITLES[value], "Team", "%" if rank_by is RankBy.PARTICIPATION else None)


def person_bars(rows: Sequence[PersonRow], my_person_id: int | None = None) -> alt.LayerChart:
    """Horizontal bars in rank order, each printed with its points as ranking sees them; the viewer is "(you)"."""
    texts = _ranked_texts([r.points for r in rows], RankBy.TOTAL)
    records = [
        {
            "label": f"{r.rank}. {r.name}" + (" (you)" if r.person_id == my_person_id else ""),
            "value": r.points,
            "text": text,
            "mine": r.person_id == my_person_id,
            "order": i,
        }
        for i, (r, text) in enumerate(zip(rows, texts, strict=True))
    ]
    return _bars(records, "Points", "Person")


def _ranked_texts(values: list[float], rank_by: RankBy) -> list[str]:
    """Ranked values (2 decimals, as ranking rounds them) printed so that different ranks read differently.

    A share ranks on whole percentages; points print with 1 decimal unless two ranks would then look alike.
    """
    if rank_by is RankBy.PARTICIPATION:
        return [f"{round(100 * v)}%" for v in values]
    places = places_apart(values)
    return [f"{v:,.{places}f}" for v in values]


def _bars(
    records: list[dict[str, Any]], value_title: str, label_title: str, axis_format: str | None = None
) -> alt.LayerChart:
    base = alt.Chart(_frame(records)).encode(
        y=alt.Y(
            "label:N",
            sort=alt.EncodingSortField("order"),
            title=label_title,
            # Never thin out labels: the viewer's "(your team)" label must always show.
            axis=alt.Axis(labelLimit=260, labelOverlap=False),
        ),
        # Few ticks: in a narrow column the default ones crowd each other ("160180").
        x=alt.X("value:Q", title=value_title, axis=alt.Axis(tickCount=4, format=axis_format or alt.Undefined)),
        tooltip=[alt.Tooltip("label:N", title=label_title), alt.Tooltip("text:N", title=value_title)],
    )
    bars = base.mark_bar().encode(
        color=alt.condition("datum.mine", alt.value(HIGHLIGHT), alt.value(BASE)),
    )
    labels = _on_page(base.mark_text(align="left", dx=4, aria=False).encode(text="text:N"))
    # The height includes the x axis and its title under Streamlit's theme: leave room for both.
    # Right padding keeps the longest bar's printed value inside the chart.
    return _legible(
        (bars + labels).properties(height=max(120, 26 * len(records) + 60), padding={"right": 48}, usermeta=SVG)
    )


def morale_trend(cells: Sequence[Cell], metric: str = "avg_score") -> alt.LayerChart:
    """Weekly line per group; groups differ by colour and point shape; gaps where suppressed."""
    title = "Mean score (1 to 5)" if metric == "avg_score" else "eNPS (-100 to 100)"
    records = [
        {"week": c.week.isoformat(), "group": c.group, "value": getattr(c, metric), "responses": c.responses}
        for c in cells
    ]
    scale = alt.Scale(domain=[1, 5]) if metric == "avg_score" else alt.Scale(domain=[-100, 100])
    # Weeks are ISO dates on an ordinal axis: a temporal axis would shift them a
    # day in viewers' browsers west of UTC and label ticks that are not Mondays.
    encoding: dict[str, Any] = {
        "x": alt.X("week:O", title="Week starting", axis=alt.Axis(labelAngle=-40)),
        "y": alt.Y("value:Q", title=title, scale=scale),
        "color": alt.Color("group:N", title="Group"),
        "shape": alt.Shape("group:N", title="Group"),
        "tooltip": [
            alt.Tooltip("group:N", title="Group"),
            alt.Tooltip("week:N", title="Week starting"),
            alt.Tooltip("value:Q", title=title, format=".2f"),
            alt.Tooltip("responses:Q", title="Responses"),
        ],
    }
    chart = alt.Chart(_frame(records)).encode(**encoding)
    return _legible((chart.mark_line() + chart.mark_point(filled=True, size=60)).properties(height=320, usermeta=SVG))


def morale_heatmap(cells: Sequence[Cell]) -> alt.LayerChart:
    """Team × week; each cell prints its mean score, or "n/a" where there are not enough responses."""
    records = [
        {
            "week": c.week.isoformat(),
            "team": c.group,
            "score": c.avg_score,
            "label": "n/a" if c.suppressed else f"{c.avg_score:.1f}",
            "status": "Not enough responses" if c.suppressed else "Shown",
        }
        for c in cells
    ]
    base = alt.Chart(_frame(records)).encode(
        x=alt.X("week:O", title="Week starting", axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("team:N", title="Team", axis=alt.Axis(labelLimit=200)),
        tooltip=[
            alt.Tooltip("team:N", title="Team"),
            alt.Tooltip("week:N", title="Week starting"),
            alt.Tooltip("label:N", title="Mean score"),
            alt.Tooltip("status:N", title="Status"),
        ],
    )
    shown = (
        base.transform_filter("datum.status == 'Shown'")
        .mark_rect()
        .encode(color=alt.Color("score:Q", title="Mean score", scale=alt.Scale(scheme="blues", domain=[1, 5])))
    )
    hidden = base.transform_filter("datum.status != 'Shown'").mark_rect(color="#EEEEEE")
    text = base.mark_text(fontSize=12).encode(
        text="label:N",
        color=alt.condition("datum.score > 3.7", alt.value("white"), alt.value("#111111")),
    )
    # The height includes the axes (Streamlit fits the whole chart into it): 100 px for them, 32 per team.
    return _legible((hidden + shown + text).properties(height=100 + 32 * len({c.group for c in cells}), usermeta=SVG))


def participation_vs_morale(rows: Sequence[TeamComparison]) -> alt.LayerChart:
    records = [
        {"team": r.team, "participation": r.participation, "morale": r.morale} for r in rows if r.morale is not None
    ]
    base = alt.Chart(_frame(records)).encode(
        x=alt.X("participation:Q", title="Share of members taking part in challenges", axis=alt.Axis(format="%")),
        y=alt.Y("morale:Q", title="Mean morale score (1 to 5)", scale=alt.Scale(domain=[1, 5])),
        tooltip=[
            alt.Tooltip("team:N", title="Team"),
            alt.Tooltip("participation:Q", title="Taking part", format=".0%"),
            alt.Tooltip("morale:Q", title="Mean score", format=".2f"),
        ],
    )
    points = base.mark_point(filled=True, size=90, color=BASE)
    labels = _on_page(base.mark_text(align="left", dx=7, dy=-7, aria=False).encode(text="team:N"))
    return _legible((points + labels).properties(height=320, usermeta=SVG))


def impact_bars(rows: Sequence[ImpactRow], measure: str, title: str) -> alt.LayerChart:
    unit = amounts.MEASURE_UNITS[measure]
    records = [
        {"group": r.group, "value": float(getattr(r, measure)), "text": amounts.figure(getattr(r, measure), unit)}
        for r in rows
    ]
    base = alt.Chart(_frame(records)).encode(
        y=alt.Y("group:N", title=None, sort="-x", axis=alt.Axis(labelOverlap=False)),
        x=alt.X("value:Q", title=title),
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("text:N", title=title)],
    )
    labels = _on_page(base.mark_text(align="left", dx=4, aria=False).encode(text="text:N"))
    return _legible(
        (base.mark_bar(color=BASE) + labels).properties(
            height=max(100, 26 * len(records) + 60), padding={"right": 48}, usermeta=SVG
        )
    )


def hours_bars(totals: Sequence[tuple[str, float]], label_title: str) -> alt.LayerChart:
    """Volunteer hours per activity type or organisation, most first, each bar printed with its hours."""
    records = [
        {"label": label, "value": hours, "text": amounts.in_words(hours, amounts.HOURS), "mine": False, "order": i}
        for i, (label, hours) in enumerate(totals)
    ]
    return _bars(records, "Hours volunteered", label_title)
