"""Drive the real dashboard in headless Chromium: shared by the e2e tests and ``scripts/screenshots.py``.

Plain functions, no pytest: with a dashboard started by :mod:`harness.servers`, open Debian's
Chromium through Playwright with every request outside this machine blocked,
and wait for Streamlit's own readiness signals instead of sleeping.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit
from weakref import WeakKeyDictionary

from playwright.sync_api import (
    Browser,
    BrowserContext,
    FloatRect,
    Locator,
    Page,
    Playwright,
    Route,
    ViewportSize,
    WebSocket,
    expect,
)

from engagement.demo import DEMO_PASSWORD
from harness import protocol
from harness.servers import ROOT

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"  # git-ignored: for people to look at
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
TIMEOUT_MS = 30_000
SIGN_IN_HEADINGS = protocol.SIGN_IN_HEADINGS
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})

# Elements that show data. A signed-out visitor may see none of them; the
# sign-in page's one table (the demo accounts) is checked separately.
DATA_ELEMENTS = (
    "stMetric",
    "stDataFrame",
    "stVegaLiteChart",
    "stPlotlyChart",
    "stDeckGlJsonChart",
    "stGraphVizChart",
    "stEChartsChart",
    "stProgress",
    "stDownloadButton",
    "stFileUploader",
)

# axe-core, the accessibility checker Streamlit's own browser tests use (npm package, pinned in package.json).
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
ColorScheme = Literal["light", "dark"]

NAV_LINKS = "[data-testid='stSidebarNavLink'], [data-testid='stPageLink-NavLink']"
# A link's visible text without Material icon names (drawn as ligature text, hidden from screen readers).
_LINK_TEXTS = """links => links.map(a => {
  const copy = a.cloneNode(true);
  copy.querySelectorAll("[data-testid='stIconMaterial']").forEach(icon => icon.remove());
  return copy.innerText;
})"""

# Charts draw after the script has finished; screenshots wait for the visible ones
# (a chart in a closed expander or another tab draws only when opened).
_DRAWN = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
  .every(chart => !chart.checkVisibility() || chart.querySelector('canvas, svg'))"""


_NEXT_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, with nothing that phones home."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def _local_only(route: Route) -> None:
    if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort("blockedbyclient")


