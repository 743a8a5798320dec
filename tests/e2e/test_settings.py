"""The shop's Settings panel (console/admin/settings.js) in real Chromium against `covisor serve`:
the demo admin, on a desktop, turns on the pre-chat questions and a shopper's phone asks for the
name and e-mail on its next load; a wrong business-hours rule is named and focused, with nothing
saved; saved hours that exclude now close the shop for the same shopper's next load, without a
restart. The panel is also shown in German. Screenshots go to tests/artifacts/e2e/.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, Contexts, CovisorServer
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget

DEMO_ADMIN = "Demo Agent"
CLOSED_HOURS = "mon 00:00-00:01"
"""One minute a week in Kiritimati (UTC+14): closed whenever this test runs, but for that one."""


def open_settings(server: CovisorServer, contexts: Contexts, locale: str) -> AgentConsole:
    page = contexts.new(f"admin-{locale}", {**DESKTOP, "locale": locale}).new_page()
    admin = AgentConsole(page, server.url, DEMO_ADMIN)
    admin.log_in(server.demo_token)
    admin.by("open-settings").click()
    expect(admin.by("settings-dialog")).to_be_visible()
    expect(admin.by("settings-routing")).to_have_value("manual")
    expect(admin.by("settings-translation")).to_contain_text(
        {"en-US": "Translation is off.", "de-DE": "Die Übersetzung ist aus."}[locale]
    )
    return admin


def save_with_enter(admin: AgentConsole, field: str) -> None:
    """Submit the form from the keyboard, in `field`."""
    admin.by(f"settings-{field}").press("Enter")


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"settings-{name}-desktop.png")
    page.set_viewport_size(PHONE["viewport"])
    page.screenshot(path=ARTIFACTS / f"settings-{name}-phone.png")
    page.set_viewport_size(DESKTOP["viewport"])


def test_a_saved_setting_reaches_the_shoppers_next_load(
    server: CovisorServer, contexts: Contexts
) -> None:
    admin = open_settings(server, contexts, "en-US")
    expect(admin.by("settings-prechat")).to_have_value("off")
    expect(admin.by("settings-business_hours")).to_have_value("")
    expect(admin.page.get_by_label("Business hours", exact=True)).to_be_visible()

    # Keyboard only: choose the pre-chat questions and save with Enter.
    prechat = admin.by("settings-prechat")
    prechat.focus()
    prechat.select_option("name_email")
    admin.page.keyboard.press("Tab")
    save_with_enter(admin, "timezone")
    expect(admin.by("settings-status")).to_have_text("Settings saved. They apply now.")

    shopper = ShopperWidget(contexts.new("shopper", PHONE).new_page(), server.url)
    shopper.open_widget()
    shopper.send_chat("Do you have the trail shoe in 39?")
    expect(shopper.by("prechat-form")).to_be_visible()
    expect(shopper.by("prechat-name")).to_be_visible()
    expect(shopper.by("prechat-email")).to_be_visible()
    shopper.page.screenshot(path=ARTIFACTS / "settings-shopper-prechat-phone.png")

    # A wrong rule: the field is named and focused, and nothing is saved.
    hours = admin.by("settings-business_hours")
    hours.fill("mon 18:00-09:00")
    save_with_enter(admin, "business_hours")
    expect(admin.by("settings-error")).to_have_text(
        "Check “Business hours”: the value was not accepted."
    )
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(hours).to_be_focused()
    expect(admin.by("settings-status")).to_have_text("")
    shoot(admin.page, "error")
    assert (
        admin.page.request.get(
            f"{server.url}/api/settings",
            headers={"Authorization": f"Bearer {server.demo_token}"},
        ).json()["business_hours"]
        == ""
    )

    # Hours that exclude now, in their zone: the shopper's next load finds the shop closed.
    admin.by("settings-timezone").fill("Pacific/Kiritimati")
    hours.fill(CLOSED_HOURS)
    save_with_enter(admin, "business_hours")
    expect(admin.by("settings-status")).to_have_text("Settings saved. They apply now.")
    expect(admin.by("settings-error")).to_be_hidden()
    expect(hours).not_to_have_attribute("aria-invalid", "true")
    shoot(admin.page, "saved")

    shopper.page.reload()
    panel = shopper.by("widget-panel")
    expect(panel).to_be_attached()
    if panel.get_attribute("hidden") is not None:
        shopper.press(shopper.by("widget-launcher"))
    expect(shopper.by("away-card")).to_be_visible()
    expect(shopper.by("away-reason")).to_have_text("We're closed right now.")
    shopper.page.screenshot(path=ARTIFACTS / "settings-shopper-closed-phone.png")


def test_the_panel_in_german(server: CovisorServer, contexts: Contexts) -> None:
    admin = open_settings(server, contexts, "de-DE")
    expect(admin.page.get_by_label("Geschäftszeiten", exact=True)).to_be_visible()
    expect(admin.by("settings-save")).to_have_text("Einstellungen speichern")
    save_with_enter(admin, "capacity")
    expect(admin.by("settings-status")).to_have_text(
        "Einstellungen gespeichert. Sie gelten ab sofort."
    )
    admin.page.set_viewport_size(PHONE["viewport"])
    widths = admin.by("settings-dialog").evaluate("d => [d.scrollWidth, d.clientWidth]")
    assert widths[0] <= widths[1], widths
    admin.page.set_viewport_size(DESKTOP["viewport"])
    shoot(admin.page, "de")


def test_an_agent_has_no_settings(server: CovisorServer, contexts: Contexts) -> None:
    agent = AgentConsole(contexts.new("agent", DESKTOP).new_page(), server.url, "Pat")
    agent.log_in(server.add_agent("Pat"))
    expect(agent.by("open-reports")).to_have_count(0)
    expect(agent.by("open-settings")).to_have_count(0)
