"""How fast Covisor turns a 12 MP phone photo into its served variants, next to two baselines.

    python bench/media.py [--photos 4] [--repeat 2]

Generates camera-like 12 MP JPEGs (gradients, shapes, sensor noise; quality 90; a few MB each,
half of them with EXIF orientation 6 like a portrait phone photo), then runs three pipelines on
them, each single-core in a fresh process pinned to one CPU:

- covisor: `covisor.media.process_image` (reduced-scale decode, 4 variants, blur score);
- naive:   the obvious Pillow code producing the same 4 variants and blur score: full decode,
           `ImageOps.exif_transpose`, LANCZOS resizes from full size, Pillow's default WebP
           effort, Laplacian on the full-size grayscale;
- floor:   decoding the JPEG at 1/2 scale with `Image.draft` and nothing else: the least work
           any pipeline must do to show the photo at display size.

Then photos/s with every core (a process pool), peak RSS per process, the WebP effort
trade-off behind `Encoding.webp_method`, and the calibration behind `BLUR_THRESHOLD`; and,
through a real server, the time from a photo's last byte to the agent's `media.ready` for its
first picture next to the decode floor (bench/first_visible.py), printed as
`first visible: covisor / floor = N.Nx`. `--only-first-visible` runs that part alone.
Numbers go in docs/BENCHMARKS.md. The machine is shared: keep the counts small.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import first_visible
import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageFilter, ImageOps

from covisor.config import Config
from covisor.media import ImageOptions, process_image
from covisor.media.sharpness import BLUR_THRESHOLD, SCORE_SIDE, sharpness
from covisor.media.sniff import JPEG
from covisor.media.variants import Encoding, fit

PHOTO_SIZE = (4000, 3000)
DISPLAY, THUMB = 2048, 320
ENCODING = Encoding()
PILLOW_DEFAULT_WEBP_METHOD = 4
SAME_EFFORT = "naive, covisor's WebP effort"


def camera_photo(seed: int, size: tuple[int, int] = PHOTO_SIZE, noise: float = 9.0) -> Image.Image:
    """A camera-like scene: smooth lighting gradients, hard-edged objects, sensor noise."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    scale = width / 4000
    base = np.stack(
        [
            120 + 80 * np.sin(x / (700 * scale) + seed) + 40 * np.cos(y / (500 * scale)),
            100 + 60 * np.cos(x / (900 * scale) + y / (1200 * scale)),
            90 + 70 * np.sin(y / (800 * scale) + seed / 2),
        ],
        axis=-1,
    )
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(50, 600) * scale)
        draw.ellipse(
            [x0, y0, x0 + r, y0 + r * 0.7], fill=tuple(int(c) for c in rng.integers(0, 255, 3))
        )
        draw.rectangle(
            [y0 % width, x0 % height, y0 % width + r, x0 % height + r // 2],
            outline=tuple(int(c) for c in rng.integers(0, 255, 3)),
            width=max(1, int(8 * scale)),
        )
    pixels = np.asarray(image, np.float32)
    pixels += rng.standard_normal(pixels.shape, dtype=np.float32) * noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def write_photos(directory: Path, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = "BenchCam"
        exif[ExifTags.Base.Orientation] = 6 if index % 2 else 1
        path = directory / f"photo-{index}.jpg"
        camera_photo(index).save(path, "JPEG", quality=90, exif=exif)
        paths.append(path)
    return paths


def fitted_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def covisor_pipeline(path: Path, out: Path) -> None:
    process_image(path, out, JPEG, ImageOptions(max_pixels=Config().max_image_pixels))


def naive_pipeline(path: Path, out: Path, webp_method: int = PILLOW_DEFAULT_WEBP_METHOD) -> None:
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    for name, side in (("display", DISPLAY), ("thumb", THUMB)):
        variant = upright.resize(fitted_size(upright.size, side), Image.Resampling.LANCZOS)
        variant.save(
            out / f"{name}.webp", "WEBP", quality=ENCODING.webp_quality, method=webp_method
        )
        variant.save(out / f"{name}.jpg", "JPEG", quality=ENCODING.jpeg_quality)
    cv2.Laplacian(np.asarray(upright.convert("L")), cv2.CV_32F).var()


def naive_same_effort_pipeline(path: Path, out: Path) -> None:
    naive_pipeline(path, out, ENCODING.webp_method)


def floor_pipeline(path: Path, out: Path) -> None:
    with Image.open(path) as image:
        image.draft("RGB", (image.width // 2, image.height // 2))
        image.load()


@dataclass
class SingleCore:
    """One pipeline's single-core figures."""

    times: list[float]
    idle_mb: float
    peak_mb: float = 0.0


PIPELINES: dict[str, Callable[[Path, Path], None]] = {
    "covisor": covisor_pipeline,
    "naive": naive_pipeline,
    SAME_EFFORT: naive_same_effort_pipeline,
    "floor": floor_pipeline,
}


def _pin_to_one_core() -> None:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    cv2.setNumThreads(1)


def _pool_worker() -> None:
    cv2.setNumThreads(1)


def _memory_mb(field: str) -> float:
    """`VmRSS` (now) or `VmHWM` (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def warm_up(name: str, photo: Path) -> float:
    """Run pipeline `name` once, then start measuring memory; returns RSS now, in MB."""
    PIPELINES[name](photo, _scratch(photo))
    Path("/proc/self/clear_refs").write_text("5")  # restart the peak (VmHWM) from here
    return _memory_mb("VmRSS")


def timed_round(name: str, paths: list[Path]) -> list[float]:
    """Milliseconds per photo for one pass of pipeline `name` over `paths`."""
    pipeline, out = PIPELINES[name], _scratch(paths[0])
    times = []
    for path in paths:
        started = time.perf_counter()
        pipeline(path, out)
        times.append((time.perf_counter() - started) * 1000)
    return times


def peak_memory() -> float:
    """Peak RSS since `warm_up`, in MB."""
    return _memory_mb("VmHWM")


def _scratch(photo: Path) -> Path:
    out = photo.parent / f"out-{os.getpid()}"  # one output directory per worker process
    out.mkdir(exist_ok=True)
    return out


# Native calls of the covisor pipeline as cProfile names them, by what they do.
_RESAMPLING = "resampling (thumb, score image)"
_CONVERSION = "colour / grayscale conversion, copies"
_JPEG_ENCODE = "JPEG encode (display + thumb)"
STAGES = {
    "<method 'decode' of 'ImagingDecoder' objects>": "JPEG decode at 1/2 scale",
    "<built-in method PIL._webp.WebPEncode>": "WebP encode (display + thumb)",
    "<method 'encode_to_file' of 'ImagingEncoder' objects>": _JPEG_ENCODE,
    "<method 'encode' of 'ImagingEncoder' objects>": _JPEG_ENCODE,
    "<method 'transpose' of 'ImagingCore' objects>": "EXIF orientation (transpose)",
    "<method 'resize' of 'ImagingCore' objects>": _RESAMPLING,
    "<method 'reduce' of 'ImagingCore' objects>": _RESAMPLING,
    "<resize>": _RESAMPLING,
    "<method 'convert' of 'ImagingCore' objects>": _CONVERSION,
    "<built-in method numpy.asarray>": _CONVERSION,
    "<cvtColor>": _CONVERSION,
    "<Laplacian>": "Laplacian",
}


def stage_profile(name: str, paths: list[Path], passes: int) -> dict[str, float]:
    """Milliseconds per photo in each native stage; the rest is Python and file I/O.

    Profiles `passes` passes and keeps the fastest, the one least disturbed by other load, so
    the stages add up to that pass's total.
    """
    pipeline, out = PIPELINES[name], _scratch(paths[0])
    fastest: dict[str, float] = {}
    for _ in range(passes):
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for path in paths:
            pipeline(path, out)
        profiler.disable()
        total = (time.perf_counter() - started) * 1000 / len(paths)
        if fastest and total >= sum(fastest.values()):
            continue
        stages: dict[str, float] = {}
        stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        for (_, _, function), (_, _, own_seconds, _, _) in stats.items():
            stage = STAGES.get(function)
            if stage is not None:
                stages[stage] = stages.get(stage, 0.0) + own_seconds * 1000 / len(paths)
        stages["everything else (Python, file I/O)"] = total - sum(stages.values())
        fastest = stages
    return fastest


def run_in_pool(name: str, path: Path) -> None:
    PIPELINES[name](path, _scratch(path))


def measure_all_cores(paths: list[Path], repeat: int, workers: int) -> dict[str, float]:
    """Photos/s of each pipeline on a pool of `workers` processes: the best of `repeat` rounds.

    Rounds are interleaved between the pipelines, as for the single-core figures.
    """
    context = multiprocessing.get_context("spawn")
    pools = {
        name: ProcessPoolExecutor(workers, mp_context=context, initializer=_pool_worker)
        for name in PIPELINES
    }
    best = dict.fromkeys(PIPELINES, 0.0)
    jobs = paths * 2
    try:
        for name, pool in pools.items():
            list(pool.map(run_in_pool, [name] * workers, paths[:1] * workers))  # warm each
        for _ in range(repeat):
            for name, pool in pools.items():
                started = time.perf_counter()
                list(pool.map(run_in_pool, [name] * len(jobs), jobs))
                best[name] = max(best[name], len(jobs) / (time.perf_counter() - started))
    finally:
        for pool in pools.values():
            pool.shutdown()
    return best


def webp_effort_table(photo: Path) -> list[tuple[int, float, int]]:
    """(method, best ms, bytes) for encoding the display variant at each WebP effort level."""
    with Image.open(photo) as image:
        image.draft("RGB", (image.width // 2, image.height // 2))
        display = image.convert("RGB")
    rows = []
    for method in (0, 1, 2, 4, 6):
        best = float("inf")
        for _ in range(3):
            buffer = io.BytesIO()
            started = time.perf_counter()
            display.save(buffer, "WEBP", quality=ENCODING.webp_quality, method=method)
            best = min(best, (time.perf_counter() - started) * 1000)
        rows.append((method, best, len(buffer.getvalue())))
    return rows


def blur_calibration() -> list[tuple[str, list[tuple[float, float]]]]:
    """Sharpness of sharp and Gaussian-blurred scenes: (min, max) per blur level and set."""
    scenes = {
        "camera-like, low noise": [camera_photo(s, (2000, 1500), noise=2) for s in range(3)],
        "camera-like, high noise": [camera_photo(s, (2000, 1500), noise=9) for s in range(3)],
        "demo catalogue (flat art)": [
            Image.open(p).convert("RGB")
            for p in sorted((Path(__file__).parents[1] / "media").glob("*.jpg"))
        ],
    }
    table = []
    for name, images in scenes.items():
        row = []
        for sigma in CALIBRATION_SIGMAS:
            scores = []
            for image in images:
                radius = sigma * max(image.size) / SCORE_SIDE
                blurred = image.filter(ImageFilter.GaussianBlur(radius)) if sigma else image
                scores.append(sharpness(fit(blurred, DISPLAY)))
            row.append((min(scores), max(scores)))
        table.append((name, row))
    return table


CALIBRATION_SIGMAS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)


def measure_single_core(
    paths: list[Path], repeat: int
) -> tuple[dict[str, SingleCore], dict[str, float]]:
    """Each pipeline in its own process pinned to one core; rounds interleaved between them.

    Interleaving spreads whatever else the shared machine is doing evenly over the pipelines.
    Returns the figures by pipeline and the covisor stage profile.
    """
    context = multiprocessing.get_context("spawn")
    pools = {
        name: ProcessPoolExecutor(1, mp_context=context, initializer=_pin_to_one_core)
        for name in PIPELINES
    }
    try:
        single = {
            name: SingleCore([], pool.submit(warm_up, name, paths[0]).result())
            for name, pool in pools.items()
        }
        for _ in range(repeat):
            for name, pool in pools.items():
                single[name].times += pool.submit(timed_round, name, paths).result()
        for name, pool in pools.items():
            single[name].peak_mb = pool.submit(peak_memory).result()
        stages = pools["covisor"].submit(stage_profile, "covisor", paths, repeat).result()
    finally:
        for pool in pools.values():
            pool.shutdown()
    return single, stages


def print_pipelines(
    single: dict[str, SingleCore], throughput: dict[str, float], stages: dict[str, float]
) -> None:
    median = {name: statistics.median(result.times) for name, result in single.items()}
    print()
    print(
        "| pipeline | ms/photo, 1 core: median | min "
        "| photos/s, all cores (best round) | peak RSS MB (+idle) |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, result in single.items():
        print(
            f"| {name} | {median[name]:.0f} | {min(result.times):.0f} | {throughput[name]:.1f} | "
            f"{result.peak_mb:.0f} (+{result.peak_mb - result.idle_mb:.0f}) |"
        )
    best = {name: min(result.times) for name, result in single.items()}
    for label, figures in (("median", median), ("min", best)):
        print()
        print(
            f"{label}: naive / covisor = {figures['naive'] / figures['covisor']:.1f}x; "
            f"naive at covisor's WebP effort / covisor = "
            f"{figures[SAME_EFFORT] / figures['covisor']:.1f}x; "
            f"covisor / floor = {figures['covisor'] / figures['floor']:.1f}x"
        )
    print()
    print(
        f"Where covisor's time goes (one core, cProfile, fastest pass: "
        f"{sum(stages.values()):.0f} ms per photo):"
    )
    print("| stage | ms |")
    print("|---|---:|")
    for stage, ms in sorted(stages.items(), key=lambda item: -item[1]):
        print(f"| {stage} | {ms:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--uploads", type=int, default=6, help="photos through the server")
    parser.add_argument("--only-first-visible", action="store_true")
    args = parser.parse_args()
    workers = len(os.sched_getaffinity(0))

    with tempfile.TemporaryDirectory() as scratch:
        uploads = write_photos(Path(scratch), args.uploads + 1)
        data_dir = Path(scratch) / "server"
        data_dir.mkdir()
        first_visible.report(first_visible.measure(uploads, data_dir))
        if args.only_first_visible:
            return
        print()
        paths = uploads[: args.photos]
        sizes = [p.stat().st_size / 1e6 for p in paths]
        print(
            f"{len(paths)} photos {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG q90, "
            f"{min(sizes):.1f}-{max(sizes):.1f} MB each; {args.repeat} rounds; {workers} cores"
        )

        single, stages = measure_single_core(paths, args.repeat)
        throughput = measure_all_cores(paths, args.repeat, workers)
        print_pipelines(single, throughput, stages)

        print()
        print(
            "WebP effort for the 2000x1500 display variant (quality "
            f"{ENCODING.webp_quality}; default method {ENCODING.webp_method}):"
        )
        print("| method | ms | KB |")
        print("|---:|---:|---:|")
        for method, ms, size in webp_effort_table(paths[0]):
            print(f"| {method} | {ms:.0f} | {size / 1024:.0f} |")

    print()
    print(
        f"Blur calibration: sharpness (min-max) by Gaussian blur sigma in px at {SCORE_SIDE} px "
        f"long side; threshold {BLUR_THRESHOLD:g}"
    )
    print("| scenes | " + " | ".join(f"sigma {s:g}" for s in CALIBRATION_SIGMAS) + " |")
    print("|---|" + "---:|" * len(CALIBRATION_SIGMAS))
    for name, row in blur_calibration():
        print(f"| {name} | " + " | ".join(f"{lo:.1f}-{hi:.1f}" for lo, hi in row) + " |")


if __name__ == "__main__":
    main()
