"""Safeguards on entries: withdrawing or correcting one's own pending entry, repeats, days above the cap.

Each rule is tried on both stores: a withdrawn entry leaves the approvals queue
and counts nowhere; a repeat is found before saving and flagged in the queue
with the entry it repeats; an entry taking a day above the challenge's cap is
flagged with the cap and the amount, computed in SQL even for entries outside
the page of the queue that is read.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Result, Role, Status
from engagement import results
from engagement.access import SYSTEM, Actor
from engagement.errors import Conflict, PermissionDenied
from engagement.leaderboards import Scope, person_leaderboard
from tests.factories import NOW, log, make_challenge, make_person

DAY = date(2026, 3, 10)


def _submit(session: Session, agent: Actor, challenge: int, quantity: float, day: date = DAY) -> int:
    """An agent's own entry, waiting for their lead (the challenges here do not auto-approve)."""
    assert agent.person_id is not None
    entry = results.ResultInput(agent.person_id, challenge, quantity, day)
    return results.record_results(session, agent, [entry], now=NOW).ids[0]


def _queue(session: Session, lead: Actor, limit: int = 500) -> dict[int, results.Entry]:
    return {e.id: e for e in results.pending_entries(session, lead, limit=limit)}


def test_an_agent_withdraws_their_own_pending_entry_and_it_counts_nowhere(session: Session) -> None:
    challenge = make_challenge(session)
    agent, lead = make_person(session, name="Ana"), make_person(session, role=Role.LEAD)
    entry = _submit(session, agent, challenge, 3)
    assert list(_queue(session, lead)) == [entry] and results.pending_count(session, lead) == 1

    withdrawn = results.withdraw_result(session, agent, entry, 1, "typed the wrong day", now=NOW)

    assert (withdrawn.status, withdrawn.decision_reason) == (Status.VOIDED, "typed the wrong day")
    assert _queue(session, lead) == {} and results.pending_count(session, lead) == 0
    assert results.own_pending_entries(session, agent) == []
    with pytest.raises(PermissionDenied):  # withdrawn is final: no approving it afterwards
        results.edit_result(session, agent, entry, withdrawn.version, quantity=3, now=NOW)
    assert results.decide(session, lead, [entry], approve=True).skipped == {entry: "already voided"}
    assert person_leaderboard(session, SYSTEM, Scope(challenge)) == []
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "result.withdraw")).one()
    before, after = json.loads(audit.before or "{}"), json.loads(audit.after or "{}")
    assert (audit.entity_id, audit.actor_label, audit.reason) == (entry, agent.email, "typed the wrong day")
    assert (before["status"], after["status"]) == ("pending", "voided")


def test_a_withdrawal_without_a_reason_says_so(session: Session) -> None:
    challenge = make_challenge(session)
    agent = make_person(session)
    entry = _submit(session, agent, challenge, 3)
    assert results.withdraw_result(session, agent, entry, 1, now=NOW).decision_reason == results.WITHDRAWN


def test_only_ones_own_entry_can_be_withdrawn_and_only_while_it_waits(session: Session) -> None:
    challenge = make_challenge(session)
    agent, colleague = make_person(session), make_person(session)
    lead = make_person(session, role=Role.LEAD)
    approved = log(session, agent, challenge, 2)
    theirs = _submit(session, colleague, challenge, 2)
    mine = _submit(session, agent, challenge, 4)
    for actor, entry in ((agent, approved), (agent, theirs), (lead, mine), (SYSTEM, mine)):
        with pytest.raises(PermissionDenied):
            results.withdraw_result(session, actor, entry, 1, now=NOW)
    assert session.get(Result, mine).status is Status.PENDING  # type: ignore[union-attr]


def test_a_withdrawal_from_a_stale_page_is_refused_after_the_lead_decided(session: Session) -> None:
    challenge = make_challenge(session)
    agent, lead = make_person(session), make_person(session, role=Role.LEAD)
    entry = _submit(session, agent, challenge, 4)
    assert results.decide(session, lead, [entry], approve=True).decided == [entry]
    with pytest.raises(Conflict, match="reload"):
        results.withdraw_result(session, agent, entry, 1, now=NOW)
    with pytest.raises(Conflict, match="reload"):
        results.edit_result(session, agent, entry, 1, quantity=3, now=NOW)
    assert session.get(Result, entry).status is Status.APPROVED  # type: ignore[union-attr]


def test_an_agent_corrects_their_own_pending_entry_which_still_waits(session: Session) -> None:
    challenge = make_challenge(session)
    agent, lead = make_person(session), make_person(session, role=Role.LEAD)
    entry = _submit(session, agent, challenge, 4)
    corrected = results.edit_result(session, agent, entry, 1, quantity=2.5, occurred_on=date(2026, 3, 9), now=NOW)
    assert (corrected.quantity, corrected.occurred_on, corrected.status) == (2.5, date(2026, 3, 9), Status.PENDING)
    assert [(e.id, e.quantity) for e in _queue(session, lead).values()] == [(entry, 2.5)]
    with pytest.raises(Conflict, match="reload"):  # the version the first correction replaced
        results.edit_result(session, agent, entry, 1, quantity=3, now=NOW)
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "result.update")).one()
    assert (audit.entity_id, audit.actor_label) == (entry, agent.email)


