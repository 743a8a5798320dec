"""Media in S3-compatible object storage (`media_url = s3://bucket/prefix`): what several
machines share, so that any node serves what any other processed, and losing one loses none.

The object keys repeat the data directory's layout under the prefix: `blobs/ab/<sha256>` for an
original, `derived/ab/<sha256>/<file>` for what was made from it (`info.json`, the record,
written last: a reader that finds it finds every file). The endpoint, region and credentials
come from the usual variables (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`…), read by obstore, so the same settings work with AWS S3, MinIO,
Cloudflare R2, SeaweedFS or Ceph.

Files are served by Covisor itself, from its local copy (fetched on first use, then sent with
Range support), never by redirecting to the bucket: the shopper's browser talks to no origin but
Covisor's, and the signed URLs stay Covisor's to check.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import aiofiles
import obstore
from obstore.exceptions import BaseError
from obstore.store import S3Store

from covisor.media.errors import MediaError


class ObjectMirror:
    """The bucket (and prefix) of an `s3://bucket/prefix` URL."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
        prefix = parts.path.strip("/") or None
        self.url = url
        self._store = S3Store(parts.netloc, prefix=prefix, client_options={"allow_http": True})

    async def put(self, key: str, path: Path) -> None:
        """Upload the file at `path` as `key` (large files in parts)."""
        with _reached():
            await obstore.put_async(self._store, key, path)

    async def fetch(self, key: str, destination: Path) -> bool:
        """Download `key` to `destination` (written under a temporary name, then renamed);
        False, writing nothing, when there is no such object."""
        partial = destination.with_name(f".{destination.name}.{secrets.token_hex(6)}")
        try:
            with _reached():
                result = await obstore.get_async(self._store, key)
                async with aiofiles.open(partial, "wb") as out:
                    async for chunk in result.stream(min_chunk_size=1 << 20):
                        await out.write(chunk)
            os.replace(partial, destination)
        except FileNotFoundError:
            return False
        finally:
            partial.unlink(missing_ok=True)
        return True

    async def exists(self, key: str) -> bool:
        try:
            with _reached():
                await obstore.head_async(self._store, key)
        except FileNotFoundError:
            return False
        return True

    async def keys(self, prefix: str) -> list[str]:
        """The keys under `prefix` (a folder: ends with `/`)."""
        found: list[str] = []
        with _reached():
            async for batch in obstore.list(self._store, prefix=prefix):
                found.extend(meta["path"] for meta in batch)
        return found

    async def delete(self, keys: list[str]) -> None:
        if keys:
            with _reached():
                await obstore.delete_async(self._store, keys)


@contextlib.contextmanager
def _reached() -> Iterator[None]:
    """The storage's failures as `MediaError("unavailable")` (an absent object stays a
    `FileNotFoundError`)."""
    try:
        yield
    except FileNotFoundError:
        raise
    except (BaseError, OSError) as exc:
        raise MediaError("unavailable", "the media storage cannot be reached") from exc
