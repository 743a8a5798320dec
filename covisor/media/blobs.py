"""Content-addressed, atomic storage of uploaded files.

Layout under the data directory's media root:

    tmp/<lease>.lock         held (flock) by one live process for its whole life
    tmp/<lease>/             that process's uploads and work directories being written
    tmp/<lease>/claims/      one empty file per upload the process is taking through the
                             pipeline (`claim`), so others know it is not abandoned
    blobs/ab/<sha256>        an original, named by the SHA-256 of its bytes
    derived/ab/<sha256>/     what was made from it (variants, poster, info.json)

An upload is streamed to a temp file while its SHA-256 is computed, checked against the byte
limit of its sniffed kind as it arrives, fsynced and only then renamed into `blobs/`; a rename
within one file system is atomic, so a reader sees a whole file or none. The same bytes uploaded
twice map to the same name and are stored once. Client file names never become paths. Whatever
fails, including the request being cancelled mid-stream, leaves nothing in `tmp/`.

A process killed mid-upload (kill -9, a power cut) leaves its lease behind; the kernel drops its
lock with it. `sweep` removes the leases whose lock nobody holds, with every half-written file
in them, and spares the live ones of other processes sharing the root.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import os
import secrets
import shutil
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiofiles
import aiofiles.os

from covisor.media.errors import MediaError
from covisor.media.sniff import SNIFF_BYTES, MediaKind, MediaType, sniff

MB = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    """Largest accepted upload, in bytes, per sniffed kind (`Config.max_image_bytes` and
    `max_video_bytes`)."""

    max_image_bytes: int
    max_video_bytes: int

    def for_kind(self, kind: MediaKind) -> int:
        return self.max_image_bytes if kind == "image" else self.max_video_bytes


@dataclass(frozen=True)
class StagedUpload:
    """A fully received upload, still in the temp area: hashed, sniffed, within its limit."""

    path: Path
    sha256: str
    size: int
    media_type: MediaType


@dataclass(frozen=True)
class Blob:
    """An original committed under its content address."""

    path: Path
    sha256: str
    size: int
    media_type: MediaType


class BlobStore:
    """Files under `root`, named by content. Several processes may share one root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.blobs = root / "blobs"
        self.derived = root / "derived"
        self.lease = f"lease-{secrets.token_hex(8)}"
        self.scratch = self.tmp / self.lease
        self._lock: int | None = None

    async def open(self) -> None:
        """Create the directories and take this process's lease; call once before use."""
        for directory in (self.tmp, self.blobs, self.derived):
            await aiofiles.os.makedirs(directory, exist_ok=True)
        self._lock = await asyncio.to_thread(_hold, self.tmp, self.lease)
        await aiofiles.os.makedirs(self.scratch, exist_ok=True)

    async def close(self) -> None:
        """Give the lease back, removing what is left in it."""
        if self._lock is not None:
            await asyncio.to_thread(_remove_lease, self.tmp, self.lease)
            os.close(self._lock)
            self._lock = None

    def claim(self, name: str) -> None:
        """Mark the upload `name` (a file name) as being taken through the pipeline here."""
        claims = self.scratch / "claims"
        claims.mkdir(exist_ok=True)
        (claims / name).touch()

    def release(self, name: str) -> None:
        _unlink(self.scratch / "claims" / name)

    async def claimed_alive(self, name: str) -> bool:
        """Whether a live process (this one or another sharing the root) claims `name`."""
        return await asyncio.to_thread(_claimed_alive, self.tmp, self.lease, name)

    def blob_path(self, sha256: str) -> Path:
        return self.blobs / _shard(sha256) / sha256

    def derived_dir(self, sha256: str) -> Path:
        return self.derived / _shard(sha256) / sha256

    async def put(self, chunks: AsyncIterable[bytes], limits: UploadLimits) -> Blob:
        """Receive `chunks` and commit them: the whole of `stage` + `commit`."""
        async with self.stage(chunks, limits) as staged:
            return await self.commit(staged)

    @contextlib.asynccontextmanager
    async def stage(
        self, chunks: AsyncIterable[bytes], limits: UploadLimits
    ) -> AsyncIterator[StagedUpload]:
        """Stream `chunks` into a temp file and yield it; the temp file is gone on exit.

        Raises `MediaError` (`unsupported`, `too_large`, `bad_request`) as soon as the bytes
        show it, without reading the rest. Use the yielded upload (validate, process) and
        `commit` it inside the block; whatever is not committed is deleted.
        """
        staged = await self._receive(chunks, limits)
        try:
            yield staged
        finally:
            _unlink(staged.path)

    async def commit(self, staged: StagedUpload) -> Blob:
        """Move a staged upload to its content address (a no-op move if the bytes are stored)."""
        dest = self.blob_path(staged.sha256)
        await aiofiles.os.makedirs(dest.parent, exist_ok=True)
        if await aiofiles.os.path.exists(dest):
            _unlink(staged.path)
        else:
            await aiofiles.os.replace(staged.path, dest)
            await asyncio.to_thread(_fsync_dir, dest.parent)
        return Blob(dest, staged.sha256, staged.size, staged.media_type)

    @contextlib.asynccontextmanager
    async def work_dir(self) -> AsyncIterator[Path]:
        """A fresh temp-area directory for derived files; removed on exit unless published."""
        path = self.scratch / f"work-{secrets.token_hex(16)}"
        await aiofiles.os.mkdir(path)
        try:
            yield path
        finally:
            await asyncio.to_thread(shutil.rmtree, path, True)

    async def publish(self, sha256: str, work: Path) -> Path:
        """Rename a finished work directory to `derived_dir(sha256)`, all files at once.

        If another upload of the same bytes published first, theirs is kept and `work` is left
        for its `work_dir` block to remove. Returns the published directory.
        """
        dest = self.derived_dir(sha256)
        await aiofiles.os.makedirs(dest.parent, exist_ok=True)
        await asyncio.to_thread(_fsync_tree, work)
        try:
            await aiofiles.os.rename(work, dest)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
        else:
            await asyncio.to_thread(_fsync_dir, dest.parent)
        return dest

    async def remove(self, sha256: str) -> None:
        """Delete an original and everything made from it (erasure, retention)."""
        await asyncio.to_thread(_unlink, self.blob_path(sha256))
        await asyncio.to_thread(shutil.rmtree, self.derived_dir(sha256), True)

    async def sweep(self) -> int:
        """Remove the leases of dead processes, with what they were writing; spare the live.

        Run on start-up. Returns how many leases were removed.
        """
        return await asyncio.to_thread(_sweep, self.tmp, self.lease)

    async def _receive(self, chunks: AsyncIterable[bytes], limits: UploadLimits) -> StagedUpload:
        path = self.scratch / f"upload-{secrets.token_hex(16)}"
        digest = hashlib.sha256()
        head = bytearray()
        media_type: MediaType | None = None
        size = 0
        try:
            async with aiofiles.open(path, "wb") as out:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if media_type is None:
                        head += chunk[: SNIFF_BYTES - len(head)]
                        if len(head) >= SNIFF_BYTES:
                            media_type = sniff(bytes(head))
                    if media_type is not None:
                        _check_size(size, media_type, limits)
                    digest.update(chunk)
                    await out.write(chunk)
                if media_type is None:
                    media_type = sniff(bytes(head))
                    _check_size(size, media_type, limits)
                await out.flush()
                await asyncio.to_thread(os.fsync, out.fileno())
        except BaseException:
            _unlink(path)
            raise
        return StagedUpload(path, digest.hexdigest(), size, media_type)


