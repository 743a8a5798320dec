"""Transcripts: a conversation's timeline, as JSON, as a printable HTML page, and by e-mail.

The timeline lists in order what happened that a reader cares about afterwards: messages
(author, time, text), photos and videos sent, what was shown in the viewer (with how many marks
were drawn on it: an annotated snapshot), members joining with a phone PIN, an agent taking the
conversation, transfers, closing and the rating. Internal notes only for an agent reader.
Thumbnails are signed for the reader (media/links.py); the e-mailed copy carries none (no
external references in e-mail).

The HTML page has no script, loads nothing from elsewhere (thumbnails are this server's own
signed files) and is served with a strict Content-Security-Policy: `default-src 'none'`, the
page's one style block by its hash, images from this origin only.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from covisor.conversations.quotas import AttemptLimit, Quotas
from covisor.conversations.service import ConversationService
from covisor.history.words import language, words
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Event
from covisor.kernel.identity import Identity
from covisor.media.links import MediaLinks, catalogue_url, picture_url
from covisor.outbox.mailer import Mailer

EVENT_LIMIT = 100_000
"""Events read for one transcript at most (strokes are many; they are only counted)."""
THUMB = "thumb_webp"

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;color:#1d232b;max-width:46rem;margin:2rem auto;
padding:0 1rem}
h1{font-size:1.3rem;margin:0 0 .2rem}
.meta{color:#5a6573;margin:0 0 1.5rem}
ol{list-style:none;padding:0;margin:0}
li{padding:.45rem 0;border-bottom:1px solid #e4e7eb;break-inside:avoid}
.who{font-weight:600}
time{color:#5a6573;font-size:.85em;margin-left:.5rem}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin-top:.15rem}
.event{color:#3c4652;font-style:italic}
.note{background:#fff7d6;padding:.45rem .6rem}
.translation{color:#3c4652;white-space:pre-wrap;overflow-wrap:anywhere;margin-top:.2rem}
img{display:block;max-width:160px;max-height:160px;margin-top:.35rem;border-radius:4px}
@media print{body{margin:0;max-width:none;font-size:11pt}li{border-color:#bbb}
.note{background:none;border:1px dashed #999}}
"""
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
POLICY = "; ".join(
    [
        "default-src 'none'",
        f"style-src 'sha256-{STYLE_HASH}'",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
"""The transcript page's Content-Security-Policy: no script, nothing from another origin."""
_META_POLICY = "; ".join(part for part in POLICY.split("; ") if "frame-ancestors" not in part)
"""The same in the page itself (without what only a header can say), so that it holds where
the page is shown without the header: the console's preview (`srcdoc`), a downloaded copy."""

_KEPT = frozenset(
    {
        "conversation.opened",
        "conversation.accepted",
        "conversation.transferred",
        "conversation.closed",
        "conversation.rated",
        "chat.message",
        "chat.translated",
        "note.added",
        "member.joined",
        "media.processing",
        "media.ready",
        "media.updated",
        "viewer.show",
        "stroke.end",
    }
)


def timeline(
    events: Iterable[Event], *, for_agent: bool, links: MediaLinks | None
) -> list[dict[str, Any]]:
    """What a reader sees of `events` in order; thumbnails signed with `links` (none without).
    A message's translation (translation/translator.py) is the message's `translation`
    (`{"language", "text"}`), its `language` the one it was written in; `text` stays the
    author's own words."""
    found: list[dict[str, Any]] = []
    messages: dict[int, dict[str, Any]] = {}
    uploads: dict[str, dict[str, Any]] = {}
    uploaded: dict[str, dict[str, Any]] = {}
    shown: dict[str, Any] | None = None
    for event in events:
        if event.type not in _KEPT:
            continue
        data, head = event.data, {"seq": event.seq, "at": event.at, "author": event.actor}
        match event.type:
            case "chat.message":
                messages[event.seq] = {"type": "message", **head, "text": data["text"]}
                found.append(messages[event.seq])
            case "chat.translated" if "text" in data and data["seq"] in messages:
                translation = {"language": data["target"], "text": data["text"]}
                messages[data["seq"]] |= {"language": data["source"], "translation": translation}
            case "note.added" if for_agent:
                found.append({"type": "note", **head, "text": data["text"]})
            case "conversation.opened":
                found.append({"type": "opened", **head})
            case "conversation.accepted":
                found.append({"type": "accepted", **head, "agent": data["agent"]})
            case "conversation.transferred":
                found.append({"type": "transferred", **head, "to": data.get("to")})
            case "conversation.closed":
                found.append({"type": "closed", **head})
            case "conversation.rated":
                rated = {"score": data["score"], "comment": data.get("comment")}
                found.append({"type": "rated", **head, **rated})
            case "member.joined":
                found.append({"type": "joined", **head, "member": data["member"]})
            case "media.processing":
                uploads[data["upload_id"]] = data.get("uploaded_by") or event.actor
            case "media.ready":
                media = data["media"]
                author = uploads.pop(data["upload_id"], event.actor)
                entry = {"type": "upload", **head, "author": author}
                entry |= {"media_id": media["id"], "kind": media.get("kind", "image")}
                uploaded[media["id"]] = entry
                _thumb(entry, media, event.conversation_id, links)
                found.append(entry)
            case "media.updated" if data["media"]["id"] in uploaded:
                entry = uploaded[data["media"]["id"]]
                _thumb(entry, data["media"], event.conversation_id, links)
            case "viewer.show":
                media = data.get("media") or {}
                shown = {"type": "shown", **head, "title": media.get("title"), "strokes": 0}
                shown["kind"] = media.get("kind", "image")
                thumb = _shown_thumb(event.conversation_id, media, links)
                if thumb is not None:
                    shown["thumb"] = thumb
                found.append(shown)
            case "stroke.end" if shown is not None:
                shown["strokes"] += 1
    return found


def _shown_thumb(cid: str, media: dict[str, Any], links: MediaLinks | None) -> str | None:
    if links is None or "source" not in media:
        return None
    if media["source"] == "upload":
        return links.url(cid, media["id"], THUMB)
    if media["source"] == "product":
        return picture_url(media["id"], THUMB)
    return catalogue_url(media["id"], THUMB)


def render_html(
    summary: dict[str, Any],
    entries: list[dict[str, Any]],
    *,
    shop: str,
    tz: ZoneInfo,
    intro: str | None = None,
) -> str:
    """A whole, printable HTML page of the timeline, in the visitor's language."""
    tag = (summary.get("visitor") or {}).get("language")
    said = words(tag)
    title = said["title"].format(shop=shop)
    items = "\n".join(_item(entry, said, tz) for entry in entries)
    lead = f'<p class="meta">{escape(intro)}</p>' if intro else ""
    started = _when(entries[0]["at"], tz) if entries else ""
    if entries:
        started += " · " + zone_label(said, tz, entries[0]["at"])
    return (
        f'<!doctype html>\n<html lang="{language(tag)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f'<meta http-equiv="Content-Security-Policy" content="{_META_POLICY}">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{lead}"
        f'<p class="meta">{escape(str(summary.get("name", "")))} · {escape(started)}</p>'
        f"<ol>\n{items}\n</ol></body></html>\n"
    )


def _item(entry: dict[str, Any], said: dict[str, str], tz: ZoneInfo) -> str:
    author = str((entry.get("author") or {}).get("name", ""))
    when = f'<time datetime="{_iso(entry["at"])}">{escape(_when(entry["at"], tz))}</time>'
    kind = entry["type"]
    if kind in ("message", "note"):
        label = f'<div class="who">{escape(author)}{when}</div>'
        flag = f'<div class="event">{escape(said["note"])}</div>' if kind == "note" else ""
        css = ' class="note"' if kind == "note" else ""
        text = f'<div class="text">{escape(entry["text"])}</div>'
        translated = translation_html(
            entry, said, block='class="translation"', label='class="event"'
        )
        return f"<li{css}>{label}{flag}{text}{translated}</li>"
    text = _event_text(entry, said, author)
    thumb = entry.get("thumb")
    picture = f'<img src="{escape(thumb)}" alt="">' if thumb else ""
    return f'<li><span class="event">{escape(text)}</span>{when}{picture}</li>'


def translation_html(entry: dict[str, Any], said: dict[str, str], *, block: str, label: str) -> str:
    """A message's translation (if any) as HTML: its label in `said`'s words, then the text;
    `block` and `label` are the attributes of the wrapping `div` and of the label's `span`
    (classes on the page, inline styles in an e-mail)."""
    translation = entry.get("translation")
    if translation is None:
        return ""
    words = said["translated"].format(language=translation["language"])
    return f"<div {block}><span {label}>{escape(words)}:</span> {escape(translation['text'])}</div>"


def _event_text(entry: dict[str, Any], said: dict[str, str], author: str) -> str:
    match entry["type"]:
        case "opened":
            return said["opened"]
        case "accepted":
            return said["accepted"].format(name=entry["agent"]["name"])
        case "transferred":
            to = entry.get("to")
            return said["transferred"].format(name=to["name"]) if to else said["requeued"]
        case "closed":
            return said["closed"]
        case "rated":
            text = said["rated"].format(score=entry["score"])
            return f"{text}: “{entry['comment']}”" if entry.get("comment") else text
        case "joined":
            return said["joined_pin"].format(name=entry["member"]["name"])
        case "upload":
            key = "uploaded_video" if entry.get("kind") == "video" else "uploaded_image"
            return said[key].format(name=author)
        case "shown":
            title = entry.get("title")
            text = (
                said["shown"].format(name=author, title=title)
                if title
                else said["shown_untitled"].format(name=author)
            )
            if entry.get("strokes"):
                text += " " + said["annotated"].format(count=entry["strokes"])
            return text
    return str(entry["type"])


def _when(at: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(at / 1000.0, UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def zone_label(said: dict[str, str], tz: ZoneInfo, at: float) -> str:
    """Which zone the times are in, with its offset at `at`: "Times in Europe/Warsaw
    (UTC+01:00)"."""
    offset = datetime.fromtimestamp(at / 1000.0, UTC).astimezone(tz).strftime("%z")
    return said["times"].format(zone=f"{tz.key} (UTC{offset[:3]}:{offset[3:]})")


def reader_zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The reader's IANA zone (`Europe/Warsaw`, as the browser's `Intl` gives it), else
    `default` (the shop's); `bad_request` for a name that is no zone."""
    if name is None:
        return default
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise CovisorError(
            "bad_request", "tz: not an IANA time zone such as Europe/Madrid"
        ) from None


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at / 1000.0, UTC).isoformat(timespec="seconds")


def plain_lines(entries: list[dict[str, Any]], tz: ZoneInfo, said: dict[str, str]) -> str:
    """The messages of `entries` as plain text, for an e-mail's text part, under the zone
    their times are in (an e-mail's reader is in a zone the server does not know: the shop's)."""
    lines = [
        f"{e['author'].get('name', '')} ({_when(e['at'], tz)}):\n{e['text']}"
        + (
            f"\n[{said['translated'].format(language=e['translation']['language'])}] "
            f"{e['translation']['text']}"
            if "translation" in e
            else ""
        )
        for e in entries
        if e["type"] == "message"
    ]
    head = [zone_label(said, tz, entries[0]["at"])] if entries else []
    return "\n\n".join(head + lines)


class Transcripts:
    """Transcripts of members' conversations; e-mailed copies limited per conversation."""

    def __init__(
        self,
        conversations: ConversationService,
        links: MediaLinks,
        mailer: Mailer,
        quotas: Quotas,
        *,
        emails_per_conversation: AttemptLimit,
        shop: str,
        tz: Callable[[], ZoneInfo],
    ) -> None:
        self._conversations = conversations
        self._links = links
        self._mailer = mailer
        self._quotas = quotas
        self._emails = emails_per_conversation
        self._shop = shop
        self._tz = tz

    async def timeline(
        self, reader: Identity, conversation_id: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The summary and the timeline of a member's conversation (notes for agents only)."""
        record = await self._conversations.summary(reader, conversation_id)
        events = await self._conversations.events_after(conversation_id, 0, EVENT_LIMIT)
        entries = timeline(events, for_agent=reader.is_agent, links=self._links)
        return record.summary, entries

    async def entries(self, reader: Identity, conversation_id: str) -> list[dict[str, Any]]:
        """`timeline` without the summary (the JSON transcript's `timeline`)."""
        return (await self.timeline(reader, conversation_id))[1]

    async def html(self, reader: Identity, conversation_id: str, zone: str | None = None) -> str:
        """The printable page, its times in the reader's `zone` (else the shop's), named."""
        tz = reader_zone(zone, self._tz())
        summary, entries = await self.timeline(reader, conversation_id)
        return render_html(summary, entries, shop=self._shop, tz=tz)

    async def email(
        self, reader: Identity, conversation_id: str, address: str, zone: str | None = None
    ) -> None:
        """Send the shopper's copy (no notes, no pictures) to `address`, its times in the
        reader's `zone` (else the shop's), named: the conversation's shopper or caller only,
        `unavailable` when e-mail is off, limited per conversation."""
        tz = reader_zone(zone, self._tz())
        if reader.is_agent:
            raise CovisorError("forbidden", "the shopper asks for their copy")
        # Who may ask comes before whether it can be done: a stranger learns nothing of the
        # server's mail set-up.
        summary, entries = await self.timeline(reader, conversation_id)
        if not self._mailer.enabled:
            raise CovisorError("unavailable", "e-mail is not set up on this server")
        await self._quotas.spend(
            "transcript-mail:" + conversation_id, self._emails, "transcript e-mails"
        )
        said = words((summary.get("visitor") or {}).get("language"))
        for entry in entries:
            entry.pop("thumb", None)
        intro = said["transcript_intro"].format(shop=self._shop)
        why = said["why"].format(shop=self._shop)
        html = render_html(summary, entries, shop=self._shop, tz=tz, intro=intro)
        html = html.replace("</ol></body>", f'</ol><p class="meta">{escape(why)}</p></body>')
        text = f"{intro}\n\n{plain_lines(entries, tz, said)}\n\n-- \n{why}\n"
        subject = said["transcript_subject"].format(shop=self._shop)
        await self._mailer.send(address, subject, text, html)


def _thumb(
    entry: dict[str, Any], media: dict[str, Any], conversation_id: str, links: MediaLinks | None
) -> None:
    """The upload's thumbnail, once its item has one (a photo gets it after `media.ready`)."""
    if links is not None and THUMB in media.get("variants", {}):
        entry["thumb"] = links.url(conversation_id, media["id"], THUMB)
