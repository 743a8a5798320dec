"""Who a shopper is, as far as their browser and the shop tell: device class, language, and
an identity the shop may vouch for.

The shop's page may call `covisor.identify({name, email, customer_id}, signature)` for a
logged-in customer, where `signature` is the hex HMAC-SHA256 of `customer_id` under the shop
secret (`covisor shops secret` prints it; the shop's backend computes the HMAC, so the secret
never reaches a browser). A matching signature makes the visitor `verified` and keeps the
customer id, by which an agent sees the customer's earlier conversations. Without one, the name
and e-mail are kept as the shopper's unverified word and the customer id is dropped: a forged id
must never open someone else's history.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated, Any, Literal

import msgspec

Device = Literal["phone", "tablet", "desktop"]

SHOP_SECRET = "shop-identity"
"""The store's name for the shop's identity secret."""

_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk|Kindle|Android(?!.*Mobi)", re.IGNORECASE)
_PHONE = re.compile(r"Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|Opera Mini", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")


def device_class(user_agent: str | None) -> Device:
    """Phone, tablet or desktop from a `User-Agent` header (tablets first: an Android tablet's
    agent says Android without Mobile). iPads that present as a Mac count as desktops."""
    agent = user_agent or ""
    if _TABLET.search(agent):
        return "tablet"
    if _PHONE.search(agent):
        return "phone"
    return "desktop"


def language_of(locale: str | None, accept_language: str | None) -> str | None:
    """The widget's locale if it is a language tag, else the first tag of `Accept-Language`;
    normalised to `ll` or `ll-RR`."""
    candidates = [locale or ""]
    candidates += [part.split(";")[0].strip() for part in (accept_language or "").split(",")]
    for tag in candidates:
        if tag and _LANGUAGE.match(tag):
            language, _, region = tag.partition("-")
            region = region.split("-")[0]
            return f"{language.lower()}-{region.upper()}" if len(region) == 2 else language.lower()
    return None


_ADDRESS_PART = r"[^@\s\x00-\x1f\x7f-\x9f]+"
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\Z")]
"""An e-mail address a shopper gives: one `@` with something on each side, no blank and no
control character (which SMTP clients refuse to send to, and headers must not carry)."""


class Claim(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What the shop's page says of a logged-in customer (`covisor.identify`)."""

    name: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    email: Email | None = None
    customer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None
    signature: Annotated[str, msgspec.Meta(max_length=128)] | None = None


class ShopIdentity:
    """Checks the shop's signatures over customer ids with the shop secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = secret.hex().encode()

    @property
    def secret_text(self) -> str:
        """The secret as the shop's backend uses it: the HMAC key is this text's bytes."""
        return self._key.decode()

    def sign(self, customer_id: str) -> str:
        return hmac.new(self._key, customer_id.encode(), hashlib.sha256).hexdigest()

    def verified(self, claim: Claim) -> bool:
        if claim.customer_id is None or claim.signature is None:
            return False
        # Hex digits in either case, compared as bytes: a non-ASCII character (which a str
        # comparison would raise on) is simply a byte that differs.
        given = claim.signature.encode().lower()
        return hmac.compare_digest(self.sign(claim.customer_id).encode(), given)

    def visitor(
        self, claim: Claim | None, *, name: str | None, device: Device, language: str | None
    ) -> dict[str, Any]:
        """The `visitor` of a conversation: the claim (its customer id only when signed),
        the device class and the language."""
        claim = claim or Claim()
        verified = self.verified(claim)
        return {
            "name": (claim.name or "").strip() or name,
            "email": claim.email,
            "verified": verified,
            "customer_id": claim.customer_id if verified else None,
            "device": device,
            "language": language,
        }