def _check_size(size: int, media_type: MediaType, limits: UploadLimits) -> None:
    limit = limits.for_kind(media_type.kind)
    if size > limit:
        raise MediaError(
            "too_large", f"this {media_type.kind} is over the {limit / MB:g} MB upload limit"
        )


def _shard(sha256: str) -> str:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256[:2]


def _unlink(path: Path) -> None:
    """Remove a temp file synchronously: it must happen even while the task is being cancelled."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(directory: Path) -> None:
    for entry in directory.iterdir():
        with open(entry, "rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(directory)


def _hold(tmp: Path, lease: str) -> int:
    """Create `tmp/<lease>.lock` already flocked (locked under a hidden name, then renamed, so
    no sweeper ever sees it unlocked): held until the descriptor closes or the process dies."""
    hidden = tmp / f".{lease}.lock"
    fd = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.rename(hidden, tmp / f"{lease}.lock")
    return fd


def _is_alive(lock_file: Path) -> bool:
    """Whether some process holds `lock_file` (this one included)."""
    try:
        fd = os.open(lock_file, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _live_leases(tmp: Path, own: str) -> list[str]:
    leases = [own]
    for lock_file in tmp.glob("lease-*.lock"):
        lease = lock_file.stem
        if lease != own and _is_alive(lock_file):
            leases.append(lease)
    return leases


def _claimed_alive(tmp: Path, own: str, name: str) -> bool:
    return any((tmp / lease / "claims" / name).exists() for lease in _live_leases(tmp, own))


def _remove_lease(tmp: Path, lease: str) -> None:
    shutil.rmtree(tmp / lease, ignore_errors=True)
    _unlink(tmp / f"{lease}.lock")


def _sweep(tmp: Path, own: str) -> int:
    """Remove every entry of `tmp` but the live leases and hidden files (a lease being taken)."""
    live = set(_live_leases(tmp, own))
    removed = 0
    for entry in tmp.iterdir():
        if entry.name.startswith(".") or entry.name.removesuffix(".lock") in live:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            _unlink(entry)
        removed += 1
    return removed
