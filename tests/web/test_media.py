"""Media over HTTP and Socket.IO on a real server: uploads into conversations, their events and
signed files, refusals that leave nothing behind, and the product catalogue."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from PIL import Image

from covisor.app.http import create_app
from covisor.config import Config
from tests.conftest import WAIT, Harness, ManualClock, serving
from tests.media import samples

Serve = Callable[..., Awaitable[Harness]]
DAY = 24 * 3600.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def serve(config: Config, clock: ManualClock) -> AsyncIterator[Serve]:
    """Start servers on the manual clock, with config changes and an executor if given."""
    async with AsyncExitStack() as stack:

        async def start(executor: Any = None, **changes: Any) -> Harness:
            app = await create_app(config.replace(**changes), clock=clock, media_executor=executor)
            return await stack.enter_async_context(serving(app))

        yield start


@pytest.fixture
async def server(serve: Serve) -> Harness:
    return await serve(media_workers=2)


async def upload(
    h: Harness, cid: str, token: str | None, data: bytes, filename: str = "photo.jpg"
) -> tuple[int, Any]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="image/jpeg")
    return await h.request("POST", f"/api/conversations/{cid}/media", token, data=form)


async def uploaded(h: Harness, cid: str, token: str, data: bytes, **kw: Any) -> dict[str, Any]:
    status, body = await upload(h, cid, token, data, **kw)
    assert status == 201, body
    assert isinstance(body, dict), body
    return body


async def fetch(h: Harness, url: str, **headers: str) -> tuple[int, Any, bytes]:
    async with h.http.get(h.url + url, headers=headers) as response:
        return response.status, response.headers, await response.read()


async def fetched(h: Harness, url: str) -> bytes:
    status, _, body = await fetch(h, url)
    assert status == 200, body
    return body


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The channel values at xy of a multi-band image (RGB, RGBA)."""
    value = image.getpixel(xy)
    assert isinstance(value, tuple), value
    return value


def media_root(h: Harness) -> Path:
    return h.services.config.data_dir / "media"


async def snapshot_of(h: Harness, cid: str, token: str) -> dict[str, Any]:
    peer = await h.peer(token)
    snapshot = (await peer.ok("join", {"conversation_id": cid}))["snapshot"]
    assert isinstance(snapshot, dict), snapshot
    return snapshot


async def seeding(h: Harness) -> int:
    """How many demo catalogue items the server's background seeding added."""
    task = h.services.seeding
    assert task is not None
    return await task


def swap(url: str, old: str, new: str) -> str:
    path, _, query = url.partition("?")
    return path.replace(old, new) + "?" + query


