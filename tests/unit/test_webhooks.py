"""Slack and Teams webhook messages: what goes on the wire, which URLs are taken, what a failure says.

Promises: a Slack message is Block Kit within its limits (a header of at most
150 characters, mrkdwn sections of at most 3000 escaped characters that never
end inside an entity, at most 50 blocks, a button only with a link) and its
text is escaped so a typed ``<!channel>`` or ``<url|label>`` stays plain text;
a Teams message is an Adaptive Card 1.4 in a message envelope whose text is
inert Markdown (ordinary text such as "Jean-Luc, R&D, 3.5" left as typed),
one TextBlock per paragraph; a message needs a subject. A webhook URL is https
(http only to this machine), Slack's on hooks.slack.com, and a refusal names
``webhook_url`` and says what is wrong. Delivery posts the exact JSON, and a
failure is one line naming the host but never the URL's path or query, which
are the webhook's secret.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from engagement import webhooks
from engagement.errors import Problem, ValidationError
from harness.webhooks import WebhookServer, webhook_server

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
SECRET_PATH = "/services/T000/B000/SECRETxyz"
# A Teams Workflows URL: the secret is the query's sig (and sp carries percent-escapes).
TEAMS_PATH = (
    "/workflows/0123abcd/triggers/manual/paths/invoke"
    "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SECRETsig"
)
ENTITY = re.compile(r"&(?:amp|lt|gt);")


@pytest.fixture
def server() -> Iterator[WebhookServer]:
    with webhook_server() as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as c:
        yield c


def sections(body: dict[str, Any]) -> list[str]:
    """The text of every section block of a Slack payload, in order."""
    return [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]


def card(body: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card inside a Teams payload."""
    content: dict[str, Any] = body["attachments"][0]["content"]
    return content


def paragraphs(body: dict[str, Any]) -> list[str]:
    """The text of the card's TextBlocks after the title."""
    return [block["text"] for block in card(body)["body"][1:]]


def entities_whole(text: str) -> bool:
    """Every ``&`` in ``text`` starts a complete ``&amp;``, ``&lt;`` or ``&gt;``."""
    return "&" not in ENTITY.sub("", text)


def refusal(channel: str, url: str) -> Problem:
    """The one problem :func:`webhooks.validate_url` reports for ``url``."""
    with pytest.raises(ValidationError) as refused:
        webhooks.validate_url(channel, url)
    assert len(refused.value.problems) == 1
    return refused.value.problems[0]


# Slack payloads ------------------------------------------------------------------------------------


def test_a_slack_message_opens_with_a_plain_text_header_of_the_subject_with_whitespace_collapsed() -> None:
    body = webhooks.payload("slack", "  Weekly \n digest\tfor   Cedar ", "Hello")
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Weekly digest for Cedar"}}


def test_a_slack_header_of_exactly_150_characters_is_kept_whole() -> None:
    subject = "s" * 150
    assert webhooks.payload("slack", subject, "")["blocks"][0]["text"]["text"] == subject


def test_a_slack_header_longer_than_150_characters_is_shortened_with_an_ellipsis() -> None:
    subject = "word " * 60  # 299 characters once collapsed
    header = webhooks.payload("slack", subject, "")["blocks"][0]["text"]["text"]
    assert len(header) <= 150
    assert header.endswith("…")
    assert not header.endswith(" …")
    assert " ".join(subject.split()).startswith(header[:-1])


def test_slack_sections_are_verbatim_mrkdwn_so_urls_and_channel_names_are_not_linked() -> None:
    body = webhooks.payload("slack", "Subject", "See https://example.com in #general")
    section_blocks = [b for b in body["blocks"] if b["type"] == "section"]
    assert section_blocks == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "See https://example.com in #general", "verbatim": True}}
    ]


def test_slack_escapes_mentions_links_and_ampersands_so_a_typed_name_stays_a_name() -> None:
    text = "Ping <!channel> and <http://x|here> for R&D"
    body = webhooks.payload("slack", "Cedar <!here> & Oak", text)
    assert sections(body) == ["Ping &lt;!channel&gt; and &lt;http://x|here&gt; for R&amp;D"]
    assert (
        body["text"] == "Cedar &lt;!here&gt; &amp; Oak\n\nPing &lt;!channel&gt; and &lt;http://x|here&gt; for R&amp;D"
    )
    for shown in [*sections(body), body["text"]]:
        assert "<" not in shown
        assert ">" not in shown
        assert entities_whole(shown)


