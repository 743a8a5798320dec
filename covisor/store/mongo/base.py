"""The MongoDB store's client: opening (the indexes, and the upgrade of an older version's
agents), closing, and what is not a slice's (secrets, ping).

Same contract as the SQLite store (tests/store/ runs one suite against both). A conversation's
seq range is claimed by one atomic conditional update (`seq == expected_seq`) before its events
are inserted, so two processes never hand out the same seq. Without a replica set there are no
multi-document transactions: a crash between the claim and the insert can leave a gap in the
seqs, which clients treat like any other gap (they resync from a snapshot).
"""

from __future__ import annotations

from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]


class Database(Protocol):
    """What `MongoBase` gives the slices' mixins: its database."""

    @property
    def _db(self) -> AsyncDatabase[Document]: ...


class MongoBase:
    def __init__(self, url: str, database: str) -> None:
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
        self._db = self._client[database]

    async def open(self) -> None:
        await migrate_agents(self._db)
        await create_visit_indexes(self._db)
        await create_report_indexes(self._db)
        await self._db.agents.create_index(
            "email", unique=True, partialFilterExpression={"email": {"$type": "string"}}
        )
        await self._db.agents.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
        await self._db.agent_tokens.create_index([("agent_id", ASCENDING), ("label", ASCENDING)])
        await self._db.offline_mail.create_index([("due_at", ASCENDING), ("_id", ASCENDING)])
        await self._db.conversations.create_index(
            [("status", ASCENDING), ("created_at", DESCENDING)]
        )
        await self._db.conversations.create_index(
            [("agent_id", ASCENDING), ("created_at", DESCENDING)]
        )
        await self._db.conversations.create_index(
            [("summary.visitor.customer_id", ASCENDING), ("created_at", DESCENDING)]
        )
        await self._db.consoles.create_index("seen_at")
        await self._db.events.create_index(
            [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True
        )
        await self._db.events.create_index(
            [("conversation_id", ASCENDING), ("type", ASCENDING), ("seq", ASCENDING)]
        )
        await self._db.pins.create_index("conversation_id")
        await self._db.pins.create_index("expires_at")
        await self._db.counters.create_index("expires")
        await self._db.catalogue.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
        await self._db.replies.create_index(
            [("scope", ASCENDING), ("shortcut", ASCENDING)], unique=True
        )
        await self._db.push_subscriptions.create_index(
            [("agent_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        await self._db.webhooks.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
        await self._db.webhook_deliveries.create_index(
            [("state", ASCENDING), ("next_attempt_at", ASCENDING), ("_id", ASCENDING)]
        )
        await self._db.webhook_deliveries.create_index(
            [("hook_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)]
        )
        await self._db.webhook_deliveries.create_index("finished_at")

    async def close(self) -> None:
        await self._client.close()

    async def ping(self) -> None:
        await self._db.command("ping")

    async def secret(self, name: str, candidate: bytes) -> bytes:
        try:
            await self._db.secrets.insert_one({"_id": name, "value": candidate})
        except DuplicateKeyError:
            pass
        found = await self._db.secrets.find_one({"_id": name})
        assert found is not None
        return bytes(found["value"])


async def migrate_agents(db: AsyncDatabase[Document]) -> None:
    """Agents of an older version kept one token each in the agent's document (with a
    unique index): move those tokens to `agent_tokens` as `api` tokens."""
    if "token_digest_1" in await db.agents.index_information():
        await db.agents.drop_index("token_digest_1")
    async for doc in db.agents.find({"token_digest": {"$exists": True}}):
        await db.agent_tokens.update_one(
            {"_id": doc["token_digest"]},
            {
                "$setOnInsert": {
                    "agent_id": doc["_id"],
                    "created_at": doc["created_at"],
                    "label": "api",
                }
            },
            upsert=True,
        )
        await db.agents.update_one({"_id": doc["_id"]}, {"$unset": {"token_digest": ""}})


async def create_visit_indexes(db: AsyncDatabase[Document]) -> None:
    await db.visitors.create_index("last_seen")
    await db.page_views.create_index([("visitor_id", ASCENDING), ("at", ASCENDING)])
    await db.invitations.create_index("visitor_id")
    await db.invitations.create_index("created_at")
    await db.conversions.create_index("at")


async def create_report_indexes(db: AsyncDatabase[Document]) -> None:
    await db.conversations.create_index("created_at")
    await db.conversions.create_index([("visitor_id", ASCENDING), ("at", ASCENDING)])