def new_context(
    browser: Browser,
    viewport: ViewportSize = VIEWPORT,
    *,
    color_scheme: ColorScheme = "light",
    device_scale_factor: float = 1,
    phone: bool = False,
) -> BrowserContext:
    """A fresh browser profile (no cookies) that can reach this machine and nothing else.

    ``color_scheme`` is the system preference the app's theme follows;
    ``device_scale_factor`` 2 with half the window size is how Chromium zooms to 200 %;
    ``phone`` makes it a touch screen that reports itself as mobile.
    """
    context = browser.new_context(
        viewport=viewport,
        reduced_motion="reduce",
        color_scheme=color_scheme,
        device_scale_factor=device_scale_factor,
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", _local_only)
    context.on("page", _watch_runs)
    return context


@dataclass
class Runs:
    """Script runs as the page and the server tell each other over the app's websocket.

    The page's ``data-test-script-state`` attribute can skip a quick run (on a busy
    machine React draws "running" and "not running" in one go), and a click can
    land while a button is being redrawn and never reach the app. The messages
    themselves say for certain whether a click reached the server and whether the
    run it started is over.
    """

    requested: int = 0  # rerun requests the page sent: a click, a tab or a form that reached the app
    finished: int = 0  # runs that ended (not stopped early to make way for another run)
    waiting: bool = False  # a request was sent and no run has ended since

    def sent(self, payload: bytes | str) -> None:
        if protocol.asks_for_run(payload):
            self.requested += 1
            self.waiting = True

    def received(self, payload: bytes | str) -> None:
        if protocol.ends_run(payload):
            self.finished += 1
            self.waiting = False


_RUNS: WeakKeyDictionary[Page, Runs] = WeakKeyDictionary()


def _watch_runs(page: Page) -> None:
    runs = _RUNS[page] = Runs()

    def on_websocket(socket: WebSocket) -> None:
        socket.on("framesent", runs.sent)
        socket.on("framereceived", runs.received)

    page.on("websocket", on_websocket)


def _poll(page: Page, condition: Callable[[], bool], timeout_ms: int) -> bool:
    """Wait until ``condition()`` holds; the browser's events are delivered while waiting."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(20)
    return True


def click_and_wait_for_run(page: Page, target: Locator, *, starts_within_ms: int = 3_000) -> bool:
    """Click ``target``, then wait for the script run the click starts (if one starts) to finish.

    A rerun that lands while a test types would reset a form or a data editor;
    a fixed pause is too short on a busy machine. Returns whether the click sent
    the app a rerun request within ``starts_within_ms``.
    """
    runs = _RUNS[page]
    before = runs.requested
    target.click()
    if not _poll(page, lambda: runs.requested > before, starts_within_ms):
        return False
    wait_for_app(page)
    return True


def press(page: Page, target: Locator, *, attempts: int = 3) -> None:
    """Click a button (or tab) that must start a run, clicking again only if the click never reached the app.

    On a busy machine a click can land while the page redraws the button (the run
    before replaces it): the browser then delivers no click and nothing happens, as
    a person would see and click again. A click that did arrive sent a request over
    the websocket, so a second click can never submit a form twice.
    """
    for _ in range(attempts):
        if click_and_wait_for_run(page, target, starts_within_ms=10_000):
            return
    raise AssertionError(f"{attempts} clicks on {target} sent the app no request")


def wait_for_app(page: Page) -> None:
    """Wait until the app is connected, its script has finished and its charts have drawn.

    A page opened through :func:`new_context` waits for the end of every run it has
    asked for (the websocket says so). Otherwise call it once the page shows something
    only the awaited run could draw (a new document, a new URL, a new button): until
    then "notRunning" may still describe the run before.
    """
    runs = _RUNS.get(page)
    if runs is not None:
        if not _poll(page, lambda: not runs.waiting, TIMEOUT_MS):
            raise AssertionError(f"the app's run did not end within {TIMEOUT_MS} ms")
        # The last message has arrived; give the page two frames to draw what it carried.
        page.evaluate(_NEXT_FRAMES)
    app = page.locator("[data-testid='stApp']")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=TIMEOUT_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=TIMEOUT_MS)
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0, timeout=TIMEOUT_MS)
    page.wait_for_function(_DRAWN, timeout=TIMEOUT_MS)


def open_url(page: Page, url: str) -> None:
    """Load ``url`` as a new document (a new Streamlit session) and wait for its first run."""
    page.goto(url)
    wait_for_app(page)


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form and wait until the signed-in app has drawn."""
    form = page.get_by_test_id("stForm")
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible()
    wait_for_app(page)


@contextmanager
def signed_in_page(browser: Browser, url: str, email: str | None, **profile: Any) -> Iterator[Page]:
    """A page in a fresh profile (see :func:`new_context`) on ``url``, signed in as ``email`` unless None.

    The profile is closed afterwards, also when the test fails half-way.
    """
    context = new_context(browser, **profile)
    try:
        page = context.new_page()
        open_url(page, url)
        if email is not None:
            sign_in(page, email)
        yield page
    finally:
        context.close()


def nav_links(page: Page) -> Locator:
    """The links of the sidebar menu (Streamlit's own menu or page links drawn by the app)."""
    return page.locator(f"[data-testid='stSidebar'] a:is({NAV_LINKS})")


def nav_titles(page: Page) -> list[str]:
    """The page titles in the sidebar menu, in order (without the icons' ligature text)."""
    return [text.strip() for text in nav_links(page).evaluate_all(_LINK_TEXTS)]


def menu_link(page: Page, title: str) -> Locator:
    """The sidebar menu's link to the page called ``title``."""
    titles = nav_titles(page)
    assert title in titles, f"no menu link {title!r}; the menu has {titles}"
    return nav_links(page).nth(titles.index(title))


def open_page(page: Page, title: str) -> None:
    """Open ``title`` from the sidebar menu and wait for that page to finish drawing.

    On a narrow screen the menu starts folded away: it is opened first and
    closed again afterwards, as a person would (the app's menu links do not
    close it by themselves; see the README's Accessibility section).
    """
    link = menu_link(page, title)
    folded = page.get_by_test_id("stExpandSidebarButton").is_visible()
    if folded:
        page.get_by_test_id("stExpandSidebarButton").click()
        expect(link).to_be_in_viewport()
    # Links are relative to the app's root; the first page's is empty (the root itself).
    root = urlsplit(page.url)._replace(path="/", query="", fragment="").geturl()
    path = urlsplit(urljoin(root, link.get_attribute("href") or "")).path
    if urlsplit(page.url).path != path:
        link.click()
        expect(page).to_have_url(re.compile(rf"^[^?#]*//[^/]+{re.escape(path)}([?#].*)?$"))
    wait_for_app(page)
    if folded:
        page.get_by_test_id("stSidebarCollapseButton").get_by_role("button").click()
        expect(page.get_by_test_id("stSidebar")).not_to_be_in_viewport()  # slid away, not on its way


@contextmanager
def whole_page(page: Page) -> Iterator[None]:
    """Make the window as tall as the content for the ``with`` block, then give it back its size.

    Streamlit scrolls inside its main block, not the document, so this is how a
    screenshot or a check sees everything at once (axe skips some checks on
    content scrolled out of sight).
    """
    size = page.viewport_size or VIEWPORT
    height = int(page.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollHeight"))
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height + 40)})
    try:
        wait_for_app(page)
        yield
    finally:
        page.set_viewport_size(size)


