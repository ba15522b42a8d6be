"""Real Chromium for the browser tests: Debian's /usr/bin/chromium, driven by Playwright (no browser download)."""

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path(os.environ.get("HYOKA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(autouse=True)
def orm_beside_playwright(monkeypatch):
    """Playwright's sync API keeps an event loop in this thread; Django refuses ORM calls next to a running loop
    unless told that the calls are in fact synchronous, which they are here."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def chromium():
    """Per test: while Playwright runs, its event loop makes Django refuse ORM calls in this thread (see above),
    so it must not outlive the browser tests."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium and fonts-noto-cjk (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests need Chromium under CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The ORM calls a test makes while Playwright runs hold a connection of their own; left open, it would
        # keep PostgreSQL from dropping the test database at the end of the run.
        connections.close_all()


@pytest.fixture
def new_page(chromium):
    """Makes pages, each in a fresh browser context of its own (cookies, sessionStorage: one person each) with a
    desktop-sized window, Japanese by default; the test fails on a JavaScript error in any of them."""
    contexts, errors = [], []

    def make():
        context = chromium.new_context(viewport={"width": 1440, "height": 960}, locale="ja-JP")
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def browser_page(new_page):
    return new_page()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
