"""Account → Messages and Admin → Messages and Deliveries: choices saved as made, deliveries shown as allowed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from db.models import NotificationPreference, OutboxMessage, Person, QuietHours, Role
from engagement import demo, outbox, periods, preferences, settings
from tests.app.form_keys import key
from tests.app.test_admin_page import open_admin
from tests.factories import in_store, store

AGENT = demo.DEMO_ACCOUNTS[Role.AGENT]


def person_id(url: str, email: str) -> int:
    found = in_store(url, lambda s: s.scalar(select(Person.id).where(Person.email == email)))
    assert found is not None
    return int(found)


def account(app_as: Callable[[Role], AppTest], role: Role) -> AppTest:
    at = app_as(role).switch_page("pages/account.py").run()
    assert not at.exception
    return at


def submit(at: AppTest, form: str, label: str) -> AppTest:
    at.button(key=f"FormSubmitter:{form}.{key(at, form, '')[len(form) + 1 :].rstrip('.')}-{label}").click().run()
    assert not at.exception
    return at


def test_an_agent_turns_a_kind_off_and_keeps_the_rest(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = account(app_as, Role.AGENT)
    labels = [t.label for t in at.toggle]
    assert labels == [preferences.KINDS[k] for k in ("pulse_invitation", "pulse_reminder", "agent_digest", "decision")]
    at.toggle(key=key(at, "account.messages", "agent_digest.on")).set_value(False)
    submit(at, "account.messages", "Save my choices")
    assert "Your choices are saved." in [s.value for s in at.success] + [t.value for t in at.toast]

    def stored(session: object) -> list[tuple[str, bool, str]]:
        rows = session.scalars(select(NotificationPreference))  # type: ignore[attr-defined]
        return [(r.kind, r.enabled, r.channel) for r in rows]

    assert in_store(demo_url, stored) == [("agent_digest", False, "email")]


def test_quiet_hours_and_an_own_webhook_are_saved(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = account(app_as, Role.AGENT)
    at.checkbox(key=key(at, "account.quiet", "on")).check()
    submit(at, "account.quiet", "Save quiet hours")
    me = person_id(demo_url, AGENT)
    window = in_store(demo_url, lambda s: s.get(QuietHours, me))
    assert window is not None and (window.starts.hour, window.ends.hour) == (20, 8)
    at.text_input(key=key(at, "account.hooks", "url")).input("https://not-slack.example/hook")
    submit(at, "account.hooks", "Save my webhook")
    assert "Webhook URL: is not a Slack incoming webhook" in " ".join(e.value for e in at.error).replace("\\", "")
    at.text_input(key=key(at, "account.hooks", "url")).input("https://hooks.slack.com/services/T1/B2/SECRET")
    submit(at, "account.hooks", "Save my webhook")
    shown = " ".join(str(df.value.to_dict()) for df in at.dataframe)
    assert "hooks.slack.com" in shown and "SECRET" not in shown
    channel = at.selectbox(key=key(at, "account.messages", "decision.channel"))
    assert channel.options == ["Email", "Slack"]


def test_admin_sets_the_times_and_defaults(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_admin(app_as, "Messages")
    at.selectbox(key=key(at, "admin.moments", "invite_at.day")).set_value(1)
    submit(at, "admin.moments", "Save times")
    assert in_store(demo_url, settings.load).invite_at == settings.parse_moment("tue 10:00")
    at.selectbox(key=key(at, "admin.defaults", "agent_digest")).set_value("off")
    submit(at, "admin.defaults", "Save defaults")
    assert in_store(demo_url, preferences.defaults)["agent_digest"] == "off"


def failed_messages(url: str) -> None:
    """One failed decision email and one failed reminder, as notify leaves them."""
    now = periods.now_utc()
    with store(url) as session:
        me = person_id(url, AGENT)
        for kind, audience, person in (("decision", f"person:{me}", me), ("pulse_reminder", "reminder:abc", None)):
            outbox.enqueue(
                session,
                kind=kind,
                audience=audience,
                person_id=person,
                period="2026-03-16",
                recipient=AGENT if person else "",
                subject="s",
                body_text="t",
                body_html="<p>t</p>",
                now=now - timedelta(hours=1),
            )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.subject == "s")
            .values(status="failed", attempts=4, last_error="550 mailbox unavailable")
        )


def test_deliveries_list_failures_with_the_reason_and_reminders_only_as_counts(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    failed_messages(demo_url)
    at = open_admin(app_as, "Deliveries")
    counts = at.dataframe[0].value
    assert counts["Sent"].sum() == 0
    assert dict(zip(counts["Message"], counts["Failed"], strict=True)) == {
        preferences.KINDS["pulse_reminder"]: 1,
        preferences.KINDS["decision"]: 1,
    }
    assert counts["Sent"].sum() == 0
    failed = at.dataframe[1].value
    assert list(failed["Reason"]) == ["550 mailbox unavailable"]
    assert AGENT in failed["For"][0]
    at.button(key="deliveries.retry").click().run()
    mine = select(OutboxMessage.kind, OutboxMessage.status).where(OutboxMessage.subject == "s")
    assert in_store(demo_url, lambda s: dict(s.execute(mine).all())) == {
        "decision": "pending",
        "pulse_reminder": "failed",
    }
    assert "1 message(s) queued again" in " ".join(t.value for t in [*at.success, *at.toast])
