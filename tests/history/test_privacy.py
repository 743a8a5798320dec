"""Erasure, export, backup and retention: nothing of an erased conversation is left."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import sys
import zipfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from covisor.app.http import create_app
from covisor.config import Config
from covisor.conversations.shopper import SHOP_SECRET, ShopIdentity
from tests.conftest import Harness, ManualClock, serving
from tests.media import samples


async def upload(h: Harness, cid: str, token: str, data: bytes) -> dict[str, Any]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="photo.png")
    status, item = await h.request("POST", f"/api/conversations/{cid}/media", token, data=form)
    assert status == 201, item
    assert isinstance(item, dict)
    return item


def files_of(h: Harness, media_id: str) -> list[Path]:
    blobs = h.services.media.pipeline.store
    found = [blobs.blob_path(media_id)] if blobs.blob_path(media_id).exists() else []
    return found + list(samples.all_files(blobs.derived_dir(media_id)))


async def test_erasure_leaves_no_row_event_pin_or_file_but_shared_ones(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    other, shopper, _ = await harness.session()
    await customer.ok("chat.send", {"conversation_id": cid, "text": "my order 4411 is broken"})
    shared = samples.alpha_png()
    own = await upload(harness, cid, customer.token, samples.jpeg_bytes(samples.detailed((64, 48))))
    mine = await upload(harness, cid, customer.token, shared)
    theirs = await upload(harness, other, shopper.token, shared)
    assert mine["id"] == theirs["id"]
    assert (await harness.request("POST", f"/api/conversations/{cid}/pins", customer.token))[
        0
    ] == 409
    await harness.request("POST", f"/api/conversations/{cid}/pins", agent.token)

    assert await harness.services.privacy.erase(cid) is True

    assert (await harness.request("GET", f"/api/conversations/{cid}", agent.token))[0] == 404
    assert (await harness.request("GET", f"/api/conversations/{cid}", customer.token))[0] == 404
    for item in (own, mine):
        url = item["variants"]["display_webp"]["url"]
        async with harness.http.get(harness.url + url) as response:
            assert response.status == 404
    assert files_of(harness, own["id"]) == []
    assert files_of(harness, theirs["id"])
    async with harness.http.get(harness.url + theirs["variants"]["display_webp"]["url"]) as r:
        assert r.status == 200
    store = harness.services.store
    assert await store.events_after(cid, 0, 1000) == []
    db = store._db  # type: ignore[attr-defined]
    for table in ("events", "pins"):
        [(count,)] = await db.fetch(
            f"SELECT count(*) FROM {table} WHERE conversation_id = ?", (cid,)
        )
        assert count == 0, table
    [(raw,)] = await db.fetch(
        f"SELECT count(*) FROM events WHERE {db.dialect.text('body')} LIKE ?", ("%4411%",)
    )
    assert raw == 0
    assert await harness.services.privacy.erase(cid) is False
    refused = await customer.call("chat.send", {"conversation_id": cid, "text": "again"})
    assert refused["ok"] is False


async def covisor(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "covisor", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.process
async def test_export_backup_and_erase_from_the_command_line(
    harness: Harness, tmp_path: Path
) -> None:
    cid, customer, _ = await harness.session()
    await customer.ok("chat.send", {"conversation_id": cid, "text": "here is the box"})
    item = await upload(harness, cid, customer.token, samples.alpha_png())
    data = str(harness.services.config.data_dir)

    code, said = await covisor("export", cid, "--out", str(tmp_path / "c.zip"), "--data-dir", data)
    assert code == 0, said
    with zipfile.ZipFile(tmp_path / "c.zip") as archive:
        names = set(archive.namelist())
        document = json.loads(archive.read("conversation.json"))
    assert document["conversation"]["id"] == cid
    texts = [e["data"]["text"] for e in document["events"] if e["type"] == "chat.message"]
    assert texts == ["here is the box"]
    assert f"media/{item['id']}/display.webp" in names
    assert not any("original" in name or "blobs" in name for name in names)

    code, said = await covisor("backup", str(tmp_path / "copy.sqlite3"), "--data-dir", data)
    assert code == 0, said
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    try:
        assert (
            copy.execute("SELECT count(*) FROM conversations WHERE id = ?", (cid,)).fetchone()[0]
            == 1
        )
    finally:
        copy.close()

    code, said = await covisor("erase", cid, "--data-dir", data)
    assert code == 0 and f"Erased {cid}" in said
    assert files_of(harness, item["id"]) == []
    code, said = await covisor("erase", cid, "--data-dir", data)
    assert code == 1 and "No conversation" in said
    assert (
        await covisor("export", "c_nope", "--out", str(tmp_path / "n.zip"), "--data-dir", data)
    )[0] == 1
    assert not (tmp_path / "n.zip").exists()


async def test_retention_erases_conversations_closed_long_enough_ago(config: Config) -> None:
    clock = ManualClock()
    async with serving(await create_app(config.replace(retention_days=2), clock=clock)) as h:
        old, _, agent = await h.session()
        await h.request("POST", f"/api/conversations/{old}/close", agent.token)
        clock.advance(24 * 3600)
        recent, _, other_agent = await h.session()
        await h.request("POST", f"/api/conversations/{recent}/close", other_agent.token)
        still_open, _, _ = await h.session()
        clock.advance(24 * 3600 + 1)

        assert await h.services.privacy.sweep() == 1

        store = h.services.store
        assert await store.summary(old) is None
        assert await store.summary(recent) is not None
        assert await store.summary(still_open) is not None
        clock.advance(24 * 3600)
        assert await h.services.privacy.sweep() == 1
        assert await h.services.privacy.sweep() == 0


async def admin_token(h: Harness) -> str:
    _, token = await h.services.agents.add("Admin", role="admin")
    return token


async def test_an_admin_erases_and_exports_a_conversation_over_http(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await customer.ok("chat.send", {"conversation_id": cid, "text": "Order 9921, size 42"})
    item = await upload(harness, cid, customer.token, samples.jpeg_bytes(samples.detailed()))
    admin = await admin_token(harness)
    for token in (agent.token, customer.token):
        for method, path in (
            ("GET", f"/api/conversations/{cid}/export"),
            ("DELETE", f"/api/conversations/{cid}"),
        ):
            status, body = await harness.request(method, path, token)
            assert status == 403, (method, body)

    async with harness.http.get(
        f"{harness.url}/api/conversations/{cid}/export",
        headers={"Authorization": f"Bearer {admin}"},
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/zip"
        zipped = await response.read()
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        document = json.loads(archive.read("conversation.json"))
        names = archive.namelist()
    assert any(e["data"].get("text") == "Order 9921, size 42" for e in document["events"])
    assert any(name.startswith(f"media/{item['id']}/") for name in names)

    async with harness.http.delete(
        f"{harness.url}/api/conversations/{cid}", headers={"Authorization": f"Bearer {admin}"}
    ) as response:
        assert response.status == 204
    assert (await harness.request("GET", f"/api/conversations/{cid}", agent.token))[0] == 404
    async with harness.http.get(harness.url + item["variants"]["display_webp"]["url"]) as r:
        assert r.status == 404
    assert files_of(harness, item["id"]) == []
    status, body = await harness.request("DELETE", f"/api/conversations/{cid}", admin)
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_a_verified_customer_is_erased_with_all_their_conversations(
    harness: Harness,
) -> None:
    shop = ShopIdentity(await harness.services.store.secret(SHOP_SECRET, b""))
    signed = {"customer_id": "cus-7", "signature": shop.sign("cus-7"), "name": "Ana"}
    theirs = [await harness.open_conversation(visitor=signed) for _ in range(3)]
    forged = await harness.open_conversation(visitor={**signed, "signature": "0" * 64})
    someone = await harness.open_conversation()
    admin = await admin_token(harness)
    status, body = await harness.request("DELETE", "/api/customers/cus-7", admin)
    assert status == 200 and body == {"erased": 3}
    for opened in theirs:
        status, _ = await harness.request("GET", f"/api/conversations/{opened['id']}", admin)
        assert status == 404
    for opened in (forged, someone):
        status, _ = await harness.request(
            "GET", f"/api/conversations/{opened['id']}", opened["token"]
        )
        assert status == 200, "an unsigned claim to the id erases nothing"
    status, body = await harness.request("DELETE", "/api/customers/cus-7", admin)
    assert body == {"erased": 0}
    agent = await harness.agent_token()
    status, _ = await harness.request("DELETE", "/api/customers/cus-7", agent)
    assert status == 403
