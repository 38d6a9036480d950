"""Fixtures for the web app's browser tests (issue 6): one real `cakap up --small` (both regions,
one worker per pool, PostgreSQL, conversations, tutor, the edge serving web/), and Debian's
Chromium driven by PyPI Playwright (its own browser download cannot run here).

Prerequisites, as for tests/fleet (missing ones FAIL): the binary at $CAKAP_BIN, `cakap setup`
done, and /usr/bin/chromium (scripts/test installs the Debian package when it is missing).

Every page collects console errors and uncaught exceptions; a test fails on any it did not
expect (`App.allow`). Screenshots go to .build/test-results/web/ (or $CAKAP_WEB_SCREENSHOTS).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

WEB_DIRECTORY = Path(__file__).resolve().parent
REPO_ROOT = WEB_DIRECTORY.parents[1]

from cakap_testing.fleet_identity import DevUser, IdentityProvider  # noqa: E402
from cakap_testing.fleet_process import Fleet, cakap_bin, require_setup_store, running  # noqa: E402
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright  # noqa: E402

os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
os.environ["no_proxy"] = os.environ["NO_PROXY"]

CHROMIUM = os.environ.get("CAKAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(os.environ.get("CAKAP_WEB_SCREENSHOTS", REPO_ROOT / ".build" / "test-results" / "web"))
RESTART_DELAY = 12  # seconds before `cakap up` restarts a killed child: long enough to observe it down
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


class WebFleet(Fleet):
    """`cakap up --small` with a longer restart delay, so a killed service stays down a while."""

    def command(self) -> list[str]:
        return super().command() + ["--restart-delay", str(RESTART_DELAY)]

    def confirmation_code(self, email: str, timeout: float = 10) -> str:
        """The newest development code for `email` from the edge's log (R-AUTH-7)."""
        pattern = re.compile(rf"development code for {re.escape(email)}: (\w+)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = pattern.findall((self.data / "logs" / "edge.log").read_text(errors="replace"))
            except OSError:
                found = []
            if found:
                return found[-1]
            time.sleep(0.1)
        pytest.fail(f"no development code for {email} in {self.data / 'logs' / 'edge.log'}")


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebFleet]:
    binary = cakap_bin()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"cakap binary not found at {binary} (set CAKAP_BIN or build it)", pytrace=False)
    require_setup_store()
    with running(WebFleet(tmp_path_factory.mktemp("webfleet"), small=True)) as fleet:
        warm_tutor_model(fleet)
        yield fleet


def warm_tutor_model(fleet: WebFleet) -> None:
    """Loads the tutor's model (gemma3:270m) in each region's chat pool, as a fleet in service has
    it: `cakap up` preloads only the chat model, and a load inside the tutor's 20 s deadline costs
    the feedback its model part on a busy machine. Best effort, straight to the balancers."""
    for region in fleet.state["regions"]:
        try:
            fleet.post(fleet.balancer(region) + "/api/chat", timeout=(5, 90), json={
                "model": "gemma3:270m", "messages": [{"role": "user", "content": "Hi"}], "stream": False, "format": "json",
                "options": {"num_predict": 1}})  # fmt: skip
        except Exception:  # noqa: BLE001 - a slow load only makes the first feedback slower
            pass


@pytest.fixture(scope="session")
def identity(fleet: WebFleet) -> IdentityProvider:
    return IdentityProvider(fleet)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs it and checks it before any tier runs", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class App:
    """One browser tab on the web app, with every console error and page exception recorded."""

    def __init__(self, page: Page, fleet: WebFleet) -> None:
        self.page = page
        self.fleet = fleet
        self.errors: list[str] = []
        self.allowed: list[re.Pattern] = []
        self.console: list[str] = []
        self.failed_requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        self.console.append(message.text)
        if message.type == "error":
            url = (message.location or {}).get("url", "")
            self.errors.append(f"console error: {message.text} [{url}]")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.failed_requests.append(f"{response.request.method} {response.url} → {response.status}")

    def allow(self, pattern: str) -> None:
        """Expects console errors matching `pattern` (e.g. a failed fetch the test provoked)."""
        self.allowed.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        return [error for error in self.errors if not any(pattern.search(error) for pattern in self.allowed)]

    def open(self, path: str = "/") -> App:
        self.page.goto(self.fleet.edge + path)
        return self

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_in(self, user: DevUser) -> None:
        page = self.page
        page.get_by_label("Email").first.fill(user.email)
        page.locator("#signin-password").fill(user.password)
        page.get_by_role("button", name="Sign in").click()
        page.locator("#view-chat").wait_for(state="visible")
        page.locator("#model option[value]").first.wait_for(state="attached")


@pytest.fixture
def app(browser: Browser, fleet: WebFleet) -> Iterator[App]:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(30_000)
    page = context.new_page()
    app = App(page, fleet)
    try:
        yield app
    except BaseException:
        raise
    finally:
        if os.environ.get("CAKAP_WEB_DEBUG"):
            print("\nfailed requests:", *app.failed_requests, "console:", *app.console, sep="\n  ")
        context.close()
    unexpected = app.unexpected_errors()
    assert not unexpected, f"console errors: {unexpected}; failed requests: {app.failed_requests}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that kill parts of the fleet (a module's `WEB_PHASE = 1`) run after the others."""
    items.sort(key=lambda item: getattr(getattr(item, "module", None), "WEB_PHASE", 0))
