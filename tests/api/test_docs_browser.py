"""Swagger UI and ReDoc render the task operations in a real browser, fully offline.

Debian's Chromium driven by Playwright (never a downloaded browser). Every request the page
makes is checked: anything not addressed to the API's own loopback origin is recorded and
aborted, and the test fails if there was any.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.api.servers import ApiServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own background traffic would otherwise try the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def api(tmp_path, redis_server):
    server = ApiServer(tmp_path / "api", redis_server.url, workers=2)
    server.process.start()
    yield server
    server.process.stop()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _open_offline(browser, url: str):
    """A page at `url` whose requests may only go to url's origin; returns (page, outside)."""
    origin = urlsplit(url).netloc
    outside: list[str] = []
    page = browser.new_page()

    def guard(route):
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(url)
    return page, outside


def test_swagger_ui_renders_the_task_operations_offline(api, browser):
    page, outside = _open_offline(browser, f"{api.url}/api/v1/docs/")
    paths = page.locator(".opblock-summary-path")
    paths.first.wait_for(timeout=30_000)

    shown = set(paths.all_inner_texts())
    assert {"/api/v1/tasks/", "/api/v1/tasks/{id}/", "/api/v1/tasks/stats/"} <= {
        p.replace("\u200b", "") for p in shown
    }
    assert outside == []


def test_redoc_renders_the_task_operations_offline(api, browser):
    page, outside = _open_offline(browser, f"{api.url}/api/v1/redoc/")
    page.get_by_text("/api/v1/tasks/{id}/mark_done/").first.wait_for(timeout=30_000)

    assert page.get_by_text("/api/v1/tasks/stats/").count() > 0
    assert outside == []
