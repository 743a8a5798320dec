"""The store's settings slice: the shop's settings an admin edits in the console.

One document (`name` `shop`), its JSON `value` and a `version` that every write raises by one,
so a process learns that another one changed them by reading the version alone
(covisor/team/settings.py re-reads it every second).
Contract: tests/store/test_settings_contract.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StoredSettings:
    """The settings as last written (`value`, JSON text) and their `version` (1 for the first
    write)."""

    version: int
    value: str


class SettingsStore(Protocol):
    async def settings(self) -> StoredSettings | None:
        """The stored settings; None before the first write."""

    async def settings_version(self) -> int:
        """The stored settings' version; 0 before the first write."""

    async def put_settings(self, value: str) -> int:
        """Store `value` (JSON text) in place of any before, atomically raising the version;
        return the new version."""