def test_slack_escapes_an_ampersand_first_so_a_typed_entity_is_shown_as_typed() -> None:
    assert webhooks.slack_escape("&lt;b&gt; & <b>") == "&amp;lt;b&amp;gt; &amp; &lt;b&gt;"


def test_slack_fallback_text_is_the_subject_then_the_text() -> None:
    body = webhooks.payload("slack", "Subject", "\n\n  Body line\r\nsecond line  \n")
    assert body["text"] == "Subject\n\nBody line\nsecond line"


def test_a_slack_message_without_text_is_only_its_header() -> None:
    body = webhooks.payload("slack", "Only a subject", "  \n ")
    assert [b["type"] for b in body["blocks"]] == ["header"]
    assert body["text"] == "Only a subject"


def test_long_slack_text_is_split_at_line_breaks_into_sections_of_at_most_3000_characters() -> None:
    lines = [f"line {n:04d} " + "x" * 90 for n in range(100)]  # 100 lines of 100 characters
    body = webhooks.payload("slack", "Subject", "\n".join(lines))
    parts = sections(body)
    assert len(parts) > 1
    assert all(len(part) <= 3000 for part in parts)
    # broken at lines: every section is whole lines, and together they are the text in order
    assert [line for part in parts for line in part.split("\n")] == lines


def test_one_long_slack_line_is_split_at_spaces_keeping_words_whole() -> None:
    words = [f"word{n:04d}" for n in range(900)]  # one line of 8,999 characters
    body = webhooks.payload("slack", "Subject", " ".join(words))
    parts = sections(body)
    assert len(parts) >= 3
    assert all(len(part) <= 3000 for part in parts)
    assert [word for part in parts for word in part.split(" ")] == words


def test_slack_sections_count_escaped_characters_and_never_end_inside_an_entity() -> None:
    text = ("&<>" * 1500) + " tail & <!channel>"  # no spaces to break at: cut between characters
    body = webhooks.payload("slack", "Subject", text)
    parts = sections(body)
    assert len(parts) > 1
    for part in parts:
        assert len(part) <= 3000
        assert entities_whole(part)
        assert "<" not in part and ">" not in part
    # nothing lost or doubled: the sections together are the escaped text (spaces at a cut may go)
    assert "".join("".join(parts).split()) == "".join(webhooks.slack_escape(text).split())


def test_slack_text_too_long_for_50_blocks_is_cut_with_an_ellipsis() -> None:
    text = "\n".join("y" * 2999 for _ in range(60))  # one section per line: 60 sections
    body = webhooks.payload("slack", "Subject", text)
    assert len(body["blocks"]) == 50
    parts = sections(body)
    assert len(parts) == 49
    assert all(len(part) <= 3000 for part in parts)
    assert parts[-1].endswith("…")
    assert all(part == "y" * 2999 for part in parts[:-1])


def test_slack_text_too_long_leaves_room_for_the_button_within_50_blocks() -> None:
    text = "\n".join("y" * 2999 for _ in range(60))
    body = webhooks.payload("slack", "Subject", text, link="https://board.example.com/results")
    assert len(body["blocks"]) == 50
    assert [b["type"] for b in body["blocks"]] == ["header", *["section"] * 48, "actions"]
    assert sections(body)[-1].endswith("…")


def test_slack_text_cut_at_the_block_limit_drops_a_half_entity_before_the_ellipsis() -> None:
    body = webhooks.payload("slack", "Subject", "&" * (600 * 60))  # 60 sections of exactly 600 &amp;
    parts = sections(body)
    assert len(body["blocks"]) == 50
    assert all(part == "&amp;" * 600 for part in parts[:-1])
    last = parts[-1]
    assert len(last) <= 3000
    assert last.endswith("&amp;…")
    assert entities_whole(last.removesuffix("…"))


def test_a_slack_message_with_a_link_ends_with_a_button_to_it() -> None:
    body = webhooks.payload("slack", "Subject", "Text", link="https://board.example.com/c/7", link_label="See it")
    assert body["blocks"][-1] == {
        "type": "actions",
        "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "See it"}, "url": "https://board.example.com/c/7"}
        ],
    }


