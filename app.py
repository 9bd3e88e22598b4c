"""Impact Board served with the one HTTP endpoint a Streamlit page cannot be: one-click unsubscribe.

Run with ``streamlit run app.py`` (Streamlit finds ``app`` and serves the
dashboard, ``dashboard.py``, on its ASGI server). Mail programs that offer an
"Unsubscribe" button POST ``List-Unsubscribe=One-Click`` to the address in a
message's ``List-Unsubscribe`` header (RFC 8058), without a browser; that POST
is answered here. A person who opens the same address in a browser gets the
Unsubscribe page, which asks for one click first.
"""

from __future__ import annotations

from functools import cache

import streamlit as st
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from db.engine import database_url, make_engine, write_transaction
from engagement import periods, preferences
from engagement.capabilities import LinkRefused

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM_LIMIT = 1024  # the body is one short field; anything longer is not a one-click request


@cache
def _engine() -> Engine:
    return make_engine(database_url())


async def one_click_unsubscribe(request: Request) -> PlainTextResponse:
    """RFC 8058: a POST of ``List-Unsubscribe=One-Click`` to the message's link turns that kind off."""
    body = (await request.body())[:FORM_LIMIT].decode("ascii", "replace")
    if ONE_CLICK not in body.split("&"):
        return PlainTextResponse("Expected List-Unsubscribe=One-Click (RFC 8058).", status_code=400)
    token = request.query_params.get("t", "")
    try:
        stopped = await run_in_threadpool(
            write_transaction, _engine(), preferences.unsubscribe, token, periods.now_utc()
        )
    except LinkRefused as refused:
        return PlainTextResponse(refused.message, status_code=400 if refused.reason == "tampered" else 410)
    return PlainTextResponse(f"Unsubscribed: you will no longer receive “{stopped.label}”.")


app = st.App("dashboard.py", routes=[Route("/unsubscribe", one_click_unsubscribe, methods=["POST"])])
