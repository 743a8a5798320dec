"""Signed media URLs: bound to conversation, media, variant and expiry; added on the way out."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from covisor.conversations.gallery import viewer_entry
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Event
from covisor.kernel.identity import Identity
from covisor.media.links import CONVERSATION_FILE, FileRef, MediaLinks, parse_source, route
from tests.conftest import ManualClock

PHOTO = "a" * 64
OTHER = "b" * 64
DAY = 24 * 3600.0
ITEM = {
    "id": PHOTO,
    "kind": "image",
    "mime": "image/heif",
    "variants": {"display_webp": {"width": 10, "height": 10, "mime": "image/webp"}},
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def links(clock: ManualClock) -> MediaLinks:
    return MediaLinks(b"k" * 32, clock, DAY)


def media_path(conversation_id: str, media_id: str, variant: str) -> str:
    return CONVERSATION_FILE.format(
        conversation_id=conversation_id, media_id=media_id, variant=variant
    )


def signed(url: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(url).query)
    return query["exp"][0], query["sig"][0]


def test_url_verifies_for_exactly_what_it_was_signed_for(links: MediaLinks) -> None:
    url = links.url("c1", PHOTO, "display_webp")
    assert url.startswith(media_path("c1", PHOTO, "display_webp") + "?")
    exp, sig = signed(url)
    assert DAY <= links.verify("c1", PHOTO, "display_webp", exp, sig) <= DAY + 3600
    for cid, media_id, variant in (
        ("c2", PHOTO, "display_webp"),
        ("c1", OTHER, "display_webp"),
        ("c1", PHOTO, "original"),
    ):
        with pytest.raises(CovisorError) as refused:
            links.verify(cid, media_id, variant, exp, sig)
        assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("exp", "sig"), [(None, None), ("", "x"), ("12", None), ("²", "x"), ("1" * 13, "x")]
)
def test_malformed_signature_is_refused(
    links: MediaLinks, exp: str | None, sig: str | None
) -> None:
    with pytest.raises(CovisorError) as refused:
        links.verify("c1", PHOTO, "display_webp", exp, sig)
    assert refused.value.code == "forbidden"


def test_a_later_expiry_with_the_old_signature_is_refused(links: MediaLinks) -> None:
    exp, sig = signed(links.url("c1", PHOTO, "display_webp"))
    with pytest.raises(CovisorError):
        links.verify("c1", PHOTO, "display_webp", str(int(exp) + 3600), sig)


def test_url_expires_after_its_ttl_rounded_up_to_the_hour(
    links: MediaLinks, clock: ManualClock
) -> None:
    exp, sig = signed(links.url("c1", PHOTO, "display_webp"))
    assert int(exp) % 3600 == 0
    clock.advance(DAY)
    links.verify("c1", PHOTO, "display_webp", exp, sig)
    clock.advance(3600)
    with pytest.raises(CovisorError) as refused:
        links.verify("c1", PHOTO, "display_webp", exp, sig)
    assert "expired" in refused.value.message


def test_urls_signed_within_the_same_hour_are_identical(
    links: MediaLinks, clock: ManualClock
) -> None:
    clock.now = 1_763_856_001_000.0  # a second past the hour
    first = links.url("c1", PHOTO, "thumb_webp")
    clock.advance(3599)
    assert links.url("c1", PHOTO, "thumb_webp") == first
    clock.advance(2)
    assert links.url("c1", PHOTO, "thumb_webp") != first


def test_original_is_added_only_when_asked(links: MediaLinks) -> None:
    shopper_view = links.item("c1", ITEM, with_original=False)
    assert set(shopper_view["variants"]) == {"display_webp"}
    assert shopper_view["variants"]["display_webp"]["width"] == 10
    agent_view = links.item("c1", ITEM, with_original=True)
    original = agent_view["variants"]["original"]
    assert original["mime"] == "image/heif" and "/original?" in original["url"]
    assert ITEM["variants"] == {
        "display_webp": {"width": 10, "height": 10, "mime": "image/webp"}
    }, "the stored item must not change"


def test_snapshot_signs_items_and_the_shown_upload_of_its_own_conversation(
    links: MediaLinks,
) -> None:
    shown = viewer_entry(
        "upload", PHOTO, "display_webp", kind="image", title=None, width=10, height=10
    )
    snapshot: dict[str, Any] = {
        "conversation_id": "c1",
        "media": shown,
        "media_items": [ITEM],
        "media_pending": [],
    }
    agent = links.snapshot(snapshot, Identity("a1", "agent", "Ann"))
    shopper = links.snapshot(snapshot, Identity("s1", "customer", "Sam", "c1"))
    assert agent["media"]["src"].startswith(media_path("c1", PHOTO, "display_webp") + "?exp=")
    links.verify("c1", PHOTO, "display_webp", *signed(agent["media"]["src"]))
    assert "original" in agent["media_items"][0]["variants"]
    assert "original" not in shopper["media_items"][0]["variants"]
    assert snapshot["media"] == shown, "the stored entry must not change"


def test_a_shown_catalogue_video_gets_its_stable_file_and_poster_urls(links: MediaLinks) -> None:
    shown = viewer_entry(
        "catalogue",
        "mug-turntable",
        "video",
        kind="video",
        title="Mug",
        width=640,
        height=480,
        duration=4.0,
        poster="poster_webp",
    )
    event = Event("c1", 2, "viewer.show", 1.0, {"id": "a1"}, {"media": shown})
    media = links.event(event)["data"]["media"]
    assert media["src"] == "/api/catalogue/mug-turntable/video"
    assert media["poster"] == "/api/catalogue/mug-turntable/poster_webp"
    assert media["duration"] == 4.0 and media["poster_variant"] == "poster_webp"


def test_old_viewer_sources_are_read_as_a_browser_resolves_them() -> None:
    path = media_path("c_x", PHOTO, "thumb_webp")
    assert parse_source(path + "?exp=5&sig=s#top") == FileRef(PHOTO, "thumb_webp", "c_x")
    assert parse_source(f"/api/conversations/c1/media/{PHOTO}/%6Friginal?exp=1") == FileRef(
        PHOTO, "original", "c1"
    )
    assert parse_source(f"/x/../api/conversations/c1/media/{PHOTO}/original") == FileRef(
        PHOTO, "original", "c1"
    )
    assert parse_source(f"/api\\conversations\\c1\\media\\{PHOTO}\\original") == FileRef(
        PHOTO, "original", "c1"
    )
    assert parse_source("/api/catalogue/mug/display_webp") == FileRef("mug", "display_webp")
    assert parse_source(f"/api/conversations/c_x/media/{PHOTO}") is None
    assert parse_source(f"/api/conversations/c_x/media/{PHOTO}/thumb_webp/extra") is None
    assert parse_source("/media/demo.jpg") is None


def test_routes_are_built_from_the_same_templates() -> None:
    assert route(CONVERSATION_FILE) == (
        "/api/conversations/{conversation_id:[^/]+}/media/{media_id:[0-9a-f]{64}}"
        "/{variant:[a-z_]{1,32}}"
    )


def test_pushed_media_ready_event_carries_no_original(links: MediaLinks) -> None:
    event = Event("c1", 3, "media.ready", 1.0, {"id": "a1"}, {"upload_id": "u", "media": ITEM})
    wire = links.event(event)
    assert set(wire["data"]["media"]["variants"]) == {"display_webp"}
    assert "url" in wire["data"]["media"]["variants"]["display_webp"]
    assert "url" not in event.data["media"]["variants"]["display_webp"]
