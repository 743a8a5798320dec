"""The Store contract for the shop's settings, run against every backend: one value, replaced
whole, with a version each write raises (what other processes watch)."""

from __future__ import annotations

import asyncio
from typing import Any

from covisor.store.settings import StoredSettings


async def test_settings_are_none_until_written(store: Any) -> None:
    assert await store.settings() is None
    assert await store.settings_version() == 0


async def test_each_write_replaces_the_value_and_raises_the_version(store: Any) -> None:
    assert await store.put_settings('{"routing": "auto"}') == 1
    assert await store.settings() == StoredSettings(1, '{"routing": "auto"}')
    assert await store.put_settings('{"routing": "manual"}') == 2
    assert await store.settings() == StoredSettings(2, '{"routing": "manual"}')
    assert await store.settings_version() == 2


async def test_concurrent_writes_each_get_their_own_version(store: Any) -> None:
    versions = await asyncio.gather(*(store.put_settings(f'{{"n": {n}}}') for n in range(5)))
    assert sorted(versions) == [1, 2, 3, 4, 5]
    found = await store.settings()
    assert found.version == 5 and found.value == f'{{"n": {versions.index(5)}}}'
