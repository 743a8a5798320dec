"""Apertium APy (https://wiki.apertium.org/wiki/Apertium-apy), the rule-based engine Debian
packages with its language pairs (`apertium-apy`, `apertium-eng-spa`…).

`GET /listPairs` names the installed pairs in ISO 639-3 (`{"sourceLanguage": "spa",
"targetLanguage": "eng"}`); `/translate?langpair=spa|eng&q=…` (POSTed, for long texts) answers
`{"responseData": {"translatedText"}, "responseStatus": 200}`, or `400` with "That pair is not
installed": a pair is asked only once listed, so any error answer is the engine failing
(`unavailable`). `markUnknown=no` leaves words the dictionaries lack as written, without the `*`
marks meant for linguists."""

from __future__ import annotations

from covisor.translation.engine import Pair, TranslationFailed
from covisor.translation.http import EngineHttp
from covisor.translation.languages import from_alpha3


class Apertium:
    name = "apertium"

    def __init__(self, base_url: str, connections: int) -> None:
        self._http = EngineHttp(base_url, connections)
        self._codes: dict[Pair, str] = {}

    async def pairs(self) -> frozenset[Pair]:
        status, body = await self._http.json("GET", "/listPairs")
        if status != 200 or not isinstance(body, dict):
            raise TranslationFailed("unavailable", f"listPairs answered {status}")
        codes: dict[Pair, str] = {}
        for entry in body.get("responseData") or []:
            if not isinstance(entry, dict):
                continue
            source, target = entry.get("sourceLanguage"), entry.get("targetLanguage")
            if not isinstance(source, str) or not isinstance(target, str):
                continue
            pair = (from_alpha3(source), from_alpha3(target))
            if pair[0] and pair[1]:
                codes[(pair[0], pair[1])] = f"{source}|{target}"
        self._codes = codes
        return frozenset(codes)

    async def translate(self, text: str, pair: Pair) -> str:
        if pair not in self._codes:
            await self.pairs()
        langpair = self._codes.get(pair)
        if langpair is None:
            raise TranslationFailed("no_pair", f"the engine has no {pair[0]}→{pair[1]} pair")
        params = {"langpair": langpair, "q": text, "markUnknown": "no"}
        status, body = await self._http.json("POST", "/translate", data=params)
        data = body.get("responseData") if isinstance(body, dict) else None
        translated = data.get("translatedText") if isinstance(data, dict) else None
        if status != 200 or not isinstance(translated, str):
            raise TranslationFailed("unavailable", f"translate answered {status}")
        return translated

    async def close(self) -> None:
        await self._http.close()