# -- a second identical entry ------------------------------------------------------


def test_a_repeat_is_found_before_saving(session: Session) -> None:
    challenge, other_challenge = make_challenge(session), make_challenge(session)
    agent = make_person(session)
    assert agent.person_id is not None
    first = _submit(session, agent, challenge, 2.5)

    def repeat(quantity: float = 2.5, day: date = DAY, challenge_id: int = challenge, actor: Actor = agent) -> object:
        data = results.ResultInput(agent.person_id or 0, challenge_id, quantity, day)
        return results.find_duplicate(session, actor, data)

    assert repeat() == first
    assert repeat(quantity=150 / 60) == first  # the same amount, however it was typed
    assert [repeat(quantity=3), repeat(day=date(2026, 3, 9)), repeat(challenge_id=other_challenge)] == [None] * 3
    assert repeat(actor=make_person(session, team="Birch", role=Role.LEAD)) is None  # not their team's entry
    assert repeat(actor=make_person(session, team="Cedar", role=Role.LEAD)) == first
    with pytest.raises(PermissionDenied):
        repeat(actor=make_person(session))  # another agent asking about this one
    sent = session.get(Result, first)
    assert sent is not None and sent.ref is None
    sent.ref = "form-1"
    resent = results.ResultInput(agent.person_id, challenge, 2.5, DAY, ref="form-1")
    assert results.find_duplicate(session, agent, resent) is None  # a double click, handed back when saved
    results.withdraw_result(session, agent, first, sent.version, now=NOW)
    assert repeat() is None  # a withdrawn entry is no longer there to repeat


def test_the_queue_flags_a_repeat_with_the_entry_it_repeats(session: Session) -> None:
    challenge = make_challenge(session)
    agent, lead = make_person(session), make_person(session, role=Role.LEAD)
    approved = log(session, agent, challenge, 2, status=Status.APPROVED)
    first = _submit(session, agent, challenge, 3)
    again = _submit(session, agent, challenge, 3)
    of_approved = _submit(session, agent, challenge, 2)
    different = _submit(session, agent, challenge, 3, date(2026, 3, 11))
    queue = _queue(session, lead)
    assert {i: e.duplicate_of for i, e in queue.items()} == {
        first: None,
        again: first,
        of_approved: approved,
        different: None,
    }
    assert results.flags(queue[again]) == [f"Possible duplicate of entry #{first}"]
    # The queue is paged in the database; a page's flags are found against entries off it too.
    assert [(e.id, e.duplicate_of) for e in results.pending_entries(session, lead, limit=1)] == [(first, None)]
    assert results.pending_entries(session, lead, limit=3)[-1].duplicate_of == approved
    rejected = results.decide(session, lead, [first], approve=False, reason="typed twice")
    assert rejected.decided == [first]
    assert _queue(session, lead)[again].duplicate_of is None  # a rejected entry is not repeated


# -- the daily cap -----------------------------------------------------------------


def test_the_queue_flags_a_day_above_the_cap_with_the_cap_and_the_amount(session: Session) -> None:
    capped, uncapped = make_challenge(session, daily_cap=5), make_challenge(session)
    agent, lead = make_person(session), make_person(session, role=Role.LEAD)
    alone = _submit(session, agent, capped, 7)
    log(session, agent, capped, 4, date(2026, 3, 11))
    topping = _submit(session, agent, capped, 2, date(2026, 3, 11))
    within = _submit(session, agent, capped, 5, date(2026, 3, 12))
    free = _submit(session, agent, uncapped, 50)
    queue = _queue(session, lead)
    assert [(queue[i].daily_cap, queue[i].day_amount) for i in (alone, topping, within, free)] == [
        (5, 7),
        (5, 6),
        (None, None),
        (None, None),
    ]
    assert results.flags(queue[alone]) == ["Above the daily cap of 5 kWh: 7 kWh (only 5 kWh earn points)"]
    assert results.flags(queue[topping]) == [
        "Above the daily cap of 5 kWh: 6 kWh that day with their other entries (only 5 kWh earn points)"
    ]
    assert results.flags(queue[within]) == results.flags(queue[free]) == []


def test_a_repeat_above_the_cap_carries_both_flags(session: Session) -> None:
    challenge = make_challenge(session, daily_cap=5)
    agent, lead = make_person(session), make_person(session, role=Role.LEAD)
    first = _submit(session, agent, challenge, 3)
    again = _submit(session, agent, challenge, 3)
    assert results.flags(_queue(session, lead)[again]) == [
        f"Possible duplicate of entry #{first}",
        "Above the daily cap of 5 kWh: 6 kWh that day with their other entries (only 5 kWh earn points)",
    ]
