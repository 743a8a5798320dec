"""Agents' passwords: scrypt hashes, verified in a thread so the event loop never waits on them.

A stored hash describes itself, `scrypt$16384$8$1$<salt>$<hash>` (base64 without padding), so
the cost can be raised later without breaking the hashes already stored. scrypt is memory-hard
(16 MiB and ~50 ms a try at these parameters): a stolen table of hashes is slow to guess on
GPUs. Verifying compares in constant time; `verify` of no stored hash does the same work
against a dummy, so answering an unknown e-mail takes as long as a wrong password.

No password holds a NUL character: scrypt keys HMAC-SHA256 with the password, and HMAC pads a
short key with zero bytes, so `"secret"` and `"secret\0"` derive the same hash. Refusing NUL
when a password is chosen and never verifying one that holds it makes every other string a
wrong password, without changing a hash already stored.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import os
import secrets

SCHEME = "scrypt"
N = 2**14
R = 8
P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 8
"""Characters a chosen password has at least (generated ones have 24)."""
MAX_LENGTH = 1024
"""Characters a password has at most: more is not a password, and costs hashing time."""
_MAX_N = 2**20
_MAXMEM = 256 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_password_sync(password: str, salt: bytes | None = None) -> str:
    """The stored form of `password`, with a fresh random salt unless `salt` is given;
    `ValueError` for a password with a NUL (its hash would be another password's)."""
    if "\0" in password:
        raise ValueError("a password has no NUL character")
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=N, r=R, p=P, dklen=HASH_BYTES, maxmem=_MAXMEM
    )
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password_sync(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from; False for any malformed `stored`,
    and for a password with a NUL, after the same work (no stored hash was made from one)."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        cost, block, lanes = int(n), int(r), int(p)
        salt_bytes, expected_bytes = _unb64(salt), _unb64(expected)
    except ValueError:
        return False
    if scheme != SCHEME or not (1 < cost <= _MAX_N and 0 < block <= 32 and 0 < lanes <= 16):
        return False
    try:
        digest = hashlib.scrypt(
            password.encode(),
            salt=salt_bytes,
            n=cost,
            r=block,
            p=lanes,
            dklen=len(expected_bytes) or HASH_BYTES,
            maxmem=_MAXMEM,
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest, expected_bytes) and "\0" not in password


@functools.cache
def _dummy() -> str:
    """A hash to verify against when there is none, at the current cost."""
    return hash_password_sync("", salt=bytes(SALT_BYTES))


def _verify_nothing(password: str) -> None:
    verify_password_sync(password, _dummy())


async def hash_password(password: str) -> str:
    """`hash_password_sync` in a thread."""
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(password: str, stored: str | None) -> bool:
    """`verify_password_sync` in a thread; with no `stored` hash, the same work and False."""
    if stored is None:
        await asyncio.to_thread(_verify_nothing, password)
        return False
    return await asyncio.to_thread(verify_password_sync, password, stored)


def generate_password() -> str:
    """A strong password to hand out once: 18 random bytes, 24 URL-safe characters."""
    return secrets.token_urlsafe(18)


def acceptable(password: str) -> str | None:
    """Why a chosen password cannot be used, or None if it can."""
    if len(password) < MIN_LENGTH:
        return f"a password has at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    if "\0" in password:
        return "a password has no NUL character"
    return None
