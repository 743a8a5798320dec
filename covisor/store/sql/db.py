"""The seam between the SQL store's slices and an engine: `Db` (how statements run) and
`Dialect` (the few fragments of SQL the engines spell differently).

The slices (agents.py, conversations.py, …) are written once, in SQL that SQLite 3.40+ and
PostgreSQL 15 both accept (`?` placeholders, or `:name` with a mapping; `ON CONFLICT`,
`RETURNING`, `CASE` instead of boolean arithmetic), and ask the dialect for the rest: reading a
value out of stored JSON, the larger of two values, an index hint. (PostgreSQL's `sum` of
integers is a numeric, which reaches Python as a Decimal: the slices cast it to BIGINT.) A
backend (sqlite.py, postgresql.py) runs them: reads on a connection that never sees half a
transaction, a write statement as a transaction of its own, `transaction()` for several that
must hold together (serialised with every other such transaction, as SQLite's write lock
does), and the journal's round of appends in one trip (`commit_round`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

Args = Sequence[Any] | Mapping[str, Any]
"""A statement's parameters: a sequence for `?`, a mapping for `:name`."""
Row = Sequence[Any]


class Conflict(Exception):
    """A write broke a unique constraint (the row is there already)."""


class Tx(Protocol):
    """The statements of one write transaction."""

    async def fetch(self, sql: str, args: Args = ()) -> list[Row]: ...

    async def execute(self, sql: str, args: Args = ()) -> int:
        """Run one statement; return the rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Args]) -> None: ...


@dataclasses.dataclass(frozen=True)
class RoundRows:
    """One append of a journal round as parameters, made before the trip to the engine.

    `update` sets the seq, status, agent and summary (a whole summary was given), `moved` the
    seq only; either also sets the snapshot when `snapshot` is not None. `events` are
    `(conversation id, seq, type, body)`. An append with no events has neither: it only
    checks the seq."""

    conversation_id: str
    expected_seq: int
    events: list[tuple[str, int, str, bytes]]
    seq: int
    summary: tuple[str, str | None, bytes] | None
    snapshot: bytes | None


class Db(Protocol):
    """An open engine, as the slices use it."""

    @property
    def dialect(self) -> Dialect: ...

    async def open(self) -> None:
        """Connect, and bring the schema to this version (migrations.py)."""
        ...

    async def close(self) -> None: ...

    async def fetch(self, sql: str, args: Args = ()) -> list[Row]:
        """Rows of a read that sees only committed transactions."""
        ...

    async def execute(self, sql: str, args: Args = ()) -> int:
        """One write statement as a transaction of its own; the rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Args]) -> None:
        """One write statement over many rows, in one transaction."""
        ...

    async def returning(self, sql: str, args: Args = ()) -> list[Row]:
        """One write statement with `RETURNING`, as a transaction of its own; its rows."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """Statements that hold together, serialised with every other `transaction()` of any
        process on the same database; committed when the block ends, rolled back on error."""
        ...

    async def commit_round(self, rounds: Sequence[RoundRows]) -> set[str]:
        """Write each append whose conversation is still at its expected seq, all in one
        transaction; return the ids of the others (stale), untouched."""
        ...

    async def batch(self, steps: Sequence[tuple[str, Sequence[Args]]]) -> None:
        """Each statement over its rows, in order, in one transaction and one trip."""
        ...


@dataclasses.dataclass(frozen=True)
class Dialect:
    """What differs between the engines' SQL, as fragments to put into a statement."""

    name: Literal["sqlite", "postgresql"]

    def text(self, column: str) -> str:
        """A BLOB/bytea column of UTF-8 JSON as text."""
        if self.name == "sqlite":
            return f"CAST({column} AS TEXT)"
        return f"convert_from({column}, 'UTF8')"

    def json(self, expr: str, path: str) -> str:
        """The value at `path` (`$.a.b`) of the JSON text `expr`, as SQL text (SQLite: as the
        JSON's own type, which compares the same for strings)."""
        if self.name == "sqlite":
            return f"json_extract({expr}, '{path}')"
        return f"(({expr})::jsonb #>> '{_pg_path(path)}')"

    def json_number(self, expr: str, path: str) -> str:
        """The number at `path` of the JSON text `expr` (NULL when absent)."""
        if self.name == "sqlite":
            return self.json(expr, path)
        return f"(({expr})::jsonb #>> '{_pg_path(path)}')::double precision"

    def json_flag(self, expr: str, path: str) -> str:
        """1 when the value at `path` of `expr` is JSON `true`, 0 when `false`, else NULL."""
        if self.name == "sqlite":
            return self.json(expr, path)
        return f"((({expr})::jsonb #> '{_pg_path(path)}')::boolean)::int"

    def lower(self, expr: str) -> str:
        """`expr` in lower case beyond ASCII too: SQLite's own `lower` folds ASCII only, so
        its connections have `covisor_lower` (Python's `str.lower`, sqlite.py)."""
        return f"covisor_lower({expr})" if self.name == "sqlite" else f"lower({expr})"

    def greatest(self, a: str, b: str) -> str:
        return f"max({a}, {b})" if self.name == "sqlite" else f"greatest({a}, {b})"

    def least(self, a: str, b: str) -> str:
        return f"min({a}, {b})" if self.name == "sqlite" else f"least({a}, {b})"

    def same(self, a: str, b: str) -> str:
        """`a` equals `b`, NULL equal to NULL."""
        return f"{a} IS {b}" if self.name == "sqlite" else f"{a} IS NOT DISTINCT FROM {b}"

    @property
    def skip_locked(self) -> str:
        """After a subquery choosing rows to claim: lock them, passing over those another
        transaction holds (SQLite's one writer needs nothing)."""
        return "" if self.name == "sqlite" else "FOR UPDATE SKIP LOCKED"

    def indexed_by(self, index: str) -> str:
        """Tell SQLite's planner, which has no statistics, which index to take (PostgreSQL's
        has them, and takes no hints)."""
        return f"INDEXED BY {index}" if self.name == "sqlite" else ""


def _pg_path(path: str) -> str:
    return "{" + ",".join(path.removeprefix("$.").split(".")) + "}"


SQLITE = Dialect("sqlite")
POSTGRESQL = Dialect("postgresql")


class HasDb(Protocol):
    """What a slice's mixin takes `self` as: the store, with its open `Db`."""

    _db: Db
