"""The console's admin panels, Team (agent-team.js) and Saved replies (agent-replies.js), as
the console opens them (dialogs from the conversations pane), on the real `/agent` page of the
real server: the demo admin manages the team and saved replies; an agent only its own replies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, Playwright, ViewportSize, expect

from tests.e2e.conftest import ARTIFACTS, Contexts, CovisorServer
from tests.e2e.sides import DESKTOP, AgentConsole

DEMO_ADMIN = "Demo Agent"
PHONE_VIEWPORT: ViewportSize = {"width": 390, "height": 844}
NARROWEST: ViewportSize = {"width": 360, "height": 740}

PANELS = {"team": ("open-team", "team-dialog"), "replies": ("open-replies", "replies-dialog")}


def mount(page: Page, panel: str) -> None:
    """Open the console's own dialog of `panel` ("team" or "replies") from the list pane."""
    button, dialog = PANELS[panel]
    page.get_by_test_id(button).click()
    expect(page.get_by_test_id(dialog)).to_be_visible()
    page.evaluate("name => { window.__panel = name; }", dialog)


def shoot(page: Page, name: str) -> None:
    """A screenshot at desktop size, then at a phone's (the page is left at desktop size)."""
    page.screenshot(path=ARTIFACTS / f"console_admin-{name}-desktop.png")
    page.set_viewport_size(PHONE_VIEWPORT)
    page.screenshot(path=ARTIFACTS / f"console_admin-{name}-phone.png")
    page.set_viewport_size(DESKTOP["viewport"])


def assert_fits(page: Page, size: ViewportSize) -> None:
    """Nothing of the panel sticks out sideways at this width (no horizontal scrolling)."""
    page.set_viewport_size(size)
    host = page.get_by_test_id(page.evaluate("window.__panel"))
    widths = host.evaluate("host => [host.scrollWidth, host.clientWidth]")
    assert widths[0] <= widths[1], widths
    page.set_viewport_size(DESKTOP["viewport"])


def open_console(server: CovisorServer, contexts: Contexts, token: str, name: str) -> Page:
    """`/agent` logged in with `token` through the login form, as an agent does."""
    console = AgentConsole(contexts.new(name, DESKTOP).new_page(), server.url, name=name)
    console.log_in(token)
    return console.page


@pytest.fixture
def admin_page(server: CovisorServer, contexts: Contexts) -> Iterator[Page]:
    """The console of the demo agent, an admin."""
    page = open_console(server, contexts, server.demo_token, DEMO_ADMIN)
    yield page
    page.screenshot(path=ARTIFACTS / "console_admin-end.png")


@pytest.fixture
def anonymous(playwright: Playwright, server: CovisorServer) -> Iterator[APIRequestContext]:
    context = playwright.request.new_context(base_url=server.url)
    yield context
    context.dispose()


def log_in(anonymous: APIRequestContext, email: str, password: str) -> int:
    answer = anonymous.post("/api/auth/login", data={"email": email, "password": password})
    return answer.status


def team_member(page: Page, name: str) -> Any:
    return page.get_by_test_id("team-member").filter(has_text=name)


