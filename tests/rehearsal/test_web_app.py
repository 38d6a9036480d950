"""The web app in Chromium from its own origin (as on Amplify), configured as `cakap aws deploy`
configures it, against the API stand-in (R-WEB-1, R-AUTH-5, R-AUTH-6, R-API-1, R-API-2, R-APP-6,
R-APP-8; issue 20, blocker 3): sign in, the model list, a streamed chat and a saved conversation
with its vector, every call cross-origin through the gateway, with no console error (a missing
CORS header is one: the browser refuses the answer)."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import threading
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cognito_standin import UserPool
from conftest import CHAT_MODEL, ISSUER, REPO, USER_POOL_KEY, WEB_HOST, WEB_ORIGIN

CHROMIUM = os.environ.get("CAKAP_CHROMIUM", "/usr/bin/chromium")
# As tests/web launches it: headless, no sandbox (root), nothing of its own on the network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
POOL_ID = "us-east-1_Rehearsal"  # the pool of conftest.USER_POOL_ARN and ISSUER
EMAIL, PASSWORD = "web-learner@example.com", "Rehearsal-Web-7!"
LONG = 180_000  # ms: a reply from the small model through two emulated hops on 2 shared cores


@pytest.fixture(scope="module")
def site(built: Path, bundle: Path, api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Amplify bundle from `cakap aws web-bundle` (the deploy's own WebAppConfiguration, the
    shipped cakap) with the stand-in's URL, served as static files at WEB_ORIGIN."""
    folder = tmp_path_factory.mktemp("amplify")
    result = subprocess.run(
        [str(bundle / "bin/cakap"), "aws", "web-bundle", "--web", str(built / "web.zip"), "--api-url", api.url,
         "--user-pool-id", POOL_ID, "--client-id", "rehearsalwebclient", "--output", str(folder / "site.zip"),
         "--stacks", str(REPO / "infra/stacks.json")],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(folder / "site.zip") as archive:
        archive.extractall(folder / "site")
    config = (folder / "site/config.js").read_text()
    assert api.url in config and "https://cognito-idp.us-east-1.amazonaws.com/" in config, config
    handler = functools.partial(Quiet, directory=str(folder / "site"))
    server = ThreadingHTTPServer((WEB_HOST, urlsplit(WEB_ORIGIN).port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield WEB_ORIGIN
    server.shutdown()
    server.server_close()


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Tab:
    """One Chromium tab on the app, its console errors, and the signed-in learner's sub."""

    page: Any
    learner: str
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def tab(site: str) -> Iterator[Tab]:
    """A Chromium tab whose only way off the machine is closed: the pool's endpoint is answered by
    the rehearsal's user pool, anything else that is not loopback is aborted."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing (scripts/rehearse installs Debian's chromium)", pytrace=False)
    pool = UserPool(USER_POOL_KEY, ISSUER, {EMAIL: (PASSWORD, f"rehearsal-web-{uuid.uuid4().hex[:8]}")})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context()
        context.set_default_timeout(30_000)
        context.route(re.compile(r"^(?!https?://127\.0\.0\.\d+[:/])"), lambda route: route.abort())
        context.route("https://cognito-idp.us-east-1.amazonaws.com/**", pool.fulfil)  # later routes match first
        opened = Tab(context.new_page(), pool.users[EMAIL][1])
        opened.page.on("console", lambda message: message.type == "error" and opened.errors.append(message.text))
        opened.page.on("pageerror", lambda error: opened.errors.append(f"page error: {error}"))
        yield opened
        browser.close()


def test_the_amplify_app_signs_in_lists_models_chats_and_saves_through_the_gateway(tab: Tab, rds) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(WEB_ORIGIN + "/")
    page.locator("#signin-email").fill(EMAIL)
    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#view-chat")).to_be_visible()
    # The model list: GET /us-east-1/tags through the HTTP_PROXY route, readable cross-origin.
    expect(page.locator(f"#model option[value='{CHAT_MODEL}']")).to_be_attached()
    page.locator("#model").select_option(CHAT_MODEL)

    page.get_by_label("Your message").fill("Hello! I like read books in the evening.")
    with page.expect_response(lambda r: r.request.method == "POST" and f"/conversations/{tab.learner}" in r.url,
                              timeout=LONG) as saved:
        page.get_by_label("Your message").press("Enter")
    assert saved.value.status == 201, saved.value.text()
    reply = page.locator("#messages li.assistant").last
    expect(reply).to_have_attribute("data-streaming", "false", timeout=LONG)
    text = reply.locator(".message-text").text_content() or ""
    assert re.search(r"[A-Za-z]{2,}", text), text
    assert int(reply.get_attribute("data-chunks") or 0) >= 2, "the reply did not stream"

    rows = rds.query(f"SELECT embedding_model, embedding_dim FROM conversations WHERE uid = '{tab.learner}'")
    assert re.fullmatch(r"[\w.:-]+\|\d+", rows), f"no vector stored for the app's conversation: {rows!r}"
    assert tab.errors == [], tab.errors