def screenshot(page: Page, path: Path, *, full: bool = False) -> Path:
    """Save the window (``full``: the whole page, however long) as a PNG at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not full:
        page.screenshot(path=path)
        return path
    with whole_page(page):
        page.screenshot(path=path)
    return path


# Small screens as Chromium makes them (keyword arguments of new_context): a 1280 × 900
# window at 200 % zoom is 640 × 450 CSS pixels drawn at 2 device pixels each; a phone
# is 390 × 844 at 3, touch, reporting itself as mobile.
SMALL_SCREENS: dict[str, dict[str, object]] = {
    "zoom-200": {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "phone": True},
}

# Text cut short ("…"), anything reaching past the main column's right edge (outside
# the things that scroll sideways on purpose: tables, tab bars), the page itself
# scrolling sideways, and blocks drawn over one another.
_LAYOUT = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const edge = main.getBoundingClientRect().right + 1;
  const shown = e => e.checkVisibility() && e.getBoundingClientRect().width > 0;
  const say = e => (e.innerText || e.getAttribute("aria-label") || e.tagName).trim().replace(/\\s+/g, " ").slice(0, 60);
  const scrollsSideways = e => {
    for (let a = e.parentElement; a && a !== main; a = a.parentElement) {
      const x = getComputedStyle(a).overflowX;
      if ((x === "auto" || x === "scroll") && a.scrollWidth > a.clientWidth) return true;
    }
    return false;
  };
  const problems = [];
  if (main.scrollWidth > main.clientWidth + 1)
    problems.push(`the page scrolls sideways (${main.scrollWidth} px in ${main.clientWidth})`);
  for (const e of main.querySelectorAll("*")) {
    if (!shown(e) || scrollsSideways(e)) continue;
    const style = getComputedStyle(e);
    if (style.textOverflow === "ellipsis" && e.scrollWidth > e.clientWidth + 1 && !e.closest("[data-baseweb='select']"))
      problems.push(`cut short: "${say(e)}"`);
    if (e.getBoundingClientRect().right > edge && !e.closest("[data-testid='stDataFrame']"))
      problems.push(`past the right edge: ${e.tagName.toLowerCase()} "${say(e)}"`);
  }
  const blocks = [...main.querySelectorAll("[data-testid='stElementContainer']")].filter(shown);
  for (let i = 0; i < blocks.length; i++) for (let j = i + 1; j < blocks.length; j++) {
    const [a, b] = [blocks[i], blocks[j]];
    if (a.contains(b) || b.contains(a)) continue;
    const [r, q] = [a.getBoundingClientRect(), b.getBoundingClientRect()];
    const across = Math.min(r.right, q.right) - Math.max(r.left, q.left);
    const down = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
    if (across > 1 && down > 1) problems.push(`"${say(a)}" and "${say(b)}" overlap`);
  }
  return [...new Set(problems)];
}"""


