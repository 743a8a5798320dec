"""The console's Webhooks panel (agent-webhooks.js) on the real `/agent` page of a real server,
with a shop's receiver on a loopback port that refuses the first delivery: the demo admin adds
a webhook (the secret shown once), sends a test, sees it refused and then delivered, and
deletes the webhook after confirming.

The panel opens as an admin opens it: the Webhooks button of the console's conversations pane.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.e2e.conftest import ARTIFACTS, Contexts, CovisorServer, served
from tests.e2e.sides import DESKTOP, AgentConsole

DEMO_ADMIN = "Demo Agent"


def open_panel(page: Page) -> None:
    """Open the Webhooks dialog from the console's conversations pane (it refreshes on open)."""
    page.get_by_test_id("open-webhooks").click()
    expect(page.get_by_test_id("webhooks-dialog")).to_be_visible()


def reopen_panel(page: Page) -> None:
    page.get_by_test_id("webhooks-dialog-close").click()
    open_panel(page)


class Receiver:
    """A shop's webhook endpoint: answers `statuses` in turn, then 200."""

    def __init__(self) -> None:
        self.statuses = [500]
        self.events: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.events.append(json.loads(body)["event"])
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/covisor"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.http.shutdown()
    r.http.server_close()


@pytest.fixture(scope="module")
def server(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server that takes loopback receivers and retries after a second."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir: Path = tmp_path_factory.mktemp("covisor-webhooks")
    env = {"COVISOR_WEBHOOKS_ALLOW_INSECURE": "1", "COVISOR_WEBHOOK_FIRST_RETRY": "1"}
    with served(data_dir, ARTIFACTS / "webhooks-server.log", env) as url:
        token = (data_dir / "demo-agent.txt").read_text().strip().splitlines()[-1]
        yield CovisorServer(url, data_dir, token, {})


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"webhooks-{name}-desktop.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=ARTIFACTS / f"webhooks-{name}-phone.png")
    page.set_viewport_size(DESKTOP["viewport"])


def deliveries_say(page: Page, hook: Any, text: str) -> None:
    """Open the hook's deliveries again (each opening loads them) until one says `text`."""
    toggle = hook.get_by_test_id("webhook-deliveries-toggle")
    for _ in range(40):
        if text in (hook.get_by_test_id("webhook-deliveries").text_content() or ""):
            break
        page.wait_for_timeout(250)
        toggle.click()
        toggle.click()
    expect(hook.get_by_test_id("webhook-delivery").first).to_contain_text(text)


def test_an_admin_adds_tests_watches_and_deletes_a_webhook(
    server: CovisorServer, contexts: Contexts, receiver: Receiver
) -> None:
    console = AgentConsole(contexts.new("admin", DESKTOP).new_page(), server.url, DEMO_ADMIN)
    console.log_in(server.demo_token)
    page = console.page
    open_panel(page)
    panel = page.get_by_test_id("webhooks-panel")
    expect(panel.get_by_text("No webhooks yet.")).to_be_visible()

    # The form's own checks first, with focus on what to fix.
    page.get_by_test_id("webhooks-add-toggle").click()
    expect(page.get_by_label("URL of your server")).to_be_focused()
    page.get_by_label("URL of your server").fill("http://shop.example/hooks")
    page.get_by_test_id("webhooks-submit").click()
    expect(page.get_by_test_id("webhooks-form-error")).to_contain_text("https://")
    page.get_by_label("URL of your server").fill(receiver.url)
    page.get_by_test_id("webhooks-submit").click()
    expect(page.get_by_test_id("webhooks-form-error")).to_have_text("Choose at least one event.")
    page.get_by_label("New message").check()
    page.get_by_label("Chat closed").check()
    shoot(page, "form")
    page.get_by_test_id("webhooks-submit").click()

    # The secret, once, selected, with a copy button.
    secret = page.get_by_test_id("webhooks-secret-value")
    expect(secret).to_be_focused()
    assert secret.input_value().startswith("whsec_")
    hook = page.get_by_test_id("webhook")
    expect(hook.get_by_test_id("webhook-url")).to_have_text(receiver.url)
    expect(hook).to_contain_text("New message")
    shoot(page, "secret")
    page.get_by_test_id("webhooks-secret-done").click()
    expect(page.get_by_test_id("webhooks-secret")).to_be_hidden()
    listed = page.evaluate(
        "fetch('/api/webhooks', {headers: {Authorization: 'Bearer ' + "
        "localStorage.getItem('covisor:agent-token')}}).then(r => r.text())"
    )
    assert "whsec_" not in listed

    # Issue 24, 10: a failed request's notice goes once the next action is under way.
    page.route("**/deliveries", lambda route: route.abort(), times=1)
    hook.get_by_test_id("webhook-deliveries-toggle").click()
    notice = page.get_by_test_id("console-notice")
    expect(notice).to_be_visible()

    # A test: refused once (500), then delivered on the retry a second later.
    hook.get_by_test_id("webhook-test").click()
    expect(hook.get_by_test_id("webhooks-row-message")).to_have_text(
        "A test delivery is on its way."
    )
    expect(notice).to_be_hidden(timeout=3000)
    expect(hook.get_by_test_id("webhook-summary")).to_contain_text(", 1 waiting,")
    hook.get_by_test_id("webhook-deliveries-toggle").click()
    delivery = hook.get_by_test_id("webhook-delivery")
    expect(delivery).to_have_count(1)
    deliveries_say(page, hook, "refused (500), 1 attempt; next try at")
    shoot(page, "retrying")
    deliveries_say(page, hook, "delivered (200)")
    expect(delivery).to_contain_text("2 attempts")
    assert receiver.events == ["ping", "ping"]
    reopen_panel(page)
    expect(hook.get_by_test_id("webhook-summary")).to_have_text(
        "Latest deliveries: 1 delivered, 0 waiting, 0 failed"
    )
    expect(hook.get_by_test_id("webhook-last")).to_contain_text("Last: delivered (200)")
    shoot(page, "delivered")

    # Delete, after confirming; Escape backs out first.
    hook.get_by_test_id("webhook-delete").click()
    expect(hook.get_by_test_id("webhook-delete-confirm")).to_be_focused()
    page.keyboard.press("Escape")
    expect(hook.get_by_test_id("webhook-delete-confirm")).to_have_count(0)
    hook.get_by_test_id("webhook-delete").click()
    shoot(page, "confirm")
    hook.get_by_test_id("webhook-delete-confirm").click()
    expect(page.get_by_test_id("webhook")).to_have_count(0)
    expect(panel.get_by_text("No webhooks yet.")).to_be_visible()
    assert not contexts.page_errors, contexts.page_errors
