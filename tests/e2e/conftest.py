"""Browser journeys: Playwright driving Debian's chromium (never a downloaded browser).

Skipped, with the reason printed, when /usr/bin/chromium is missing; `.ci/run` installs it.
Screenshots are kept under artifacts/ for a person to look at.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FORM_REFUSAL = re.compile(r"^Failed to load resource: the server responded with a status of 422")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body
# are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


# Evaluated through the DevTools protocol, which the content security policy does not govern
# (a <script> tag would be refused, as it should be).
AXE_SOURCE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text()
# WCAG 2.1 A and AA plus axe's best practices (landmarks, one main, headings, region).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
AXE_RUN = """async (tags) => {
  // One run at a time: a page load and an htmx swap may ask at once, and axe refuses a second
  // run while one is going.
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const previous = window.__axeRunning || Promise.resolve();
  const run = previous.catch(() => null).then(() => axe.run(document, options));
  window.__axeRunning = run;
  const result = await run;
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " ")),
  }));
}"""


def axe_violations(page) -> list[str]:
    """What axe-core finds on the page as it is now, one line per failing node."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)  # once per page: a navigation starts a new document
    lines = []
    for violation in page.evaluate(AXE_RUN, AXE_TAGS):
        for node in violation["nodes"]:
            lines.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {node}"
            )
    return lines


def assert_accessible(page):
    """Fail with every accessibility violation axe-core finds on the page as it is now."""
    lines = axe_violations(page)
    assert not lines, f"{page.url}: {len(lines)} accessibility violation(s):\n" + "\n".join(lines)


SWAPPED = "axe-watch: htmx swapped"
SWAP_SIGNAL = 'document.addEventListener("htmx:afterSettle", () => console.debug("%s"));'.replace(
    "%s", SWAPPED
)


class AxeWatch:
    """Runs axe on every page a journey loads and on every htmx swap (a tab, a filtered table),
    so that the journeys enforce zero violations without a call after each click.

    The page's own script (`static/js/app.js`) knows nothing of this: an init script dispatches a
    console message after each htmx settle, and both that and the `load` event run axe here."""

    def __init__(self, page):
        self.page = page
        self.found: dict[str, list[str]] = {}
        self.checked: list[str] = []

    def check(self, *_):
        page = self.page
        for attempt in (1, 2):
            try:
                lines = axe_violations(page)
                break
            except Exception as error:
                # The page went on to the next one (or the test ended) while axe ran: that next
                # page is checked on its own load. A new document that came between injecting
                # axe and running it has no axe yet: inject again, once. Anything else is a
                # failure of the check itself.
                text = str(error)
                if any(gone in text for gone in ("context was destroyed", "navigat", "closed")):
                    return
                if "axe is not defined" in text and attempt == 1:
                    continue
                lines = [f"axe could not run: {error}"]
                break
        self.checked.append(page.url)
        if lines:
            self.found.setdefault(page.url, []).extend(
                x for x in lines if x not in self.found.get(page.url, [])
            )


@pytest.fixture
def page(browser, live_server):
    # Reduced motion: Bootstrap's colour transitions are off, so axe never measures a button
    # half-way through its hover fade.
    context = browser.new_context(
        viewport={"width": 1360, "height": 900},
        base_url=live_server.url,
        reduced_motion="reduce",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    watch = AxeWatch(page)
    page.on("load", watch.check)
    # An htmx swap (a tab, a filtered table, a form answered with its errors) is a new page state.
    page.add_init_script(SWAP_SIGNAL)

    def console(message):
        if message.text == SWAPPED:
            watch.check()
            return
        # A form answered "422, what to change" is the browser's network log, not a page error.
        if message.type == "error" and not FORM_REFUSAL.search(message.text):
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"
    assert not watch.found, "accessibility violations:\n" + "\n".join(
        f"{url}:\n  " + "\n  ".join(lines) for url, lines in watch.found.items()
    )
    print(f"axe checked {len(watch.checked)} page states")


def choose(page, label: str, typed: str, option):
    """Picks `option` (text or pattern) of a searchable select (tom-select, issue 17) as a person
    does: focus the field, type `typed`, click the match the list shows."""
    field = page.get_by_role("combobox", name=label, exact=True)
    type_in_search(field, typed)
    page.get_by_role("option", name=option).click()


def type_in_search(field, typed: str) -> None:
    """Types into a searchable select's box once it has the focus: keys typed before tom-select
    moved the focus into its input were lost on a loaded machine (the list opened empty)."""
    from playwright.sync_api import expect

    field.locator("..").click()  # the box around it: with a choice made, the input hides
    expect(field).to_be_focused()
    field.page.keyboard.type(typed)


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


from tests.reporting.conftest import books  # noqa: E402,F401  (the reporting fixture)
