"""Messages to Slack incoming webhooks and Microsoft Teams Workflows webhooks: payloads, URL checks, delivery.

Office 365 connectors are retired, so Teams is reached through a Workflows
("Post to a channel when a webhook request is received") URL, which takes an
Adaptive Card inside a message envelope; Slack takes Block Kit blocks.

The text is plain text written by the product, but it carries names people
typed themselves. Both services read markup in it (Slack mrkdwn with
``<!channel>`` mentions and ``<url|label>`` links, the Teams card's Markdown
subset with links and lists), so it is escaped for each: a name stays a name.

A webhook URL is a secret (anyone holding it can post to the channel), so
errors name its host and never its path or query.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from engagement.errors import ValidationError

CHANNELS = ("slack", "teams")
URL_MAX = 2000
SLACK_HOST = "hooks.slack.com"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})  # http allowed: tests and local relays
SLACK_HEADER_MAX = 150  # Block Kit: a header's plain_text
SLACK_SECTION_MAX = 3000  # Block Kit: a section's text
SLACK_BUTTON_MAX = 75  # Block Kit: a button's text
SLACK_BLOCKS_MAX = 50  # Block Kit: blocks in one message
SLACK_FALLBACK_MAX = 3000  # the notification text; the blocks carry the whole message
ERROR_BODY_MAX = 200
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"

_FIELD = "webhook_url"
# The card's Markdown: emphasis, code, links and autolinks anywhere (parentheses also
# keep {{DATE(...)}} from being formatted as a date); lists, headings and quotes at a line's start.
_TEAMS_ANYWHERE = re.compile(r"([\\*_`~\[\]()<])")
_TEAMS_ENTITY = re.compile(r"&(?=#?\w+;)")
_TEAMS_LINE_MARK = re.compile(r"^([#>+\-])")
_TEAMS_LINE_NUMBER = re.compile(r"^(\d+)([.)])")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


def payload(
    channel: str, subject: str, text: str, link: str | None = None, link_label: str = "Open Impact Board"
) -> dict[str, Any]:
    """The JSON body for ``channel``: ``subject`` as the heading, ``text`` (plain) below, a button to ``link``.

    ``subject`` must say something (both services refuse an empty heading);
    an unknown channel is a programming error, so both raise :class:`ValueError`.
    """
    subject = " ".join(subject.split())
    if not subject:
        raise ValueError("a webhook message needs a subject")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if channel == "slack":
        return _slack(subject, text, link, link_label)
    if channel == "teams":
        return _teams(subject, text, link, link_label)
    raise ValueError(f"unknown webhook channel {channel!r}; expected one of {CHANNELS}")


def validate_url(channel: str, url: str) -> str:
    """``url`` without surrounding spaces, or :class:`ValidationError` on ``webhook_url`` saying what is wrong.

    https only (the URL and every message would otherwise cross the network in
    clear), except to this machine; a Slack webhook lives on hooks.slack.com, so
    anything else pasted for Slack is a mistake, while Teams Workflows URLs come
    from several Microsoft hosts and are not pinned.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown webhook channel {channel!r}; expected one of {CHANNELS}")
    cleaned = url.strip()
    if not cleaned:
        raise ValidationError.single(_FIELD, "is empty; paste the webhook URL from Slack or Teams")
    if len(cleaned) > URL_MAX:
        raise ValidationError.single(_FIELD, f"is too long ({len(cleaned):,} characters; the limit is {URL_MAX:,})")
    if any(ord(ch) <= 32 or ord(ch) == 127 for ch in cleaned):
        raise ValidationError.single(_FIELD, "must not contain spaces or control characters")
    try:
        parts = urlsplit(cleaned)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        raise ValidationError.single(_FIELD, "is not a valid web address") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValidationError.single(_FIELD, "is not a web address; it must start with https://")
    if parts.username is not None or parts.password is not None:
        raise ValidationError.single(_FIELD, "must not contain a user name or password")
    loopback = host in LOOPBACK_HOSTS
    if parts.scheme.lower() == "http" and not loopback:
        raise ValidationError.single(
            _FIELD, "must start with https:// (plain http:// is allowed only to this computer: 127.0.0.1 or localhost)"
        )
    if channel == "slack" and not loopback and host != SLACK_HOST:
        raise ValidationError.single(
            _FIELD, f"is not a Slack incoming webhook; those start with https://{SLACK_HOST}/services/"
        )
    return cleaned


def post(client: httpx.Client, url: str, body: dict[str, Any]) -> str | None:
    """POST ``body`` as JSON to ``url``: None when it was taken (any 2xx), else a one-line reason.

    The reason names the host only: the path and query are the webhook's secret
    and the reason is stored and shown. Timeouts and retries are the caller's
    (``client`` carries the timeout; the outbox decides when to try again).
    """
    host = _host(url)
    try:
        response = client.post(url, json=body)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        detail = _one_line(_scrub(str(exc), url, host)) or "no detail"
        return f"{type(exc).__name__} reaching {host}: {detail}"
    if response.is_success:
        return None
    reason = f"HTTP {response.status_code} from {host}"
    retry_after = response.headers.get("retry-after")
    if retry_after:
        reason += f" (retry after {_one_line(retry_after, 20)} s)"
    detail = _one_line(_scrub(response.text, url, host))
    return f"{reason}: {detail}" if detail else reason


# Slack ----------------------------------------------------------------------------------------------


