"""Photos are made smaller in the shopper's browser before they are uploaded (issue 11, item 9).

A real 12 MP camera JPEG, turned by EXIF orientation 6 and carrying GPS, is chosen in the
widget on a phone; what reached the server is read back through the agent's signed `original`
URL (a stored original is exactly the bytes received: its media id is their SHA-256): at most
2560 px on its long side, upright, without EXIF. With "Original" ticked, the very bytes of the
file arrive. A HEIC, which Chromium cannot decode, goes as it is.
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import numpy as np
import pytest
from PIL import ExifTags, Image
from playwright.sync_api import expect

from tests.e2e.conftest import Contexts, CovisorServer, Snap
from tests.e2e.sides import DESKTOP, AgentConsole, ShopperWidget, Side
from tests.media.samples import GPS, heic

pytestmark = pytest.mark.browser

Pair = tuple["TokenAgent", ShopperWidget]

RED = (220, 20, 20)
BLUE = (20, 20, 220)


class TokenAgent(AgentConsole):
    """The console, and the agent's token for reading what the server stored."""

    def __init__(self, page: Any, origin: str, name: str, token: str) -> None:
        super().__init__(page, origin, name)
        self.token = token

    def media_item(self, conversation_id: str, media_id: str) -> dict[str, Any]:
        answer = self.page.request.get(
            f"{self.origin}/api/conversations/{conversation_id}/media/{media_id}",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert answer.ok, answer.text()
        item: dict[str, Any] = answer.json()
        return item

    def original_bytes(self, conversation_id: str, media_id: str) -> bytes:
        """The stored original, through the signed URL agents get in their items."""
        item = self.media_item(conversation_id, media_id)
        answer = self.page.request.get(urljoin(self.origin, item["variants"]["original"]["url"]))
        assert answer.ok, answer.status
        return answer.body()


@pytest.fixture
def agent(
    server: CovisorServer, contexts: Contexts, sides: list[tuple[str, Side]], snap: Snap
) -> TokenAgent:
    token = server.add_agent("Alex")
    console = TokenAgent(contexts.new("agent", DESKTOP).new_page(), server.url, "Alex", token)
    console.log_in(token)
    sides.append(("agent", console))
    return console


def phone_photo(size: tuple[int, int] = (4000, 3000)) -> bytes:
    """A 12 MP camera JPEG as stored by a phone held upright: the sensor's pixels are landscape
    (red top half, blue bottom half, with grain so it weighs what a photo does), EXIF orientation
    6 turns it a quarter clockwise, and it carries GPS."""
    width, height = size
    rng = np.random.default_rng(11)
    pixels = rng.integers(-24, 25, (height, width, 3), dtype=np.int16)
    pixels[: height // 2] += np.array(RED, np.int16)
    pixels[height // 2 :] += np.array(BLUE, np.int16)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(
        out, "JPEG", quality=92, exif=exif
    )
    return out.getvalue()


def upload_and_wait(agent: TokenAgent, shopper: ShopperWidget, path: Path) -> str:
    """Choose `path` in the widget; the media id of the upload once the agent sees it ready."""
    shopper.by("upload-input").set_input_files(path)
    card = agent.by("uploads-list").get_by_test_id("upload-card")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-status", "ready", timeout=60_000)
    media_id = card.get_attribute("data-media-id")
    assert media_id
    return media_id


def mean_colour(image: Image.Image, box: tuple[float, float, float, float]) -> tuple[int, ...]:
    w, h = image.size
    crop = image.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    return tuple(int(c) for c in np.asarray(crop.convert("RGB")).reshape(-1, 3).mean(axis=0))


def near(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return max(abs(a - b) for a, b in zip(colour, expected, strict=True)) < 30


def test_a_12_mp_photo_arrives_downscaled_upright_and_without_metadata(
    accepted: Pair, tmp_path: Path, snap: Snap
) -> None:
    agent, shopper = accepted
    photo = tmp_path / "IMG_0042.JPG"
    photo.write_bytes(phone_photo())
    assert photo.stat().st_size > 3_000_000
    expect(shopper.by("upload-original")).not_to_be_checked()

    media_id = upload_and_wait(agent, shopper, photo)

    received = agent.original_bytes(shopper.conversation_id(), media_id)
    assert hashlib.sha256(received).hexdigest() == media_id
    assert len(received) < photo.stat().st_size / 3, len(received)
    with Image.open(io.BytesIO(received)) as image:
        assert image.format == "JPEG"
        assert image.size == (1920, 2560), "upright and 2560 px on the long side"
        assert len(image.getexif()) == 0, dict(image.getexif())
        assert "exif" not in image.info and "comment" not in image.info
        # Held upright, the sensor's top (red) is on the right, its bottom (blue) on the left.
        assert near(mean_colour(image, (0.6, 0.1, 0.9, 0.9)), RED)
        assert near(mean_colour(image, (0.1, 0.1, 0.4, 0.9)), BLUE)
    snap("downscaled")


def test_original_ticked_sends_the_very_bytes_of_the_file(
    accepted: Pair, tmp_path: Path, snap: Snap
) -> None:
    agent, shopper = accepted
    photo = tmp_path / "IMG_0043.JPG"
    photo.write_bytes(phone_photo())
    toggle = shopper.by("upload-original-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_contain_text("Original")
    expect(shopper.by("upload-original")).to_have_accessible_name(
        "Original Send photos at full size (slower). Otherwise they are made smaller before "
        "they go."
    )
    shopper.press(toggle)
    expect(shopper.by("upload-original")).to_be_checked()
    snap("original-ticked")

    media_id = upload_and_wait(agent, shopper, photo)

    assert media_id == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert agent.original_bytes(shopper.conversation_id(), media_id) == photo.read_bytes()


def test_a_heic_chromium_cannot_decode_goes_as_it_is(accepted: Pair, tmp_path: Path) -> None:
    agent, shopper = accepted
    photo = tmp_path / "IMG_0044.HEIC"
    photo.write_bytes(heic((3200, 2400)))

    media_id = upload_and_wait(agent, shopper, photo)

    assert media_id == hashlib.sha256(photo.read_bytes()).hexdigest()
    item = agent.media_item(shopper.conversation_id(), media_id)
    assert item["status"] == "ready"


_PREPARE_WITHOUT_BITMAP_OPTIONS_JS = """
async (encoded) => {
  const { preparePhoto } = await import("/client/shared/photo-resize.js");
  const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  const file = new File([bytes], "IMG_0045.JPG", { type: "image/jpeg" });
  const real = window.createImageBitmap;
  window.createImageBitmap = () => Promise.reject(new TypeError("imageOrientation: unknown"));
  try {
    const prepared = await preparePhoto(file);
    const out = new Uint8Array(await prepared.file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < out.length; i += 0x8000)
      binary += String.fromCharCode(...out.subarray(i, i + 0x8000));
    return { reason: prepared.reason, name: prepared.file.name, bytes: btoa(binary) };
  } finally {
    window.createImageBitmap = real;
  }
}
"""


def test_where_create_image_bitmap_refuses_an_img_decodes_it_upright(
    visitor: ShopperWidget,
) -> None:
    """A browser whose createImageBitmap does not take `imageOrientation` still gets the photo
    made smaller and upright, through an <img>."""
    original = phone_photo((3200, 2400))
    prepared = visitor.page.evaluate(
        _PREPARE_WITHOUT_BITMAP_OPTIONS_JS, base64.b64encode(original).decode()
    )
    assert (prepared["reason"], prepared["name"]) == ("resized", "IMG_0045.jpg")
    out = base64.b64decode(prepared["bytes"])
    assert len(out) < len(original)
    with Image.open(io.BytesIO(out)) as image:
        assert image.size == (1920, 2560)
        assert len(image.getexif()) == 0
        assert near(mean_colour(image, (0.6, 0.1, 0.9, 0.9)), RED)
        assert near(mean_colour(image, (0.1, 0.1, 0.4, 0.9)), BLUE)
