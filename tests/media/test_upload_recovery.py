"""An upload left under way by a dead process is ended on the next start, and its files go."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from PIL import Image

from covisor.app.http import create_app
from covisor.config import Config
from covisor.kernel import commands as c
from covisor.kernel.identity import Identity
from tests.conftest import Peer, agent_token_for, open_accepted, serving
from tests.media import samples
from tests.web.test_media import uploaded


def slow_photo() -> bytes:
    """A 58 MP PNG (under a megabyte: a gradient) that takes a worker most of a second."""
    side = 7600
    pixels = np.empty((side, side, 3), np.uint8)
    pixels[..., 0] = np.linspace(0, 255, side, dtype=np.uint8)[None, :]
    pixels[..., 1] = np.linspace(0, 255, side, dtype=np.uint8)[:, None]
    pixels[..., 2] = 128
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG", compress_level=1)
    return out.getvalue()


def leftovers(data: Path) -> list[str]:
    """Files and directories in the media temp area that belong to no live lease."""
    tmp = data / "media" / "tmp"
    leases = {p.stem for p in tmp.glob("lease-*.lock")}
    return sorted(p.name for p in tmp.iterdir() if p.name.removesuffix(".lock") not in leases)


async def test_kill_9_mid_processing_ends_the_upload_as_failed_on_restart(
    spawn: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    server = await spawn(data, env={"COVISOR_MEDIA_WORKERS": "1"})
    agent_token = await agent_token_for(data)
    opened = await open_accepted(server.url, agent_token)
    cid = opened["id"]
    agent = await Peer(server.url, agent_token).connect()
    await agent.ok("join", {"conversation_id": cid})
    photo = await asyncio.to_thread(slow_photo)

    async def upload() -> None:
        form = aiohttp.FormData()
        form.add_field("file", photo, filename="huge.png")
        headers = {"Authorization": f"Bearer {opened['token']}"}
        async with aiohttp.ClientSession() as http:
            try:
                await http.post(
                    f"{server.url}/api/conversations/{cid}/media?upload_id=u_killed",
                    data=form,
                    headers=headers,
                )
            except aiohttp.ClientError:
                pass

    uploading = asyncio.create_task(upload())
    await agent.wait_for(lambda p: bool(p.of_type("media.processing")))
    await server.kill()
    await uploading
    await agent.close()
    tmp = data / "media" / "tmp"
    assert any(tmp.glob("lease-*/upload-*")) or any(tmp.glob("lease-*/work-*"))

    again = await spawn(data)
    customer = await Peer(again.url, opened["token"]).connect()
    snapshot = (await customer.ok("join", {"conversation_id": cid}))["snapshot"]
    await customer.close()
    assert snapshot["media_pending"] == [] and snapshot["media_items"] == []
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{again.url}/api/conversations/{cid}/transcript",
            headers={"Authorization": f"Bearer {agent_token}"},
        ) as response:
            summary = (await response.json())["conversation"]
    assert summary["uploads_pending"] == 0
    assert leftovers(data) == []
    history = await Peer(again.url, agent_token).connect()
    replay = await history.ok("join", {"conversation_id": cid, "last_seq": 0})
    await history.close()
    [failed] = [e for e in replay["events"] if e["type"] == "media.failed"]
    assert failed["data"]["upload_id"] == "u_killed" and failed["data"]["reason"] == "unavailable"


async def test_an_upload_processed_but_not_recorded_becomes_ready_on_restart(
    config: Config,
) -> None:
    photo = samples.alpha_png()
    async with serving(await create_app(config)) as h:
        cid, customer, _ = await h.session()
        covisor = h.services
        record = await covisor.media.pipeline.ingest(samples.chunked(photo))
        me = (await h.request("GET", "/api/me", customer.token))[1]
        shopper = Identity(me["id"], "customer", me["name"], cid)
        received = c.MediaReceived(
            conversation_id=cid,
            upload_id="u_orphan",
            media_id=record.id,
            kind="image",
            name="a.png",
        )
        await covisor.journal.submit(shopper, received)
    async with serving(await create_app(config)) as again:
        peer = await again.peer(customer.token)
        snapshot = (await peer.ok("join", {"conversation_id": cid}))["snapshot"]
    assert snapshot["media_pending"] == []
    [item] = snapshot["media_items"]
    assert (item["id"], item["name"], item["uploaded_by"]["id"]) == (record.id, "a.png", me["id"])
    assert "display_webp" in item["variants"]


async def test_a_live_process_keeps_its_upload_under_way(config: Config) -> None:
    async with serving(await create_app(config)) as h:
        cid, customer, _ = await h.session()
        covisor = h.services
        me = (await h.request("GET", "/api/me", customer.token))[1]
        shopper = Identity(me["id"], "customer", me["name"], cid)
        covisor.media.pipeline.store.claim(f"{cid}~u_live")
        received = c.MediaReceived(
            conversation_id=cid, upload_id="u_live", media_id="f" * 64, kind="image", name="a.png"
        )
        await covisor.journal.submit(shopper, received)
        async with serving(await create_app(config)) as other:
            peer = await other.peer(customer.token)
            snapshot = (await peer.ok("join", {"conversation_id": cid}))["snapshot"]
        assert [p["upload_id"] for p in snapshot["media_pending"]] == ["u_live"]


async def test_a_photo_a_dead_process_showed_but_did_not_finish_is_finished_on_restart(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = samples.camera_jpeg((800, 600), orientation=6)
    async with serving(await create_app(config)) as h:
        cid, customer, _ = await h.session()
        store = h.services.media.pipeline.store

        async def killed(sha256: str, work: Path) -> None:
            raise OSError("the process died here")

        with monkeypatch.context() as patch:
            patch.setattr(store, "extend", killed)
            item = await uploaded(h, cid, customer.token, photo)
        assert set(item["variants"]) == {"display_jpeg"}
        claims = store.tmp / "lease-0123456789abcdef" / "claims"  # a dead process's, no lock
        claims.mkdir(parents=True)
        (claims / f"{cid}~{item['upload_id']}").touch()

    async with serving(await create_app(config)) as again:
        peer = await again.peer(customer.token)
        snapshot = (await peer.ok("join", {"conversation_id": cid}))["snapshot"]
        [updated] = await again.services.store.events_of_type(cid, "media.updated", None, 9)
    [shown] = snapshot["media_items"]
    assert set(shown["variants"]) == {"display_jpeg", "display_webp", "thumb_jpeg", "thumb_webp"}
    assert shown["blur_score"] is not None and (shown["width"], shown["height"]) == (600, 800)
    assert updated.data["upload_id"] == item["upload_id"]
    assert updated.actor["id"] == item["uploaded_by"]["id"]
