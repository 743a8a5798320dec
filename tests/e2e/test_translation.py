"""A Spanish shopper on a phone and an English agent at a desk, each reading the other's
language through a real Apertium APy: the agent sees the shopper's words in English with the
Spanish one click away, the shopper reads the agent's answer in Spanish; with the engine
killed, messages still flow, marked untranslated, and the agent's retry works once it is back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Playwright, expect

from tests.e2e.conftest import ARTIFACTS, Contexts, CovisorServer, Snap, served
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget, Side
from tests.translation_engines import ApertiumServer

SPANISH = "Hola, quiero devolver las zapatillas rojas"
ENGLISH = "The red shoes are too small."


@pytest.fixture(scope="module")
def server(
    playwright: Playwright,
    tmp_path_factory: pytest.TempPathFactory,
    apertium: ApertiumServer,
) -> Iterator[CovisorServer]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_path_factory.mktemp("covisor-translation")
    env = {"COVISOR_TRANSLATE_URL": apertium.url}
    with served(data_dir, ARTIFACTS / "server-translation.log", env) as url:
        token = (data_dir / "demo-agent.txt").read_text().strip().splitlines()[-1]
        yield CovisorServer(url, data_dir, token, {})


def test_a_spanish_shopper_and_an_english_agent_read_each_other(
    server: CovisorServer,
    apertium: ApertiumServer,
    contexts: Contexts,
    sides: list[tuple[str, Side]],
    snap: Snap,
) -> None:
    if apertium.process is None:
        apertium.start()
    agent_page = contexts.new("agent", DESKTOP).new_page()
    agent = AgentConsole(agent_page, server.url, name="Alex")
    agent.log_in(server.add_agent("Alex"))
    sides.append(("agent", agent))
    language = agent.by("reading-language")
    expect(language).to_be_visible()
    expect(language).to_have_value("en")  # the console's language, offered by the engine
    assert "English → Spanish" in (language.get_attribute("title") or "")

    shopper_page = contexts.new("shopper", {**PHONE, "locale": "es-ES"}).new_page()
    shopper = ShopperWidget(shopper_page, server.url)
    shopper.open_widget()
    sides.append(("shopper", shopper))
    shopper.start_chat(SPANISH)
    agent.accept(shopper.conversation_id())

    said = agent.by("message").filter(has=agent.by("translation"))
    expect(said.locator(".cv-bubble")).to_have_text("Hello, I want to #give the zapatillas red")
    expect(said.get_by_test_id("translation")).to_contain_text("Translated from Spanish")
    snap("shopper-message")
    said.get_by_test_id("translation-toggle").click()
    expect(said.locator(".cv-bubble")).to_have_text(SPANISH)
    expect(said.get_by_test_id("translation-toggle")).to_be_focused()
    expect(said.get_by_test_id("translation-toggle")).to_have_text("Show translation")
    said.get_by_test_id("translation-toggle").press("Enter")
    expect(said.locator(".cv-bubble")).to_have_attribute("lang", "en")

    agent.send_chat(ENGLISH)
    mine = agent.message(ENGLISH)
    expect(mine.get_by_test_id("translation-sent")).to_contain_text(
        "The shopper reads (Spanish): Los zapatos rojos son demasiado pequeños."
    )
    answer = shopper.by("message").filter(has=shopper.by("translation"))
    expect(answer.locator(".cv-bubble")).to_have_text("Los zapatos rojos son demasiado pequeños.")
    expect(answer.get_by_test_id("translation")).to_contain_text("Traducido del inglés")
    # The shopper's own message stays as written, with no line about the agent's translation.
    expect(shopper.message(SPANISH).locator(".cv-translation")).to_have_count(0)
    snap("agent-answer")
    shopper.press(answer.get_by_test_id("translation-toggle"))
    expect(answer.locator(".cv-bubble")).to_have_text(ENGLISH)
    expect(answer.get_by_test_id("translation-toggle")).to_have_text("Ver traducción")

    # With the chat closed, the launcher's preview of a new answer is in Spanish too.
    shopper.press(shopper.by("widget-close"))
    agent.send_chat("Thank you")
    expect(shopper.by("launcher-preview")).to_contain_text("Gracias")
    shopper.press(shopper.by("launcher-preview-open"))

    apertium.kill()
    shopper.send_chat("Muchas gracias")
    failed = agent.message("Muchas gracias")
    expect(failed.get_by_test_id("translation-failed")).to_contain_text(
        "Not translated: the translation engine cannot be reached."
    )
    snap("engine-down")
    apertium.start()
    failed.get_by_test_id("translation-retry").click()
    expect(failed.get_by_test_id("translation-failed")).to_have_count(0)
    thanked = agent.by("message").filter(has=agent.by("translation")).last
    expect(thanked.locator(".cv-bubble")).to_have_text("Thank you very much")
    agent_page.set_viewport_size({"width": 390, "height": 844})  # the agent on a phone
    expect(language).to_be_visible()
    for control in (language, agent.by("agent-logout")):  # the top bar keeps to the screen
        box = control.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390


def test_an_admin_sees_the_engines_pairs_in_the_settings(
    server: CovisorServer, contexts: Contexts
) -> None:
    page = contexts.new("admin", {**DESKTOP, "locale": "es-ES"}).new_page()
    admin = AgentConsole(page, server.url, "Demo Agent")
    admin.log_in(server.demo_token)
    admin.by("open-settings").click()
    offered = admin.by("settings-translation")
    expect(offered).to_contain_text("El traductor de la tienda (apertium) traduce")
    pairs = admin.by("settings-translation-pairs").locator("li")
    expect(pairs).to_contain_text(["inglés → español", "español → inglés"])
    page.screenshot(path=ARTIFACTS / "translation-settings-admin-es.png")
