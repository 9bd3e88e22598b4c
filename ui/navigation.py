"""Which pages each role sees, in which sections. The pages guard themselves too."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from db.models import Role
from engagement.access import Actor

EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    section: str
    roles: frozenset[Role]


PAGES = (
    PageSpec("pages/my_standing.py", "My standing", ":material/person:", "You", EVERYONE),
    PageSpec("pages/leaderboards.py", "Leaderboards", ":material/leaderboard:", "You", EVERYONE),
    PageSpec("pages/challenges.py", "Challenges", ":material/flag:", "You", EVERYONE),
    PageSpec("pages/log_results.py", "Log results", ":material/edit_note:", "Team", frozenset({Role.LEAD, Role.ADMIN})),
    PageSpec("pages/approvals.py", "Approvals", ":material/task_alt:", "Team", frozenset({Role.LEAD, Role.ADMIN})),
    PageSpec("pages/morale.py", "Morale", ":material/mood:", "Organisation", frozenset({Role.MANAGER, Role.ADMIN})),
    PageSpec(
        "pages/impact_report.py",
        "Impact report",
        ":material/eco:",
        "Organisation",
        frozenset({Role.MANAGER, Role.ADMIN}),
    ),
    PageSpec("pages/admin.py", "Admin", ":material/settings:", "Organisation", frozenset({Role.ADMIN})),
    PageSpec("pages/account.py", "Account", ":material/key:", "You", EVERYONE),
)


def pages_for(actor: Actor | None) -> dict[str, list[StreamlitPage]]:
    """The navigation for ``actor``: their pages by section; signed out, only the first page.

    Signed out, the first page's guard shows the sign-in form; other URLs fall
    back to it, so nothing is reachable before signing in.
    """
    if actor is None:
        first = PAGES[0]
        return {"": [st.Page(first.path, title="Sign in", icon=":material/login:", default=True)]}
    sections: dict[str, list[StreamlitPage]] = {}
    for spec in PAGES:
        if actor.role in spec.roles:
            page = st.Page(spec.path, title=spec.title, icon=spec.icon, default=spec is PAGES[0])
            sections.setdefault(spec.section, []).append(page)
    return sections
