"""PostgreSQL's schema versions: they start at 4 (its whole schema then) and follow SQLite's,
a second open changes nothing, and a database of a newer Covisor is refused."""

from __future__ import annotations

import psycopg
import pytest

from covisor.store.sql import PostgresStore
from covisor.store.sql.migrations import POSTGRESQL_MIGRATIONS, SQLITE_MIGRATIONS, SchemaTooNew


def test_both_engines_end_at_the_same_version_without_a_gap() -> None:
    versions = [m.version for m in POSTGRESQL_MIGRATIONS]
    assert versions == list(range(4, 4 + len(versions)))
    assert versions[-1] == SQLITE_MIGRATIONS[-1].version


async def test_a_fresh_database_gets_its_migrations_once_and_a_newer_one_is_refused(
    postgres_url: str,
) -> None:
    for _ in range(2):
        store = PostgresStore(postgres_url)
        await store.open()
        await store.close()
    known = [m.version for m in POSTGRESQL_MIGRATIONS]
    with psycopg.connect(postgres_url, autocommit=True) as db:
        rows = db.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        assert [v for (v,) in rows] == known
        db.execute("INSERT INTO schema_migrations VALUES (%s, 0)", (known[-1] + 1,))
    with pytest.raises(SchemaTooNew, match=f"knows up to {known[-1]}: upgrade Covisor"):
        await PostgresStore(postgres_url).open()
