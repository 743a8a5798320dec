"""The product search index, as each engine keeps it: the part of products.py that differs.

SQLite: `products_fts`, an FTS5 table whose rowid is the product row's, with prefix indexes for
search-as-you-type; only live products are in it (a removed product leaves it in the
transaction that removes it). Ranked by bm25 (FTS5's `rank`, lower is better).
PostgreSQL: the product row's own `search` tsvector (the `simple` configuration: the words and
codes are folded already, so it only splits them), under a GIN index of live products; prefix
queries (`'term':*`), ranked by `ts_rank` (higher is better).

Either way a search takes the best `CANDIDATES` matches, keeps the best of each product group,
and orders the groups by it, then by title; the rows end with that rank.
"""

from __future__ import annotations

from collections.abc import Iterable

from covisor.store.products import IndexedProduct
from covisor.store.sql.db import Dialect, Tx

CANDIDATES = 500
"""The best-ranked index matches a search groups into products: a word shared by thousands of
products ranks them all once, but groups only these (search-as-you-type narrows quickly)."""


async def index_product(db: Tx, d: Dialect, rowid: int, indexed: IndexedProduct) -> None:
    """Put the product row `rowid` in the index (again), as `indexed` folded it."""
    if d.name == "sqlite":
        await db.execute("DELETE FROM products_fts WHERE rowid = ?", (rowid,))
        await db.execute(
            "INSERT INTO products_fts (rowid, words, codes) VALUES (?, ?, ?)",
            (rowid, indexed.words, indexed.codes),
        )
    else:
        await db.execute(
            "UPDATE products SET search = to_tsvector('simple', ?) WHERE rowid = ?",
            (f"{indexed.words} {indexed.codes}", rowid),
        )


async def unindex_unlisted(db: Tx, d: Dialect, import_id: str) -> None:
    """Take out of the index the live products the import `import_id` did not list (before
    they are marked removed; PostgreSQL's index holds live rows only, so it needs nothing)."""
    if d.name == "sqlite":
        await db.execute(
            "DELETE FROM products_fts WHERE rowid IN (SELECT rowid FROM products "
            "WHERE removed_at IS NULL AND seen_import IS NOT ?)",
            (import_id,),
        )


def match(d: Dialect, terms: Iterable[str]) -> str:
    """The engine's query for rows with every term as a prefix of a word or code; quoted, so
    the query syntax stays out of the shopper-facing text."""
    if d.name == "sqlite":
        return " AND ".join('"' + term.replace('"', '""') + '"*' for term in terms)
    return " & ".join("'" + term.replace("'", "''").replace("\\", "\\\\") + "':*" for term in terms)


def best_of_groups(d: Dialect, columns: str, filters: str) -> str:
    """Products (`columns` of `p`, then the rank) of the best matches of a `match` query,
    the best of each group; parameters: the query, `CANDIDATES`, the filters', the limit."""
    if d.name == "sqlite":
        return (
            f"SELECT {columns}, min(f.rank) AS best FROM "
            "(SELECT rowid, rank FROM products_fts WHERE products_fts MATCH ? "
            "ORDER BY rank LIMIT ?) f "
            f"JOIN products p ON p.rowid = f.rowid WHERE p.removed_at IS NULL {filters} "
            "GROUP BY p.group_id ORDER BY best, p.title LIMIT ?"
        )
    return (
        "SELECT * FROM ("
        f"  SELECT DISTINCT ON (p.group_id) {columns}, f.rank AS best FROM"
        "  (SELECT rowid, ts_rank(search, q) AS rank FROM products, to_tsquery('simple', ?) q"
        "   WHERE removed_at IS NULL AND search @@ q ORDER BY rank DESC LIMIT ?) f"
        f"  JOIN products p ON p.rowid = f.rowid WHERE p.removed_at IS NULL {filters}"
        "  ORDER BY p.group_id, f.rank DESC, p.id"
        ") AS hits ORDER BY best DESC, title LIMIT ?"
    )


def first_of_groups(d: Dialect, columns: str, filters: str) -> str:
    """Products (`columns` of `p`, then one more) by title, the first variant (by id) of each
    group; parameters: the filters', the limit."""
    if d.name == "sqlite":
        return (
            f"SELECT {columns}, min(p.id) FROM products p "
            f"WHERE p.removed_at IS NULL {filters} "
            "GROUP BY p.group_id ORDER BY p.title, p.group_id LIMIT ?"
        )
    return (
        "SELECT * FROM ("
        f"  SELECT DISTINCT ON (p.group_id) {columns}, p.id AS first FROM products p"
        f"  WHERE p.removed_at IS NULL {filters} ORDER BY p.group_id, p.id"
        ") AS firsts ORDER BY title, group_id LIMIT ?"
    )
