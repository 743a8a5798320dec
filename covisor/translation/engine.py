"""The seam every translation engine adapter fits, and how a failed translation is said.

An engine offers language pairs and translates plain text from one language into another.
Languages are ISO 639-1 codes as Covisor keeps them (`es`, `en`); an adapter maps its engine's
own codes (Apertium's `spa`, `eng`) to these and back.
"""

from __future__ import annotations

from typing import Literal, Protocol

Pair = tuple[str, str]
"""(source, target) languages, ISO 639-1."""

Reason = Literal["timeout", "unavailable", "no_pair"]
"""Why a message stands untranslated: the engine took too long, could not be reached or
answered with an error, or offers no pair for the two languages."""


class TranslationFailed(Exception):
    """The engine did not translate; `reason` says why (shown to the agent, who may retry)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason: Reason = reason


class Engine(Protocol):
    """A translation engine reached over HTTP."""

    name: str
    """The API's name (`apertium`, `libretranslate`), shown to admins."""

    async def pairs(self) -> frozenset[Pair]:
        """The pairs the engine offers now (`TranslationFailed("unavailable")` when it cannot
        be asked)."""

    async def translate(self, text: str, pair: Pair) -> str:
        """`text` in `pair[1]`; `TranslationFailed` when the engine cannot."""

    async def close(self) -> None:
        """Release the engine's connections."""
