"""The two engine adapters against engines that answer: a real Apertium APy, and a loopback
server speaking the LibreTranslate API."""

from __future__ import annotations

import pytest

from covisor.translation.apertium import Apertium
from covisor.translation.engine import TranslationFailed
from covisor.translation.libretranslate import LibreTranslate
from tests.conftest import free_port
from tests.translation_engines import ApertiumServer, LibreTranslateDouble


async def test_apertium_lists_its_pairs_in_two_letter_codes_and_translates(
    apertium_up: ApertiumServer,
) -> None:
    engine = Apertium(apertium_up.url, 2)
    try:
        pairs = await engine.pairs()
        assert {("en", "es"), ("es", "en")} <= pairs
        assert all(len(s) == 2 and len(t) == 2 for s, t in pairs)  # no `eng_US` variant
        assert await engine.translate("Good morning", ("en", "es")) == "Buenos días"
        spanish = await engine.translate("Hola, quiero devolver las zapatillas rojas", ("es", "en"))
        assert spanish.startswith("Hello") and "red" in spanish and "*" not in spanish
        with pytest.raises(TranslationFailed) as refused:
            await engine.translate("Good morning", ("en", "fr"))
        assert refused.value.reason == "no_pair"
    finally:
        await engine.close()


async def test_an_engine_that_is_not_there_is_unavailable() -> None:
    for engine in (Apertium(f"http://127.0.0.1:{free_port()}", 1),
                   LibreTranslate(f"http://127.0.0.1:{free_port()}", 1)):  # fmt: skip
        try:
            with pytest.raises(TranslationFailed) as refused:
                await engine.pairs()
            assert refused.value.reason == "unavailable"
            with pytest.raises(TranslationFailed) as refused:
                await engine.translate("hola", ("es", "en"))
            assert refused.value.reason == "unavailable"
        finally:
            await engine.close()


async def test_libretranslate_pairs_translation_key_and_refusals(
    libretranslate: LibreTranslateDouble,
) -> None:
    libretranslate.api_key = "k-123"
    engine = LibreTranslate(libretranslate.url, 2, api_key="k-123")
    try:
        assert await engine.pairs() == {("en", "es"), ("es", "en")}
        assert await engine.translate("hola zapatillas", ("es", "en")) == "hello sneakers"
        assert libretranslate.asked[-1] == {
            "q": "hola zapatillas", "source": "es", "target": "en",
            "format": "text", "api_key": "k-123",
        }  # fmt: skip
        with pytest.raises(TranslationFailed) as refused:
            await engine.translate("cześć", ("pl", "en"))
        assert refused.value.reason == "no_pair"
    finally:
        await engine.close()
    keyless = LibreTranslate(libretranslate.url, 1)
    try:
        with pytest.raises(TranslationFailed) as refused:
            await keyless.translate("hola", ("es", "en"))
        assert refused.value.reason == "unavailable"
        assert "api_key" not in libretranslate.asked[-1]
    finally:
        await keyless.close()
