"""Which pages each role sees, in which sections, and where each lands. The pages guard themselves too.

Each role lands on the page it uses most (:func:`landing`): an agent on My
standing (their figures and the quick-log form); a lead on Approvals while
entries wait for them, otherwise on Log results; a manager on Morale; an admin
on Admin. Nobody lands on a page that points to a form they do not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from engagement import results
from engagement.access import Actor
from engagement.vocabulary import Role
from ui.resources import read

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


# Pages a link in a message opens, signed in or not: the link is the capability (see
# engagement.capabilities), so they show nothing without one. They are in no menu. Each
# file is named as its URL, so a server that has not run dashboard.py yet (it serves
# pages/ by file name until then) opens the same page at the same address.
LINK_PAGES = (
    ("pages/answer.py", "Answer the pulse", "answer"),
    ("pages/unsubscribe.py", "Stop messages", "unsubscribe"),
)


MY_STANDING, LOG_RESULTS, APPROVALS, MORALE, ADMIN = (
    "pages/my_standing.py",
    "pages/log_results.py",
    "pages/approvals.py",
    "pages/morale.py",
    "pages/admin.py",
)
LANDINGS = {Role.AGENT: MY_STANDING, Role.LEAD: LOG_RESULTS, Role.MANAGER: MORALE, Role.ADMIN: ADMIN}


def landing(actor: Actor, waiting: int) -> str:
    """The page ``actor`` opens on: their role's (see the module docstring); a lead's is Approvals while ``waiting``."""
    if actor.role is Role.LEAD and waiting:
        return APPROVALS
    return LANDINGS[actor.role]


def link_pages() -> list[StreamlitPage]:
    """The pages links in messages open (:data:`LINK_PAGES`), for the navigation but not the menu."""
    return [st.Page(path, title=title, url_path=url_path) for path, title, url_path in LINK_PAGES]


def pages_for(actor: Actor | None) -> dict[str, list[StreamlitPage]]:
    """The navigation for ``actor``: their pages by section, their landing the default; signed out, a sign-in page.

    Signed out, the first page's guard shows the sign-in form; other URLs fall
    back to it, so nothing is reachable before signing in. The sign-in page has
    its own URL name, so the rerun after signing in finds no such page among the
    person's and opens their landing.
    """
    if actor is None:
        first = PAGES[0]
        return {"": [st.Page(first.path, title="Sign in", icon=":material/login:", url_path="sign-in", default=True)]}
    home = landing(actor, read(results.pending_count, actor) if actor.role is Role.LEAD else 0)
    sections: dict[str, list[StreamlitPage]] = {}
    for spec in PAGES:
        if actor.role in spec.roles:
            page = st.Page(spec.path, title=spec.title, icon=spec.icon, default=spec.path == home)
            sections.setdefault(spec.section, []).append(page)
    return sections