def test_an_admin_invites_and_manages_an_agent(
    admin_page: Page, api: APIRequestContext, anonymous: APIRequestContext
) -> None:
    page = admin_page
    mount(page, "team")
    me = team_member(page, DEMO_ADMIN)
    expect(me).to_have_attribute("data-role", "admin")
    expect(me.get_by_test_id("team-toggle-disabled")).to_have_count(0)  # not oneself

    # Invite: the form opens on its first field; the password is shown once, selected.
    page.get_by_test_id("team-invite-toggle").click()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.get_by_label("Name", exact=True).fill("Ana Lima")
    page.get_by_label("E-mail", exact=True).fill("Ana.Lima@Shop.Example")
    page.get_by_test_id("team-invite-form").get_by_label("Capacity").fill("4")
    page.get_by_test_id("team-invite-submit").click()
    secret = page.get_by_test_id("team-secret")
    expect(secret).to_contain_text("Shown only now")
    password_field = page.get_by_test_id("team-secret-password")
    expect(password_field).to_be_focused()
    password = password_field.input_value()
    assert len(password) >= 8
    ana = team_member(page, "Ana Lima")
    expect(ana).to_contain_text("ana.lima@shop.example")
    expect(ana.get_by_test_id("team-capacity")).to_have_value("4")
    expect(ana).to_have_attribute("data-role", "agent")
    shoot(page, "team-invited")
    assert log_in(anonymous, "ana.lima@shop.example", password) == 200
    page.get_by_test_id("team-secret-done").click()
    expect(secret).to_be_hidden()
    expect(page.get_by_test_id("team-invite-toggle")).to_be_focused()

    # The form's own checks come first, with focus on the field to fix.
    page.get_by_test_id("team-invite-toggle").click()
    page.get_by_label("Name", exact=True).fill("Ana Again")
    page.get_by_label("E-mail", exact=True).fill("ana")
    page.get_by_test_id("team-invite-submit").click()
    expect(page.get_by_test_id("team-invite-error")).to_have_text("Enter a valid e-mail address.")
    expect(page.get_by_label("E-mail", exact=True)).to_be_focused()
    shoot(page, "team-invite-form")

    # The same address again: the server's 409, said in the panel.
    page.get_by_label("E-mail", exact=True).fill("ana.lima@shop.example")
    page.get_by_test_id("team-invite-submit").click()
    expect(page.get_by_test_id("team-invite-error")).to_have_text(
        "An agent with this e-mail address already exists."
    )
    # Escape closes the form and gives focus back to the button that opened it.
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("team-invite-form")).to_be_hidden()
    expect(page.get_by_test_id("team-invite-toggle")).to_be_focused()

    # Capacity, typed and confirmed with Enter.
    capacity = ana.get_by_test_id("team-capacity")
    capacity.fill("7")
    capacity.press("Enter")
    expect(ana.get_by_test_id("team-row-message")).to_have_text("Saved: Ana Lima.")
    expect(ana.get_by_test_id("team-capacity")).to_be_focused()
    assert _team(api)["ana.lima@shop.example"]["capacity"] == 7

    # The last enabled admin cannot step down: refused, and the select shows the truth again.
    me.get_by_test_id("team-role").select_option("agent")
    expect(me.get_by_test_id("team-row-message")).to_contain_text("at least one enabled admin")
    expect(me.get_by_test_id("team-role")).to_be_focused()
    expect(me.get_by_test_id("team-role")).to_have_value("admin")
    shoot(page, "team-last-admin")

    # Disable: Ana can no longer log in; enabling lets her back.
    ana.get_by_test_id("team-toggle-disabled").click()
    expect(ana).to_have_attribute("data-disabled", "true")
    expect(ana.get_by_test_id("team-disabled-tag")).to_have_text("Disabled")
    expect(ana.get_by_test_id("team-toggle-disabled")).to_be_focused()
    expect(ana.get_by_test_id("team-toggle-disabled")).to_have_text("Enable")
    assert log_in(anonymous, "ana.lima@shop.example", password) == 401
    ana.get_by_test_id("team-reset").click()
    expect(ana.get_by_test_id("team-reset-confirm")).to_be_focused()
    shoot(page, "team-disabled-confirm")
    page.keyboard.press("Escape")
    ana.get_by_test_id("team-toggle-disabled").click()
    expect(ana).to_have_attribute("data-disabled", "false")

    # Reset the password: asked first (Escape says no), then the new one is shown once.
    ana.get_by_test_id("team-reset").click()
    expect(ana.get_by_test_id("team-reset-confirm")).to_be_focused()
    page.keyboard.press("Escape")
    expect(ana.get_by_test_id("team-reset-confirm")).to_have_count(0)
    expect(ana.get_by_test_id("team-reset")).to_be_focused()
    ana.get_by_test_id("team-reset").click()
    ana.get_by_test_id("team-reset-confirm").click()
    expect(secret).to_contain_text("New password for Ana Lima")
    new_password = page.get_by_test_id("team-secret-password").input_value()
    assert new_password != password
    shoot(page, "team-reset")
    assert log_in(anonymous, "ana.lima@shop.example", password) == 401
    assert log_in(anonymous, "ana.lima@shop.example", new_password) == 200
    page.get_by_test_id("team-secret-done").click()
    expect(secret).to_be_hidden()
    expect(ana.get_by_test_id("team-reset")).to_be_focused()

    assert_fits(page, NARROWEST)


def _team(api: APIRequestContext) -> dict[str, dict[str, Any]]:
    answer = api.get("/api/team")
    assert answer.ok, answer.text()
    return {agent["email"]: agent for agent in answer.json()["agents"] if agent["email"]}


