"""Reads of committed data answer while writes are held up: they never queue behind them."""

from __future__ import annotations

import asyncio
from typing import Any

from covisor.app.http import create_app
from covisor.config import Config
from covisor.store import Append
from covisor.store.sql import SQLiteStore
from tests.conftest import serving


class HeldStore:
    """A real SQLite store whose commits wait while `held` is clear: a slow disk, on demand."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self.released = asyncio.Event()
        self.released.set()
        self.waiting = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def commit(self, appends: list[Append]) -> set[str]:
        if not self.released.is_set():
            self.waiting.set()
            await self.released.wait()
        return await self._store.commit(appends)


async def test_summaries_transcripts_and_membership_answer_while_a_commit_is_held(
    config: Config,
) -> None:
    store = HeldStore(SQLiteStore(config.database_path))
    async with serving(await create_app(config, store=store)) as h:
        cid, customer, agent = await h.session()
        await customer.ok("chat.send", {"conversation_id": cid, "text": "before"})
        outsider = (await h.open_conversation())["token"]

        store.released.clear()
        sending = asyncio.create_task(
            customer.call("chat.send", {"conversation_id": cid, "text": "held"})
        )
        await asyncio.wait_for(store.waiting.wait(), 5)

        async def read(path: str, token: str) -> tuple[int, Any]:
            return await asyncio.wait_for(h.request("GET", path, token), 2)

        status, summary = await read(f"/api/conversations/{cid}", customer.token)
        assert status == 200 and summary["status"] == "active" and "created_at" in summary
        status, transcript = await read(f"/api/conversations/{cid}/transcript", agent.token)
        assert status == 200
        assert [m["data"]["text"] for m in transcript["messages"]] == ["before"]
        status, refused = await read(f"/api/conversations/{cid}", outsider)
        assert status == 403 and refused["error"]["code"] == "forbidden"
        status, listed = await read("/api/conversations?status=active", agent.token)
        assert [c["id"] for c in listed["conversations"]] == [cid]
        assert not sending.done()

        store.released.set()
        answer = await asyncio.wait_for(sending, 5)
        assert answer["ok"] is True
        status, transcript = await read(f"/api/conversations/{cid}/transcript", agent.token)
        assert [m["data"]["text"] for m in transcript["messages"]] == ["before", "held"]
