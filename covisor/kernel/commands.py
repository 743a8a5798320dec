"""What clients may ask for, as strictly validated payload types.

Every Socket.IO event a client sends is converted into one of these structs before anything else
looks at it; unknown fields, wrong types, out-of-range numbers and over-long strings are refused
with a `bad_request` that says which field is wrong. Coordinates are normalised to the shown
media (`0..1`), so they mean the same spot on every screen.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from covisor.kernel.errors import CovisorError
from covisor.kernel.urls import PAGE_URL, PAGE_URL_OR_EMPTY

ConversationId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Unit = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Point = tuple[Unit, Unit]
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Seconds = Annotated[float, msgspec.Meta(ge=0.0, le=1e7)]
StrokeId = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+\Z")]
Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}\Z")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]


NOT_BLANK = r"\S"
"""The pattern of every name, title, label, shortcut and message a user gives: something is left
after trimming (a value of blanks only would be stored as, or shown as, nothing)."""

PersonName = Annotated[str, msgspec.Meta(max_length=80)]
"""The name someone gives themselves (a shopper, a caller); blank means their role's default."""


def name_or(given: str | None, default: str) -> str:
    """`given` without surrounding blanks, or `default` when nothing is left."""
    return (given or "").strip() or default


PageUrl = Annotated[str, msgspec.Meta(max_length=2000, pattern=PAGE_URL)]
"""A shop page's URL as a browser writes it (kernel/urls.py): never stored with a blank, a
control character or another scheme, which agents' consoles would show and link."""
Referrer = Annotated[str, msgspec.Meta(max_length=2000, pattern=PAGE_URL_OR_EMPTY)]
"""Where a page was come to from: a `PageUrl`, or `""` (none), as `document.referrer` says."""


class Page(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The shop page a conversation was opened from (the widget cuts both to 500)."""

    url: Annotated[str, msgspec.Meta(max_length=500, pattern=PAGE_URL)] | None = None
    title: Annotated[str, msgspec.Meta(max_length=500)] | None = None

    def to_dict(self) -> dict[str, str] | None:
        found = {k: v for k, v in (("url", self.url), ("title", self.title)) if v is not None}
        return found or None


class Command(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    conversation_id: ConversationId


class Join(Command, frozen=True):
    last_seq: Seq | None = None


class Leave(Command, frozen=True):
    pass


class Accept(Command, frozen=True):
    pass


class Close(Command, frozen=True):
    pass


class Open(Command, frozen=True):
    page: dict[str, str] | None = None
    name: str = "Shopper"
    by_phone: bool = False
    """Opened to show a PIN to an agent on the phone: out of the queue until a message."""
    visitor: dict[str, Any] | None = None
    """What the server found out about the shopper (see `Visitor` in visitors.py)."""
    offline: bool = False
    """Left as a message while the shop was closed or nobody was online: answered later, in
    the widget on the shopper's next visit and by e-mail when they left an address."""


class Identify(Command, frozen=True):
    """Server-internal: the shopper told who they are after opening (`visitor` as in Open)."""

    visitor: dict[str, Any]


class AddNote(Command, frozen=True):
    """Server-internal (from REST): an agent-only note; never reaches a shopper."""

    text: str


class Transfer(Command, frozen=True):
    """Server-internal: hand the conversation to agent `to` (`{id, name}`), or back to the
    queue when None; the service resolved the name from the id."""

    to: dict[str, str] | None


class Rate(Command, frozen=True):
    """Server-internal (from REST): the shopper's rating of a closed conversation."""

    score: int
    comment: str | None = None


class AdmitCaller(Command, frozen=True):
    """Server-internal, never parsed from a client: the actor redeemed the agent's phone PIN."""


MediaId = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}\Z")]


class MediaReceived(Command, frozen=True):
    """Server-internal: an upload's bytes are in and of an accepted type; processing starts."""

    upload_id: str
    media_id: MediaId
    kind: Literal["image", "video"]
    name: str


class MediaReady(Command, frozen=True):
    """Server-internal: the upload was processed; `media` is the item (see gallery.py)."""

    upload_id: str
    media: dict[str, Any]


