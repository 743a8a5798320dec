"""Live translation through a real server: a Spanish shopper and an English agent read each
other, a slow or dead engine delays and loses nothing, notes never leave, and both texts stay
in transcripts and webhooks."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from covisor.app.http import create_app
from covisor.config import Config
from covisor.translation.engine import TranslationFailed
from covisor.translation.translator import TranslationOptions, Translator
from tests.conftest import Harness, Peer, serving
from tests.translation_engines import ApertiumServer, LibreTranslateDouble


@asynccontextmanager
async def translating(config: Config, url: str, **settings: Any) -> AsyncIterator[Harness]:
    changed = dataclasses.replace(config, translate_url=url, **settings)
    async with serving(await create_app(changed)) as h:
        yield h


async def chat(
    h: Harness, *, shopper_language: str = "es", agent_language: str | None = "en"
) -> tuple[str, Peer, Peer, str]:
    """A conversation of a shopper whose widget speaks `shopper_language` with an agent who
    reads `agent_language`, both joined."""
    token = await h.agent_token("Ann")
    if agent_language is not None:
        status, body = await h.request(
            "PUT", "/api/me/language", token, json={"language": agent_language}
        )
        assert (status, body) == (200, {"language": agent_language})
    opened = await h.open_conversation(locale=shopper_language)
    cid = opened["id"]
    await h.accepted(cid, token)
    shopper = await h.peer(opened["token"])
    agent = await h.peer(token)
    await shopper.ok("join", {"conversation_id": cid})
    await agent.ok("join", {"conversation_id": cid})
    return cid, shopper, agent, token


def translation_of(peer: Peer, seq: int) -> dict[str, Any] | None:
    found = [e["data"] for e in peer.of_type("chat.translated") if e["data"]["seq"] == seq]
    return found[-1] if found else None


async def translated(peer: Peer, seq: int) -> dict[str, Any]:
    await peer.wait_for(lambda p: translation_of(p, seq) is not None)
    found = translation_of(peer, seq)
    assert found is not None
    return found


async def test_a_spanish_shopper_and_an_english_agent_read_each_other(
    config: Config, apertium_up: ApertiumServer
) -> None:
    async with translating(config, apertium_up.url) as h:
        cid, shopper, agent, token = await chat(h)
        said = await shopper.ok(
            "chat.send",
            {"conversation_id": cid, "text": "Hola, quiero devolver las zapatillas rojas"},
        )
        english = await translated(agent, said["seq"])
        assert english["source"] == "es" and english["target"] == "en"
        assert english["text"].startswith("Hello") and "red" in english["text"]
        assert translation_of(shopper, said["seq"]) == english  # the shopper may see it too
        answer = await agent.ok(
            "chat.send", {"conversation_id": cid, "text": "The red shoes are too small."}
        )
        spanish = await translated(shopper, answer["seq"])
        assert (spanish["source"], spanish["target"]) == ("en", "es")
        assert "rojos" in spanish["text"] and "pequeños" in spanish["text"]
        # The originals stand as written; each translation came after its message.
        messages = agent.of_type("chat.message")
        assert [m["data"]["text"] for m in messages] == [
            "Hola, quiero devolver las zapatillas rojas",
            "The red shoes are too small.",
        ]
        # A rejoin's snapshot carries the translations; the transcript has both texts.
        again = await h.peer(token)
        snapshot = (await again.ok("join", {"conversation_id": cid}))["snapshot"]
        assert {t["seq"] for t in snapshot["translations"]} == {said["seq"], answer["seq"]}
        status, transcript = await h.request("GET", f"/api/conversations/{cid}/transcript", token)
        assert status == 200
        first = next(e for e in transcript["timeline"] if e.get("seq") == said["seq"])
        assert first["text"] == "Hola, quiero devolver las zapatillas rojas"
        assert first["language"] == "es"
        assert first["translation"] == {"language": "en", "text": english["text"]}
        async with h.http.get(
            f"{h.url}/api/conversations/{cid}/transcript.html",
            headers={"Authorization": f"Bearer {token}"},
        ) as page:
            html = await page.text()
        assert "Traducción (en):" in html and "too small" in html  # in the shopper's words


async def test_same_language_or_an_agent_without_one_translates_nothing(
    config: Config, libretranslate: LibreTranslateDouble
) -> None:
    async with translating(config, libretranslate.url, translate_api="libretranslate") as h:
        cid, shopper, agent, _ = await chat(h, shopper_language="en-GB")
        await shopper.ok("chat.send", {"conversation_id": cid, "text": "hola"})
        cid2, shopper2, agent2, _ = await chat(h, agent_language=None)
        await shopper2.ok("chat.send", {"conversation_id": cid2, "text": "hola"})
        await asyncio.sleep(0.3)
        assert libretranslate.asked == []
        assert not agent.of_type("chat.translated") and not agent2.of_type("chat.translated")


async def test_internal_notes_never_reach_the_engine(
    config: Config, libretranslate: LibreTranslateDouble
) -> None:
    async with translating(config, libretranslate.url, translate_api="libretranslate") as h:
        cid, shopper, agent, token = await chat(h)
        status, _ = await h.request(
            "POST", f"/api/conversations/{cid}/notes", token, json={"text": "hola secreto"}
        )
        assert status == 201
        said = await shopper.ok("chat.send", {"conversation_id": cid, "text": "hola zapatillas"})
        assert (await translated(agent, said["seq"]))["text"] == "hello sneakers"
        assert [a["q"] for a in libretranslate.asked] == ["hola zapatillas"]


async def test_a_slow_engine_delays_no_message_and_marks_it_untranslated(
    config: Config, libretranslate: LibreTranslateDouble
) -> None:
    libretranslate.delay = 2.0
    async with translating(
        config, libretranslate.url, translate_api="libretranslate", translate_timeout=0.3
    ) as h:
        cid, shopper, agent, _ = await chat(h)
        started = time.monotonic()
        said = await shopper.ok("chat.send", {"conversation_id": cid, "text": "hola"})
        await agent.wait_seq(said["seq"])
        assert time.monotonic() - started < 1.0  # the message did not wait for the engine
        marker = await translated(agent, said["seq"])
        assert marker["error"] == "timeout" and "text" not in marker
        libretranslate.delay = 0.0
        retried = await agent.ok("chat.translate", {"conversation_id": cid, "seq": said["seq"]})
        assert retried["event"]["data"]["text"] == "hello"
        assert (await translated(shopper, said["seq"]))["text"] == "hello"


async def test_the_engine_killed_mid_conversation_then_back_and_retried(
    config: Config, apertium_up: ApertiumServer
) -> None:
    async with translating(config, apertium_up.url) as h:
        cid, shopper, agent, _ = await chat(h)
        first = await shopper.ok("chat.send", {"conversation_id": cid, "text": "Buenos días"})
        assert (await translated(agent, first["seq"]))["text"] == "Good morning"
        apertium_up.kill()
        down = await shopper.ok("chat.send", {"conversation_id": cid, "text": "Muchas gracias"})
        after = await agent.ok("chat.send", {"conversation_id": cid, "text": "You are welcome"})
        await shopper.wait_seq(after["seq"])  # messages keep flowing both ways
        assert (await translated(agent, down["seq"]))["error"] == "unavailable"
        assert (await translated(shopper, after["seq"]))["error"] == "unavailable"
        apertium_up.start()
        retried = await agent.ok("chat.translate", {"conversation_id": cid, "seq": down["seq"]})
        assert retried["event"]["data"]["text"] == "Thank you very much"
        assert (await translated(shopper, down["seq"]))["text"] == "Thank you very much"


async def test_messages_written_while_waiting_are_translated_for_the_agent_who_takes_them(
    config: Config, libretranslate: LibreTranslateDouble
) -> None:
    async with translating(config, libretranslate.url, translate_api="libretranslate") as h:
        token = await h.agent_token("Ann")
        await h.request("PUT", "/api/me/language", token, json={"language": "en"})
        opened = await h.open_conversation(locale="es-ES")
        shopper = await h.peer(opened["token"])
        cid = opened["id"]
        await shopper.ok("join", {"conversation_id": cid})
        said = await shopper.ok("chat.send", {"conversation_id": cid, "text": "hola"})
        await asyncio.sleep(0.2)
        assert libretranslate.asked == []  # nobody to translate for yet
        await h.accepted(cid, token)
        assert (await translated(shopper, said["seq"]))["text"] == "hello"


async def test_translation_settings_and_refusals(
    config: Config, libretranslate: LibreTranslateDouble
) -> None:
    async with translating(config, libretranslate.url, translate_api="libretranslate") as h:
        token = await h.agent_token("Ann")
        status, offer = await h.request("GET", "/api/translation", token)
        assert status == 200
        assert offer == {
            "enabled": True,
            "api": "libretranslate",
            "available": True,
            "pairs": [{"source": "en", "target": "es"}, {"source": "es", "target": "en"}],
            "language": None,
        }
        for wrong in ({"language": "English"}, {"language": "e"}, {}, {"lang": "en"}):
            status, body = await h.request("PUT", "/api/me/language", token, json=wrong)
            assert status == 400 and body["error"]["code"] == "bad_request", wrong
        assert (await h.request("PUT", "/api/me/language", None, json={"language": "en"}))[0] == 401
        await h.request("PUT", "/api/me/language", token, json={"language": "de"})
        assert (await h.request("GET", "/api/translation", token))[1]["language"] == "de"
        await h.request("PUT", "/api/me/language", token, json={"language": None})
        assert (await h.request("GET", "/api/translation", token))[1]["language"] is None
        cid, shopper, agent, _ = await chat(h)
        refused = await shopper.call("chat.translate", {"conversation_id": cid, "seq": 1})
        assert refused["error"]["code"] == "forbidden"
        refused = await agent.call("chat.translate", {"conversation_id": cid, "seq": 999})
        assert refused["error"]["code"] == "not_found"
        refused = await agent.call("chat.translate", {"conversation_id": cid, "seq": "1"})
        assert refused["error"]["code"] == "bad_request"
        libretranslate.down = True
        h.services.translator._pairs = None  # type: ignore[union-attr]
        status, offer = await h.request("GET", "/api/translation", token)
        assert (offer["available"], offer["pairs"]) == (False, [])


async def test_without_an_engine_translation_is_off(harness: Harness) -> None:
    token = await harness.agent_token()
    status, offer = await harness.request("GET", "/api/translation", token)
    assert (status, offer) == (200, {"enabled": False, "language": None})
    cid, _, agent = await harness.session()
    refused = await agent.call("chat.translate", {"conversation_id": cid, "seq": 1})
    assert refused["error"]["code"] == "unavailable"


async def test_older_messages_come_with_their_translations(
    config: Config, libretranslate: LibreTranslateDouble
) -> None:
    async with translating(
        config.replace(recent_messages=2), libretranslate.url, translate_api="libretranslate"
    ) as h:
        cid, shopper, agent, token = await chat(h)
        said = [
            await shopper.ok("chat.send", {"conversation_id": cid, "text": text})
            for text in ("hola", "zapatillas rojas", "hola hola")
        ]
        await translated(agent, said[-1]["seq"])
        retried = await agent.ok("chat.translate", {"conversation_id": cid, "seq": said[0]["seq"]})
        assert retried["event"]["data"]["text"] == "hello"
        page = await agent.ok(
            "chat.history", {"conversation_id": cid, "before_seq": said[2]["seq"]}
        )
        assert [m["data"]["text"] for m in page["messages"]] == ["hola", "zapatillas rojas"]
        assert sorted((t["seq"], t["text"]) for t in page["translations"]) == [
            (said[0]["seq"], "hello"),
            (said[1]["seq"], "sneakers red"),
        ]


async def test_only_the_conversations_agent_retries_and_not_once_it_is_closed(
    config: Config, libretranslate: LibreTranslateDouble
) -> None:
    async with translating(config, libretranslate.url, translate_api="libretranslate") as h:
        cid, shopper, agent, token = await chat(h)
        said = await shopper.ok("chat.send", {"conversation_id": cid, "text": "hola"})
        await translated(agent, said["seq"])
        retry = {"conversation_id": cid, "seq": said["seq"]}
        status, _ = await h.request("POST", f"/api/conversations/{cid}/close", token)
        assert status == 200
        refused = await agent.call("chat.translate", retry)
        assert refused["error"]["code"] == "conflict"
        reader = await h.peer(await h.agent_token("Eve"))  # reads the closed one from history
        await reader.ok("join", {"conversation_id": cid})
        refused = await reader.call("chat.translate", retry)
        assert refused["error"]["code"] == "forbidden"
        status, summary = await h.request("GET", f"/api/conversations/{cid}", token)
        assert summary["last_seq"] == (await agent.ok("join", {"conversation_id": cid}))["seq"]
        assert len(libretranslate.asked) == 1, "nobody asked the engine again"


class _Down:
    """An engine whose pairs cannot be asked: counts how often it was."""

    name = "down"

    def __init__(self) -> None:
        self.asked = 0

    async def pairs(self) -> frozenset[tuple[str, str]]:
        self.asked += 1
        raise TranslationFailed("unavailable", "refused")

    async def translate(self, text: str, pair: tuple[str, str]) -> str:
        raise AssertionError("never asked without pairs")

    async def close(self) -> None:
        pass


async def test_an_engine_that_is_down_is_not_asked_for_its_pairs_at_every_message() -> None:
    engine = _Down()
    translator = Translator(engine, None, None, TranslationOptions(1.0, 1, 10))  # type: ignore[arg-type]
    for _ in range(3):
        with pytest.raises(TranslationFailed):
            await translator.pairs()
    assert engine.asked == 1
    assert (await translator.offer())["available"] is False