def test_a_slack_button_label_is_shortened_to_75_characters() -> None:
    body = webhooks.payload("slack", "Subject", "Text", link="https://board.example.com", link_label="L" * 100)
    label = body["blocks"][-1]["elements"][0]["text"]["text"]
    assert len(label) <= 75
    assert label.endswith("…")


@pytest.mark.parametrize("link", [None, ""])
def test_a_slack_message_without_a_link_has_no_actions_block(link: str | None) -> None:
    body = webhooks.payload("slack", "Subject", "Text", link=link)
    assert [b["type"] for b in body["blocks"]] == ["header", "section"]


# Teams payloads ------------------------------------------------------------------------------------


def test_a_teams_message_is_an_adaptive_card_1_4_in_a_message_envelope() -> None:
    body = webhooks.payload("teams", "Weekly digest", "Hello")
    assert body["type"] == "message"
    assert len(body["attachments"]) == 1
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert attachment["content"]["version"] == "1.4"
    assert attachment["content"]["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    json.dumps(body)  # it is JSON as it stands


def test_a_teams_card_opens_with_the_subject_as_a_wrapped_heading() -> None:
    title = card(webhooks.payload("teams", "  Weekly\n digest ", "Hello"))["body"][0]
    assert title["type"] == "TextBlock"
    assert title["text"] == "Weekly digest"
    assert title["style"] == "heading"
    assert title["wrap"] is True
    assert (title["size"], title["weight"]) == ("Large", "Bolder")


def test_teams_escapes_markdown_so_emphasis_links_and_code_are_inert() -> None:
    body = webhooks.payload("teams", "*Cedar* [x](y)", "*bold* [x](y) _it_ `code` ~s~ a\\b <https://x>")
    assert card(body)["body"][0]["text"] == r"\*Cedar\* \[x\]\(y\)"
    assert paragraphs(body) == [r"\*bold\* \[x\]\(y\) \_it\_ \`code\` \~s\~ a\\b \<https://x>"]


def test_teams_escapes_parentheses_so_a_date_function_is_not_formatted() -> None:
    body = webhooks.payload("teams", "Subject", "{{DATE(2026-03-20T15:00:00Z, SHORT)}}")
    assert paragraphs(body) == [r"{{DATE\(2026-03-20T15:00:00Z, SHORT\)}}"]


@pytest.mark.parametrize(
    ("line", "escaped"),
    [
        ("- item", r"\- item"),
        ("+ item", r"\+ item"),
        ("# heading", r"\# heading"),
        ("> quote", r"\> quote"),
        ("1. first", r"1\. first"),
        ("12) twelfth", r"12\) twelfth"),
        ("   - indented item", r"\- indented item"),
    ],
)
def test_teams_escapes_list_heading_and_quote_marks_at_a_line_start(line: str, escaped: str) -> None:
    assert paragraphs(webhooks.payload("teams", "Subject", line)) == [escaped]


def test_teams_escapes_line_start_marks_on_every_line_of_a_paragraph() -> None:
    body = webhooks.payload("teams", "Subject", "Intro\n- item\n2. second")
    assert paragraphs(body) == ["Intro\n\n\\- item\n\n2\\. second"]


def test_teams_leaves_ordinary_text_as_typed() -> None:
    text = "Jean-Luc, R&D, 3.5 points - up 2. Well done! #1 team > last week"
    body = webhooks.payload("teams", "Jean-Luc, R&D, 3.5", text)
    assert card(body)["body"][0]["text"] == "Jean-Luc, R&D, 3.5"
    assert paragraphs(body) == [text]


def test_teams_escapes_an_ampersand_only_where_it_reads_as_an_entity() -> None:
    body = webhooks.payload("teams", "Subject", "R&D &amp; &#169; &nbsp; Q&A")
    assert paragraphs(body) == [r"R&D \&amp; \&#169; \&nbsp; Q&A"]


def test_teams_text_is_one_textblock_per_paragraph_split_at_blank_lines() -> None:
    text = "First paragraph.\n\nSecond one.\n   \nThird,\r\n\r\nfourth."
    blocks = card(webhooks.payload("teams", "Subject", text))["body"][1:]
    assert blocks == [
        {"type": "TextBlock", "text": "First paragraph.", "wrap": True},
        {"type": "TextBlock", "text": "Second one.", "wrap": True},
        {"type": "TextBlock", "text": "Third,", "wrap": True},
        {"type": "TextBlock", "text": "fourth.", "wrap": True},
    ]


def test_teams_writes_a_single_line_break_inside_a_paragraph_as_two_newlines() -> None:
    body = webhooks.payload("teams", "Subject", "Points: 40\nPlace: 2nd\r\nGap: 5\n\nNext")
    assert paragraphs(body) == ["Points: 40\n\nPlace: 2nd\n\nGap: 5", "Next"]


def test_a_teams_message_without_text_is_only_its_title() -> None:
    assert len(card(webhooks.payload("teams", "Subject", "\n \n"))["body"]) == 1


def test_a_teams_message_with_a_link_has_an_open_url_action() -> None:
    body = webhooks.payload("teams", "Subject", "Text", link="https://board.example.com/c/7", link_label="See it")
    assert card(body)["actions"] == [
        {"type": "Action.OpenUrl", "title": "See it", "url": "https://board.example.com/c/7"}
    ]


def test_a_teams_message_without_a_link_has_no_actions() -> None:
    assert card(webhooks.payload("teams", "Subject", "Text"))["actions"] == []


# Payload errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["slack", "teams"])
@pytest.mark.parametrize("subject", ["", "   ", "\n\t "])
def test_a_message_without_a_subject_is_refused(channel: str, subject: str) -> None:
    with pytest.raises(ValueError, match="subject"):
        webhooks.payload(channel, subject, "Text")


def test_a_message_for_an_unknown_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown webhook channel 'email'"):
        webhooks.payload("email", "Subject", "Text")


# Webhook URLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "url"),
    [
        ("slack", "https://hooks.slack.com/services/T/B/X"),
        ("slack", "https://HOOKS.slack.com/services/T/B/X"),
        ("teams", "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke"),
        ("teams", "https://contoso.webhook.office.com/webhookb2/abc"),
        ("teams", "https://hooks.slack.com/services/T/B/X"),
        ("slack", "http://127.0.0.1:8123/hook"),
        ("teams", "http://127.0.0.1:8123/hook"),
        ("slack", "http://localhost:8123/hook"),
        ("teams", "http://[::1]:8123/hook"),
        ("slack", "https://127.0.0.1/hook"),
    ],
)
def test_a_valid_webhook_url_is_accepted_as_given(channel: str, url: str) -> None:
    assert webhooks.validate_url(channel, url) == url