def _slack(subject: str, text: str, link: str | None, link_label: str) -> dict[str, Any]:
    header = _shorten(subject, SLACK_HEADER_MAX)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": header}}]
    room = SLACK_BLOCKS_MAX - 1 - (1 if link else 0)
    # verbatim: no automatic links for URLs and #channel names in the text either.
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": part, "verbatim": True}}
        for part in _slack_sections(text, room)
    ]
    if link:
        button = {"type": "button", "text": {"type": "plain_text", "text": _shorten(link_label, SLACK_BUTTON_MAX)}}
        blocks.append({"type": "actions", "elements": [{**button, "url": link}]})
    fallback = _shorten(f"{subject}\n\n{text.strip()}".strip(), SLACK_FALLBACK_MAX)
    return {"text": slack_escape(fallback), "blocks": blocks}


def slack_escape(text: str) -> str:
    """``text`` with the three characters Slack reads as markup (``&``, ``<``, ``>``) escaped.

    Without it a name such as ``<!channel>`` would notify the whole channel and
    ``<http://x|here>`` would become a link.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_sections(text: str, room: int) -> list[str]:
    """Escaped ``text`` in pieces of at most 3000 characters (broken at lines, then spaces), at most ``room``.

    The limit counts escaped characters, and no piece ends inside an ``&amp;``.
    Text that would need more than ``room`` sections ends with an ellipsis.
    """
    parts: list[str] = []
    current = ""
    for unit in _units(text, SLACK_SECTION_MAX):
        escaped = slack_escape(unit)
        if current and len(current) + len(escaped) > SLACK_SECTION_MAX:
            parts.append(current)
            current = ""
        current += escaped
    parts.append(current)
    parts = [p.strip() for p in parts if p.strip()]
    if len(parts) > room:
        last = parts[room - 1][: SLACK_SECTION_MAX - 1]
        if last.rfind("&") > last.rfind(";"):  # cut inside an entity: drop its start
            last = last[: last.rfind("&")]
        parts = [*parts[: room - 1], last.rstrip() + "…"]
    return parts


def _units(text: str, limit: int) -> list[str]:
    """``text`` cut into lines; a line too long escaped into words; a word too long into characters."""
    units: list[str] = []
    for line in text.splitlines(keepends=True):
        if len(slack_escape(line)) <= limit:
            units.append(line)
            continue
        for word in re.split(r"(?<=\s)(?=\S)", line):
            units.extend([word] if len(slack_escape(word)) <= limit else list(word))
    return units


# Teams ----------------------------------------------------------------------------------------------


def _teams(subject: str, text: str, link: str | None, link_label: str) -> dict[str, Any]:
    title = {
        "type": "TextBlock",
        "text": teams_escape(subject),
        "size": "Large",
        "weight": "Bolder",
        "wrap": True,
        "style": "heading",
    }
    paragraphs = [{"type": "TextBlock", "text": p, "wrap": True} for p in _teams_paragraphs(text)]
    actions = [{"type": "Action.OpenUrl", "title": link_label, "url": link}] if link else []
    card = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": [title, *paragraphs],
        "actions": actions,
    }
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}]}


def teams_escape(line: str) -> str:
    """One line of plain text made inert in an Adaptive Card TextBlock, which renders a Markdown subset.

    Characters that format anywhere are backslash-escaped everywhere; those
    that only matter at a line's start (``-``, ``+``, ``#``, ``>``, ``1.``) only
    there, and ``&`` only before what reads as an entity, so ordinary text such
    as "Jean-Luc, R&D, 3.5" stays as typed. ``!`` needs nothing: with ``[``
    escaped it cannot start an image.
    """
    line = _TEAMS_ANYWHERE.sub(r"\\\1", line.strip())
    line = _TEAMS_ENTITY.sub(r"\\&", line)
    line = _TEAMS_LINE_MARK.sub(r"\\\1", line)
    return _TEAMS_LINE_NUMBER.sub(r"\1\\\2", line)


def _teams_paragraphs(text: str) -> list[str]:
    """The paragraphs (split at blank lines), escaped; a line break inside one is written ``\\n\\n``.

    Teams joins lines split by a single newline, and documents ``\\n\\n`` as the
    way to break a line inside a TextBlock.
    """
    paragraphs = []
    for block in _BLANK_LINE.split(text.strip()):
        lines = [teams_escape(line) for line in block.split("\n") if line.strip()]
        if lines:
            paragraphs.append("\n\n".join(lines))
    return paragraphs


# Shared ---------------------------------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _one_line(text: str, limit: int = ERROR_BODY_MAX) -> str:
    return " ".join(text.split())[:limit]


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "the webhook host"
    except ValueError:
        return "the webhook host"


def _scrub(detail: str, url: str, host: str) -> str:
    """``detail`` with the URL, its path and its query replaced, in case a library or server echoed them.

    Both as given and as sent: httpx percent-encodes what a URL may not carry
    (braces, letters outside ASCII), and a server echoes what it received.
    """
    try:
        sent = str(httpx.URL(url))
    except (httpx.InvalidURL, ValueError):
        sent = url
    for form in dict.fromkeys((url, sent)):
        detail = detail.replace(form, host)
        try:
            parts = urlsplit(form)
        except ValueError:
            continue
        for secret in (parts.path, parts.query):
            if len(secret) > 1:
                detail = detail.replace(secret, "…")
    return detail
