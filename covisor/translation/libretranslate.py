"""The LibreTranslate API (https://docs.libretranslate.com/), which DeepL-style and LLM
gateways imitate too.

`GET /languages` lists `[{"code": "en", "name": "English", "targets": ["es", …]}]`;
`POST /translate {"q", "source", "target", "format": "text", "api_key"?}` answers
`{"translatedText"}`, or `400 {"error"}` (a language it does not offer, a text over its limit),
`403` for a bad key, `429` when rate limited. A pair is asked only once listed, so any error
answer is the engine failing (`unavailable`)."""

from __future__ import annotations

from covisor.translation.engine import Pair, TranslationFailed
from covisor.translation.http import EngineHttp
from covisor.translation.languages import base


class LibreTranslate:
    name = "libretranslate"

    def __init__(self, base_url: str, connections: int, api_key: str | None = None) -> None:
        self._http = EngineHttp(base_url, connections)
        self._api_key = api_key
        self._pairs: frozenset[Pair] | None = None

    async def pairs(self) -> frozenset[Pair]:
        status, body = await self._http.json("GET", "/languages")
        if status != 200 or not isinstance(body, list):
            raise TranslationFailed("unavailable", f"languages answered {status}")
        found: set[Pair] = set()
        for entry in body:
            if not isinstance(entry, dict) or not isinstance(entry.get("targets"), list):
                continue
            code = entry.get("code")
            source = base(code) if isinstance(code, str) else None
            for target in entry["targets"]:
                code = base(target) if isinstance(target, str) else None
                if source and code and code != source:
                    found.add((source, code))
        self._pairs = frozenset(found)
        return self._pairs

    async def translate(self, text: str, pair: Pair) -> str:
        if self._pairs is None or pair not in self._pairs:
            if pair not in await self.pairs():
                raise TranslationFailed("no_pair", f"the engine has no {pair[0]}→{pair[1]} pair")
        request = {"q": text, "source": pair[0], "target": pair[1], "format": "text"}
        if self._api_key:
            request["api_key"] = self._api_key
        status, body = await self._http.json("POST", "/translate", json=request)
        translated = body.get("translatedText") if isinstance(body, dict) else None
        if status != 200 or not isinstance(translated, str):
            raise TranslationFailed("unavailable", f"translate answered {status}")
        return translated

    async def close(self) -> None:
        await self._http.close()