def test_a_webhook_url_is_accepted_without_surrounding_spaces() -> None:
    assert webhooks.validate_url("slack", f"  \t{SLACK_URL} \n") == SLACK_URL


def test_a_webhook_url_of_2000_characters_is_accepted() -> None:
    url = SLACK_URL + "x" * (2000 - len(SLACK_URL))
    assert webhooks.validate_url("slack", url) == url


@pytest.mark.parametrize(
    ("channel", "url", "says"),
    [
        ("slack", "", "is empty; paste the webhook URL"),
        ("teams", "   \n", "is empty; paste the webhook URL"),
        ("slack", SLACK_URL + "x" * (2001 - len(SLACK_URL)), "is too long (2,001 characters; the limit is 2,000)"),
        ("slack", "https://hooks.slack.com/services/T/B /X", "must not contain spaces or control characters"),
        ("teams", "https://example.com/a\tb", "must not contain spaces or control characters"),
        ("teams", "https://example.com/a\nb", "must not contain spaces or control characters"),
        ("teams", "https://example.com/a\x00b", "must not contain spaces or control characters"),
        ("teams", "https://example.com/a\x7fb", "must not contain spaces or control characters"),
        ("slack", "ftp://hooks.slack.com/services/T/B/X", "it must start with https://"),
        ("teams", "javascript:alert(1)", "it must start with https://"),
        ("teams", "hooks.slack.com/services/T/B/X", "it must start with https://"),
        ("teams", "https:///no-host", "it must start with https://"),
        ("slack", "http://hooks.slack.com/services/T/B/X", "must start with https:// (plain http:// is allowed only"),
        ("teams", "http://example.com/hook", "must start with https:// (plain http:// is allowed only"),
        ("teams", "http://127.0.0.2/hook", "must start with https:// (plain http:// is allowed only"),
        ("slack", "https://user:password@hooks.slack.com/services/T/B/X", "must not contain a user name or password"),
        ("teams", "https://user@example.com/hook", "must not contain a user name or password"),
        ("slack", "https://hooks.slack.com@evil.example/services/T/B/X", "must not contain a user name or password"),
        ("slack", "https://example.com/services/T/B/X", "is not a Slack incoming webhook"),
        ("slack", "https://hooks.slack.com.evil.example/services/T/B/X", "is not a Slack incoming webhook"),
        ("slack", "https://evil.example/#@hooks.slack.com/services", "is not a Slack incoming webhook"),
        ("teams", "https://x:99999/", "is not a valid web address"),
        ("teams", "https://x:port/", "is not a valid web address"),
        ("teams", "https://[::1/hook", "is not a valid web address"),
    ],
)
def test_an_unusable_webhook_url_is_refused_on_the_field_saying_why(channel: str, url: str, says: str) -> None:
    problem = refusal(channel, url)
    assert problem.field == "webhook_url"
    assert says in problem.message
    assert problem.row is None


