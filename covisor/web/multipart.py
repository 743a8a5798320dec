"""Multipart upload bodies, read part by part, and files sent back.

`request.multipart()` never buffers a part, so `client_max_size` does not apply: the byte limits
of what a file part becomes are enforced by whoever consumes `file_chunks` while it streams in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from covisor.kernel.errors import CovisorError
from covisor.media.files import ServedFile

_CHUNK = 256 * 1024
_TEXT_FIELD_BYTES = 1024
_UNREADABLE = (ValueError, AssertionError, HttpProcessingError)
"""What aiohttp's multipart reader raises on a body it cannot parse (part headers included)."""


def file_response(served: ServedFile, cache_control: str) -> web.FileResponse:
    """The file with its own type, never sniffed by the browser; ranges come with FileResponse."""
    headers = {
        "Content-Type": served.mime,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": cache_control,
    }
    if served.download_name is not None:
        headers["Content-Disposition"] = f'attachment; filename="{served.download_name}"'
    return web.FileResponse(served.path, headers=headers)


async def multipart_reader(request: web.Request) -> MultipartReader:
    if request.content_type != "multipart/form-data":
        raise CovisorError("bad_request", "send the file as multipart/form-data, field 'file'")
    try:
        return await request.multipart()
    except _UNREADABLE:
        raise CovisorError("bad_request", "the multipart body is malformed") from None


async def next_file(
    reader: MultipartReader, fields: dict[str, str], names: frozenset[str] = frozenset()
) -> BodyPartReader:
    """The `file` part, collecting the short text fields (`names`) before it into `fields`."""
    part = await _next_part(reader)
    while part is not None:
        if part.name == "file":
            return part
        await _text_field(part, fields, names)
        part = await _next_part(reader)
    raise CovisorError("bad_request", "the upload has no 'file' field")


async def rest_fields(
    reader: MultipartReader, fields: dict[str, str], names: frozenset[str] = frozenset()
) -> None:
    """The text fields (`names`) after the file; a second file is refused."""
    while (part := await _next_part(reader)) is not None:
        if part.name == "file":
            raise CovisorError("bad_request", "send one file per upload")
        await _text_field(part, fields, names)


async def _next_part(reader: MultipartReader) -> BodyPartReader | None:
    try:
        part = await reader.next()
    except _UNREADABLE:
        raise CovisorError("bad_request", "the multipart body is malformed") from None
    if part is not None and not isinstance(part, BodyPartReader):
        raise CovisorError("bad_request", "nested multipart bodies are not accepted")
    return part


async def _text_field(part: BodyPartReader, fields: dict[str, str], names: frozenset[str]) -> None:
    if part.name not in names:
        raise CovisorError("bad_request", f"unexpected field {str(part.name)[:40]!r}")
    raw = await part.read_chunk(_TEXT_FIELD_BYTES + 1)
    if len(raw) > _TEXT_FIELD_BYTES or await part.read_chunk(1):
        raise CovisorError("too_large", f"'{part.name}' is over {_TEXT_FIELD_BYTES} bytes")
    try:
        fields[part.name] = raw.decode()
    except UnicodeDecodeError:
        raise CovisorError("bad_request", f"'{part.name}' is not UTF-8 text") from None


async def file_chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    """The file part's bytes as they arrive; a body cut off mid-file is a `bad_request`."""
    try:
        while chunk := await part.read_chunk(_CHUNK):
            yield chunk
    except (ConnectionError, aiohttp.ClientError, ValueError):
        raise CovisorError("bad_request", "the upload was interrupted") from None
