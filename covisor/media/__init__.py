"""Uploaded and demo media: sniffing, content-addressed storage, photo and video processing.

Pure and server-independent: nothing here knows about HTTP or Socket.IO. The server builds a
`MediaPipeline` once and feeds it upload streams; see docs/MEDIA.md for the whole contract.
"""

from __future__ import annotations

from covisor.media.blobs import Blob, BlobStore, StagedUpload, UploadLimits
from covisor.media.demo_catalogue import CatalogueError, CatalogueItem, load_catalogue
from covisor.media.errors import MediaError
from covisor.media.images import ImageOptions, ProcessedImage, process_image
from covisor.media.offload import BoundedExecutor
from covisor.media.pipeline import MediaOptions, MediaPipeline, MediaRecord
from covisor.media.sniff import MediaType, sniff
from covisor.media.variants import Encoding, Variant
from covisor.media.videos import ProcessedVideo, VideoOptions, process_video

__all__ = [
    "Blob",
    "BlobStore",
    "BoundedExecutor",
    "CatalogueError",
    "CatalogueItem",
    "Encoding",
    "ImageOptions",
    "MediaError",
    "MediaOptions",
    "MediaPipeline",
    "MediaRecord",
    "MediaType",
    "ProcessedImage",
    "ProcessedVideo",
    "StagedUpload",
    "UploadLimits",
    "Variant",
    "VideoOptions",
    "load_catalogue",
    "process_image",
    "process_video",
    "sniff",
]