def test_a_non_slack_url_for_slack_is_refused_pointing_at_the_slack_address() -> None:
    problem = refusal("slack", "https://prod-12.westeurope.logic.azure.com/workflows/abc")
    assert problem.message == "is not a Slack incoming webhook; those start with https://hooks.slack.com/services/"
    assert str(problem) == f"webhook_url: {problem.message}"


def test_a_refused_webhook_url_is_not_echoed_in_the_message() -> None:
    problem = refusal("slack", "https://example.com/services/T000/B000/SECRETxyz")
    assert "SECRETxyz" not in problem.message
    assert "example.com" not in problem.message


def test_validating_a_url_for_an_unknown_channel_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown webhook channel 'email'") as raised:
        webhooks.validate_url("email", SLACK_URL)
    assert not isinstance(raised.value, ValidationError)


# Delivery ------------------------------------------------------------------------------------------


def test_a_taken_post_returns_none_and_the_server_received_the_exact_json(
    server: WebhookServer, client: httpx.Client
) -> None:
    body = {"text": "Zoë’s team — 1st ✓", "blocks": [{"type": "divider"}], "n": 3, "none": None}
    assert webhooks.post(client, server.url(SECRET_PATH), body) is None
    assert server.bodies(SECRET_PATH) == [body]
    [received] = server.received
    assert received.headers["content-type"] == "application/json"
    assert json.loads(received.raw) == body


@pytest.mark.parametrize("status", [200, 202, 204])
def test_any_2xx_answer_counts_as_taken(server: WebhookServer, client: httpx.Client, status: int) -> None:
    server.status, server.reply = status, ""  # Teams Workflows answer 202 with no body
    assert webhooks.post(client, server.url(), {"a": 1}) is None
    assert server.bodies() == [{"a": 1}]


def test_a_slack_payload_arrives_as_it_was_made(server: WebhookServer, client: httpx.Client) -> None:
    body = webhooks.payload(
        "slack", "Cedar <!channel> & co", "Line one & <b>\n" + "word " * 1000, link="https://board.example.com/c/1"
    )
    assert webhooks.post(client, server.url(SECRET_PATH), body) is None
    assert server.bodies(SECRET_PATH) == [body]


def test_a_teams_payload_arrives_as_it_was_made(server: WebhookServer, client: httpx.Client) -> None:
    body = webhooks.payload("teams", "- Cedar *1st*", "Jean-Luc, R&D\n1. first\n\n[x](y)", link="https://b.example")
    assert webhooks.post(client, server.url(TEAMS_PATH), body) is None
    assert server.bodies(TEAMS_PATH) == [body]


def test_a_server_error_names_the_status_and_host_but_not_the_secret_path(
    server: WebhookServer, client: httpx.Client
) -> None:
    url = server.url(SECRET_PATH)
    server.status = 500
    server.reply = f"Internal error handling POST {SECRET_PATH} (full address {url})"
    reason = webhooks.post(client, url, {"text": "hi"})
    assert reason is not None
    assert reason.startswith("HTTP 500 from 127.0.0.1: Internal error handling POST")
    assert "SECRETxyz" not in reason
    assert SECRET_PATH not in reason
    assert "/services/" not in reason
    assert server.bodies(SECRET_PATH) == [{"text": "hi"}]  # it did arrive; the answer was the failure


def test_an_error_echoing_a_teams_url_hides_its_path_and_signed_query(
    server: WebhookServer, client: httpx.Client
) -> None:
    url = server.url(TEAMS_PATH)
    server.status = 400
    server.reply = f"Bad request to {TEAMS_PATH}; retry {url}"
    reason = webhooks.post(client, url, {"type": "message"})
    assert reason is not None
    assert reason.startswith("HTTP 400 from 127.0.0.1:")
    assert "SECRETsig" not in reason
    assert "sig=" not in reason
    assert "workflows" not in reason


