"""The pure gallery domain: uploads announced, ready or failed, and what the viewer may show."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from covisor import commands as c
from covisor.conversation import ConversationState, Limits, decide
from covisor.errors import CovisorError
from covisor.events import Draft, Event
from covisor.gallery import MediaPath, media_path, media_status, parse_media_path
from covisor.identity import Identity

LIMITS = Limits()
SHOPPER = Identity("s1", "customer", "Sam", "c1")
AGENT = Identity("a1", "agent", "Ann")
PHOTO = "a" * 64
OTHER = "b" * 64


def run(state: ConversationState, actor: Identity, command: c.Command) -> Event:
    draft = decide(state, actor, command, 1000.0, LIMITS)
    assert isinstance(draft, Draft)
    event = Event(state.id, state.seq + 1, draft.type, 1000.0, actor.public(), draft.data)
    state.apply(event, LIMITS)
    return event


def item(media_id: str = PHOTO) -> dict[str, Any]:
    return {
        "id": media_id,
        "kind": "image",
        "mime": "image/jpeg",
        "name": "IMG_1.jpg",
        "uploaded_by": SHOPPER.public(),
        "width": 3000,
        "height": 4000,
        "blur_score": 120.0,
        "blurry": False,
        "variants": {"display_webp": {"width": 1500, "height": 2000, "mime": "image/webp"}},
    }


def active() -> ConversationState:
    state = ConversationState("c1")
    run(state, SHOPPER, c.Open(conversation_id="c1"))
    run(state, AGENT, c.Accept(conversation_id="c1"))
    return state


def received(upload_id: str = "u1", media_id: str = PHOTO) -> c.MediaReceived:
    return c.MediaReceived(
        conversation_id="c1", upload_id=upload_id, media_id=media_id, kind="image", name="IMG_1.jpg"
    )


def uploaded(state: ConversationState, media_id: str = PHOTO) -> None:
    run(state, SHOPPER, received(media_id=media_id))
    run(state, SHOPPER, c.MediaReady(conversation_id="c1", upload_id="u1", media=item(media_id)))


def show(src: str, media_id: str = PHOTO, **extra: Any) -> c.ViewerShow:
    media = c.Media(id=media_id, kind="image", src=src, **extra)
    return c.ViewerShow(conversation_id="c1", media=media)


def test_announced_upload_is_pending_until_ready() -> None:
    state = active()
    event = run(state, SHOPPER, received())
    announced = event.seq
    assert event.type == "media.processing"
    assert event.data == {
        "upload_id": "u1",
        "media_id": PHOTO,
        "kind": "image",
        "name": "IMG_1.jpg",
        "uploaded_by": SHOPPER.public(),
    }
    assert media_status(state.snapshot(), PHOTO) == {
        "status": "processing",
        "id": PHOTO,
        **event.data,
        "seq": announced,
    }
    assert state.snapshot()["media_items"] == []

    run(state, SHOPPER, c.MediaReady(conversation_id="c1", upload_id="u1", media=item()))

    snapshot = state.snapshot()
    assert snapshot["media_items"] == [{**item(), "seq": announced}]
    assert snapshot["media_pending"] == []
    assert media_status(snapshot, PHOTO) == {"status": "ready", **item(), "seq": announced}


def test_failed_upload_leaves_no_item() -> None:
    state = active()
    run(state, SHOPPER, received())
    failed = c.MediaFailed(conversation_id="c1", upload_id="u1", media_id=PHOTO, reason="too_large")
    assert run(state, SHOPPER, failed).data == {
        "upload_id": "u1",
        "media_id": PHOTO,
        "reason": "too_large",
    }
    snapshot = state.snapshot()
    assert snapshot["media_items"] == [] and snapshot["media_pending"] == []
    assert media_status(snapshot, PHOTO) is None


def test_same_photo_uploaded_twice_is_one_item() -> None:
    state = active()
    uploaded(state)
    uploaded(state)
    assert [i["id"] for i in state.snapshot()["media_items"]] == [PHOTO]


def test_gallery_survives_a_state_snapshot_round_trip() -> None:
    state = active()
    uploaded(state)
    run(state, SHOPPER, received("u2", OTHER))
    restored = msgspec.json.decode(msgspec.json.encode(state), type=ConversationState)
    assert restored.snapshot() == state.snapshot()


def test_upload_into_a_closed_conversation_is_refused() -> None:
    state = active()
    run(state, AGENT, c.Close(conversation_id="c1"))
    with pytest.raises(CovisorError) as refused:
        decide(state, SHOPPER, received(), 1000.0, LIMITS)
    assert refused.value.code == "conflict"


def test_viewer_keeps_an_uploaded_source_unsigned() -> None:
    state = active()
    uploaded(state)
    path = media_path("c1", PHOTO, "display_webp")
    event = run(state, AGENT, show(f"{path}?exp=1&sig=abc", width=1500, height=2000))
    assert event.data["media"]["src"] == path
    assert state.viewer.media is not None and state.viewer.media["src"] == path


def test_viewer_keeps_catalogue_sources_as_given() -> None:
    state = active()
    event = run(state, AGENT, show("/api/catalogue/mug/display_webp", media_id="mug"))
    assert event.data["media"]["src"] == "/api/catalogue/mug/display_webp"


REFUSED_SOURCES = [
    ("original", media_path("c1", PHOTO, "original") + "?exp=1&sig=x", "forbidden"),
    ("escaped original", f"/api/conversations/c1/media/{PHOTO}/%6Friginal?exp=1", "forbidden"),
    ("dotted original", f"/x/../api/conversations/c1/media/{PHOTO}/original", "forbidden"),
    ("backslashed original", f"/api\\conversations\\c1\\media\\{PHOTO}\\original", "forbidden"),
    ("other conversation", media_path("c2", PHOTO, "display_webp"), "forbidden"),
    ("not uploaded here", media_path("c1", OTHER, "display_webp"), "bad_request"),
    ("no such variant", media_path("c1", PHOTO, "video"), "bad_request"),
]


@pytest.mark.parametrize(
    ("src", "code"),
    [(s, code) for _, s, code in REFUSED_SOURCES],
    ids=[n for n, _, _ in REFUSED_SOURCES],
)
def test_viewer_refuses_sources_that_are_not_this_conversations_display_files(
    src: str, code: str
) -> None:
    state = active()
    uploaded(state)
    with pytest.raises(CovisorError) as refused:
        decide(state, AGENT, show(src), 1000.0, LIMITS)
    assert refused.value.code == code


def test_viewer_refuses_a_poster_of_another_item() -> None:
    state = active()
    uploaded(state)
    uploaded(state, OTHER)
    command = show(
        media_path("c1", PHOTO, "display_webp"), poster=media_path("c1", OTHER, "display_webp")
    )
    with pytest.raises(CovisorError) as refused:
        decide(state, AGENT, command, 1000.0, LIMITS)
    assert refused.value.code == "bad_request"


def test_shopper_showing_media_is_refused_as_a_shopper() -> None:
    state = active()
    with pytest.raises(CovisorError) as refused:
        decide(state, SHOPPER, show(media_path("c1", OTHER, "original")), 1000.0, LIMITS)
    assert refused.value.code == "forbidden"
    assert "agent" in refused.value.message


def test_media_path_round_trips_and_other_paths_are_not_media() -> None:
    path = media_path("c_x", PHOTO, "thumb_webp")
    assert parse_media_path(path + "?exp=5&sig=s#top") == MediaPath("c_x", PHOTO, "thumb_webp")
    assert parse_media_path("/api/catalogue/mug/display_webp") is None
    assert parse_media_path(f"/api/conversations/c_x/media/{PHOTO}") is None
    assert parse_media_path(f"/api/conversations/c_x/media/{PHOTO}/thumb_webp/extra") is None
