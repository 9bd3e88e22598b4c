"""Signed links: one purpose each, unforgeable, expiring; the secret comes from the environment or is made once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from db.engine import unit_of_work
from engagement import capabilities
from engagement.capabilities import LinkRefused

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=6)


def test_a_link_opens_with_its_payload_until_it_expires(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        token = capabilities.sign(session, "pulse-answer", {"person": 7, "week": "2026-12-07"}, LATER)
        opened = capabilities.open_link(session, "pulse-answer", token, NOW)
        assert opened.payload == {"person": 7, "week": "2026-12-07"}
        assert opened.expires_at == LATER
        with pytest.raises(LinkRefused) as refused:
            capabilities.open_link(session, "pulse-answer", token, LATER)
        assert refused.value.reason == "expired"


@pytest.mark.parametrize("change", ["last", "first", "truncate", "empty", "garbage"])
def test_an_altered_link_is_refused_as_tampered(engine: Engine, change: str) -> None:
    with unit_of_work(engine) as session:
        token = capabilities.sign(session, "pulse-answer", {"person": 7}, LATER)
        altered = {
            # the last character's low bits are base64 padding, so change the one before it
            "last": token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
            "first": ("x" if token[0] != "x" else "y") + token[1:],
            "truncate": token[: len(token) // 2],
            "empty": "",
            "garbage": "not-a-token.at-all",
        }[change]
        with pytest.raises(LinkRefused) as refused:
            capabilities.open_link(session, "pulse-answer", altered, NOW)
        assert refused.value.reason == "tampered"
        assert "7" not in refused.value.message


def test_a_link_for_one_purpose_does_not_open_another(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        token = capabilities.sign(session, "unsubscribe", {"person": 7}, LATER)
        with pytest.raises(LinkRefused) as refused:
            capabilities.open_link(session, "pulse-answer", token, NOW)
        assert refused.value.reason == "tampered"


def test_the_stored_secret_is_made_once_and_kept(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IB_SECRET_KEY", raising=False)
    with unit_of_work(engine) as session:
        token = capabilities.sign(session, "unsubscribe", {"person": 1}, LATER)
    with unit_of_work(engine) as session:
        assert capabilities.open_link(session, "unsubscribe", token, NOW).payload == {"person": 1}


def test_the_environment_secret_wins_and_changing_it_voids_old_links(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IB_SECRET_KEY", "first secret")
    with unit_of_work(engine) as session:
        token = capabilities.sign(session, "unsubscribe", {"person": 1}, LATER)
        assert capabilities.open_link(session, "unsubscribe", token, NOW).payload == {"person": 1}
        monkeypatch.setenv("IB_SECRET_KEY", "second secret")
        with pytest.raises(LinkRefused):
            capabilities.open_link(session, "unsubscribe", token, NOW)


def test_the_payload_cannot_carry_its_own_expiry(engine: Engine) -> None:
    with unit_of_work(engine) as session, pytest.raises(ValueError, match="exp"):
        capabilities.sign(session, "unsubscribe", {"exp": 0}, LATER)
