"""The store's pins slice: phone PINs, kept as keyed digests."""

from __future__ import annotations

from typing import Protocol

from covisor.store.records import Pin, Redeemer


class PinStore(Protocol):
    """Phone PINs, kept as keyed digests."""

    async def add_pin(self, pin: Pin) -> bool:
        """Make `pin` its conversation's one live PIN; False if an unexpired PIN has its digest.

        One atomic step: PINs expired at `pin.created_at` are dropped, the conversation's unused
        PINs are revoked (dropped) and `pin` is stored. A used PIN keeps its digits reserved until
        it expires, so a late typist of old digits never lands in another conversation.
        """

    async def pin(self, digest: str) -> Pin | None:
        """The stored PIN with this digest, used or not, expired or not (until dropped)."""

    async def claim_pin(self, digest: str, redeemer: Redeemer, now: float) -> Pin | None:
        """Mark the PIN used if it is for `redeemer`, unused and unexpired at `now`; else None.

        Atomic: of any number of concurrent claims of one PIN, from any process, one gets it.
        """
