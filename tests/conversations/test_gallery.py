"""The pure gallery domain: uploads announced, ready or failed, and what the viewer may show."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from covisor.app.options import conversation_limits
from covisor.config import Config
from covisor.conversations.conversation import ConversationState, decide
from covisor.conversations.gallery import is_upload, media_status, viewer_entry
from covisor.kernel import commands as c
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Draft, Event
from covisor.kernel.identity import Identity

LIMITS = conversation_limits(Config())
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


def show(media_id: str, variant: str | None = None) -> c.ViewerShow:
    return c.ViewerShow(conversation_id="c1", media_id=media_id, variant=variant)


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


def test_agent_shows_an_upload_by_id_and_the_event_names_no_url() -> None:
    state = active()
    uploaded(state)
    event = run(state, AGENT, show(PHOTO))
    assert event.data["media"] == {
        "source": "upload",
        "id": PHOTO,
        "variant": "display_webp",
        "kind": "image",
        "title": "IMG_1.jpg",
        "width": 3000,
        "height": 4000,
    }
    assert state.viewer.media == event.data["media"]


def test_agent_shows_a_catalogue_item_resolved_by_the_adapter() -> None:
    state = active()
    entry = viewer_entry(
        "catalogue", "mug", "display_webp", kind="image", title="Mug", width=8, height=6
    )
    event = run(state, AGENT, c.ShowProduct(conversation_id="c1", media=entry))
    assert event.data["media"] == entry


REFUSED = [
    ("original", PHOTO, "original", "forbidden"),
    ("not uploaded here", OTHER, None, "bad_request"),
    ("no such variant", PHOTO, "video", "bad_request"),
]


@pytest.mark.parametrize(
    ("media_id", "variant", "code"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_viewer_refuses_what_is_not_this_conversations_shown_file(
    media_id: str, variant: str | None, code: str
) -> None:
    state = active()
    uploaded(state)
    with pytest.raises(CovisorError) as refused:
        decide(state, AGENT, show(media_id, variant), 1000.0, LIMITS)
    assert refused.value.code == code


def test_shopper_showing_media_is_refused_as_a_shopper() -> None:
    state = active()
    uploaded(state)
    for command in (
        show(PHOTO),
        c.ShowProduct(conversation_id="c1", media={"source": "catalogue", "id": "mug"}),
    ):
        with pytest.raises(CovisorError) as refused:
            decide(state, SHOPPER, command, 1000.0, LIMITS)
        assert refused.value.code == "forbidden"
        assert "agent" in refused.value.message


def test_an_upload_id_still_under_way_cannot_be_used_again() -> None:
    state = active()
    run(state, SHOPPER, received("u1"))
    with pytest.raises(CovisorError) as refused:
        decide(state, SHOPPER, received("u1", OTHER), 1000.0, LIMITS)
    assert refused.value.code == "conflict"
    run(state, SHOPPER, c.MediaReady(conversation_id="c1", upload_id="u1", media=item()))
    run(state, SHOPPER, received("u1", OTHER))


def test_only_64_hex_digits_name_an_upload() -> None:
    assert is_upload(PHOTO)
    assert not is_upload("trail-sneaker") and not is_upload(PHOTO[:-1]) and not is_upload("A" * 64)


def test_a_photo_shown_before_its_other_variants_shows_its_first_picture() -> None:
    state = active()
    run(state, SHOPPER, received())
    jpeg = {"display_jpeg": {"width": 1500, "height": 2000, "mime": "image/jpeg"}}
    first = {**item(), "variants": jpeg, "blur_score": None, "blurry": None}
    ready = run(state, SHOPPER, c.MediaReady(conversation_id="c1", upload_id="u1", media=first))

    assert run(state, AGENT, show(PHOTO)).data["media"]["variant"] == "display_jpeg"
    whole = {**item(), "variants": {**jpeg, **item()["variants"]}}
    updated = run(state, SHOPPER, c.MediaUpdated(conversation_id="c1", upload_id="u1", media=whole))
    assert updated.type == "media.updated" and updated.data["media"] == whole
    [shown] = state.snapshot()["media_items"]
    assert shown == {**whole, "seq": ready.seq - 1}
    assert run(state, AGENT, show(PHOTO)).data["media"]["variant"] == "display_webp"


def test_only_a_ready_item_is_updated() -> None:
    state = active()
    run(state, SHOPPER, received())
    update = c.MediaUpdated(conversation_id="c1", upload_id="u1", media=item())
    with pytest.raises(CovisorError) as refused:
        decide(state, SHOPPER, update, 1000.0, LIMITS)
    assert refused.value.code == "conflict"
