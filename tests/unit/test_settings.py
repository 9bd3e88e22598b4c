"""Organisation-wide settings: time zone and anonymity threshold."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from db.models import Setting
from engagement import settings
from engagement.access import SYSTEM
from engagement.errors import ValidationError


def test_defaults_apply_until_something_is_stored(session: Session) -> None:
    assert settings.load(session) == settings.OrgSettings("UTC", 5, 12, False)


def test_a_threshold_stored_below_the_floor_is_never_honoured(session: Session) -> None:
    session.add(Setting(key="anonymity_threshold", value="1"))
    session.flush()
    assert settings.load(session).anonymity_threshold == 3


def test_settings_are_validated_and_audited(session: Session) -> None:
    updated = settings.update(session, SYSTEM, timezone=" Europe/London ", anonymity_threshold="7")
    assert (updated.timezone, updated.anonymity_threshold) == ("Europe/London", 7)
    for changes, message in (
        ({"timezone": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus' (use e.g. Europe/London)"),
        ({"anonymity_threshold": 51}, "anonymity_threshold: must be at most 50"),
        ({"anonymity_threshold": 3.5}, "anonymity_threshold: must be a whole number"),
        ({"colour": "green"}, "colour: is not a setting"),
    ):
        with pytest.raises(ValidationError) as error:
            settings.update(session, SYSTEM, **changes)
        assert str(error.value) == message
    assert settings.load(session).anonymity_threshold == 7
