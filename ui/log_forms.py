"""Form helpers shared by the Log results page's tabs and the quick log on My standing (Streamlit only).

Form state (references, generations, notices) lives in :mod:`ui.form_state`.
"""

from __future__ import annotations

import streamlit as st

from engagement import amounts


def amount_input(unit: str, key: str | None, value: float | None = None) -> float | None:
    """The amount of a challenge measured in ``unit``, typed as people count it, handed back in ``unit``.

    Volunteering (hours) is typed in whole minutes and trees by whole trees (step 1, no
    decimals shown); kWh take decimals. ``value`` is in ``unit`` (hours for volunteering).
    """
    if unit == amounts.HOURS:
        shown = None if value is None else amounts.minutes_from_hours(value)
        minutes = st.number_input("Minutes volunteered", min_value=0, max_value=1440, value=shown, step=5, key=key)
        return None if minutes is None else amounts.hours_from_minutes(minutes)
    if unit == amounts.TREES:
        # Stepping by whole trees, shown without decimals ("1", not "1.00"). A float widget, so a
        # hostile NaN resets it (an int widget's int(NaN) crashes); the engine refuses half a tree.
        trees = st.number_input("How much (trees)", min_value=0.0, value=value, step=1.0, format="%g", key=key)
        return None if trees is None else float(trees)
    typed = st.number_input(f"How much ({unit})", min_value=0.0, value=value, step=0.5, key=key)
    return None if typed is None else float(typed)
