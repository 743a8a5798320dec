"""The feed catalogue at a big shop's size: import, re-import and search of 50,000 products.

    python bench/catalogue.py [--products 50000] [--variants 5] [--pictures 2000] [--queries 400]

Generates a Google product feed (RSS 2.0) of `--products` items in groups of `--variants`
(colour × size), whose `--pictures` distinct JPEGs (400×400, drawn here) are served by an
aiohttp server on loopback, then runs the importer on real parts (SQLite store, the media
pipeline on a worker pool of `os.cpu_count()` processes, the outbound client) in this process:

- first import: feed parsing, product rows and search index, pictures fetched and processed;
- re-import of the unchanged feed (nothing to write, nothing to fetch);
- search: `--queries` searches-as-you-type of one to three words from the feed's vocabulary
  (prefixes included), p50 / p95 / max, server-side (`ProductCatalogue.search`).

Baselines, measured in the same invocation: the parser alone over the same feed (the floor of
any import), and the media pipeline alone over the same pictures read from disk (the floor of
the pictures' work). Memory: the process's peak RSS after each phase (`ru_maxrss`).
Numbers go in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import resource
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xml.sax.saxutils import escape

from aiohttp import web
from PIL import Image

from covisor.catalogue.feed import read_feed
from covisor.catalogue.fetching import Fetcher, FetchOptions
from covisor.catalogue.importer import CatalogueImports, ImportOptions
from covisor.catalogue.pictures import Pictures
from covisor.catalogue.service import ProductCatalogue
from covisor.kernel.clock import system_clock, system_tokens
from covisor.media import BlobStore, BoundedExecutor, ImageOptions, MediaOptions, MediaPipeline
from covisor.media.blobs import UploadLimits
from covisor.outbox.outbound import OutboundHttp
from covisor.store.sql import SQLiteStore

WORDS = ["zapatilla", "camiseta", "chaqueta", "mochila", "pantalón", "gorra", "bota", "forro"]
COLOURS = ["roja", "azul", "verde", "negra", "blanca", "amarilla", "gris", "naranja"]
SIZES = ["S", "M", "L", "XL", "38", "40", "42", "44"]
BRANDS = ["Cumbrera", "Ribera", "Alcor", "Pico", "Senda"]


def draw(n: int) -> bytes:
    rng = random.Random(n)
    image = Image.new("RGB", (400, 400), (rng.randrange(256), rng.randrange(256), n % 256))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def write_feed(path: Path, base: str, products: int, variants: int, pictures: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" ')
        out.write('xmlns:g="http://base.google.com/ns/1.0"><channel><title>Bench</title>\n')
        for n in range(products):
            group = n // variants
            word = WORDS[group % len(WORDS)]
            colour = COLOURS[(n // 2) % len(COLOURS)]
            size = SIZES[n % len(SIZES)]
            title = f"{word.capitalize()} {BRANDS[group % len(BRANDS)]} {group} {colour} {size}"
            fields = {
                "id": f"SKU-{n:06d}",
                "item_group_id": f"G{group:05d}",
                "title": title,
                "description": f"{title}: un producto de prueba.",
                "link": f"{base}/p/{group}",
                "image_link": f"{base}/img/{(n // 2) % pictures}.jpg",
                "price": f"{10 + group % 90},{n % 100:02d} EUR",
                "availability": "in_stock" if n % 7 else "out_of_stock",
                "brand": BRANDS[group % len(BRANDS)],
                "gtin": f"{8400000000000 + n:013d}",
                "color": colour,
                "size": size,
                "product_type": f"Montaña > {word}",
            }
            body = "".join(f"<g:{k}>{escape(v)}</g:{k}>" for k, v in fields.items())
            out.write(f"<item>{body}</item>\n")
        out.write("</channel></rss>\n")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(args: argparse.Namespace) -> None:
    pictures = {f"/img/{n}.jpg": draw(n) for n in range(args.pictures)}

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=pictures[request.path], content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/img/{name}", image)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(workers) as pool:
        root = Path(tmp)
        feed = root / "feed.xml"
        write_feed(feed, base, args.products, args.variants, args.pictures)
        print(
            f"feed: {args.products} items, {feed.stat().st_size / 1e6:.1f} MB, "
            f"{args.pictures} pictures; {workers} media workers; peak {peak_mb():.0f} MB"
        )

        started = time.perf_counter()
        parsed = sum(len(batch) for batch in read_feed(feed, max_bytes=10**10))
        parse_s = time.perf_counter() - started
        print(f"baseline parse only: {parsed} items in {parse_s:.2f} s; peak {peak_mb():.0f} MB")

        options = MediaOptions(UploadLimits(20_000_000, 1), ImageOptions(max_pixels=50_000_000))
        floor_blobs = BlobStore(root / "floor")
        await floor_blobs.open()
        floor = MediaPipeline(floor_blobs, BoundedExecutor(pool, workers), options)
        files = []
        for name, body in pictures.items():
            path = root / name.rsplit("/", 1)[-1]
            path.write_bytes(body)
            files.append(path)
        started = time.perf_counter()
        await asyncio.gather(*(floor.ingest_file(path) for path in files))
        floor_s = time.perf_counter() - started
        print(f"baseline pipeline only: {len(files)} pictures in {floor_s:.2f} s")

        store = SQLiteStore(root / "covisor.sqlite3")
        await store.open()
        blobs = BlobStore(root / "media")
        await blobs.open()
        pipeline = MediaPipeline(blobs, BoundedExecutor(pool, workers), options)
        http = OutboundHttp(allow_insecure=True, connections=16)
        imports = CatalogueImports(
            store,
            Pictures(
                store,
                pipeline,
                Fetcher(http, FetchOptions(True, 30.0, 20_000_000)),
                clock=system_clock,
                concurrency=8,
            ),
            Fetcher(http, FetchOptions(True, 60.0, 10**10)),
            root / "imports",
            ImportOptions(feed_limit=10**10),
            clock=system_clock,
            tokens=system_tokens,
        )
        await imports.open()
        for label in ("first import", "re-import, unchanged"):
            data = feed.read_bytes()

            async def chunks(data: bytes = data) -> object:
                yield data

            started = time.perf_counter()
            record = await imports.from_file(chunks())  # type: ignore[arg-type]
            await imports.idle()
            took = time.perf_counter() - started
            done = await imports.status(record.id)
            print(
                f"{label}: {took:.1f} s ({took / parse_s:.1f}x parse only); "
                f"added {done.added}, updated {done.updated}, unchanged {done.unchanged}, "
                f"failed {done.failed}; peak {peak_mb():.0f} MB"
            )

        catalogue = ProductCatalogue(store, pipeline)
        rng = random.Random(7)
        timings = []
        for _ in range(args.queries):
            words = [rng.choice(WORDS), rng.choice(COLOURS), rng.choice(SIZES)]
            text = " ".join(words[: rng.randint(1, 3)])
            text = text[: rng.randint(max(2, len(text) // 2), len(text))]
            started = time.perf_counter()
            await catalogue.search(text, in_stock=rng.random() < 0.3)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"search over {args.products} products: p50 {statistics.median(timings):.1f} ms, "
            f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms ({args.queries} queries, idle server)"
        )
        await imports.close()
        await http.close()
        await blobs.close()
        await floor_blobs.close()
        await store.close()
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--variants", type=int, default=5)
    parser.add_argument("--pictures", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=400)
    asyncio.run(main(parser.parse_args()))
