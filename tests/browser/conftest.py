"""Browser tests: a real uvicorn serving keyplane over HTTP in a background thread (its own
event loop, an injected clock), driven by Playwright through Debian's chromium.

No browser is ever downloaded: /usr/bin/chromium is required (`.ci/install-browser`). When it
is missing the tests fail with a clear message on CI (CI=true) and are skipped elsewhere.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from tests.support.documents import document

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TEST_TIME_LIMIT_S = 120   # each test, whatever happens
ACTION_TIMEOUT_MS = 10_000  # each Playwright action and expectation


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


try:  # the test modules import Playwright: without it, fail on CI and collect nothing elsewhere
    import playwright.sync_api  # noqa: F401
except ImportError:
    if _on_ci():
        raise RuntimeError("browser tests cannot run: the playwright package is missing (pip install -e '.[test]')")
    collect_ignore_glob = ["test_*.py"]


def _require_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing: install Debian's chromium with .ci/install-browser"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing: pip install -e '.[test]'"
    if problem is None:
        return
    if _on_ci():
        pytest.fail(f"browser tests cannot run: {problem}", pytrace=False)
    pytest.skip(f"browser tests skipped: {problem}")


class ThreadSafeClock:
    """The app's clock (``now()``), advanced by the test thread while the server thread reads it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = start or datetime(2026, 1, 31, 10, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GraphQLError(AssertionError):
    pass


@dataclass
class Api:
    """The GraphQL API of the live server, through the same named documents as the dashboard."""

    http: httpx.Client
    token: str

    def run(self, name: str, /, **variables) -> dict:
        response = self.http.post("/graphql", json={"query": document(name), "variables": variables},
                                  headers={"Authorization": f"Bearer {self.token}"})
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise GraphQLError(f"{name}: {response.status_code} {body}")
        return body["data"]

    def mutate(self, name: str, /, **input_fields) -> dict:
        (payload,) = self.run(name, input=input_fields).values()
        if payload["errors"]:
            raise GraphQLError(f"{name}: {payload['errors']}")
        return payload


class LiveServer:
    """keyplane under uvicorn in a thread with its own event loop; the app's lifespan opens and
    closes the database. ``call`` runs a coroutine (services) on that loop."""

    def __init__(self, database_url: str, clock: ThreadSafeClock, **settings) -> None:
        import uvicorn

        from app.server import create_app
        from app.settings import Settings

        self.clock = clock
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(Settings(database_url=database_url, poll_interval_ms=50, **settings), clock)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on", access_log=False))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name="keyplane-live-server", daemon=True)
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the keyplane server stopped while starting")
            if time.monotonic() > deadline:
                raise RuntimeError("the keyplane server did not start within 20 s")
            time.sleep(0.02)

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=20)
        if not self.thread.is_alive():
            self.loop.close()

    def call(self, coroutine, timeout: float = 15):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def api(self, token: str) -> Api:
        return Api(self.http, token)

    def record_usage(self, gateway_token: str, body: dict) -> dict:
        response = self.http.post("/v1/usage", json=body, headers={"Authorization": f"Bearer {gateway_token}"})
        assert response.status_code == 200, response.text
        return response.json()

    def authorize(self, gateway_token: str, body: dict) -> dict:
        response = self.http.post("/v1/authorize", json=body, headers={"Authorization": f"Bearer {gateway_token}"})
        assert response.status_code == 200, response.text
        return response.json()


@dataclass
class Site:
    """The live server with the bootstrap organization "default" (FREE) and project "Default"."""

    server: LiveServer
    clock: ThreadSafeClock
    management: str
    gateway: str
    project_id: str
    api: Api

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(autouse=True)
def _bounded_time():
    """Every browser test ends within TEST_TIME_LIMIT_S, even if something hangs."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise TimeoutError(f"browser test took longer than {TEST_TIME_LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_TIME_LIMIT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def clock() -> ThreadSafeClock:
    return ThreadSafeClock()


@pytest.fixture
def site_settings() -> dict:
    """Settings of the live server besides the defaults (a test module may override this fixture)."""
    return {}


@pytest.fixture
def site(browser, tmp_path, clock, site_settings):
    from app.cli import bootstrap

    server = LiveServer(f"sqlite://{tmp_path}/kp.sqlite3", clock, **site_settings)
    server.start()
    try:
        management, gateway = server.call(bootstrap(clock))
        api = server.api(management)
        project_id = api.run("Organization")["organization"]["projects"][0]["id"]
        yield Site(server, clock, management, gateway, project_id, api)
    finally:
        server.stop()


@pytest.fixture
def context(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="UTC", locale="en-US",
                                  color_scheme="light")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context):
    """A page that fails the test on an uncaught script error or a CSP violation."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused to" in text or "Uncaught" in text):
            problems.append(f"console: {text}")

    page.on("console", on_console)
    yield page
    assert not problems, problems


@pytest.fixture
def shots():
    """save(page, name): a screenshot in test-artifacts/screenshots/ (created at runtime)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled", full_page=full_page, caret="hide")
        return path

    return save