class MediaUpdated(Command, frozen=True):
    """Server-internal: a ready upload's other variants were made; `media` is the whole item."""

    upload_id: str
    media: dict[str, Any]


class MediaFailed(Command, frozen=True):
    """Server-internal: the upload was refused after it was announced; `reason` is an error code."""

    upload_id: str
    media_id: MediaId
    reason: str


class ChatSend(Command, frozen=True):
    text: Text
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class ChatTyping(Command, frozen=True):
    typing: bool


class ChatRead(Command, frozen=True):
    seq: Seq


class ChatHistory(Command, frozen=True):
    before_seq: Seq | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 50


class ChatTranslate(Command, frozen=True):
    """An agent asks again for the translation of message `seq` (one left untranslated)."""

    seq: Seq


class Translated(Command, frozen=True):
    """Server-internal (translation/translator.py): message `seq` in language `source`, put
    into `target` by the shop's engine as `text`, or not, for the reason `error`."""

    seq: int
    source: str
    target: str
    text: str | None = None
    error: str | None = None


MediaRef = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}\Z")]
"""An upload's media id (64 hex digits) or a catalogue item's id (never 64 hex digits)."""

VariantName = Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{1,32}\Z")]
ProductRef = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=NOT_BLANK)]
"""A feed's product or variant id (the feed's `item_group_id` or `id`: at most 50 characters,
never blanks only, which no feed item has: a cart, a conversion or the visitors list would keep
a product of no name)."""
PictureRef = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}\Z")]


