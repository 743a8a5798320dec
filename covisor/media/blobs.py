"""Content-addressed, atomic storage of uploaded files.

Layout under the data directory's media root:

    tmp/<lease>.lock         held (flock) by one live process for its whole life
    tmp/<lease>/             that process's uploads and work directories being written
    tmp/<lease>/claims/      one empty file per upload the process is taking through the
                             pipeline (`claim`), so others know it is not abandoned
    blobs/ab/<sha256>        an original, named by the SHA-256 of its bytes
    derived/ab/<sha256>/     what was made from it (variants, poster, info.json); a photo's
                             first picture is published alone, the rest added (`extend`)

An upload is streamed to a temp file while its SHA-256 is computed, checked against the byte
limit of its sniffed kind as it arrives, and once committed fsynced and only then renamed into
`blobs/`; a rename
within one file system is atomic, so a reader sees a whole file or none. The same bytes uploaded
twice map to the same name and are stored once. Client file names never become paths. Whatever
fails, including the request being cancelled mid-stream, leaves nothing in `tmp/`.

A process killed mid-upload (kill -9, a power cut) leaves its lease behind; the kernel drops its
lock with it. `sweep` removes the leases whose lock nobody holds, with every half-written file
in them, and spares the live ones of other processes sharing the root.

With a `mirror` (object storage, mirror.py) every original and derived file is uploaded there
once committed or published, the record (`RECORD_FILE`) last; a node that lacks one locally
fetches it (`local_blob`, `local_derived`), so the root becomes this node's cache of the
bucket, and `remove` deletes the objects too. A copy cached here of media erased on another
node is dropped by `forget_erased` (run with the retention sweep).
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
import time
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiofiles
import aiofiles.os

from covisor.media.errors import MediaError
from covisor.media.mirror import ObjectMirror
from covisor.media.sniff import SNIFF_BYTES, MediaKind, MediaType, sniff

MB = 1024 * 1024
RECORD_FILE = "info.json"
"""The record of processed media, in its derived directory: written last, so whoever finds it
finds every file it names."""
SETTLED = 600.0
"""Seconds after which a cached item is old enough for `forget_erased` to check: younger ones
may still be being uploaded by this node."""


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

    def __init__(self, root: Path, mirror: ObjectMirror | None = None) -> None:
        self.root = root
        self.mirror = mirror
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

    async def abandoned_claims(self) -> list[str]:
        """The claims of processes that died (their lease's lock is free): uploads they were
        taking through the pipeline. Gone once `sweep` removes those leases."""
        return await asyncio.to_thread(_dead_claims, self.tmp, self.lease)

    async def claimed_alive(self, name: str) -> bool:
        """Whether a live process (this one or another sharing the root) claims `name`."""
        return await asyncio.to_thread(_claimed_alive, self.tmp, self.lease, name)

    def blob_path(self, sha256: str) -> Path:
        return self.blobs / _shard(sha256) / sha256

    def derived_dir(self, sha256: str) -> Path:
        return self.derived / _shard(sha256) / sha256

    async def local_blob(self, sha256: str) -> Path:
        """Where the original is on this node's disk, fetched from the mirror first if it is
        only there (`FileNotFoundError` if it is nowhere)."""
        path = self.blob_path(sha256)
        if await aiofiles.os.path.exists(path):
            return path
        if self.mirror is not None:
            await aiofiles.os.makedirs(path.parent, exist_ok=True)
            if await self.mirror.fetch(_blob_key(sha256), path):
                return path
        raise FileNotFoundError(path)

    async def local_derived(self, sha256: str, *, refresh: bool = False) -> Path | None:
        """The derived directory with every file on this node's disk, fetched from the mirror
        first if it is only there, or again with `refresh` (a record cached while its files
        were still being added, pipeline.py); None if it is nowhere."""
        dest = self.derived_dir(sha256)
        here = await aiofiles.os.path.exists(dest / RECORD_FILE)
        if self.mirror is None or (here and not refresh):
            return dest if here else None
        prefix = _derived_key(sha256)
        keys = await self.mirror.keys(prefix)
        if prefix + RECORD_FILE not in keys:
            return None
        async with self.work_dir() as work:
            for key in sorted(keys, key=lambda k: k.endswith(RECORD_FILE)):
                name = key.removeprefix(prefix)
                if "/" in name or not await self.mirror.fetch(key, work / name):
                    return None
            if here:
                await self._move_in(sha256, work)
            else:
                await self._place(sha256, work)
        return dest

    async def forget_erased(self) -> int:
        """Drop the cached copies of media whose record is gone from the mirror (erased on
        another node); how many. Nothing without a mirror."""
        if self.mirror is None:
            return 0
        forgotten = 0
        for record in await asyncio.to_thread(_settled_records, self.derived):
            sha256 = record.parent.name
            if not await self.mirror.exists(_derived_key(sha256) + RECORD_FILE):
                await self._remove_local(sha256)
                forgotten += 1
        return forgotten

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

    async def sync(self, staged: StagedUpload) -> None:
        """Write a staged upload's bytes through to the disk. `commit` does; started earlier,
        beside the processing, it leaves `commit` nothing to wait for."""
        await asyncio.to_thread(_fsync_file, staged.path)

    async def sync_tree(self, work: Path) -> None:
        """Write a work directory's files through to the disk. `publish` does; done beside the
        original's `commit`, it leaves `publish` nothing to wait for."""
        await asyncio.to_thread(_fsync_tree, work)

    async def commit(self, staged: StagedUpload) -> Blob:
        """Move a staged upload, synced, to its content address (a no-op move if the bytes are
        stored)."""
        dest = self.blob_path(staged.sha256)
        await aiofiles.os.makedirs(dest.parent, exist_ok=True)
        if await aiofiles.os.path.exists(dest):
            _unlink(staged.path)
        else:
            await self.sync(staged)
            await aiofiles.os.replace(staged.path, dest)
            await asyncio.to_thread(_fsync_dir, dest.parent)
        if self.mirror is not None:
            await self.mirror.put(_blob_key(staged.sha256), dest)
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
        for its `work_dir` block to remove. With a mirror, the published files are uploaded,
        `RECORD_FILE` last. Returns the published directory.
        """
        dest = await self._place(sha256, work)
        if self.mirror is not None:
            names = sorted(os.listdir(dest), key=lambda name: name == RECORD_FILE)
            for name in names:
                await self.mirror.put(_derived_key(sha256) + name, dest / name)
        return dest

    async def extend(self, sha256: str, work: Path) -> None:
        """Move the files of `work` into the published `derived_dir(sha256)`, each replacing
        one of its name, `RECORD_FILE` last: a reader finds the old record, whose files are all
        still there, or the new one with all of its own. With a mirror, each is uploaded once
        placed, the record last. `FileNotFoundError` if nothing is published under `sha256`."""
        names = await self._move_in(sha256, work)
        if self.mirror is not None:
            for name in names:
                await self.mirror.put(_derived_key(sha256) + name, self.derived_dir(sha256) / name)

    async def _move_in(self, sha256: str, work: Path) -> list[str]:
        dest = self.derived_dir(sha256)
        names = sorted(os.listdir(work), key=lambda name: name == RECORD_FILE)
        await asyncio.to_thread(_fsync_tree, work)
        for name in names:
            await aiofiles.os.replace(work / name, dest / name)
        await asyncio.to_thread(_fsync_dir, dest)
        return names

    async def _place(self, sha256: str, work: Path) -> Path:
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
        """Delete an original and everything made from it (erasure, retention), here and in
        the mirror."""
        if self.mirror is not None:
            derived = await self.mirror.keys(_derived_key(sha256))
            await self.mirror.delete([_blob_key(sha256), *derived])
        await self._remove_local(sha256)

    async def _remove_local(self, sha256: str) -> None:
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


def _blob_key(sha256: str) -> str:
    return f"blobs/{_shard(sha256)}/{sha256}"


def _derived_key(sha256: str) -> str:
    return f"derived/{_shard(sha256)}/{sha256}/"


def _settled_records(derived: Path) -> list[Path]:
    """The records under `derived` written more than `SETTLED` seconds ago."""
    old = time.time() - SETTLED
    found = []
    for record in derived.glob(f"*/*/{RECORD_FILE}"):
        with contextlib.suppress(FileNotFoundError):
            if record.stat().st_mtime < old:
                found.append(record)
    return found


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


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_tree(directory: Path) -> None:
    for entry in directory.iterdir():
        _fsync_file(entry)
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


def _dead_claims(tmp: Path, own: str) -> list[str]:
    live = set(_live_leases(tmp, own))
    return sorted(
        claim.name for claim in tmp.glob("lease-*/claims/*") if claim.parent.parent.name not in live
    )


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