def layout_problems(page: Page) -> list[str]:
    """What is cut off or overlapping on the page as drawn now, described; empty when all is well."""
    with whole_page(page):
        return list(page.evaluate(_LAYOUT))


def set_color_scheme(page: Page, scheme: ColorScheme) -> None:
    """Switch the system's light or dark preference; the app's theme follows it without a rerun.

    Waits until the app's background has turned and the charts have redrawn in the new theme.
    """
    page.emulate_media(color_scheme=scheme)
    page.wait_for_function(_BACKGROUND_IS, arg=scheme, timeout=TIMEOUT_MS)
    if page.get_by_test_id("stVegaLiteChart").count():
        page.wait_for_timeout(300)  # Vega redraws each chart in the new theme; nothing signals the end
    wait_for_app(page)


_BACKGROUND_IS = """scheme => {
  const [r, g, b] = getComputedStyle(document.querySelector("[data-testid='stApp']"))
    .backgroundColor.match(/\\d+/g).map(Number);
  return (0.299 * r + 0.587 * g + 0.114 * b > 128) === (scheme === "light");
}"""


@dataclass(frozen=True)
class Violation:
    """One axe-core rule the page breaks: its id, impact and the offending elements (as HTML)."""

    rule: str
    impact: str
    help: str
    nodes: tuple[str, ...]

    def __str__(self) -> str:
        shown = "\n    ".join(self.nodes[:5]) + (f"\n    ... {len(self.nodes) - 5} more" if len(self.nodes) > 5 else "")
        return f"{self.impact} {self.rule} ({self.help}):\n    {shown}"


# Runs axe on the document and drops the nodes of allowed (rule, CSS selector) pairs:
# exactly those elements, for exactly that rule, nothing else.
_AXE_RUN = """async ([tags, allowed]) => {
  const result = await axe.run(document, {resultTypes: ["violations"], runOnly: {type: "tag", values: tags}});
  const isAllowed = (rule, target) => {
    const element = target.length === 1 ? document.querySelector(target[0]) : null;
    return element !== null && allowed.some(([id, selector]) => id === rule && element.matches(selector));
  };
  return result.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.filter(n => !isAllowed(v.id, n.target))
      .map(n => `${n.html.slice(0, 200)} :: ${(n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 300)}`),
  })).filter(v => v.nodes.length > 0);
}"""


