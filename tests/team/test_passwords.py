"""passwords.py: scrypt hashes that describe themselves, verified in constant time, off the loop."""

from __future__ import annotations

import asyncio
import base64
import threading

import pytest

from covisor.team import passwords


def test_a_hash_describes_its_scheme_and_cost() -> None:
    stored = passwords.hash_password_sync("correct horse")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt + "==")) == 16
    assert len(base64.b64decode(digest + "=")) == 32


def test_the_right_password_verifies_and_others_do_not() -> None:
    stored = passwords.hash_password_sync("correct horse")
    assert passwords.verify_password_sync("correct horse", stored)
    assert not passwords.verify_password_sync("correct horse ", stored)
    assert not passwords.verify_password_sync("", stored)


def test_each_hash_has_its_own_salt() -> None:
    first = passwords.hash_password_sync("same")
    second = passwords.hash_password_sync("same")
    assert first != second
    assert passwords.verify_password_sync("same", first)
    assert passwords.verify_password_sync("same", second)


def test_a_given_salt_gives_the_same_hash() -> None:
    salt = b"s" * 16
    assert passwords.hash_password_sync("pw", salt) == passwords.hash_password_sync("pw", salt)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "bcrypt$16384$8$1$c2FsdA$aGFzaA",
        "scrypt$16384$8$1$not base64!$aGFzaA",
        "scrypt$abc$8$1$c2FsdA$aGFzaA",
        "scrypt$1$8$1$c2FsdA$aGFzaA",
        "scrypt$1073741824$8$1$c2FsdA$aGFzaA",
        "scrypt$1048576$32$16$c2FsdA$aGFzaA",
        "scrypt$16384$8$1$c2FsdA",
    ],
)
def test_a_malformed_or_too_costly_hash_never_verifies(stored: str) -> None:
    assert not passwords.verify_password_sync("pw", stored)


async def test_hashing_and_verifying_run_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []
    original = passwords.hash_password_sync

    def spy(password: str, salt: bytes | None = None) -> str:
        seen.append(threading.get_ident())
        return original(password, salt)

    passwords.hash_password_sync = spy
    try:
        stored = await passwords.hash_password("pw")
    finally:
        passwords.hash_password_sync = original
    assert seen and loop_thread not in seen
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    assert await passwords.verify_password("pw", stored)
    ticker.cancel()
    assert ticks > 1


async def test_no_stored_hash_costs_the_same_work_and_fails() -> None:
    assert not await passwords.verify_password("pw", None)
    assert not await passwords.verify_password("", None)


def test_generated_passwords_are_long_and_differ() -> None:
    made = {passwords.generate_password() for _ in range(20)}
    assert len(made) == 20
    assert all(len(p) >= 24 and passwords.acceptable(p) is None for p in made)


def test_a_chosen_password_has_a_sensible_length() -> None:
    assert passwords.acceptable("short") is not None
    assert passwords.acceptable("x" * 8) is None
    assert passwords.acceptable("x" * 1025) is not None