class LegacyMedia(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The `viewer.show` media of protocol 1.0, by URL: accepted for one release, read only for
    the file its `src` names (see `ViewerShow`)."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    kind: Literal["image", "video"]
    src: Annotated[str, msgspec.Meta(max_length=2048, pattern=r"^/[^/\\]")]
    title: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    width: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None
    height: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None
    poster: Annotated[str, msgspec.Meta(max_length=2048, pattern=r"^/[^/\\]")] | None = None
    duration: Seconds | None = None


class ViewerShow(Command, frozen=True):
    """Show one of the conversation's ready uploads or a catalogue item, by id; or a product of
    the feed catalogue (`product_id`, with a `variant_id` and a picture, `image`, of its card).

    `variant` picks the file (`display_webp` for an image, `video` for a video by default). The
    old form `{media: {src, ...}}` is still accepted: the adapter reads which file `src` names
    and turns it into `media_id` and `variant`; the rest of it is ignored.
    """

    media_id: MediaRef | None = None
    variant: VariantName | None = None
    media: LegacyMedia | None = None
    product_id: ProductRef | None = None
    variant_id: ProductRef | None = None
    image: PictureRef | None = None


class ShowProduct(Command, frozen=True):
    """Server-internal: show a catalogue item or a feed product; `media` is its viewer entry
    (media.catalogue, catalogue.service)."""

    media: dict[str, Any]


Amount = float | Annotated[str, msgspec.Meta(max_length=32)]
"""A price or total as the shop's page gives it: a number or a decimal string ("89.90")."""
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{3}\Z")]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=9999)]


class CartItem(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    product_id: ProductRef
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
    quantity: Quantity
    price: Amount
    variant_id: ProductRef | None = None


class Cart(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The shopper's cart as the shop's page tells it (`covisor.setCart`)."""

    items: Annotated[list[CartItem], msgspec.Meta(max_length=100)]
    total: Amount
    currency: Currency


class CartSet(Command, frozen=True):
    """The shopper's cart changed: the agent sees it beside the chat."""

    cart: Cart


class CartAdd(Command, frozen=True):
    """The shopper's page ran its add-to-cart for a product of the viewer's card: `added`, or
    not with the shop's `error`."""

    product_id: ProductRef
    quantity: Quantity
    added: bool
    variant_id: ProductRef | None = None
    error: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class CartAdded(Command, frozen=True):
    """Server-internal: a `cart.add` with its product looked up (`product`: the card's id
    and title)."""

    product_id: str
    variant_id: str | None
    quantity: int
    added: bool
    error: str | None
    title: str


class ProductSend(Command, frozen=True):
    """The agent suggests a product in the chat."""

    product_id: ProductRef
    variant_id: ProductRef | None = None


class SendProduct(Command, frozen=True):
    """Server-internal: a `product.send` with the product's card."""

    product: dict[str, Any]
    variant_id: str


Extent = Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]


class ViewerTransform(Command, frozen=True):
    """`w`, `h`: the part of the media the sender sees (fractions of its width and height,
    centred on `cx`, `cy`); other screens fit that region whatever their shape."""

    zoom: Annotated[float, msgspec.Meta(ge=1.0, le=10.0)]
    cx: Unit
    cy: Unit
    w: Extent | None = None
    h: Extent | None = None


class ViewerView(Command, frozen=True):
    """Ephemeral: the part of the media this member sees now, for the others' outline."""

    cx: Unit
    cy: Unit
    w: Extent
    h: Extent


class StrokeBegin(Command, frozen=True):
    stroke_id: StrokeId
    color: Color
    width: Annotated[float, msgspec.Meta(ge=0.0005, le=0.05)]
    points: list[Point] = []


class StrokePoints(Command, frozen=True):
    """Points added to an open stroke. `index`: where the first of them goes in the stroke's
    points (its `stroke.begin` points counted), so a batch sent again is harmless; without it,
    at the end."""

    stroke_id: StrokeId
    points: Annotated[list[Point], msgspec.Meta(min_length=1)]
    index: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None


class StrokeEnd(Command, frozen=True):
    stroke_id: StrokeId


class StrokeUndo(Command, frozen=True):
    pass


class StrokeClear(Command, frozen=True):
    pass


class VideoPlay(Command, frozen=True):
    position: Seconds | None = None


class VideoPause(Command, frozen=True):
    position: Seconds | None = None


class VideoSeek(Command, frozen=True):
    position: Seconds


class VideoRate(Command, frozen=True):
    rate: Annotated[float, msgspec.Meta(ge=0.25, le=4.0)]


SHEDDABLE: tuple[type[Command], ...] = (StrokePoints, ViewerTransform)
"""Commands refused first when the server is behind: a drawer's client merges refused points
into its next batch, a view move is superseded by the next; chat and the rest are never shed."""

RELAYED_WHEN_DECIDED: tuple[type[Command], ...] = (
    StrokeBegin,
    StrokeEnd,
    StrokeUndo,
    StrokeClear,
    ViewerTransform,
    VideoPlay,
    VideoPause,
    VideoSeek,
    VideoRate,
)
"""Commands whose events a process alone on its store relays before their commit: the strokes,
the view and the video, which a joiner's snapshot replaces whole, so the rejoin that follows a
failed commit takes them back (journal.py). Chat and the rest wait for their commit."""

BY_EVENT: dict[str, type[Command]] = {
    "join": Join,
    "leave": Leave,
    "accept": Accept,
    "chat.send": ChatSend,
    "chat.typing": ChatTyping,
    "chat.read": ChatRead,
    "chat.history": ChatHistory,
    "chat.translate": ChatTranslate,
    "viewer.show": ViewerShow,
    "viewer.transform": ViewerTransform,
    "viewer.view": ViewerView,
    "stroke.begin": StrokeBegin,
    "stroke.points": StrokePoints,
    "stroke.end": StrokeEnd,
    "stroke.undo": StrokeUndo,
    "stroke.clear": StrokeClear,
    "video.play": VideoPlay,
    "video.pause": VideoPause,
    "video.seek": VideoSeek,
    "video.rate": VideoRate,
    "cart.set": CartSet,
    "cart.add": CartAdd,
    "product.send": ProductSend,
}


def parse(event: str, payload: Any) -> Command:
    """Validate a client payload for `event`; `unknown_event` or `bad_request` on refusal."""
    kind = BY_EVENT.get(event)
    if kind is None:
        raise CovisorError("unknown_event", f"unknown event {event[:64]!r}")
    if not isinstance(payload, dict):
        raise CovisorError("bad_request", f"{event} takes a JSON object")
    try:
        return msgspec.convert(payload, type=kind, strict=True)
    except msgspec.ValidationError as exc:
        raise CovisorError("bad_request", f"{event}: {exc}") from None