def axe_violations(
    page: Page, allowed: Sequence[tuple[str, str]] = (), tags: Sequence[str] = WCAG_AA_TAGS, *, app: bool = True
) -> list[Violation]:
    """Every WCAG rule (``tags``) axe-core finds broken on the page as it is now, the whole page at once.

    ``allowed`` lists (rule id, CSS selector) pairs known to fail inside
    Streamlit's own widgets; their nodes are left out, and a rule left with no
    node is not reported. ``app=False`` checks a plain document (an email's
    HTML) as it is, without the app's window sizing.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    with whole_page(page) if app else nullcontext():
        found = page.evaluate(_AXE_RUN, [list(tags), [list(pair) for pair in allowed]])
    return [Violation(v["rule"], v["impact"] or "unknown", v["help"], tuple(v["nodes"])) for v in found]


def exception_problems(page: Page) -> list[str]:
    """Every exception the app shows: exception boxes, and error alerts that carry a traceback.

    With ``showErrorDetails = "none"`` an uncaught exception is still drawn as an
    exception box, with a redacted message; plain ``st.error`` messages (bad
    input, no access) are the app speaking and are not counted.
    """
    problems = [f"exception box: {text[:300]}" for text in page.get_by_test_id("stException").all_inner_texts()]
    for text in page.locator(":not([data-testid='stException']) > [data-testid='stAlertContainer']").all_inner_texts():
        if "Traceback" in text or "encountered an error" in text:
            problems.append(f"error alert: {text[:300]}")
    return problems


def data_elements(page: Page) -> dict[str, int]:
    """How many data-showing elements of each kind are on the page (only kinds present)."""
    counts = {name: page.get_by_test_id(name).count() for name in DATA_ELEMENTS}
    return {name: n for name, n in counts.items() if n}


def headings(page: Page) -> list[str]:
    """The text of every heading the app drew (st.title, st.header, st.subheader)."""
    return [t.strip() for t in page.locator("[data-testid='stMain'] :is(h1, h2, h3, h4)").all_inner_texts()]


def sign_in_form_shown(page: Page) -> bool:
    """Whether the built-in sign-in form (email and password) is on the page."""
    form = page.get_by_test_id("stForm")
    return all(form.get_by_label(label, exact=True).is_visible() for label in ("Email", "Password"))


def signed_out_problems(page: Page) -> list[str]:
    """What a visitor who is not signed in must not see, described; empty when all is well.

    No data elements, no menu, no headings beyond the sign-in page's own, no
    table but the demo accounts', no exception.
    """
    problems = exception_problems(page)
    if shown := data_elements(page):
        problems.append(f"data elements shown: {shown}")
    if links := nav_titles(page):
        problems.append(f"menu links shown: {links}")
    if extra := [h for h in headings(page) if h not in SIGN_IN_HEADINGS]:
        problems.append(f"headings beyond the sign-in page's: {extra}")
    for table in page.get_by_test_id("stTable").all():
        columns = {c.strip() for c in table.locator("thead th").all_inner_texts()} - {""}
        if not columns <= {"Role", "Email"}:
            problems.append(f"a table other than the demo accounts: columns {sorted(columns)}")
    return problems


@dataclass(frozen=True)
class Focus:
    """Where keyboard focus is: the element's accessible name (icons left out), tag, role and test id."""

    name: str
    tag: str
    role: str
    testid: str
    focus_visible: bool


_FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  let name = e.getAttribute("aria-label") || (e.labels && e.labels.length ? e.labels[0].innerText : "");
  if (!name) {
    const copy = e.cloneNode(true);
    copy.querySelectorAll("[data-testid='stIconMaterial']").forEach(icon => icon.remove());
    name = copy.innerText || e.value || "";
  }
  const owner = e.closest("[data-testid]");
  return {name: name.trim(), tag: e.tagName.toLowerCase(), role: e.getAttribute("role") || "",
          testid: owner ? owner.getAttribute("data-testid") : "", focus_visible: e.matches(":focus-visible")};
}"""


def focus(page: Page) -> Focus | None:
    """The element that has keyboard focus, or None when nothing (the page itself) has."""
    found = page.evaluate(_FOCUS)
    return Focus(**found) if found else None


def tab_to(page: Page, wanted: Callable[[Focus], bool], *, backwards: bool = False, limit: int = 60) -> Focus:
    """Press Tab (Shift+Tab ``backwards``) until focus is on an element ``wanted`` accepts; return it.

    Every element passed on the way must show that it has focus (``:focus-visible``);
    fails, listing the way taken, if the element is not reached in ``limit`` presses.
    """
    path: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focus(page)
        if now is None:
            path.append("(the page)")
            continue
        path.append(f"{now.tag}[{now.role}] {now.testid} {now.name[:40]!r}")
        assert now.focus_visible, f"focus is not shown on {path[-1]}"
        if wanted(now):
            return now
    raise AssertionError("focus never reached the element; it went:\n  " + "\n  ".join(path))


def named(name: str) -> Callable[[Focus], bool]:
    """A ``tab_to`` target: the element whose accessible name is exactly ``name``."""
    return lambda f: f.name == name


def _settled(page: Page, where: str) -> list[float]:
    """The element's place once it has stopped moving (the sidebar slides in and out after signing in or out)."""
    before = page.evaluate(where)
    for _ in range(50):
        page.wait_for_timeout(100)
        now = page.evaluate(where)
        if now == before:
            return now  # type: ignore[no-any-return]
        before = now
    raise AssertionError("the focused element kept moving for 5 s")


