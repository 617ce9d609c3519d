"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Data the app seeds in migrations (the curated resistance themes, the support-group programs)
does not survive a transactional test: pytest-django flushes the database after each one, and
every test here is transactional because the live server answers from its own thread (and, on
PostgreSQL, its own connection), so it only sees committed rows. Tests that need the seeds mark
themselves `django_db(transaction=True, serialized_rollback=True)`: Django then serialises the
migrated database once, when it creates it, and loads that snapshot back before each such test.
Re-creating the themes inside each test would copy the migration and drift from it.

Every browser test takes the marker, even one that needs no seeds: a transactional test
without it ends with a flush that re-runs post_migrate, which re-creates content types under
new ids, and the next serialised test then fails to load its snapshot (IntegrityError on
django_content_type).
"""

import os
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import TEST_PASSWORD

E2E_DIR = Path(__file__).resolve().parent

# Playwright's sync API keeps an asyncio event loop running in the test thread, so Django takes
# every ORM call made from it (fixtures, factories, assertions) for a call from async code and
# raises SynchronousOnlyOperation. That loop only serves Playwright and waits while the ORM
# runs, so nothing is blocked. Django reads the variable at each call: setting it here is enough.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _why_no_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright package (see requirements.txt)"
    return None


def pytest_collection_modifyitems(config, items):
    # A marker at collection time, rather than a skip inside a fixture, skips these tests
    # before the live server and the transactional database are set up for nothing.
    reason = _why_no_browser()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    # Imported here: without playwright this conftest must still load so the skip can happen.
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Once Playwright's loop runs in this thread, asgiref hands out database connections from
    # per-context storage instead of the thread's: the ORM then uses new connection objects.
    # If other tests created the test database first, the migrated-data snapshot that
    # serialized_rollback restores sits on the old objects; carry it over.
    snapshots = {
        conn.alias: conn._test_serialized_contents
        for conn in connections.all()
        if hasattr(conn, "_test_serialized_contents")
    }
    playwright = sync_playwright().start()
    for alias, snapshot in snapshots.items():
        connections[alias]._test_serialized_contents = snapshot
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
    )
    yield browser
    browser.close()
    # The connections opened in Playwright's context would otherwise stay open and keep
    # PostgreSQL from dropping the test database at the end of the run.
    connections.close_all()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    """A fresh tab in a fresh context (no cookies), with relative URLs on the live server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    # Playwright waits 30 s for an element by default; nothing here should take a tenth of it.
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page):
    """Sign someone in through the real sign-in form; returns the page, now on their caseload."""
    from playwright.sync_api import expect

    def sign_in_as(user):
        page.goto("/sign-in/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    return sign_in_as


@pytest.fixture
def signed_in_page(sign_in, therapist):
    """The page, signed in as the therapist of the shared fixtures (Dana Owner)."""
    return sign_in(therapist)
