"""Translation benchmark: what the shop's engine costs, and that chat does not wait for it.

1. Engine latency: `--messages` Spanish chat messages of about 200 characters, each different,
   translated into English through a real Apertium APy (Debian's `apertium-apy` with
   `apertium-eng-spa`, started here on a free port, or `--apertium URL`) by Covisor's own adapter
   (covisor/translation/apertium.py), one at a time and then `--concurrency` at once: p50/p95
   per message and messages per second.
2. Chat latency with translation on and off, in the same invocation: a `covisor serve` each way
   (SQLite, no demo), `--conversations` Spanish shoppers each writing `--rate` messages a second
   to one English agent for `--seconds`; the time from a shopper's `chat.send` to the agent's
   socket receiving the message (p50/p95/p99), and, with translation on, to it receiving the
   `chat.translated`. Off and on alternate `--rounds` times so both see the same machine. The
   APy started here runs at `--engine-nice` (10): on a small machine it shares the cores with
   the server and the clients, where a shop runs it on a host of its own.

Usage: python bench/translation.py [--messages 100] [--concurrency 4] [--conversations 20]
                                   [--rate 1] [--seconds 15] [--rounds 2] [--apertium URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from relay_clients import percentile
from relay_servers import BenchError, Processes, _wait_healthy, free_port, installed_covisor_command

from covisor.translation.apertium import Apertium

SENTENCES = [
    "Hola, compré unas zapatillas rojas la semana pasada y me quedan pequeñas.",
    "Quiero devolverlas o cambiarlas por una talla más grande si es posible.",
    "La caja llegó dañada y una de las suelas tiene una mancha en el lateral.",
    "¿Puedo pagar la diferencia si elijo otro modelo un poco más caro?",
    "Necesito saber cuánto tarda el envío a Valencia y si tiene coste.",
    "El abrigo azul es impermeable o solo resiste la lluvia ligera?",
    "Me gustaría recibir el pedido antes del viernes porque salgo de viaje.",
    "Gracias por la ayuda, la foto que me enseñaste aclara muy bien el problema.",
]


def message(number: int) -> str:
    """A Spanish message of about 200 characters, different for every `number`."""
    pick = random.Random(number)
    text = f"Pedido {number}: "
    while len(text) < 190:
        text += pick.choice(SENTENCES) + " "
    return text.strip()


async def start_apertium(processes: Processes, log: Path, nice: int) -> str:
    binary = shutil.which("apertium-apy")
    if binary is None:
        raise BenchError("apt-get install apertium-apy apertium-eng-spa: apertium-apy is missing")
    port = free_port()
    with log.open("wb") as sink:
        await processes.start(
            "nice", "-n", str(nice), binary, "-p", str(port), "/usr/share/apertium/modes",
            stderr=sink,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"{url}/listPairs") as answer:
                    if "spa" in await answer.text():
                        return url
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise BenchError("apertium-apy did not start")


async def engine_latency(url: str, count: int, concurrency: int) -> dict[str, float]:
    engine = Apertium(url, concurrency)
    try:
        await engine.translate(message(-1), ("es", "en"))  # its pipes start on first use
        alone = []
        for number in range(count):
            started = time.perf_counter()
            await engine.translate(message(number), ("es", "en"))
            alone.append((time.perf_counter() - started) * 1000)
        gate = asyncio.Semaphore(concurrency)
        together: list[float] = []

        async def one(number: int) -> None:
            async with gate:
                started = time.perf_counter()
                await engine.translate(message(count + number), ("es", "en"))
                together.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        elapsed = time.perf_counter() - started
    finally:
        await engine.close()
    return {
        "p50": percentile(alone, 0.5),
        "p95": percentile(alone, 0.95),
        "together_p50": percentile(together, 0.5),
        "together_p95": percentile(together, 0.95),
        "per_second": count / elapsed,
    }


async def serve(processes: Processes, workdir: Path, translate: str | None) -> tuple[str, str, Any]:
    """A fresh `covisor serve`; its URL, an English agent's token, and the process."""
    data = Path(tempfile.mkdtemp(dir=workdir))
    port = free_port()
    env = {**os.environ, "COVISOR_SEED_DEMO": "0", "COVISOR_PORT": str(port)}
    env["COVISOR_DATA_DIR"] = str(data)
    if translate:
        env["COVISOR_TRANSLATE_URL"] = translate
    command = installed_covisor_command()
    log = (data / "serve.log").open("wb")
    process = await processes.start(*command, "serve", stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    await _wait_healthy(url, process, data / "serve.log")
    added = await asyncio.create_subprocess_exec(
        *command, "agents", "add", "Ann", "--data-dir", str(data),
        stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, _ = await added.communicate()
    token = out.decode().strip().splitlines()[-1]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        await http.put(f"{url}/api/me/language", json={"language": "en"})
    return url, token, process


async def chat_round(
    url: str, token: str, conversations: int, rate: float, seconds: float
) -> dict[str, list[float]]:
    sent: dict[str, float] = {}
    by_seq: dict[tuple[str, int], str] = {}
    arrived: list[float] = []
    translated: list[float] = []
    agent = socketio.AsyncClient(reconnection=False)
    received_at: dict[tuple[str, int], float] = {}

    async def on_event(event: dict[str, Any]) -> None:
        now = time.perf_counter()
        key = (event["conversation_id"], event["data"].get("seq", event["seq"]))
        if event["type"] == "chat.message":
            text = event["data"]["text"]
            if text in sent:
                arrived.append((now - sent[text]) * 1000)
                by_seq[(event["conversation_id"], event["seq"])] = text
        elif event["type"] == "chat.translated" and key in by_seq:
            translated.append((now - sent[by_seq[key]]) * 1000)
        received_at[key] = now

    agent.on("event", on_event)
    await agent.connect(url, auth={"token": token}, transports=["websocket"])
    shoppers = []
    async with aiohttp.ClientSession() as http:
        for _ in range(conversations):
            async with http.post(f"{url}/api/conversations", json={"locale": "es"}) as answer:
                opened = await answer.json()
            async with http.post(
                f"{url}/api/conversations/{opened['id']}/accept",
                headers={"Authorization": f"Bearer {token}"},
                json={"override": True},
            ) as answer:
                assert answer.status == 200, await answer.text()
            await agent.call("join", {"conversation_id": opened["id"]})
            shopper = socketio.AsyncClient(reconnection=False)
            await shopper.connect(url, auth={"token": opened["token"]}, transports=["websocket"])
            await shopper.call("join", {"conversation_id": opened["id"]})
            shoppers.append((opened["id"], shopper))
    counter = iter(range(10**9))

    async def write(cid: str, shopper: socketio.AsyncClient) -> None:
        end = time.perf_counter() + seconds
        await asyncio.sleep(random.random() / rate)
        while time.perf_counter() < end:
            text = message(next(counter))
            sent[text] = time.perf_counter()
            await shopper.emit("chat.send", {"conversation_id": cid, "text": text})
            await asyncio.sleep(1 / rate)

    await asyncio.gather(*(write(cid, shopper) for cid, shopper in shoppers))
    await asyncio.sleep(3)  # the last translations
    for _, shopper in shoppers:
        await shopper.disconnect()
    await agent.disconnect()
    return {"message": arrived, "translation": translated, "sent": [float(len(sent))]}


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name} | 0 | – | – | – |"
    return (
        f"| {name} | {len(values)} | {percentile(values, 0.5):.1f} | "
        f"{percentile(values, 0.95):.1f} | {percentile(values, 0.99):.1f} |"
    )


async def main(args: argparse.Namespace) -> None:
    processes = Processes()
    workdir = Path(tempfile.mkdtemp(prefix="covisor-bench-translation-"))
    try:
        log = workdir / "apy.log"
        url = args.apertium or await start_apertium(processes, log, args.engine_nice)
        print(f"# Translation bench — {time.strftime('%Y-%m-%d')} — {platform.node()}, "
              f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")  # fmt: skip
        figures = await engine_latency(url, args.messages, args.concurrency)
        print(f"\nApertium APy, es→en, {args.messages} messages of ~200 characters:")
        print(f"- one at a time: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms")
        print(
            f"- {args.concurrency} at once: p50 {figures['together_p50']:.1f} ms, "
            f"p95 {figures['together_p95']:.1f} ms, {figures['per_second']:.1f} messages/s"
        )
        totals: dict[str, dict[str, list[float]]] = {"off": {}, "on": {}}
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                server_url, token, process = await serve(
                    processes, workdir, url if mode == "on" else None
                )
                found = await chat_round(
                    server_url, token, args.conversations, args.rate, args.seconds
                )
                await processes.stop(process)
                for key, values in found.items():
                    totals[mode].setdefault(key, []).extend(values)
        print(
            f"\nChat, {args.conversations} Spanish shoppers × {args.rate} message/s to one "
            f"English agent, {args.seconds} s × {args.rounds} rounds (ms, shopper's send → "
            "agent's socket):\n"
        )
        print("| what | count | p50 | p95 | p99 |\n|---|---:|---:|---:|---:|")
        print(row("message, translation off", totals["off"]["message"]))
        print(row("message, translation on", totals["on"]["message"]))
        print(row("its translation (on)", totals["on"]["translation"]))
        off = percentile(totals["off"]["message"], 0.5)
        on = percentile(totals["on"]["message"], 0.5)
        print(f"\nmessage p50, on / off = {on / off:.2f}x")
    finally:
        await processes.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--apertium", help="an APy already running (else one is started)")
    parser.add_argument(
        "--engine-nice",
        type=int,
        default=10,
        help="niceness of the APy started here: on a 2-core machine it shares the CPUs with the "
        "server and the clients, where a shop runs it on a host of its own",
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
