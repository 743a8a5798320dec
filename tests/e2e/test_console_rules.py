"""The console's Invitation rules panel (agent-rules.js), as the console opens it (a dialog from
the conversations pane), on the real `/agent` page of a real server: the demo admin creates a
rule with conditions and two languages, sees it listed in words, switches it off, edits it and
deletes it; every step is checked against `GET /api/invitation-rules`.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import APIRequestContext, Locator, Page, ViewportSize, expect

from tests.e2e.conftest import ARTIFACTS, Contexts, CovisorServer
from tests.e2e.sides import DESKTOP, AgentConsole

DEMO_ADMIN = "Demo Agent"
PHONE_VIEWPORT: ViewportSize = {"width": 390, "height": 844}
NARROWEST: ViewportSize = {"width": 360, "height": 740}
SUMMARY = (
    "on */boots* · after 20 s · 2+ pages · phones · returning visitors · "
    "when the page triggers coupon-failed"
)


def open_console(server: CovisorServer, contexts: Contexts) -> Page:
    """`/agent` logged in as the demo agent, an admin, through the login form."""
    console = AgentConsole(contexts.new(DEMO_ADMIN, DESKTOP).new_page(), server.url, DEMO_ADMIN)
    console.log_in(server.demo_token)
    return console.page


def shoot(page: Page, name: str, scroll_to: Locator | None = None) -> None:
    """A screenshot at desktop size, then at a phone's (`scroll_to` brought into view in each);
    the page is left at desktop size."""
    for label, size in (("desktop", DESKTOP["viewport"]), ("phone", PHONE_VIEWPORT)):
        page.set_viewport_size(size)
        if scroll_to is not None:
            scroll_to.scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / f"console_rules-{name}-{label}.png")
    page.set_viewport_size(DESKTOP["viewport"])


def assert_fits(page: Page, size: ViewportSize) -> None:
    """Nothing of the dialog sticks out sideways at this width (no horizontal scrolling)."""
    page.set_viewport_size(size)
    dialog = page.get_by_test_id("rules-dialog")
    widths = dialog.evaluate("host => [host.scrollWidth, host.clientWidth]")
    assert widths[0] <= widths[1], widths
    page.set_viewport_size(DESKTOP["viewport"])


def stored(api: APIRequestContext) -> list[dict[str, Any]]:
    answer = api.get("/api/invitation-rules")
    assert answer.ok, answer.text()
    rules: list[dict[str, Any]] = answer.json()["rules"]
    return rules


def test_an_admin_creates_lists_switches_edits_and_deletes_a_rule(
    server: CovisorServer, contexts: Contexts, api: APIRequestContext
) -> None:
    assert stored(api) == []
    page = open_console(server, contexts)
    opener = page.get_by_test_id("open-rules")
    side = opener.evaluate(
        "b => [b.getBoundingClientRect().right, b.closest('.cv-side').clientWidth]"
    )
    assert side[0] <= side[1], side  # next to Team and Webhooks, inside the conversations pane
    opener.click()
    dialog = page.get_by_test_id("rules-dialog")
    expect(dialog).to_be_visible()
    panel = dialog.get_by_test_id("rules-panel")
    expect(panel.get_by_test_id("rules-list")).to_contain_text("No rules yet")
    form = panel.get_by_test_id("rule-form")

    # A new rule: the form opens on its name, with one message row in the agent's language.
    panel.get_by_test_id("rules-new").click()
    expect(form.get_by_label("Name")).to_be_focused()
    expect(form.get_by_test_id("rule-enabled")).to_be_checked()
    form.get_by_label("Name").fill("Boots on phones")
    form.get_by_label("Page address").fill("*/boots*")
    form.get_by_label("Seconds on the page").fill("20")
    form.get_by_label("Pages seen").fill("2")
    form.get_by_label("Phone", exact=True).check()
    form.get_by_label("Returning visitors").check()
    form.get_by_label("JavaScript trigger").fill("coupon failed")
    rows = form.get_by_test_id("rule-message")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).get_by_test_id("rule-message-lang")).to_have_value("en")
    expect(rows.nth(0).get_by_test_id("rule-message-remove")).to_be_disabled()
    rows.nth(0).get_by_label("Text").fill("Need a hand choosing boots?")
    # A second language: the next unused one, focused.
    form.get_by_test_id("rule-message-add").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_test_id("rule-message-lang")).to_be_focused()
    expect(rows.nth(1).get_by_test_id("rule-message-lang")).to_have_value("es")
    rows.nth(1).get_by_label("Text").fill("¿Le ayudamos a elegir botas?")

    # The client's own checks, with focus on the field to fix: a trigger has no spaces.
    form.get_by_test_id("rule-save").click()
    expect(form.get_by_test_id("rule-form-error")).to_contain_text("The trigger name")
    expect(form.get_by_label("JavaScript trigger")).to_be_focused()
    assert stored(api) == []
    form.get_by_label("JavaScript trigger").fill("coupon-failed")
    shoot(page, "form-top", scroll_to=form.get_by_label("Name"))
    shoot(page, "form", scroll_to=form.get_by_test_id("rule-messages"))
    form.get_by_test_id("rule-save").click()

    expect(form).to_be_hidden()
    item = panel.get_by_test_id("rule-item").filter(has_text="Boots on phones")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("rule-summary")).to_have_text(SUMMARY)
    expect(item.get_by_test_id("rule-languages")).to_contain_text("English")
    expect(item.get_by_test_id("rule-languages")).to_contain_text("Spanish")
    expect(item.get_by_test_id("rule-edit")).to_be_focused()
    expect(panel.get_by_test_id("rules-status")).to_have_text("Rule “Boots on phones” created.")
    [rule] = stored(api)
    assert rule["name"] == "Boots on phones"
    assert rule["enabled"] is True
    assert rule["conditions"] == {
        "url": "*/boots*",
        "seconds": 20,
        "pages": 2,
        "devices": ["phone"],
        "visitor": "returning",
        "trigger": "coupon-failed",
    }
    assert rule["messages"] == {
        "en": "Need a hand choosing boots?",
        "es": "¿Le ayudamos a elegir botas?",
    }
    shoot(page, "listed")

    # Switch it off (the whole rule is sent again, only `enabled` changed).
    toggle = item.get_by_test_id("rule-toggle")
    expect(toggle).to_be_checked()
    toggle.click()
    expect(item).to_have_attribute("data-enabled", "false")
    expect(item.get_by_test_id("rule-off-tag")).to_have_text("Off")
    expect(item.get_by_test_id("rule-toggle")).to_be_focused()
    expect(item.get_by_test_id("rule-toggle")).not_to_be_checked()
    [off] = stored(api)
    assert off["enabled"] is False
    assert (off["conditions"], off["messages"]) == (rule["conditions"], rule["messages"])
    shoot(page, "off")

    # Edit: the form comes filled in; fewer conditions, one language left.
    item.get_by_test_id("rule-edit").click()
    expect(form.get_by_label("Name")).to_be_focused()
    expect(form.get_by_label("Name")).to_have_value("Boots on phones")
    expect(form.get_by_label("Page address")).to_have_value("*/boots*")
    expect(form.get_by_label("Seconds on the page")).to_have_value("20")
    expect(form.get_by_label("Phone", exact=True)).to_be_checked()
    expect(form.get_by_label("Returning visitors")).to_be_checked()
    expect(form.get_by_test_id("rule-enabled")).not_to_be_checked()
    expect(rows).to_have_count(2)
    form.get_by_label("Name").fill("Boots")
    form.get_by_label("Seconds on the page").fill("")
    form.get_by_label("Phone", exact=True).uncheck()
    form.get_by_label("Anyone").check()
    rows.nth(1).get_by_test_id("rule-message-remove").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0).get_by_test_id("rule-message-lang")).to_be_focused()
    rows.nth(0).get_by_label("Text").fill("Questions about boots? Ask us!")
    form.get_by_test_id("rule-save").click()
    expect(form).to_be_hidden()
    item = panel.get_by_test_id("rule-item").filter(has_text="Boots")
    expect(item.get_by_test_id("rule-summary")).to_have_text(
        "on */boots* · 2+ pages · when the page triggers coupon-failed"
    )
    expect(item.get_by_test_id("rule-languages")).not_to_contain_text("Spanish")
    expect(panel.get_by_test_id("rules-status")).to_have_text("Rule “Boots” saved.")
    [edited] = stored(api)
    assert edited["id"] == rule["id"]
    assert edited["name"] == "Boots"
    assert edited["enabled"] is False
    assert edited["conditions"] == {"url": "*/boots*", "pages": 2, "trigger": "coupon-failed"}
    assert edited["messages"] == {"en": "Questions about boots? Ask us!"}

    # Delete: asked first, focus on the confirmation; Escape says no and keeps the dialog open.
    item.get_by_test_id("rule-delete").click()
    confirm = item.get_by_test_id("rule-delete-confirm")
    expect(confirm).to_be_focused()
    shoot(page, "delete-confirm")
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(dialog).to_be_visible()
    expect(item.get_by_test_id("rule-delete")).to_be_focused()
    assert len(stored(api)) == 1
    item.get_by_test_id("rule-delete").click()
    item.get_by_test_id("rule-delete-confirm").click()
    expect(panel.get_by_test_id("rule-item")).to_have_count(0)
    expect(panel.get_by_test_id("rules-status")).to_have_text("Rule “Boots” deleted.")
    expect(panel.get_by_test_id("rules-new")).to_be_focused()
    assert stored(api) == []

    # The form fits the narrowest phone.
    panel.get_by_test_id("rules-new").click()
    assert_fits(page, NARROWEST)
    page.keyboard.press("Escape")
    expect(form).to_be_hidden()
    expect(dialog).to_be_visible()
    expect(panel.get_by_test_id("rules-new")).to_be_focused()
    assert_fits(page, NARROWEST)
