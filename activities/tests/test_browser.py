"""A real browser: headless Chromium (Debian's package, not a downloaded one) driven by Playwright
against a live server. It browses the home feed's page, posts an activity with the browsable API's
form, finds it on the home feed, and opens Swagger UI. Every request the pages make must stay on
the server (no internet); screenshots are saved in test-artifacts/browser/.

bin/test installs chromium where it can (as root); elsewhere these tests skip, but in CI (CI=true)
a missing browser fails them.
"""

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

pytestmark = pytest.mark.server

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As for any headless Chromium here: no sandbox (root in a container), and none of its own
# background traffic to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = (
            "chromium is not installed (bin/test installs it as root: apt-get install chromium)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    """A page in a fresh context that lets requests reach the server only, and records any other."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    elsewhere = []

    def only_the_server(route):
        if urlsplit(route.request.url).netloc == urlsplit(server).netloc:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert elsewhere == [], f"the pages asked for more than the server: {elsewhere}"


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_post_an_activity_with_the_browsable_form_and_see_it_on_the_home_feed(page, server):
    page.goto(f"{server}/api/activities/home")
    page.get_by_role("heading", name="Home Feed").wait_for()
    assert page.get_by_text("Cloud is very fun!").count() >= 1
    screenshot(page, "1-home-feed")

    message = f"Posted from Chromium {uuid.uuid4().hex[:8]}"
    page.goto(f"{server}/api/activities")
    form = page.locator("#post-object-form form")
    form.locator("[name=message]").fill(message)
    form.locator("select[name=ttl]").select_option("1-day")
    screenshot(page, "2-activity-form")
    form.get_by_role("button", name="POST").click()
    page.get_by_text("HTTP 200 OK").wait_for()
    assert page.get_by_text(message).count() >= 1
    screenshot(page, "3-activity-posted")

    page.goto(f"{server}/api/activities/home")
    page.get_by_text(message).first.wait_for()
    screenshot(page, "4-home-feed-with-the-new-activity")


def test_swagger_ui_lists_the_endpoints(page, server):
    page.goto(f"{server}/api/schema/swagger-ui")
    page.locator(".opblock-summary-path").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    for path in ("/api/activities/home", "/api/activities", "/api/messages", "/rollbar/test"):
        assert any(shown.replace("\u200b", "") == path for shown in paths), (path, paths)
    screenshot(page, "5-swagger-ui")


def test_redoc_shows_the_api(page, server):
    page.goto(f"{server}/api/schema/redoc")
    page.get_by_text("Cruddur API").first.wait_for()
    screenshot(page, "6-redoc")
