"""One worker process of bench/visitors.py: simulated shop visitors browsing.

Each visitor gets a credential (`POST /api/visitors`), then views a page every `interval` seconds
(± 20 %, so the load is smooth): as the widget does (client/widget/visitor-tracker.js), every page
opens a new Socket.IO WebSocket with the page in its `auth`, and keeps the socket until the next
page. The title carries the wall-clock send time, so the agent in the driver measures how long a
page takes to reach its list. Frames are written by hand (Engine.IO 4 / Socket.IO 5 text), as cheap
a client as can be, so the clients' CPU goes to the load and not to a client library.

Usage (by bench/visitors.py): python visitor_clients.py URL VISITORS INTERVAL SECONDS
Prints one JSON line at the end: {"sent", "acked", "errors", "connects", "cpu_seconds"}; a page
is `acked` when its connection is accepted.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time

import aiohttp


class Tally:
    def __init__(self) -> None:
        self.sent = 0
        self.acked = 0
        self.errors = 0
        self.connects = 0


async def open_page(
    http: aiohttp.ClientSession, url: str, token: str, page: int, tally: Tally
) -> aiohttp.ClientWebSocketResponse | None:
    try:
        ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
        await ws.receive_str()
        title = f"bench {time.time() * 1000:.1f}"
        body = {"url": f"https://shop.example/p/{page % 50}", "title": title}
        await ws.send_str("40" + json.dumps({"token": token, "page": body}))
        tally.sent += 1
        connected = await ws.receive_str()
        if not connected.startswith("40{"):
            raise ConnectionError(connected)
        tally.connects += 1
        tally.acked += 1
        return ws
    except (TimeoutError, aiohttp.ClientError, ConnectionError, TypeError):
        tally.errors += 1
        return None


async def visitor(
    http: aiohttp.ClientSession, url: str, interval: float, until: float, tally: Tally
) -> None:
    async with http.post(f"{url}/api/visitors", json={}) as response:
        token = (await response.json())["token"]
    await asyncio.sleep(random.uniform(0, interval))
    ws = None
    page = 0
    while time.monotonic() < until:
        if ws is not None:
            await ws.close()
        ws = await open_page(http, url, token, page, tally)
        page += 1
        await asyncio.sleep(interval * random.uniform(0.8, 1.2))
    if ws is not None:
        await ws.close()


async def main(url: str, visitors: int, interval: float, seconds: float) -> None:
    tally = Tally()
    until = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(visitor(http, url, interval, until, tally) for _ in range(visitors)))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "sent": tally.sent,
                "acked": tally.acked,
                "errors": tally.errors,
                "connects": tally.connects,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])))
