"""The browser's half of a built-in sign-in: one first-party cookie holding the session token.

Streamlit reads cookies (``st.context.cookies``, as sent when a tab connects)
but cannot set one from the server, so a tiny component of our own
(``st.components.v2``, which runs in the app's page, not an iframe) writes it:
``SameSite=Strict`` (no other site's page or link can make the browser send
it), ``Secure`` when the app is served over https, ``Path=/``, and a
``Max-Age`` that ends with the server's record. It holds only the random
token; the server keeps its hash, expiry and whether it has been ended
(:mod:`engagement.sessions`), so what the cookie says is never taken on trust.
The token is never put in the URL.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from engagement import periods

COOKIE = "ib_session"

# Only ever handed our own data (a token of URL-safe characters, a number); never markup.
_JS = """
export default function (component) {
  const data = component.data;
  if (!data || !data.name) return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  const prefix = data.name + "=";
  const held = document.cookie.split("; ").find((c) => c.startsWith(prefix));
  const value = held === undefined ? null : held.slice(prefix.length);
  if (data.token) {
    if (value !== data.token) {
      document.cookie = `${prefix}${data.token}; Max-Age=${data.maxAge}; Path=/; SameSite=Strict${secure}`;
    }
  } else if (data.forget && value === data.forget) {
    // Only the token this tab knows to be over: another tab may have signed in again since.
    document.cookie = `${prefix}; Max-Age=0; Path=/; SameSite=Strict${secure}`;
  }
}
"""

_cookie = st.components.v2.component("impact_board.session_cookie", js=_JS)


def browser_token() -> str:
    """The session token this browser sent when the tab connected ('' when it sent none).

    Without a browser (AppTest) Streamlit's client has no real cookies: anything but a string is none.
    """
    token = st.context.cookies.get(COOKIE)
    return token if isinstance(token, str) else ""


def keep(token: str, expires_at: datetime) -> None:
    """Have the browser hold ``token`` until ``expires_at`` (the server's expiry), for reloads and new tabs."""
    seconds = max(0, int((expires_at - periods.now_utc()).total_seconds()))
    _cookie(key="session_cookie", data={"name": COOKIE, "token": token, "maxAge": seconds}, height=0)


def forget(token: str) -> None:
    """Remove the cookie if it still holds ``token`` (ended or refused by the server)."""
    _cookie(key="session_cookie", data={"name": COOKIE, "forget": token}, height=0)
