"""The demo catalogue loads, and a malformed one is refused with a reason."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from covisor.media import CatalogueError, MediaPipeline, load_catalogue
from tests.media import samples

REPO_CATALOGUE = Path(__file__).resolve().parents[2] / "media" / "catalogue.json"


def write_catalogue(directory: Path, **entry: str) -> Path:
    item = {
        "id": "thing",
        "title": "Thing",
        "kind": "image",
        "file": "thing.png",
        "description": "A thing.",
        "price": "9.99",
    }
    item.update(entry)
    path = directory / "catalogue.json"
    path.write_text(json.dumps({"currency": "EUR", "items": [item]}))
    return path


def test_the_committed_demo_catalogue_loads() -> None:
    items = load_catalogue(REPO_CATALOGUE)
    assert 5 <= len(items) <= 7
    assert {item.kind for item in items} == {"image", "video"}
    assert all(item.file.is_file() and item.price > 0 for item in items)
    assert len({item.id for item in items}) == len(items)


async def test_demo_catalogue_media_goes_through_the_pipeline(pipeline: MediaPipeline) -> None:
    items = load_catalogue(REPO_CATALOGUE)
    video = next(item for item in items if item.kind == "video")
    record = await pipeline.ingest_file(video.file)
    assert (record.kind, record.width, record.height) == ("video", 640, 360)
    assert record.duration == pytest.approx(5.0, abs=0.1)


def test_a_valid_catalogue_gives_typed_items(tmp_path: Path) -> None:
    (tmp_path / "thing.png").write_bytes(samples.alpha_png())
    [item] = load_catalogue(write_catalogue(tmp_path))
    assert item.file == (tmp_path / "thing.png").resolve()
    assert (item.price, item.currency) == (Decimal("9.99"), "EUR")


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"file": "../secrets.png"}, "bare file name"),
        ({"file": "missing.png"}, "cannot read"),
        ({"kind": "video"}, "sniffs as image, but kind is video"),
        ({"id": "Bad Id"}, "bad or repeated id"),
        ({"price": "-1"}, "negative price"),
        ({"colour": "red"}, "unknown field"),
    ],
)
def test_a_bad_catalogue_is_refused(tmp_path: Path, entry: dict[str, str], reason: str) -> None:
    (tmp_path / "thing.png").write_bytes(samples.alpha_png())
    (tmp_path / "secrets.png").write_bytes(samples.alpha_png())
    sub = tmp_path / "catalogue"
    sub.mkdir()
    shutil.copy(tmp_path / "thing.png", sub / "thing.png")
    with pytest.raises(CatalogueError, match=reason):
        load_catalogue(write_catalogue(sub, **entry))


def test_a_file_that_is_not_media_is_refused(tmp_path: Path) -> None:
    (tmp_path / "thing.png").write_bytes(samples.SVG_WITH_SCRIPT)
    with pytest.raises(CatalogueError, match="not accepted"):
        load_catalogue(write_catalogue(tmp_path))
