"""The words of every message: plain text and accessible HTML from one set of templates.

Templates live in ``engagement/templates`` (``<kind>.txt`` and ``<kind>.html``,
the HTML ones extending ``layout.html``). HTML is autoescaped, so a name or a
reason someone typed is text in every message, never markup. The HTML has real
headings, a language, a title, text links that say where they go and no meaning
carried by colour alone; the text part says everything the HTML says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).with_name("templates")
SUBJECTS = {
    "pulse_invitation": "Your weekly pulse: how was your week?",
    "pulse_reminder": "The weekly pulse closes soon",
    "agent_digest": "Your week on Impact Board",
    "lead_digest": "Entries waiting for your approval",
    "manager_digest": "Morale this week",
    "team_digest": "Your team's week on Impact Board",
    "decision": "Your entry was {decision}",
}
TEMPLATE_OF = {"pulse_reminder": "pulse_invitation"}
TEXT_FOOTER = (
    "\n--\nChoose which messages you get, and where: {preferences_url}\nStop these messages: {unsubscribe_url}\n"
)

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(kind: str, context: dict[str, Any]) -> Rendered:
    """The subject, text and HTML of a message of ``kind``; every template variable must be given.

    ``context`` needs ``preferences_url`` and ``unsubscribe_url`` besides the
    kind's own values (see the templates). A team post (``team_digest``) has
    text only: it goes to a Slack or Teams channel, never to a mailbox.
    """
    if kind not in SUBJECTS:
        raise ValueError(f"no template for messages of kind {kind!r}")
    subject = SUBJECTS[kind].format(**context) if kind == "decision" else SUBJECTS[kind]
    values = {"subject": subject, "reminder": kind == "pulse_reminder", **context}
    name = TEMPLATE_OF.get(kind, kind)
    text = _environment.get_template(f"{name}.txt").render(values)
    if kind == "team_digest":
        return Rendered(subject, text, "")
    text += TEXT_FOOTER.format(**context)
    html = _environment.get_template(f"{name}.html").render(values)
    return Rendered(subject, text, html)