def test_an_error_echoing_a_percent_encoded_path_still_hides_the_secret(
    server: WebhookServer, client: httpx.Client
) -> None:
    path = "/services/T000/B000/SECRETxyz{é}"
    url = server.url(path)
    assert webhooks.validate_url("slack", url) == url  # such a URL is taken
    server.status = 404
    webhooks.post(client, url, {})
    server.reply = f"no hook at {server.received[-1].path}"  # what the server saw: /services/…/SECRETxyz%7B%C3%A9%7D
    reason = webhooks.post(client, url, {})
    assert reason is not None
    assert "SECRETxyz" not in reason


def test_an_error_reason_is_one_line_with_the_reply_shortened(server: WebhookServer, client: httpx.Client) -> None:
    server.status = 400
    server.reply = "invalid_payload\n\tfirst problem\r\n" + "z" * 500
    reason = webhooks.post(client, server.url(), {})
    assert reason is not None
    assert "\n" not in reason and "\r" not in reason and "\t" not in reason
    prefix = "HTTP 400 from 127.0.0.1: "
    assert reason.startswith(prefix + "invalid_payload first problem zzz")
    assert len(reason) == len(prefix) + 200


def test_an_error_without_a_reply_is_just_the_status_and_host(server: WebhookServer, client: httpx.Client) -> None:
    server.status, server.reply = 403, "  \n "
    assert webhooks.post(client, server.url(SECRET_PATH), {}) == "HTTP 403 from 127.0.0.1"


def test_a_rate_limited_post_names_http_429(server: WebhookServer, client: httpx.Client) -> None:
    server.status, server.reply = 429, "rate_limited"
    reason = webhooks.post(client, server.url(SECRET_PATH), {"text": "hi"})
    assert reason == "HTTP 429 from 127.0.0.1: rate_limited"


def test_a_rate_limited_post_says_when_to_retry_from_the_retry_after_header() -> None:
    # harness.webhooks cannot send response headers, so this one answer comes from an in-process transport.
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": " 30 "}, text=f"slow down {request.url.path}")

    with httpx.Client(transport=httpx.MockTransport(answer), timeout=5) as mocked:
        reason = webhooks.post(mocked, "https://hooks.slack.com" + SECRET_PATH, {"text": "hi"})
    assert reason == "HTTP 429 from hooks.slack.com (retry after 30 s): slow down …"


def test_a_post_to_a_stopped_server_names_the_exception_and_host_but_not_the_path(
    server: WebhookServer, client: httpx.Client
) -> None:
    url = server.url(SECRET_PATH)
    server.stop()
    reason = webhooks.post(client, url, {"text": "hi"})
    assert reason is not None
    assert reason.startswith("ConnectError reaching 127.0.0.1: ")
    assert len(reason) > len("ConnectError reaching 127.0.0.1: ")
    assert "SECRETxyz" not in reason
    assert "/services/" not in reason
    assert "\n" not in reason


def test_a_post_that_gets_no_answer_in_time_names_the_timeout_and_host() -> None:
    with socket.socket() as silent:  # listens (the kernel accepts the connection) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with httpx.Client(timeout=0.2) as impatient:
            reason = webhooks.post(impatient, f"http://127.0.0.1:{port}{SECRET_PATH}", {"text": "hi"})
    assert reason is not None
    assert reason.startswith("ReadTimeout reaching 127.0.0.1: ")
    assert "SECRETxyz" not in reason


@pytest.mark.parametrize(
    ("url", "starts"),
    [
        ("ftp://127.0.0.1/services/T/B/SECRETxyz", "UnsupportedProtocol reaching 127.0.0.1: "),
        ("services/T/B/SECRETxyz", "UnsupportedProtocol reaching the webhook host: "),
        ("http://[::1/services/T/B/SECRETxyz", "InvalidURL reaching the webhook host: "),
    ],
)
def test_a_post_to_an_unusable_url_returns_a_reason_instead_of_raising(url: str, starts: str) -> None:
    with httpx.Client(timeout=5) as c:
        reason = webhooks.post(c, url, {})
    assert reason is not None
    assert reason.startswith(starts)
    assert "SECRETxyz" not in reason
