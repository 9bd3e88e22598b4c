"""volunteering_totals: hours by activity and by organisation from one breakdown."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from db.models import Kind
from engagement import results
from engagement.access import SYSTEM
from engagement.impact import volunteering_totals
from tests.factories import make_challenge, make_person


def test_totals_add_up_the_breakdown_most_hours_first() -> None:
    breakdown = [
        ("tutoring", "UPchieve", 3.0),
        ("visual assistance", "Be My Eyes", 2.5),
        ("tutoring", "TutorMate", 1.25),
        ("interpreting", "Be My Eyes", 0.5),
    ]
    by_activity, by_organisation = volunteering_totals(breakdown)
    assert by_activity == [("tutoring", 4.25), ("visual assistance", 2.5), ("interpreting", 0.5)]
    assert by_organisation == [("Be My Eyes", 3.0), ("UPchieve", 3.0), ("TutorMate", 1.25)]
    assert volunteering_totals([]) == ([], [])


def test_totals_of_stored_entries_match_their_sum(session: Session) -> None:
    challenge = make_challenge(session, kind=Kind.VOLUNTEERING)
    person = make_person(session)
    assert person.person_id is not None
    for hours, organisation, activity in ((1.5, "Be My Eyes", "visual assistance"), (0.75, None, None)):
        entry = results.ResultInput(person.person_id, challenge, hours, date(2026, 3, 10), "", organisation, activity)
        results.record_result(session, SYSTEM, entry)
    by_activity, by_organisation = volunteering_totals(results.volunteering_breakdown(session, challenge))
    assert dict(by_activity) == {"visual assistance": 1.5, "unspecified": 0.75}
    assert sum(h for _, h in by_organisation) == 2.25
