"""Blanking MP4/MOV metadata boxes in place keeps every other byte where it was."""

from __future__ import annotations

from pathlib import Path

from covisor.media.isobmff import blank_metadata
from tests.media.samples import iso_box


def test_metadata_boxes_become_zeroed_free_boxes_of_the_same_size(tmp_path: Path) -> None:
    mdat = iso_box(b"mdat", b"frame-data" * 10)
    trak = iso_box(b"trak", iso_box(b"tkhd", b"\x01" * 12) + iso_box(b"meta", b"make=Phone"))
    moov = iso_box(b"moov", iso_box(b"mvhd", b"\x02" * 20) + trak + iso_box(b"udta", b"+52.37"))
    original = iso_box(b"ftyp", b"isom\x00\x00\x00\x00isom") + mdat + moov
    path = tmp_path / "clip.mp4"
    path.write_bytes(original)

    assert blank_metadata(path) == 2

    blanked = path.read_bytes()
    assert len(blanked) == len(original)
    assert b"+52.37" not in blanked and b"make=Phone" not in blanked
    assert blanked.count(b"free") == 2
    assert blanked.index(b"frame-data") == original.index(b"frame-data")
    assert b"\x02" * 20 in blanked and b"\x01" * 12 in blanked


def test_a_truncated_box_stops_the_walk_without_damage(tmp_path: Path) -> None:
    original = iso_box(b"ftyp", b"isom") + b"\x00\x00\xff\xffmoov" + b"udta"
    path = tmp_path / "cut.mp4"
    path.write_bytes(original)
    assert blank_metadata(path) == 0
    assert path.read_bytes() == original