def focus_is_drawn(page: Page, margin: int = 6) -> bool:
    """Whether the focused element looks different focused from unfocused (a ring, a border, a highlight).

    Compares the element's area, with ``margin`` around it, before and after
    moving focus away with Shift+Tab (the area must not move meanwhile); Tab
    brings focus back.
    """
    where = "() => { const r = window.__focusChecked.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }"
    page.evaluate("() => { window.__focusChecked = document.activeElement; }")
    x, y, width, height = _settled(page, where)
    clip: FloatRect = {
        "x": max(0.0, x - margin),
        "y": max(0.0, y - margin),
        "width": width + 2 * margin,
        "height": height + 2 * margin,
    }
    focused = page.screenshot(clip=clip, animations="disabled")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(where) == [x, y, width, height], "the page scrolled when focus moved away"
    unfocused = page.screenshot(clip=clip, animations="disabled")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement === window.__focusChecked"), "Tab did not bring focus back"
    return focused != unfocused


# -- data grids (st.dataframe, st.data_editor) ----------------------------------------
# Streamlit draws tables on a canvas; beside it the grid keeps an accessible table of
# the cells in view (ids glide-cell-<column>-<row>), which is what a screen reader reads.

SELECTED_CELL = "[data-testid^='glide-cell-'][aria-selected='true']"
ROW_PX = 35  # Streamlit's row height, the header included


def show_grid(grid: Locator) -> None:
    """Scroll a grid into view: its accessible table holds cells only while it is on screen."""
    grid.scroll_into_view_if_needed()
    expect(grid.locator("[data-testid='glide-cell-0-0']")).to_have_count(1)


def grid_cell(scope: Page | Locator, column: int, row: int) -> str:
    """The text of a cell in view, as the grid's accessible table has it."""
    return scope.locator(f"[data-testid='glide-cell-{column}-{row}']").first.inner_text().strip()


def selected_cell(page: Page) -> tuple[int, int, str]:
    """(column, row, text) of the grid cell that has the keyboard's attention."""
    cell = page.locator(SELECTED_CELL)
    expect(cell).to_have_count(1)
    column, row = (int(n) for n in (cell.get_attribute("data-testid") or "").split("-")[-2:])
    return column, row, cell.inner_text().strip()


def grid_move(page: Page, key: str) -> tuple[int, int, str]:
    """Press a key in a grid (an arrow, Home) and wait for its accessible table to follow the move."""
    cell = page.locator(SELECTED_CELL)
    before = cell.get_attribute("data-testid") if cell.count() else None
    page.keyboard.press(key)
    page.wait_for_function(
        "([css, before]) => { const cell = document.querySelector(css); "
        "return cell !== null && cell.getAttribute('data-testid') !== before; }",
        arg=[SELECTED_CELL, before],
    )
    return selected_cell(page)


def grid_select(page: Page, grid: Locator, column: int, row: int) -> None:
    """Click a row's first cell in ``grid`` (a stDataFrame) and arrow right to ``column``."""
    show_grid(grid)
    box = grid.locator("canvas[data-testid='data-grid-canvas']").bounding_box()
    assert box is not None, "the grid is not on screen"
    # The canvas sits under the grid's scroller, which takes the click: click where the cell is drawn.
    page.mouse.click(box["x"] + 10, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)
    expect(page.locator(f"[data-testid='glide-cell-0-{row}'][aria-selected='true']")).to_have_count(1)
    for _ in range(column):
        grid_move(page, "ArrowRight")


def grid_type(page: Page, text: str) -> None:
    """Type into the selected editable cell: Enter opens the editor, Enter keeps the value and moves down."""
    page.keyboard.press("Enter")
    editor = page.locator("input.gdg-input, textarea.gdg-input")
    expect(editor).to_be_visible()
    page.keyboard.type(text, delay=50)
    expect(editor).to_have_value(text)
    # The editor's own state follows the input a moment later; Enter before that keeps the old value.
    # Streamlit then hands edits to the app 150 ms after the last one. People type slower than both.
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)
    page.wait_for_timeout(300)


def grid_tick(page: Page) -> None:
    """Tick (or untick) the selected checkbox cell with Space, then give Streamlit its 150 ms to take the edit."""
    page.keyboard.press("Space")
    page.wait_for_timeout(300)
