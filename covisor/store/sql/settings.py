"""`SettingsStore` in SQL: the methods `SQLStore` takes from this mixin (one row, `shop`)."""

from __future__ import annotations

from covisor.store.settings import StoredSettings
from covisor.store.sql.db import HasDb

_NAME = "shop"


class SQLSettings:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def settings(self: HasDb) -> StoredSettings | None:
        rows = await self._db.fetch("SELECT version, value FROM settings WHERE name = ?", (_NAME,))
        return StoredSettings(int(rows[0][0]), str(rows[0][1])) if rows else None

    async def settings_version(self: HasDb) -> int:
        rows = await self._db.fetch("SELECT version FROM settings WHERE name = ?", (_NAME,))
        return int(rows[0][0]) if rows else 0

    async def put_settings(self: HasDb, value: str) -> int:
        rows = await self._db.returning(
            "INSERT INTO settings (name, value, version) VALUES (?, ?, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
            "version = settings.version + 1 RETURNING version",
            (_NAME, value),
        )
        return int(rows[0][0])
