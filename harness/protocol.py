"""Speak Streamlit's own protocol over the app's websocket, as the browser does.

A client sends ``BackMsg`` protobufs (``rerun_script`` with the widget states) to
``ws://HOST:PORT/_stcore/stream`` and reads ``ForwardMsg`` protobufs (deltas that draw
elements, then ``script_finished``). The load benchmark and the load test drive sessions
with it; the browser harness reads the same messages to know when a run is over.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto import BackMsg_pb2, ClientState_pb2, ForwardMsg_pb2, WidgetStates_pb2

HOST = "127.0.0.1"
FINISHED = ForwardMsg_pb2.ForwardMsg.FINISHED_SUCCESSFULLY
ENDED_FOR_RERUN = ForwardMsg_pb2.ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
SIGN_IN = "Sign in"
SIGN_IN_HEADINGS = ("Impact Board", "Demo accounts")  # what the sign-in page draws


@dataclass
class Render:
    """What one script run drew: headings, widget ids by label, exceptions."""

    headings: list[str] = field(default_factory=list)
    widgets: dict[str, str] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        """The run drew a page beyond the sign-in form (each role lands on a page of its own)."""
        return any(h not in SIGN_IN_HEADINGS for h in self.headings) and not self.exceptions


def rerun(page: str = "", widgets: list[WidgetStates_pb2.WidgetState] | None = None) -> bytes:
    """Ask for a run of ``page`` (the default page when empty) with these widget values."""
    state = ClientState_pb2.ClientState(query_string="", page_script_hash="", page_name=page)
    if widgets:
        state.widget_states.widgets.extend(widgets)
    return bytes(BackMsg_pb2.BackMsg(rerun_script=state).SerializeToString())


def sign_in_form(landing: Render, email: str, password: str) -> list[WidgetStates_pb2.WidgetState]:
    """The sign-in form filled in and submitted: the form a person uses, nothing test-only in the product."""
    return [
        WidgetStates_pb2.WidgetState(id=landing.widgets["Email"], string_value=email),
        WidgetStates_pb2.WidgetState(id=landing.widgets["Password"], string_value=password),
        WidgetStates_pb2.WidgetState(id=landing.widgets[SIGN_IN], trigger_value=True),
    ]


def connect(port: int) -> Any:
    """A session with the app on ``port``: ``async with connect(port) as ws``."""
    return websockets.connect(
        f"ws://{HOST}:{port}/_stcore/stream",
        subprotocols=[websockets.Subprotocol("streamlit")],
        max_size=None,
        open_timeout=60,
    )


async def until_finished(ws: Any, deadline: float) -> Render:
    """Read ForwardMsgs until a run finishes successfully (a run cut short by st.rerun goes on)."""
    render = Render()
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic()))
        msg = ForwardMsg_pb2.ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "heading":
                render.headings.append(element.heading.body)
            elif which == "exception":
                render.exceptions.append(element.exception.message[:200])
            elif which in ("text_input", "button"):
                widget = getattr(element, which)
                render.widgets[widget.label] = widget.id
        elif kind == "script_finished" and msg.script_finished == FINISHED:
            return render


def asks_for_run(payload: bytes | str) -> bool:
    """A message from the page that asks the app for a run (a click, a tab, a form that reached it)."""
    if not isinstance(payload, bytes):
        return False
    message = BackMsg_pb2.BackMsg()
    message.ParseFromString(payload)
    return message.WhichOneof("type") == "rerun_script"


def ends_run(payload: bytes | str) -> bool:
    """A message from the app saying a run ended (not stopped early to make way for another run)."""
    # "script finished" is a few bytes; skipping big deltas keeps a data-heavy page cheap to watch.
    if not isinstance(payload, bytes) or len(payload) >= 1024:
        return False
    message = ForwardMsg_pb2.ForwardMsg()
    message.ParseFromString(payload)
    return message.WhichOneof("type") == "script_finished" and message.script_finished != ENDED_FOR_RERUN
