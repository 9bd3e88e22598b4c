"""Morale alerts: which falls in a team's published weekly figures a manager should hear about.

Three rules, each on one team's *shown* weeks (published cells with a figure);
a hidden week is skipped, never guessed, so every number an alert states is a
figure the Morale table already shows for that team and week, or (the slide)
the slope of a straight line through those figures:

- **the mean fell sharply**: within the last :data:`SHARP_WEEKS` closed weeks,
  the team's latest shown mean is :data:`MEAN_DROP` or more below the highest
  shown mean before it in those weeks;
- **eNPS fell sharply**: the same with eNPS and :data:`ENPS_DROP` points;
- **the mean is sliding**: over the last :data:`SLIDE_WEEKS` closed weeks, the
  least-squares trend through the team's shown weekly means (at least
  :data:`SLIDE_MIN_SHOWN` of them) falls :data:`SLIDE_PER_WEEK` a week or faster.

Comparing the latest week with the highest before it catches a fall that
happened within the window however it is split, and a one-week dip that has
recovered raises nothing; the trend catches a slide too gentle for any one
week to stand out. Figures are compared at the 2 decimals (eNPS: 1) they are
published with, so an alert's sentence and the table agree to the digit.
"""

from __future__ import annotations

import enum
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

SHARP_WEEKS = 4  # a sharp fall happens within the last 4 closed weeks
MEAN_DROP = 0.75  # points on the 1-5 scale, from a shown week to a later one
ENPS_DROP = 50.0  # eNPS points (-100 to 100), likewise
SLIDE_WEEKS = 8  # a slide is the trend over the last 8 closed weeks
SLIDE_MIN_SHOWN = 5  # fitted through at least 5 shown weeks
SLIDE_PER_WEEK = 0.1  # points a week, or faster


class Rule(enum.StrEnum):
    MEAN_FELL = "mean_fell"
    ENPS_FELL = "enps_fell"
    MEAN_SLIDING = "mean_sliding"


@dataclass(frozen=True)
class Week:
    """One shown week of a team, as published: its mean score and eNPS (None when eNPS had too few answers)."""

    week: date
    mean: float
    enps: float | None


@dataclass(frozen=True)
class Finding:
    """One rule that fired: the figures it compared, each a shown week's published figure.

    ``per_week`` and ``shown_weeks`` belong to the slide: the trend's slope
    (points a week, negative) and how many shown weeks it runs through.
    """

    rule: Rule
    from_week: date
    from_value: float
    to_week: date
    to_value: float
    per_week: float | None = None
    shown_weeks: int | None = None

    @property
    def change(self) -> float:
        return round(self.to_value - self.from_value, 2)

    def sentence(self) -> str:
        """What fell, in the words of the rule, e.g. "mean score fell from 3.83 to 3.00 in 2 weeks (…)"."""
        weeks = (self.to_week - self.from_week).days // 7
        span = f"{weeks} week" if weeks == 1 else f"{weeks} weeks"
        dates = f"week of {self.from_week.isoformat()} to week of {self.to_week.isoformat()}"
        if self.rule is Rule.MEAN_FELL:
            return f"mean score fell from {self.from_value:.2f} to {self.to_value:.2f} in {span} ({dates})"
        if self.rule is Rule.ENPS_FELL:
            return f"eNPS fell from {_signed(self.from_value)} to {_signed(self.to_value)} in {span} ({dates})"
        return (
            f"mean score is sliding {abs(self.per_week or 0):.2f} a week (the trend through {self.shown_weeks} "
            f"shown weeks), from {self.from_value:.2f} to {self.to_value:.2f} in {span} ({dates})"
        )


@dataclass(frozen=True)
class Alert:
    """A team with at least one rule fired, sharp falls first."""

    team: str
    site: str | None
    findings: tuple[Finding, ...]

    def sentence(self) -> str:
        """Every finding, joined: "mean score fell …; eNPS fell …"."""
        return "; ".join(f.sentence() for f in self.findings)


def _signed(enps: float) -> str:
    """eNPS as the table prints it (1 decimal), signed when it is not 0, with a real minus sign."""
    return f"{enps:+.1f}".replace("-", "−") if enps else "0.0"


def checked() -> str:
    """What the rules check, in the words the Morale page and the README use."""
    return (
        f"Checked for each team, on its shown weeks: is its latest mean score {MEAN_DROP:g} or more below, or its "
        f"latest eNPS {ENPS_DROP:g} points or more below, an earlier week's within the last {SHARP_WEEKS} closed "
        f"weeks; and is its mean score sliding {SLIDE_PER_WEEK:g} a week or faster (the trend through at least "
        f"{SLIDE_MIN_SHOWN} shown weeks of the last {SLIDE_WEEKS} closed weeks)? Hidden weeks are skipped."
    )


def _sharp_fall(
    weeks: Sequence[Week], value: Callable[[Week], float | None], drop: float, rule: Rule
) -> Finding | None:
    """The latest shown value against the highest shown before it (the latest such week on a tie)."""
    shown = [(w.week, v) for w in weeks if (v := value(w)) is not None]
    if len(shown) < 2:
        return None
    *before, (to_week, to_value) = shown
    from_week, from_value = max(before, key=lambda week_value: (week_value[1], week_value[0]))
    # At the published decimals: 4.1 - 3.35 is 0.7499999999999996 in binary, a fall of 0.75 all the same.
    if round(from_value - to_value, 2) >= drop:
        return Finding(rule, from_week, from_value, to_week, to_value)
    return None


def _slide(weeks: Sequence[Week]) -> Finding | None:
    """The least-squares slope of the shown weekly means against the week, in points a week."""
    if len(weeks) < SLIDE_MIN_SHOWN:
        return None
    first, last = weeks[0], weeks[-1]
    offsets = [(w.week - first.week).days / 7 for w in weeks]
    slope = round(statistics.linear_regression(offsets, [w.mean for w in weeks]).slope, 2)
    if slope <= -SLIDE_PER_WEEK:
        return Finding(Rule.MEAN_SLIDING, first.week, first.mean, last.week, last.mean, slope, len(weeks))
    return None


def findings(weeks: Sequence[Week], latest: date) -> tuple[Finding, ...]:
    """Every rule that fires on one team's shown weeks (oldest first), ``latest`` being the last closed week."""
    sharp_from = latest - timedelta(weeks=SHARP_WEEKS - 1)
    slide_from = latest - timedelta(weeks=SLIDE_WEEKS - 1)
    recent = [w for w in weeks if sharp_from <= w.week <= latest]
    found = (
        _sharp_fall(recent, lambda w: w.mean, MEAN_DROP, Rule.MEAN_FELL),
        _sharp_fall(recent, lambda w: w.enps, ENPS_DROP, Rule.ENPS_FELL),
        _slide([w for w in weeks if slide_from <= w.week <= latest]),
    )
    return tuple(f for f in found if f is not None)


def severity(alert: Alert) -> tuple[int, float]:
    """Sort key: the first rule that fired (sharp mean, eNPS, slide), then the size of its fall, biggest first."""
    first = alert.findings[0]
    size = first.per_week if first.rule is Rule.MEAN_SLIDING else first.change
    return list(Rule).index(first.rule), size or 0.0