async def test_twelve_megapixel_photo_is_served_upright_without_exif_or_gps(
    server: Harness,
) -> None:
    cid, customer, _ = await server.session()
    original = samples.camera_jpeg((4000, 3000), orientation=6)

    item = await uploaded(server, cid, customer.token, original, filename="IMG_0042.JPG")

    assert (item["status"], item["kind"], item["name"]) == ("ready", "image", "IMG_0042.JPG")
    assert (item["width"], item["height"]) == (3000, 4000)
    assert isinstance(item["blur_score"], float) and item["blurry"] is True  # two flat halves
    assert "original" not in item["variants"]
    for name in ("display_webp", "display_jpeg"):
        variant = item["variants"][name]
        status, headers, data = await fetch(server, variant["url"])
        assert status == 200 and headers["Content-Type"] == variant["mime"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        max_age = int(headers["Cache-Control"].split("max-age=")[1].split(",")[0])
        assert headers["Cache-Control"].startswith("private") and DAY <= max_age <= DAY + 3600
        served = picture(data)
        assert served.size == (variant["width"], variant["height"]) == (1500, 2000)
        assert pixel(served, (1400, 1000))[0] > 180  # red, stored on top, is now on the right
        assert pixel(served, (100, 1000))[2] > 180
        assert not served.getexif() and b"GPS" not in data and b"TestCam" not in data


async def test_png_keeps_its_transparency_in_webp(server: Harness) -> None:
    cid, customer, _ = await server.session()
    item = await uploaded(server, cid, customer.token, samples.alpha_png(), filename="a.png")
    served = picture(await fetched(server, item["variants"]["display_webp"]["url"]))
    assert served.mode == "RGBA" and pixel(served, (10, 50))[3] == 0
    assert picture(await fetched(server, item["variants"]["display_jpeg"]["url"])).mode == "RGB"


async def test_heic_photo_is_served_as_webp_and_jpeg(server: Harness) -> None:
    cid, customer, _ = await server.session()
    item = await uploaded(server, cid, customer.token, samples.heic((640, 480)), filename="x.heic")
    assert item["mime"] == "image/heif" and (item["width"], item["height"]) == (640, 480)
    assert picture(await fetched(server, item["variants"]["display_jpeg"]["url"])).size == (
        640,
        480,
    )


async def test_video_gets_a_poster_and_its_file_answers_range_requests(
    server: Harness, tmp_path: Path
) -> None:
    cid, customer, _ = await server.session()
    clip = samples.video(tmp_path / "clip.mp4", size=(320, 240), frames=75).read_bytes()

    item = await uploaded(server, cid, customer.token, clip, filename="clip.mp4")

    assert item["kind"] == "video" and item["duration"] == pytest.approx(3.0, abs=0.05)
    assert item["fps"] == pytest.approx(25.0) and item["blur_score"] is None
    assert picture(await fetched(server, item["variants"]["poster_jpeg"]["url"])).size == (320, 240)
    video = item["variants"]["video"]
    status, headers, body = await fetch(server, video["url"], Range="bytes=0-99")
    assert status == 206 and len(body) == 100 and headers["Content-Type"] == "video/mp4"
    assert headers["Content-Range"] == f"bytes 0-99/{len(clip)}"
    status, headers, whole = await fetch(server, video["url"])
    assert status == 200 and headers["Accept-Ranges"] == "bytes" and whole[:100] == body


def _truncated_jpeg() -> bytes:
    data = samples.jpeg_bytes(samples.detailed((800, 600)))
    return data[: len(data) // 2]


REFUSED = [
    ("truncated jpeg", _truncated_jpeg(), 400, "bad_request"),
    ("50000x50000 png header", samples.png_header_only(50_000, 50_000), 413, "too_large"),
    ("text named .jpg", samples.TEXT, 415, "unsupported"),
    ("svg with a script", samples.SVG_WITH_SCRIPT, 415, "unsupported"),
    ("html", samples.HTML, 415, "unsupported"),
    ("pdf", samples.PDF, 415, "unsupported"),
    ("over the limit", samples.camera_jpeg((640, 480)) + bytes(400_000), 413, "too_large"),
    ("empty", b"", 400, "bad_request"),
]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [(d, s, c) for _, d, s, c in REFUSED],
    ids=[name for name, *_ in REFUSED],
)
async def test_refused_upload_answers_the_error_and_leaves_nothing(
    serve: Serve, data: bytes, status: int, code: str
) -> None:
    h = await serve(max_image_bytes=300_000)
    cid, customer, agent = await h.session()

    answer = await upload(h, cid, customer.token, data)

    assert answer[0] == status and answer[1]["ok"] is False
    assert answer[1]["error"]["code"] == code and answer[1]["error"]["message"]
    assert samples.left_behind(h.services.media.pipeline.store) == []
    snapshot = await snapshot_of(h, cid, agent.token)
    assert snapshot["media_items"] == [] and snapshot["media_pending"] == []
    if agent.of_type("media.processing"):  # refused while decoding: announced, then failed
        await agent.wait_for(lambda p: bool(p.of_type("media.failed")))
        assert agent.of_type("media.failed")[0]["data"]["reason"] == code


async def test_upload_to_someone_elses_conversation_is_refused_before_reading(
    server: Harness,
) -> None:
    cid, customer, agent = await server.session()
    stranger = await server.open_conversation()
    seq = (await snapshot_of(server, cid, agent.token))["seq"]
    never = asyncio.Event()

    async def endless_body() -> AsyncIterator[bytes]:
        yield (
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
            + samples.alpha_png()
        )
        await never.wait()

    async with server.http.post(
        f"{server.url}/api/conversations/{cid}/media",
        data=endless_body(),
        headers={
            "Authorization": f"Bearer {stranger['token']}",
            "Content-Type": "multipart/form-data; boundary=B",
        },
    ) as refused:
        assert refused.status == 403 and (await refused.json())["error"]["code"] == "forbidden"
    other_agent = await server.agent_token("Bob")
    assert (await upload(server, cid, other_agent, samples.alpha_png()))[0] == 403
    assert (await upload(server, cid, None, samples.alpha_png()))[0] == 401
    assert (await upload(server, "c_nope", customer.token, samples.alpha_png()))[0] == 403
    assert (await upload(server, "c_nope", agent.token, samples.alpha_png()))[0] == 404

    assert samples.left_behind(server.services.media.pipeline.store) == []
    assert (await snapshot_of(server, cid, agent.token))["seq"] == seq


async def test_client_file_name_is_kept_as_data_never_as_a_path(
    server: Harness, tmp_path: Path
) -> None:
    cid, customer, agent = await server.session()
    before = set(tmp_path.rglob("*"))
    names = (
        "../../../../evil.png",
        "..\\..\\evil.png",
        "/etc/passwd",
        "a\u202eb\u200b.png",
        "é" * 500,
    )
    for index, name in enumerate(names):
        data = samples.jpeg_bytes(samples.two_tone((64 + index, 64), samples.RED, samples.BLUE))
        item = await uploaded(server, cid, customer.token, data, filename=name)
        assert "/" not in item["name"] and "\\" not in item["name"]
        assert item["name"].isprintable() and len(item["name"]) <= 120
    created = set(tmp_path.rglob("*")) - before
    root = media_root(server)
    assert all(root in path.parents for path in created if path.is_file())
    assert not [path for path in tmp_path.rglob("*") if "evil" in path.name]


async def test_member_sees_processing_then_ready_then_updated_with_fresh_urls(
    server: Harness,
) -> None:
    cid, customer, agent = await server.session()
    data = samples.camera_jpeg((1200, 900), orientation=None)

    item = await uploaded(server, cid, customer.token, data, filename="box.jpg")

    await agent.wait_for(lambda p: bool(p.of_type("media.updated")))
    [processing] = agent.of_type("media.processing")
    [ready] = agent.of_type("media.ready")
    [updated] = agent.of_type("media.updated")
    assert processing["seq"] < ready["seq"] < updated["seq"]
    assert processing["actor"] == ready["actor"] == item["uploaded_by"]
    assert item["uploaded_by"]["role"] == "customer"
    assert processing["data"] == {
        "upload_id": ready["data"]["upload_id"],
        "media_id": item["id"],
        "kind": "image",
        "name": "box.jpg",
        "uploaded_by": item["uploaded_by"],
    }
    first = ready["data"]["media"]
    assert first["id"] == item["id"] and set(first["variants"]) == {"display_jpeg"}
    assert first["blur_score"] is None and first["blurry"] is None
    assert picture(await fetched(server, first["variants"]["display_jpeg"]["url"])).size == (
        1200,
        900,
    )
    assert updated["data"]["upload_id"] == ready["data"]["upload_id"]
    media = updated["data"]["media"]
    assert {k: v for k, v in media.items() if k != "variants"} == {
        **{k: v for k, v in first.items() if k not in ("variants", "blur_score", "blurry")},
        "blur_score": item["blur_score"],
        "blurry": item["blurry"],
    }
    assert set(media["variants"]) == {"display_jpeg", "display_webp", "thumb_jpeg", "thumb_webp"}
    assert "original" not in media["variants"] and item["blur_score"] is not None
    assert set(item["variants"]) == set(media["variants"])  # a shopper gets no original
    assert picture(await fetched(server, media["variants"]["thumb_webp"]["url"])).size == (320, 240)
    stored = await server.services.store.events_of_type(cid, "media.updated", None, 1)
    assert "url" not in stored[0].data["media"]["variants"]["thumb_webp"]
    [shown] = (await snapshot_of(server, cid, customer.token))["media_items"]
    assert set(shown["variants"]) == set(media["variants"]) and shown["seq"] == processing["seq"]


async def test_ten_concurrent_uploads_all_become_ready(server: Harness) -> None:
    cid, customer, agent = await server.session()
    photos = [
        samples.jpeg_bytes(samples.two_tone((320 + i, 240), samples.RED, samples.GREEN))
        for i in range(10)
    ]

    items = await asyncio.gather(*(uploaded(server, cid, customer.token, p) for p in photos))

    assert len({i["id"] for i in items}) == 10
    await agent.wait_for(lambda p: len(p.of_type("media.ready")) == 10)
    ready = {e["data"]["upload_id"]: e["seq"] for e in agent.of_type("media.ready")}
    for processing in agent.of_type("media.processing"):
        assert processing["seq"] < ready[processing["data"]["upload_id"]]
    snapshot = await snapshot_of(server, cid, agent.token)
    assert {i["id"] for i in snapshot["media_items"]} == {i["id"] for i in items}


class GatedPool(ThreadPoolExecutor):
    """Holds every job until the test opens the gate, to show what happens while one runs."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.entered = threading.Event()
        self.gate = threading.Event()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        def held():  # type: ignore[no-untyped-def]
            self.entered.set()
            self.gate.wait(WAIT)
            return fn(*args, **kwargs)

        return super().submit(held)


async def test_event_loop_keeps_serving_while_a_photo_is_processed(serve: Serve) -> None:
    pool = GatedPool()
    h = await serve(executor=pool)
    cid, customer, agent = await h.session()
    photo = samples.camera_jpeg((4000, 3000), orientation=6)

    sending = asyncio.create_task(uploaded(h, cid, customer.token, photo))
    await asyncio.to_thread(pool.entered.wait, WAIT)
    await agent.wait_for(lambda p: bool(p.of_type("media.processing")))
    await customer.ok("time")
    said = await agent.ok("chat.send", {"conversation_id": cid, "text": "got it, one moment"})
    assert not sending.done() and not agent.of_type("media.ready")

    pool.gate.set()
    item = await sending
    await agent.wait_for(lambda p: bool(p.of_type("media.ready")))
    assert agent.of_type("media.ready")[0]["seq"] > said["seq"]
    assert item["width"] == 3000
    pool.shutdown()


async def test_only_agents_get_the_original(server: Harness) -> None:
    cid, customer, agent = await server.session()
    data = samples.camera_jpeg((800, 600), orientation=6)
    item = await uploaded(server, cid, customer.token, data)
    path = f"/api/conversations/{cid}/media/{item['id']}"

    status, shopper_view = await server.request("GET", path, customer.token)
    assert status == 200 and shopper_view["status"] == "ready"
    assert "original" not in shopper_view["variants"]
    forged = swap(shopper_view["variants"]["display_jpeg"]["url"], "display_jpeg", "original")
    status, _, body = await fetch(server, forged)
    assert status == 403 and b'"forbidden"' in body

    status, agent_view = await server.request("GET", path, agent.token)
    original = agent_view["variants"]["original"]
    status, headers, body = await fetch(server, original["url"])
    assert status == 200 and body == data and headers["Content-Type"] == "image/jpeg"
    assert headers["Content-Disposition"].startswith("attachment")


async def test_signature_holds_only_for_its_conversation_media_and_variant(
    server: Harness,
) -> None:
    cid, customer, agent = await server.session()
    first = await uploaded(server, cid, customer.token, samples.alpha_png())
    second = await uploaded(server, cid, customer.token, samples.heic((64, 48)))
    other = await server.open_conversation()
    url = first["variants"]["display_webp"]["url"]
    assert (await fetch(server, url))[0] == 200

    for forged in (
        swap(url, "display_webp", "thumb_webp"),
        swap(url, first["id"], second["id"]),
        swap(url, cid, other["id"]),
        url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"),
        url.split("?")[0],
    ):
        status, headers, body = await fetch(server, forged)
        assert status == 403, forged
        assert headers["Content-Type"].startswith("application/json")
        assert b'"ok":false' in body.replace(b" ", b"")


async def test_expired_url_is_refused_and_status_signs_a_fresh_one(
    server: Harness, clock: ManualClock
) -> None:
    cid, customer, agent = await server.session()
    item = await uploaded(server, cid, customer.token, samples.alpha_png())
    url = item["variants"]["thumb_webp"]["url"]

    clock.advance(DAY + 3600 + 1)

    status, _, body = await fetch(server, url)
    assert status == 403 and b"expired" in body
    status, fresh = await server.request(
        "GET", f"/api/conversations/{cid}/media/{item['id']}", agent.token
    )
    assert status == 200 and fresh["variants"]["thumb_webp"]["url"] != url
    assert (await fetch(server, fresh["variants"]["thumb_webp"]["url"]))[0] == 200


async def test_media_status_is_for_members_and_their_conversations_media(
    server: Harness,
) -> None:
    cid, customer, agent = await server.session()
    item = await uploaded(server, cid, customer.token, samples.alpha_png())
    stranger = await server.open_conversation()
    path = f"/api/conversations/{cid}/media/{item['id']}"
    assert (await server.request("GET", path, stranger["token"]))[0] == 403
    status, body = await server.request("GET", path.replace(item["id"], "f" * 64), agent.token)
    assert status == 404 and body["error"]["code"] == "not_found"
    # Same bytes in another conversation: still not reachable from this one's URLs.
    await server.accepted(stranger["id"], agent.token)
    theirs = await uploaded(server, stranger["id"], stranger["token"], samples.alpha_png())
    assert theirs["id"] == item["id"]
    url = theirs["variants"]["display_webp"]["url"]
    assert (await fetch(server, swap(url, stranger["id"], cid)))[0] == 403


async def test_agent_shows_an_upload_in_the_viewer_by_id(server: Harness) -> None:
    cid, customer, agent = await server.session()
    item = await uploaded(server, cid, customer.token, samples.alpha_png())

    shown = await agent.ok("viewer.show", {"conversation_id": cid, "media_id": item["id"]})

    await customer.wait_seq(shown["seq"])
    [event] = customer.of_type("viewer.show")
    media = event["data"]["media"]
    assert (media["source"], media["id"], media["variant"]) == (
        "upload",
        item["id"],
        "display_webp",
    )
    assert (media["kind"], media["width"], media["height"]) == ("image", 200, 100)
    assert urlsplit(media["src"]).query
    assert picture(await fetched(server, media["src"])).size == (200, 100)
    [stored] = await server.services.store.events_of_type(cid, "viewer.show", None, 1)
    assert "src" not in stored.data["media"] and stored.data["media"]["id"] == item["id"]
    later = await snapshot_of(server, cid, customer.token)
    assert (await fetch(server, later["media"]["src"]))[0] == 200
    assert [i["id"] for i in later["media_items"]] == [item["id"]]

    jpeg = {"conversation_id": cid, "media_id": item["id"], "variant": "display_jpeg"}
    assert (
        picture(
            await fetched(
                server, (await agent.ok("viewer.show", jpeg))["event"]["data"]["media"]["src"]
            )
        ).format
        == "JPEG"
    )
    original = await agent.call("viewer.show", {**jpeg, "variant": "original"})
    assert original["error"]["code"] == "forbidden"
    elsewhere = await agent.call("viewer.show", {**jpeg, "media_id": "f" * 64})
    assert elsewhere["error"]["code"] == "bad_request"
    nothing = await agent.call("viewer.show", {"conversation_id": cid, "media_id": "p_nope"})
    assert nothing["error"]["code"] == "not_found"


async def test_the_old_viewer_show_form_is_read_for_the_file_its_src_names(
    server: Harness,
) -> None:
    cid, customer, agent = await server.session()
    stranger = await server.open_conversation()
    await server.accepted(stranger["id"], agent.token)
    item = await uploaded(server, cid, customer.token, samples.alpha_png())
    theirs = await uploaded(
        server, stranger["id"], stranger["token"], samples.jpeg_bytes(samples.detailed((64, 48)))
    )
    display = item["variants"]["display_webp"]["url"]
    claimed = {"id": item["id"], "kind": "video", "src": display, "width": 999}

    shown = await agent.ok("viewer.show", {"conversation_id": cid, "media": claimed})

    media = shown["event"]["data"]["media"]
    assert (media["source"], media["id"], media["variant"]) == (
        "upload",
        item["id"],
        "display_webp",
    )
    assert (media["kind"], media["width"]) == ("image", 200)
    _, agent_view = await server.request(
        "GET", f"/api/conversations/{cid}/media/{item['id']}", agent.token
    )
    path = display.split("?")[0]
    refused = {
        agent_view["variants"]["original"]["url"]: "forbidden",
        path.replace("display_webp", "%6Friginal"): "forbidden",
        "/x/.." + path.replace("display_webp", "original"): "forbidden",
        "/" + path[1:].replace("/", "\\").replace("display_webp", "original"): "forbidden",
        theirs["variants"]["display_webp"]["url"]: "forbidden",
        "/media/demo.jpg": "bad_request",
    }
    for src, code in refused.items():
        answer = await agent.call(
            "viewer.show", {"conversation_id": cid, "media": {**claimed, "src": src}}
        )
        assert answer["error"]["code"] == code, src
    both = {"conversation_id": cid, "media_id": item["id"], "media": claimed}
    assert (await agent.call("viewer.show", both))["error"]["code"] == "bad_request"


async def test_the_client_names_its_upload_and_each_of_its_events_says_so(
    server: Harness,
) -> None:
    cid, customer, agent = await server.session()
    form = aiohttp.FormData()
    form.add_field("file", samples.alpha_png(), filename="a.png")
    path = f"/api/conversations/{cid}/media?upload_id=u_mine-1"

    status, item = await server.request("POST", path, customer.token, data=form)

    assert status == 201 and item["upload_id"] == "u_mine-1"
    assert item["bytes"] == len(samples.alpha_png())
    await agent.wait_for(lambda p: bool(p.of_type("media.ready")))
    for type_ in ("media.processing", "media.ready"):
        assert [e["data"]["upload_id"] for e in agent.of_type(type_)] == ["u_mine-1"]
    for bad in ("../x", "", "u" * 65, "a b"):
        form = aiohttp.FormData()
        form.add_field("file", samples.alpha_png(), filename="a.png")
        answer = await server.request(
            "POST", f"/api/conversations/{cid}/media?upload_id={bad}", customer.token, data=form
        )
        assert answer[0] == 400 and answer[1]["error"]["code"] == "bad_request", bad
    assert len(agent.of_type("media.processing")) == 1


async def test_upload_must_be_multipart_with_a_file_field(server: Harness) -> None:
    cid, customer, _ = await server.session()
    path = f"/api/conversations/{cid}/media"
    status, body = await server.request("POST", path, customer.token, data=samples.alpha_png())
    assert status == 400 and body["error"]["code"] == "bad_request"
    form = aiohttp.FormData()
    form.add_field("photo", samples.alpha_png(), filename="a.png")
    assert (await server.request("POST", path, customer.token, data=form))[0] == 400


async def test_demo_catalogue_is_loaded_once_and_listed_for_agents(
    config: Config, clock: ManualClock
) -> None:
    seeded = config.replace(seed_demo=True, media_workers=2, demo_shop=False)
    async with serving(await create_app(seeded, clock=clock)) as h:
        assert await seeding(h) == 6
        agent = await h.agent_token()
        status, listed = await h.request("GET", "/api/catalogue", agent)
        customer = (await h.open_conversation())["token"]
        assert (await h.request("GET", "/api/catalogue", customer))[0] == 403
    assert status == 200
    by_id = {item["id"]: item for item in listed["items"]}
    assert len(by_id) == 6 and by_id["stoneware-mug"]["price"] == "18.50"
    video = by_id["mug-turntable"]
    assert video["kind"] == "video" and video["poster"] and video["duration"] > 0

    async with serving(await create_app(seeded, clock=clock)) as again:
        assert await seeding(again) == 0
        status, relisted = await again.request("GET", "/api/catalogue", agent)
        for item in (by_id["trail-sneaker"], video):
            status, headers, _ = await fetch(again, item["src"])
            assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Cache-Control"].startswith("public")
        assert picture(await fetched(again, video["poster"])).format == "WEBP"
    assert relisted == listed


async def test_agent_adds_a_catalogue_item_and_shows_it(server: Harness) -> None:
    cid, customer, agent = await server.session()
    form = aiohttp.FormData()
    form.add_field("file", samples.jpeg_bytes(samples.detailed((900, 600))), filename="../x.jpg")
    form.add_field("title", "Walnut tray")

    status, item = await server.request("POST", "/api/catalogue", agent.token, data=form)

    assert status == 201 and item["title"] == "Walnut tray" and item["price"] is None
    assert (item["kind"], item["width"], item["height"]) == ("image", 900, 600)
    _, listed = await server.request("GET", "/api/catalogue", agent.token)
    assert listed["items"] == [item]
    assert picture(await fetched(server, item["thumb"])).size == (320, 213)
    shown = await agent.ok("viewer.show", {"conversation_id": cid, "media_id": item["id"]})
    await customer.wait_seq(shown["seq"])
    [event] = customer.of_type("viewer.show")
    assert event["data"]["media"]["src"] == item["src"]
    assert event["data"]["media"]["source"] == "catalogue"
    assert event["data"]["media"]["title"] == "Walnut tray"
    old_form = {"id": item["id"], "kind": "image", "src": item["src"]}
    again = await agent.ok("viewer.show", {"conversation_id": cid, "media": old_form})
    assert again["event"]["data"]["media"] == event["data"]["media"]

    form = aiohttp.FormData()
    form.add_field("file", samples.alpha_png(), filename="a.png")
    assert (await server.request("POST", "/api/catalogue", customer.token, data=form))[0] == 403
    assert (await server.request("GET", "/api/catalogue/p_nope/display_webp"))[0] == 404
    assert (await fetch(server, item["src"].replace("display_webp", "original")))[0] == 404
    for title_first in (True, False):
        form = aiohttp.FormData()
        if title_first:
            form.add_field("title", "t" * 201)
        form.add_field("file", samples.alpha_png(), filename="a.png")
        if not title_first:
            form.add_field("title", "t" * 201)
        status, refused = await server.request("POST", "/api/catalogue", agent.token, data=form)
        assert status == 400 and "200" in refused["error"]["message"]
    assert (await server.request("GET", "/api/catalogue", agent.token))[1] == listed


async def test_the_shown_picture_is_saved_with_its_strokes_drawn_by_the_server(
    server: Harness,
) -> None:
    cid, customer, agent = await server.session()
    nothing = await server.request("POST", f"/api/conversations/{cid}/annotated", customer.token)
    assert nothing[0] == 400 and "nothing is shown" in nothing[1]["error"]["message"]
    blue = io.BytesIO()
    Image.new("RGB", (400, 300), (20, 40, 200)).save(blue, "PNG")
    item = await uploaded(server, cid, customer.token, blue.getvalue(), filename="box.png")
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": item["id"]})
    stroke = {"conversation_id": cid, "stroke_id": "s1", "color": "#ff0000", "width": 0.02}
    await customer.ok("stroke.begin", {**stroke, "points": [[0.1, 0.5], [0.9, 0.5]]})
    await customer.ok("stroke.end", {"conversation_id": cid, "stroke_id": "s1"})

    path = f"/api/conversations/{cid}/annotated?upload_id=u_evidence"
    status, saved = await server.request("POST", path, customer.token)

    assert status == 201 and saved["upload_id"] == "u_evidence"
    assert saved["name"] == "box.png (annotated).png" and saved["id"] != item["id"]
    assert saved["uploaded_by"]["role"] == "customer"
    drawn = picture(await fetched(server, saved["variants"]["display_webp"]["url"]))
    assert drawn.size == (400, 300)
    red, _, blue_channel = pixel(drawn.convert("RGB"), (200, 150))[:3]
    assert red > 200 and blue_channel < 60, "the stroke is drawn across the middle"
    assert pixel(drawn.convert("RGB"), (200, 40))[2] > 150, "and nothing else changed"
    await agent.wait_for(
        lambda p: any(e["data"].get("upload_id") == "u_evidence" for e in p.of_type("media.ready"))
    )
    stranger = await server.open_conversation()
    assert (await server.request("POST", path, stranger["token"]))[0] == 403
    video = {"conversation_id": cid, "media_id": await server.product("video")}
    await agent.ok("viewer.show", video)
    refused = await server.request("POST", path.replace("u_evidence", "u_2"), agent.token)
    assert refused[0] == 400 and "only a picture" in refused[1]["error"]["message"]
