"""Overload without pile-up: when the server runs behind, stroke points are refused at once with
`rate_limited` instead of queued, every command is answered, and chat keeps flowing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from covisor.app.http import create_app
from covisor.config import Config
from covisor.store import Append
from covisor.store.sql import SQLiteStore
from tests.conftest import serving

COMMIT_SECONDS = 0.3


class SlowStore(SQLiteStore):
    """A store whose writes take `COMMIT_SECONDS`: a disk (or a machine) that cannot keep up."""

    slow = False

    async def commit(self, appends: list[Append]) -> set[str]:
        if self.slow:
            await asyncio.sleep(COMMIT_SECONDS)
        return await super().commit(appends)


async def test_stroke_points_are_shed_quickly_and_chat_keeps_flowing(
    config: Config, tmp_path: Path
) -> None:
    store = SlowStore(tmp_path / "slow.sqlite3")
    app = await create_app(config.replace(shed_after=0.1), store=store)
    async with serving(app) as h:
        cid, customer, agent = await h.session()
        await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await h.product()})
        stroke = {"conversation_id": cid, "stroke_id": "s1", "color": "#ff0000", "width": 0.01}
        await agent.ok("stroke.begin", stroke)
        store.slow = True

        async def timed(
            delay: float, event: str, payload: dict[str, Any]
        ) -> tuple[float, dict[str, Any]]:
            """`event` sent `delay` seconds from now: a drawer's stream, 100 points a second."""
            await asyncio.sleep(delay)
            started = time.perf_counter()
            answer = await agent.sio.call(event, payload, timeout=10)
            return time.perf_counter() - started, answer

        points = [
            timed(
                i * 0.01,
                "stroke.points",
                {"conversation_id": cid, "stroke_id": "s1", "points": [[i / 200, 0.5]]},
            )
            for i in range(150)
        ]
        chat = timed(0.75, "chat.send", {"conversation_id": cid, "text": "Still there?"})
        answers = await asyncio.gather(*points[:75], chat, *points[75:])
        chat_seconds, chat_answer = answers[75]
        shed = [(s, a) for s, a in answers if not a["ok"]]
        assert shed, "some points were refused rather than queued"
        assert all(a["error"]["code"] == "rate_limited" for _, a in shed)
        assert all(a["error"]["retry_after"] > 0 for _, a in shed)
        assert max(s for s, _ in shed) < 1.0, "a refusal comes at once, not after the queue"
        assert chat_answer["ok"] is True, "chat is never shed"
        assert chat_seconds < 1.5
        await customer.wait_for(
            lambda p: any(
                e["data"].get("text") == "Still there?" for e in p.of_type("chat.message")
            )
        )
        kept = sum(1 for _, a in answers if a["ok"]) - 1
        store.slow = False
        snapshot = (await customer.ok("join", {"conversation_id": cid}))["snapshot"]
        (drawn,) = snapshot["strokes"]
        assert len(drawn["points"]) == kept, "every acknowledged point is in the stroke"


async def test_points_are_shed_while_broadcasts_to_other_processes_run_late(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(await create_app(config.replace(shed_after=Config().shed_after))) as h:
        cid, customer, agent = await h.session()
        await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await h.product()})
        stroke = {"conversation_id": cid, "stroke_id": "s1", "color": "#ff0000", "width": 0.01}
        await agent.ok("stroke.begin", stroke)
        monkeypatch.setattr(h.services.manager, "behind", lambda: 1.0)
        points = {"conversation_id": cid, "stroke_id": "s1", "points": [[0.5, 0.5]]}
        refused = await agent.call("stroke.points", points)
        assert refused["error"]["code"] == "rate_limited" and refused["error"]["retry_after"] > 0
        sent = await agent.ok("chat.send", {"conversation_id": cid, "text": "still here"})
        assert sent["seq"] > 0, "chat is never shed"
        monkeypatch.undo()
        assert await agent.ok("stroke.points", points) == {"ok": True}
