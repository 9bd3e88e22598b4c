"""Approvals: leads and admins decide on pending entries; the person sees the decision on My standing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import Challenge, Kind, Person, Result, Role, Status
from engagement import amounts, demo, periods, results
from engagement.access import SYSTEM, Actor, actor_for_email
from tests.app import form_keys
from tests.app.conftest import DASHBOARD, TIMEOUT, signed_in
from tests.factories import store

PAGE = "pages/approvals.py"
APPROVE = "FormSubmitter:approvals.form-Approve"
REJECT = "FormSubmitter:approvals.form-Reject"


def lead(session: Session) -> Actor:
    actor = actor_for_email(session, demo.DEMO_ACCOUNTS[Role.LEAD])
    assert actor is not None
    return actor


def pending_ids(url: str) -> list[int]:
    """The lead's pending entries, oldest first, as the domain lists them."""
    with store(url) as s:
        return [e.id for e in results.pending_entries(s, lead(s))]


def status_of(url: str, entry_id: int) -> tuple[Status, str | None]:
    with store(url) as s:
        result = s.get(Result, entry_id)
        assert result is not None
        return result.status, result.decision_reason


def open_page(app_as: Callable[[Role], AppTest], role: Role = Role.LEAD) -> AppTest:
    at = app_as(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def tick(at: AppTest, entry_ids: list[int]) -> AppTest:
    """Tick entries in the table by entry id (turned into the editor's row positions)."""
    editor = at.data_editor[0]
    positions = {int(i): pos for pos, i in enumerate(editor.value.index)}
    at.session_state[editor.key] = {
        "edited_rows": {positions[i]: {"Decide": True} for i in entry_ids},
        "added_rows": [],
        "deleted_rows": [],
    }
    return at


def shown(elements: object) -> str:
    return " ".join(e.value for e in elements).replace("\\", "")  # type: ignore[attr-defined]


# -- who may open it --------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_open_the_page(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = open_page(app_as, role)
    assert at.title[0].value == "Approvals"
    assert at.data_editor, "the pending entries are listed"


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_agents_and_managers_have_no_approvals_page(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = app_as(role)
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page(PAGE)


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_the_page_guards_itself_when_reached_directly(demo_url: str, role: Role) -> None:
    path = str(Path(DASHBOARD).parent / PAGE)
    at = signed_in(AppTest.from_file(path, default_timeout=TIMEOUT), demo_url, demo.DEMO_ACCOUNTS[role]).run()
    assert [e.value for e in at.error] == ["This page is for team leads, admins."]
    assert not at.data_editor


# -- what is listed ----------------------------------------------------------------


def test_the_lead_sees_their_teams_pending_entries_and_their_count(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    expected = pending_ids(demo_url)
    assert expected, "the demo has pending entries for the lead's team"
    assert [int(i) for i in at.data_editor[0].value.index] == expected
    assert at.markdown[0].value.startswith(f"**{len(expected)} entries waiting**")


def test_an_admin_sees_every_team_or_the_one_they_choose(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as, Role.ADMIN)
    with store(demo_url) as s:
        everyone = [e.id for e in results.pending_entries(s, SYSTEM)]
        cedar = lead(s).team_id
        cedar_only = [e.id for e in results.pending_entries(s, SYSTEM, cedar)]
    assert [int(i) for i in at.data_editor[0].value.index] == everyone
    assert "Team" in at.data_editor[0].value.columns
    at.selectbox(key="approvals.team").set_value(cedar).run()
    assert [int(i) for i in at.data_editor[0].value.index] == cedar_only
    assert at.markdown[0].value.startswith(f"**{len(cedar_only)} entries waiting**")


def test_a_repeat_of_an_earlier_entry_is_flagged_in_words(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    oldest = pending_ids(demo_url)[0]
    with store(demo_url) as s:
        first = s.get(Result, oldest)
        assert first is not None
        twin = results.ResultInput(
            first.person_id, first.challenge_id, first.quantity, first.occurred_on, status=Status.PENDING
        )
        twin_id = results.record_result(s, SYSTEM, twin).id
    at = open_page(app_as)
    table = at.data_editor[0].value
    assert table.loc[twin_id, "Check"].startswith(f"Possible duplicate of entry #{first.id}")
    assert "duplicate" not in table.loc[first.id, "Check"]


def test_an_entry_above_the_daily_cap_is_flagged_with_the_cap_and_the_amount(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    waiting = pending_ids(demo_url)
    with store(demo_url) as s:
        capped = s.execute(
            select(Result.id, Challenge.daily_cap)
            .join(Challenge, Challenge.id == Result.challenge_id)
            .where(Result.id.in_(waiting), Challenge.daily_cap.is_not(None))
            .limit(1)
        ).one()
        s.execute(update(Result).where(Result.id == capped.id).values(quantity=capped.daily_cap + 1))
    with store(demo_url) as s:
        (entry,) = [e for e in results.pending_entries(s, lead(s)) if e.id == capped.id]
    cap = amounts.in_words(capped.daily_cap, entry.unit)
    assert entry.day_amount is not None and entry.day_amount >= capped.daily_cap + 1
    at = open_page(app_as)
    check = at.data_editor[0].value.loc[capped.id, "Check"]
    assert f"Above the daily cap of {cap}: {amounts.in_words(entry.day_amount, entry.unit)}" in check
    assert check.endswith(f"(only {cap} earn points)")


def test_a_leads_own_entry_is_shown_as_waiting_for_someone_else_and_cannot_be_ticked(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    with store(demo_url) as s:
        me = lead(s)
        # a day and a running challenge the lead's team logs for, so only the amount makes it wait
        team_entry = s.execute(
            select(Result.challenge_id, Result.occurred_on)
            .join(Challenge, Challenge.id == Result.challenge_id)
            .where(Result.team_id == me.team_id, Challenge.kind == Kind.ENERGY)
            .order_by(Result.id.desc())
        ).first()
        assert me.person_id is not None and team_entry is not None
        own = results.record_result(s, me, results.ResultInput(me.person_id, team_entry[0], 900, team_entry[1]))
        assert own.status is Status.PENDING, "a lead's own entry above the limit waits"
        own_id = own.id
    at = open_page(app_as)
    assert [e.label for e in at.expander] == [
        "Your own entries waiting (1): another lead of your site or an admin decides them"
    ]
    assert "you can correct or withdraw them on My standing" in at.expander[0].caption[0].value
    assert own_id not in {int(i) for i in at.data_editor[0].value.index}
    at.checkbox(key=form_keys.key(at, "approvals.table", "every")).check()
    at = at.button(key=APPROVE).click().run()
    assert status_of(demo_url, own_id)[0] is Status.PENDING
    admin = open_page(app_as, Role.ADMIN)
    assert own_id in {int(i) for i in admin.data_editor[0].value.index}


# -- deciding ----------------------------------------------------------------------


def test_approving_ticked_entries_approves_exactly_those(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    waiting = pending_ids(demo_url)
    chosen, others = [waiting[0], waiting[-1]], waiting[1:-1]
    at = tick(at, chosen).button(key=APPROVE).click().run()
    assert not at.error
    assert at.success[0].value == "Approved 2 entries."
    assert [status_of(demo_url, i)[0] for i in chosen] == [Status.APPROVED] * 2
    assert pending_ids(demo_url) == others
    assert [int(i) for i in at.data_editor[0].value.index] == others


def test_rejecting_needs_a_reason(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    entry = pending_ids(demo_url)[0]
    at = tick(at, [entry]).button(key=REJECT).click().run()
    assert "reason: is required, so the person knows why" in shown(at.error)
    assert status_of(demo_url, entry) == (Status.PENDING, None)
    at = tick(at, [entry])
    at.text_input(key=form_keys.key(at, "approvals.table", "reason")).input("That day was a training day")
    at = at.button(key=REJECT).click().run()
    assert at.success[0].value == "Rejected 1 entry."
    assert status_of(demo_url, entry) == (Status.REJECTED, "That day was a training day")
    assert at.text_input(key=form_keys.key(at, "approvals.table", "reason")).value == "", (
        "the reason is not carried to the next decision"
    )


def test_deciding_with_nothing_ticked_is_refused(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    before = pending_ids(demo_url)
    at = at.button(key=APPROVE).click().run()
    assert shown(at.error) == "Nothing was decided: tick at least one entry, or choose every entry listed."
    assert pending_ids(demo_url) == before


def test_an_entry_decided_elsewhere_meanwhile_is_reported_as_left_alone(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    first, second = pending_ids(demo_url)[:2]
    with store(demo_url) as s:  # an admin rejects one while the lead is deciding
        results.decide(s, SYSTEM, [first], approve=False, reason="Duplicate")
        person = s.get(Result, first).person.name  # type: ignore[union-attr]
    at = tick(at, [first, second]).button(key=APPROVE).click().run()
    message = at.success[0].value.replace("\\", "")
    assert message.startswith("Approved 1 entry. Left alone: ")
    assert f"{person}, " in message and ": already rejected." in message
    assert status_of(demo_url, first) == (Status.REJECTED, "Duplicate")
    assert status_of(demo_url, second)[0] is Status.APPROVED


def test_approving_every_entry_listed_leaves_nothing_waiting(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    waiting = pending_ids(demo_url)
    at.checkbox(key=form_keys.key(at, "approvals.table", "every")).check()
    at = at.button(key=APPROVE).click().run()
    assert at.success[0].value == f"Approved {len(waiting)} entries."
    assert pending_ids(demo_url) == []
    assert [i.value for i in at.info] == [
        "Nothing waiting for you. Entries your team and the other leads of your site log above a challenge's "
        "auto-approve limit appear here."
    ]
    assert not at.data_editor


# -- end to end: the agent sees the decision ---------------------------------------


def log_on_my_standing(at: AppTest, note: str) -> AppTest:
    """The agent logs two trees (no auto-approval for trees) from My standing."""
    at.selectbox(key="standing.log.challenge").set_value("Plant a tree").run()
    next(n for n in at.number_input if n.label == "How much (trees)").set_value(2.0)
    next(t for t in at.text_input if t.label == "Note (optional)").input(note)
    return at.button(key="FormSubmitter:standing.log-Submit").click().run()


def my_entry(at: AppTest, note: str) -> dict[str, str]:
    entries = next(d.value for d in at.dataframe if "Your note" in d.value.columns)
    rows = entries[entries["Your note"] == note].to_dict("records")
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(
    ("button", "reason", "status", "note"),
    [(APPROVE, "", "Approved", ""), (REJECT, "Trees need a photo", "Not approved", "Trees need a photo")],
)
def test_the_agent_sees_the_leads_decision_on_my_standing(
    app_as: Callable[[Role], AppTest], demo_url: str, button: str, reason: str, status: str, note: str
) -> None:
    agent = log_on_my_standing(app_as(Role.AGENT), "Two oaks in the park")
    assert not agent.exception
    assert my_entry(agent, "Two oaks in the park")["Status"] == "Waiting for your lead"

    with store(demo_url) as s:
        me = s.scalar(select(Person.id).where(Person.email == demo.DEMO_ACCOUNTS[Role.AGENT]))
        mine = [
            e.id for e in results.pending_entries(s, lead(s)) if e.person_id == me and e.note == "Two oaks in the park"
        ]
    assert len(mine) == 1
    approvals = tick(open_page(app_as), mine)
    approvals.text_input(key=form_keys.key(approvals, "approvals.table", "reason")).input(reason)
    approvals = approvals.button(key=button).click().run()
    assert not approvals.error

    agent.run()
    seen = my_entry(agent, "Two oaks in the park")
    assert (seen["Status"], seen["Lead's note"]) == (status, note)
    assert periods.today("Europe/London").isoformat() == seen["Day"]
