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


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []

    def console(message):
        # A form answered "422, what to change" is the browser's network log, not a page error.
        if message.type == "error" and not FORM_REFUSAL.search(message.text):
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


from tests.reporting.conftest import books  # noqa: E402,F401  (the reporting fixture)