def test_saved_replies_are_created_edited_and_deleted(
    admin_page: Page, api: APIRequestContext
) -> None:
    page = admin_page
    mount(page, "replies")
    form = page.get_by_test_id("reply-form")

    def reply(shortcut: str) -> Any:
        return page.get_by_test_id("reply-item").filter(
            has=page.locator(".cv-admin-shortcut", has_text=f"/{shortcut}")
        )

    # A personal reply that shows a catalogue item.
    page.get_by_test_id("replies-new").click()
    expect(form.get_by_label("Shortcut")).to_be_focused()
    form.get_by_label("Shortcut").fill("/Hours")
    form.get_by_label("Text").fill("Hi {name}, we open at 9.")
    form.get_by_label("Product to show").select_option(label="Stoneware mug")
    form.get_by_test_id("reply-save").click()
    hours = reply("hours")
    expect(hours.get_by_test_id("reply-preview")).to_have_text("Hi {name}, we open at 9.")
    expect(hours.get_by_test_id("reply-catalogue-title")).to_have_text("Shows: Stoneware mug")
    expect(hours).to_have_attribute("data-shared", "false")
    expect(hours.get_by_test_id("reply-edit")).to_be_focused()
    expect(form).to_be_hidden()

    # A shared one (the demo agent is an admin).
    page.get_by_test_id("replies-new").click()
    form.get_by_label("Shortcut").fill("returns")
    form.get_by_label("Text").fill("You can return anything within 30 days.\nJust ask me how.")
    form.get_by_label("Shared with the team").check()
    form.get_by_test_id("reply-save").click()
    returns = reply("returns")
    expect(returns).to_have_attribute("data-shared", "true")
    expect(returns.get_by_test_id("reply-shared-tag")).to_have_text("Shared")

    # A taken shortcut is refused by the server and said in the panel; Escape closes the form.
    page.get_by_test_id("replies-new").click()
    form.get_by_label("Shortcut").fill("hours")
    form.get_by_label("Text").fill("Another one")
    form.get_by_test_id("reply-save").click()
    expect(page.get_by_test_id("reply-form-error")).to_have_text(
        "This shortcut is already taken: choose another one."
    )
    expect(form.get_by_label("Shortcut")).to_be_focused()
    page.keyboard.press("Escape")
    expect(form).to_be_hidden()
    expect(page.get_by_test_id("replies-new")).to_be_focused()
    shoot(page, "replies-list")

    # Edit: the form comes filled in; the product is removed, the text changed.
    hours.get_by_test_id("reply-edit").click()
    expect(form.get_by_label("Shortcut")).to_have_value("hours")
    expect(form.get_by_label("Product to show")).to_have_value("stoneware-mug")
    expect(form.get_by_label("Shared with the team")).to_be_disabled()
    expect(form).to_contain_text("24/1500")  # the server's limit, not the default
    form.get_by_label("Text").fill("Hi {name}, we open at 10 from Monday.")
    form.get_by_label("Product to show").select_option("")
    shoot(page, "replies-edit")
    form.get_by_test_id("reply-save").click()
    expect(hours.get_by_test_id("reply-preview")).to_have_text(
        "Hi {name}, we open at 10 from Monday."
    )
    expect(hours.get_by_test_id("reply-catalogue-title")).to_have_count(0)
    expect(page.get_by_test_id("replies-status")).to_have_text("Updated /hours.")

    # Delete, after saying yes.
    returns.get_by_test_id("reply-delete").click()
    expect(returns).to_contain_text("for the whole team")
    expect(returns.get_by_test_id("reply-delete-confirm")).to_be_focused()
    returns.get_by_test_id("reply-delete-confirm").click()
    expect(returns).to_have_count(0)
    expect(page.get_by_test_id("replies-status")).to_have_text("Deleted /returns.")

    stored = api.get("/api/replies").json()["replies"]
    assert [(r["shortcut"], r["shared"], r["catalogue_id"]) for r in stored] == [
        ("hours", False, None)
    ]
    assert_fits(page, NARROWEST)


def test_an_agent_manages_only_personal_replies(
    server: CovisorServer, contexts: Contexts, api: APIRequestContext
) -> None:
    shared = api.post(
        "/api/replies", data={"shortcut": "welcome", "text": "Welcome!", "shared": True}
    )
    assert shared.status == 201, shared.text()
    page = open_console(server, contexts, server.add_agent("Sam"), "Sam")
    mount(page, "replies")
    welcome = page.get_by_test_id("reply-item").filter(has_text="/welcome")
    expect(welcome.get_by_test_id("reply-shared-tag")).to_be_visible()
    expect(welcome.get_by_role("button")).to_have_count(0)

    page.get_by_test_id("replies-new").click()
    form = page.get_by_test_id("reply-form")
    expect(form.get_by_test_id("reply-shared")).to_be_hidden()
    form.get_by_label("Text").fill("Thank you, {name}!")
    form.get_by_label("Shortcut").fill("thanks")
    form.get_by_label("Shortcut").press("Enter")  # Enter in a field saves, as in any form
    thanks = page.get_by_test_id("reply-item").filter(has_text="/thanks")
    expect(thanks).to_have_attribute("data-shared", "false")
    expect(thanks.get_by_test_id("reply-edit")).to_be_focused()
    page.screenshot(path=ARTIFACTS / "console_admin-replies-agent-desktop.png")
    api.delete(f"/api/replies/{shared.json()['id']}")
