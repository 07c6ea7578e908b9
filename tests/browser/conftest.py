"""Browser test harness: Debian's Chromium driven by Playwright against pytest-django's
live_server.

Every browser test is marked `browser` and runs in the xdist group "browser", so one worker
owns the single Chromium. Pages speak Chinese (zh-CN, Asia/Shanghai) as our agents' do.
A failing test leaves a screenshot of each of its pages in var/screenshots/.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop running in this thread for as long as the
# session-wide browser lives, and Django refuses ORM calls from a thread with a running loop
# (SynchronousOnlyOperation). Test code and Playwright never run at the same time here, so
# the check guards nothing; it has to be off for the whole process because the browser
# outlives each test.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    # The network is closed: keep Chromium from phoning home and waiting on timeouts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "correct horse battery"  # tests/factories.py gives every user this password
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TIMEOUT_MS = 15_000

_report_key = pytest.StashKey[dict]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A browser test outside the group would start a second Chromium on another worker.
    here = Path(__file__).parent
    for item in items:
        if here not in item.path.parents:
            continue
        groups = [mark.args for mark in item.iter_markers("xdist_group")]
        if item.get_closest_marker("browser") is None or ("browser",) not in groups:
            raise pytest.UsageError(
                f"{item.nodeid}: mark it @pytest.mark.browser and "
                '@pytest.mark.xdist_group("browser")'
            )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item so fixtures can tell whether the test failed.
    report = yield
    item.stash.setdefault(_report_key, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def browser(django_db_setup, django_db_blocker):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Django keeps database connections per thread, but per asyncio context once a loop runs
    # in the thread, so Playwright's loop would hand the test code fresh connections, without
    # the test database's serialized contents (silently skipping the serialized rollback).
    # Keep the test thread on the connections it had; the test database is set up first.
    with django_db_blocker.unblock():
        before = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in before.items():
            connections[alias] = connection
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(request, browser, live_server, django_db_serialized_rollback) -> Iterator[Callable]:
    """Opens a page in a fresh browser context (its own cookies: one person per context).

    live_server needs a transactional database, which is emptied after each test; the
    serialized rollback puts back what the migrations seeded (cities, role groups) first.
    It leaves the database empty at the end, which is safe because pytest-django runs the
    transactional tests after all the others.
    """
    contexts = []

    def open_page(locale: str = "zh-CN"):
        context = browser.new_context(
            locale=locale, timezone_id="Asia/Shanghai", base_url=live_server.url
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page

    reports = request.node.stash.get(_report_key, {})
    failed = any(report.failed for report in reports.values())
    if failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
    for n, context in enumerate(contexts):
        if failed:
            for m, page in enumerate(context.pages):
                # A crashed page must not hide the test's own failure behind this one.
                with contextlib.suppress(Exception):
                    page.screenshot(path=SCREENSHOTS / f"{stem}-{n}-{m}.png", full_page=True)
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def login(page, live_server, user, password: str = PASSWORD) -> None:
    """Log USER in through the login form and wait until the home page is shown."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def cut_fibre(mobile: str):
    """A fault event the pre-processing pages show: the broadband of a customer with MOBILE
    (account BR-1 on ONU-BR) hangs off PON port 0/2/3 of 南京玄武OLT07, whose fibre was cut
    an hour ago."""
    from datetime import timedelta

    from django.utils import timezone

    from sqm.network.alarms import parse_alarm
    from sqm.network.ingest import ingest
    from sqm.network.models import FaultEvent
    from tests.factories import AccountFactory, CustomerFactory, OltFactory, onu, port

    olt = OltFactory(olt_id="OLT-BR", name="南京玄武OLT07", district="玄武区")
    customer = CustomerFactory(name="王芳", mobile=mobile)
    AccountFactory(account_id="BR-1", customer=customer, onu=onu(port(olt, 0, 2, 3), "ONU-BR"))
    started = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    body = {"alarm_id": "BR-P", "event": "raise", "olt_id": "OLT-BR", "level": "pon",
            "frame": 0, "slot": 2, "port": 3, "type": "LOS", "severity": "critical",
            "occurred_at": started.isoformat()}  # fmt: skip
    alarm, errors = parse_alarm(body, 1)
    assert not errors
    ingest([alarm], now=started)
    return FaultEvent.objects.get()
