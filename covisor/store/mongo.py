"""The MongoDB store, for deployments that already run MongoDB (pymongo's async client).

Same contract as the SQLite store (tests/store/ runs one suite against both). A conversation's
seq range is claimed by one atomic conditional update (`seq == expected_seq`) before its events
are inserted, so two processes never hand out the same seq. Without a replica set there are no
multi-document transactions: a crash between the claim and the insert can leave a gap in the
seqs, which clients treat like any other gap (they resync from a snapshot).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

from covisor.kernel.events import Event, decode, encode
from covisor.store import (
    AgentChanges,
    AgentRecord,
    Append,
    CatalogueRecord,
    ConversationRecord,
    LastAdmin,
    PresenceRecord,
    PushSubscriptionRecord,
    ReplyRecord,
    SummaryRecord,
    WebhookDeliveryRecord,
    WebhookRecord,
)
from covisor.store.mongo_reports import MongoReports, create_report_indexes
from covisor.store.mongo_visits import MongoVisits, create_visit_indexes
from covisor.store.records import (
    DEFAULT_CAPACITY,
    Attempts,
    Pin,
    Redeemer,
    removes_enabled_admin,
    with_seq,
)

_SUMMARY_FIELDS = {"created_at": 1, "seq": 1, "summary": 1}


class MongoStore(MongoVisits, MongoReports):
    def __init__(self, url: str, database: str) -> None:
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
        self._db = self._client[database]

    async def open(self) -> None:
        await self._migrate_agents()
        await create_visit_indexes(self._db)
        await create_report_indexes(self._db)
        await self._db.agents.create_index(
            "email", unique=True, partialFilterExpression={"email": {"$type": "string"}}
        )
        await self._db.agents.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
        await self._db.agent_tokens.create_index([("agent_id", ASCENDING), ("label", ASCENDING)])
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

    async def _migrate_agents(self) -> None:
        """Agents of an older version kept one token each in the agent's document (with a
        unique index): move those tokens to `agent_tokens` as `api` tokens."""
        if "token_digest_1" in await self._db.agents.index_information():
            await self._db.agents.drop_index("token_digest_1")
        async for doc in self._db.agents.find({"token_digest": {"$exists": True}}):
            await self._db.agent_tokens.update_one(
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
            await self._db.agents.update_one({"_id": doc["_id"]}, {"$unset": {"token_digest": ""}})

    async def add_agent(self, agent: AgentRecord) -> bool:
        try:
            await self._db.agents.insert_one(
                {
                    "_id": agent.id,
                    "name": agent.name,
                    "created_at": agent.created_at,
                    "email": agent.email,
                    "password_hash": agent.password_hash,
                    "role": agent.role,
                    "disabled": agent.disabled,
                    "capacity": agent.capacity,
                }
            )
        except DuplicateKeyError:
            return False
        if agent.token_digest is not None:
            await self.add_agent_token(agent.token_digest, agent.id, agent.created_at, "api")
        return True

    async def agent_by_digest(self, token_digest: str) -> AgentRecord | None:
        token = await self._db.agent_tokens.find_one({"_id": token_digest})
        if token is None:
            return None
        doc = await self._db.agents.find_one({"_id": token["agent_id"]})
        return _agent(doc, token_digest) if doc else None

    async def agent(self, agent_id: str) -> AgentRecord | None:
        doc = await self._db.agents.find_one({"_id": agent_id})
        return _agent(doc) if doc else None

    async def agent_by_email(self, email: str) -> AgentRecord | None:
        doc = await self._db.agents.find_one({"email": email})
        return _agent(doc) if doc else None

    async def agents(self, limit: int = 1000) -> list[AgentRecord]:
        cursor = self._db.agents.find().sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_agent(doc) async for doc in cursor.limit(limit)]

    async def update_agent(self, agent_id: str, changes: AgentChanges) -> AgentRecord | None:
        fields = {k: v for k, v in dataclasses.asdict(changes).items() if v is not None}
        if not fields:
            return await self.agent(agent_id)
        before = await self._db.agents.find_one_and_update(
            {"_id": agent_id}, {"$set": fields}, return_document=ReturnDocument.BEFORE
        )
        if before is None:
            return None
        agent = _agent(before)
        # No multi-document transaction without a replica set: the change is made, then taken
        # back if it left no enabled admin (two admins demoting themselves at once may both be
        # taken back; never may both go through).
        if removes_enabled_admin(agent, changes) and not await self._db.agents.count_documents(
            {"role": "admin", "disabled": {"$ne": True}}, limit=1
        ):
            restore = {k: getattr(agent, k) for k in fields}
            await self._db.agents.update_one({"_id": agent_id}, {"$set": restore})
            raise LastAdmin(agent_id)
        return dataclasses.replace(agent, **fields)

    async def add_agent_token(
        self, token_digest: str, agent_id: str, created_at: float, label: str
    ) -> None:
        await self._db.agent_tokens.insert_one(
            {"_id": token_digest, "agent_id": agent_id, "created_at": created_at, "label": label}
        )

    async def revoke_agent_token(self, token_digest: str, label: str) -> bool:
        result = await self._db.agent_tokens.delete_one({"_id": token_digest, "label": label})
        return result.deleted_count > 0

    async def revoke_agent_tokens(self, agent_id: str, label: str) -> int:
        result = await self._db.agent_tokens.delete_many({"agent_id": agent_id, "label": label})
        return int(result.deleted_count)

    async def count_agents(self) -> int:
        return int(await self._db.agents.count_documents({}))

    async def create_conversation(self, conversation_id: str, created_at: float) -> None:
        await self._db.conversations.insert_one(
            {
                "_id": conversation_id,
                "created_at": created_at,
                "seq": 0,
                "status": "waiting",
                "agent_id": None,
                "summary": {},
                "snapshot": None,
                "snapshot_seq": 0,
            }
        )

    async def conversation(self, conversation_id: str) -> ConversationRecord | None:
        doc = await self._db.conversations.find_one({"_id": conversation_id})
        return _record(doc) if doc else None

    async def summary(self, conversation_id: str) -> SummaryRecord | None:
        doc = await self._db.conversations.find_one({"_id": conversation_id}, _SUMMARY_FIELDS)
        return _summary(doc) if doc else None

    async def conversations(
        self,
        *,
        status: str | None = None,
        agent_id: str | None = None,
        customer_id: str | None = None,
        limit: int = 200,
    ) -> list[SummaryRecord]:
        query: dict[str, Any] = {"seq": {"$gt": 0}}
        if status is not None:
            query["status"] = status
        if agent_id is not None:
            query["agent_id"] = agent_id
        if customer_id is not None:
            query["summary.visitor.customer_id"] = customer_id
        cursor = (
            self._db.conversations.find(query, _SUMMARY_FIELDS)
            .sort("created_at", DESCENDING)
            .limit(limit)
        )
        return [_summary(doc) async for doc in cursor]

    async def open_counts(self) -> dict[str, int]:
        cursor = await self._db.conversations.aggregate(
            [
                {"$match": {"status": "active", "agent_id": {"$type": "string"}}},
                {"$group": {"_id": "$agent_id", "n": {"$sum": 1}}},
            ]
        )
        return {doc["_id"]: doc["n"] async for doc in cursor}

    async def set_agent_status(self, agent_id: str, status: str, at: float) -> None:
        await self._db.agent_status.update_one(
            {"_id": agent_id},
            {"$set": {"status": status, "changed_at": at}, "$setOnInsert": {"assigned_at": 0.0}},
            upsert=True,
        )

    async def mark_assigned(self, agent_id: str, at: float) -> None:
        await self._db.agent_status.update_one(
            {"_id": agent_id},
            {
                "$set": {"assigned_at": at},
                "$setOnInsert": {"status": None, "changed_at": 0.0},
            },
            upsert=True,
        )

    async def record_consoles(self, process_id: str, counts: dict[str, int], at: float) -> None:
        await self._db.consoles.update_one(
            {"_id": process_id},
            {"$set": {"agents": {k: n for k, n in counts.items() if n > 0}, "seen_at": at}},
            upsert=True,
        )

    async def presence(self, seen_after: float) -> dict[str, PresenceRecord]:
        found = {
            doc["_id"]: PresenceRecord(
                doc["_id"], doc.get("status"), doc["changed_at"], doc["assigned_at"], 0
            )
            async for doc in self._db.agent_status.find({})
        }
        async for report in self._db.consoles.find({"seen_at": {"$gt": seen_after}}):
            for agent_id, count in report["agents"].items():
                known = found.get(agent_id) or PresenceRecord(agent_id, None, 0.0, 0.0, 0)
                found[agent_id] = dataclasses.replace(known, consoles=known.consoles + count)
        return found

    async def with_pending_uploads(self, limit: int = 1000) -> list[str]:
        cursor = self._db.conversations.find(
            {"summary.uploads_pending": {"$gt": 0}}, {"_id": 1}
        ).limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def commit(self, appends: list[Append]) -> set[str]:
        stale: set[str] = set()
        for append in appends:
            if not await self._commit_one(append):
                stale.add(append.conversation_id)
        return stale

    async def _commit_one(self, append: Append) -> bool:
        if not append.events:
            found = {"_id": append.conversation_id, "seq": append.expected_seq}
            return await self._db.conversations.find_one(found, {"_id": 1}) is not None
        last = append.events[-1].seq
        update: dict[str, Any] = {"seq": last}
        if append.summary is not None:
            update["status"] = append.summary.get("status", "waiting")
            update["agent_id"] = append.summary.get("agent_id")
            update["summary"] = append.summary
        if append.snapshot is not None:
            update["snapshot"] = append.snapshot
            update["snapshot_seq"] = last
        claimed = await self._db.conversations.update_one(
            {"_id": append.conversation_id, "seq": append.expected_seq}, {"$set": update}
        )
        if claimed.modified_count != 1:
            return False
        if append.events:
            await self._db.events.insert_many(
                [
                    {
                        "conversation_id": e.conversation_id,
                        "seq": e.seq,
                        "type": e.type,
                        "body": encode(e),
                    }
                    for e in append.events
                ],
                ordered=True,
            )
        return True

    async def events_after(self, conversation_id: str, after_seq: int, limit: int) -> list[Event]:
        cursor = (
            self._db.events.find({"conversation_id": conversation_id, "seq": {"$gt": after_seq}})
            .sort("seq", ASCENDING)
            .limit(limit)
        )
        return [decode(doc["body"]) async for doc in cursor]

    async def events_of_type(
        self, conversation_id: str, type_: str, before_seq: int | None, limit: int
    ) -> list[Event]:
        query: dict[str, Any] = {"conversation_id": conversation_id, "type": type_}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        cursor = self._db.events.find(query).sort("seq", DESCENDING).limit(limit)
        found = [decode(doc["body"]) async for doc in cursor]
        return found[::-1]

    async def erase_conversation(self, conversation_id: str) -> bool:
        await self._db.events.delete_many({"conversation_id": conversation_id})
        await self._db.pins.delete_many({"conversation_id": conversation_id})
        keys = [f"{kind}:{conversation_id}" for kind in ("uploads", "upload-bytes", "conversation")]
        await self._db.counters.delete_many({"_id": {"$in": keys}})
        deleted = await self._db.conversations.delete_one({"_id": conversation_id})
        return bool(deleted.deleted_count)

    async def media_in_use(self, media_ids: list[str]) -> set[str]:
        wanted = set(media_ids)
        found = {
            doc["media_id"]
            async for doc in self._db.catalogue.find({"media_id": {"$in": media_ids}})
        }
        async for doc in self._db.events.find({"type": "media.processing"}, {"body": 1}):
            media_id = decode(doc["body"]).data.get("media_id")
            if media_id in wanted:
                found.add(media_id)
        return found

    async def closed_before(self, before: float, limit: int = 500) -> list[str]:
        found: list[str] = []
        async for doc in self._db.conversations.find({"status": "closed"}, {"seq": 1}):
            last = await self._db.events.find_one(
                {"conversation_id": doc["_id"], "seq": doc["seq"]}
            )
            if last is not None and decode(last["body"]).at < before:
                found.append(doc["_id"])
                if len(found) >= limit:
                    break
        return found

    async def add_pin(self, pin: Pin) -> bool:
        await self._db.pins.delete_many({"expires_at": {"$lte": pin.created_at}})
        try:
            await self._db.pins.insert_one({"_id": pin.digest, **_pin_fields(pin)})
        except DuplicateKeyError:
            return False
        # No multi-document transaction: revoke after inserting, and only PINs older than this
        # one (ties broken by digest), so of two concurrent issues the newer one survives.
        await self._db.pins.delete_many(
            {
                "conversation_id": pin.conversation_id,
                "used_at": None,
                "$or": [
                    {"created_at": {"$lt": pin.created_at}},
                    {"created_at": pin.created_at, "_id": {"$lt": pin.digest}},
                ],
            }
        )
        return True

    async def pin(self, digest: str) -> Pin | None:
        doc = await self._db.pins.find_one({"_id": digest})
        return _pin(doc) if doc else None

    async def claim_pin(self, digest: str, redeemer: Redeemer, now: float) -> Pin | None:
        doc = await self._db.pins.find_one_and_update(
            {"_id": digest, "redeemer": redeemer, "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        return _pin(doc) if doc else None

    async def count_attempt(
        self, key: str, now: float, reset_before: float, amount: int = 1
    ) -> Attempts:
        await self._db.counters.delete_many({"expires": {"$lte": now}})
        live = {"$gt": ["$expires", now]}
        doc = await self._db.counters.find_one_and_update(
            {"_id": key},
            [
                {
                    "$set": {
                        "count": {"$cond": [live, {"$add": ["$count", amount]}, amount]},
                        "started": {"$cond": [live, "$started", now]},
                        "expires": {"$cond": [live, "$expires", now + (now - reset_before)]},
                    }
                }
            ],
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise RuntimeError("an upsert returning the new document returned none")
        return Attempts(doc["count"], doc["started"])

    async def forgive_attempt(self, key: str) -> None:
        await self._db.counters.update_one(
            {"_id": key, "count": {"$gt": 0}}, {"$inc": {"count": -1}}
        )

    async def attempts(self, key: str) -> Attempts | None:
        doc = await self._db.counters.find_one({"_id": key})
        return Attempts(doc["count"], doc["started"]) if doc else None

    async def add_catalogue_item(self, item: CatalogueRecord) -> bool:
        fields = dataclasses.asdict(item)
        try:
            await self._db.catalogue.insert_one({"_id": fields.pop("id"), **fields})
        except DuplicateKeyError:
            return False
        return True

    async def catalogue_item(self, item_id: str) -> CatalogueRecord | None:
        doc = await self._db.catalogue.find_one({"_id": item_id})
        return _catalogue_record(doc) if doc else None

    async def catalogue_items(self, limit: int = 1000) -> list[CatalogueRecord]:
        cursor = self._db.catalogue.find().sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_catalogue_record(doc) async for doc in cursor.limit(limit)]

    async def add_push_subscription(self, subscription: PushSubscriptionRecord, keep: int) -> None:
        # Two steps without a transaction: a crash between them leaves the agent one
        # subscription over `keep` until its next subscribe, which trims again.
        await self._db.push_subscriptions.replace_one(
            {"_id": subscription.endpoint},
            {
                "agent_id": subscription.agent_id,
                "p256dh": subscription.p256dh,
                "auth": subscription.auth,
                "created_at": subscription.created_at,
            },
            upsert=True,
        )
        cursor = (
            self._db.push_subscriptions.find({"agent_id": subscription.agent_id}, {"_id": 1})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .skip(keep)
        )
        extra = [doc["_id"] async for doc in cursor]
        if extra:
            await self._db.push_subscriptions.delete_many({"_id": {"$in": extra}})

    async def push_subscriptions(self, agent_ids: list[str]) -> list[PushSubscriptionRecord]:
        if not agent_ids:
            return []
        cursor = self._db.push_subscriptions.find({"agent_id": {"$in": agent_ids}}).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [
            PushSubscriptionRecord(
                doc["_id"], doc["p256dh"], doc["auth"], doc["agent_id"], doc["created_at"]
            )
            async for doc in cursor
        ]

    async def remove_push_subscription(self, endpoint: str, agent_id: str | None = None) -> bool:
        query: dict[str, Any] = {"_id": endpoint}
        if agent_id is not None:
            query["agent_id"] = agent_id
        result = await self._db.push_subscriptions.delete_one(query)
        return result.deleted_count > 0

    async def add_reply(self, reply: ReplyRecord) -> bool:
        try:
            await self._db.replies.insert_one({"_id": reply.id, **_reply_fields(reply)})
        except DuplicateKeyError:
            return False
        return True

    async def update_reply(self, reply: ReplyRecord) -> bool | None:
        try:
            result = await self._db.replies.replace_one({"_id": reply.id}, _reply_fields(reply))
        except DuplicateKeyError:
            return False
        return True if result.matched_count else None

    async def reply(self, reply_id: str) -> ReplyRecord | None:
        doc = await self._db.replies.find_one({"_id": reply_id})
        return _reply(doc) if doc else None

    async def replies_for(self, owner_id: str, limit: int = 1000) -> list[ReplyRecord]:
        cursor = self._db.replies.find({"scope": {"$in": ["", owner_id]}}).sort(
            [("shortcut", ASCENDING), ("shared", ASCENDING), ("_id", ASCENDING)]
        )
        return [_reply(doc) async for doc in cursor.limit(limit)]

    async def delete_reply(self, reply_id: str) -> bool:
        result = await self._db.replies.delete_one({"_id": reply_id})
        return result.deleted_count > 0

    async def add_webhook(self, hook: WebhookRecord) -> None:
        fields = dataclasses.asdict(hook)
        fields["events"] = list(hook.events)
        await self._db.webhooks.insert_one({"_id": fields.pop("id"), **fields})

    async def webhook(self, hook_id: str) -> WebhookRecord | None:
        doc = await self._db.webhooks.find_one({"_id": hook_id})
        return _webhook(doc) if doc else None

    async def webhooks(self) -> list[WebhookRecord]:
        cursor = self._db.webhooks.find().sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_webhook(doc) async for doc in cursor]

    async def delete_webhook(self, hook_id: str) -> bool:
        # Deliveries first: a crash between the two leaves a hook without history, never
        # deliveries of a hook that is gone.
        await self._db.webhook_deliveries.delete_many({"hook_id": hook_id})
        result = await self._db.webhooks.delete_one({"_id": hook_id})
        return result.deleted_count > 0

    async def add_webhook_deliveries(self, deliveries: list[WebhookDeliveryRecord]) -> None:
        if not deliveries:
            return
        docs = []
        for delivery in deliveries:
            fields = dataclasses.asdict(delivery)
            docs.append({"_id": fields.pop("id"), **fields, "claimer": None, "leased_until": 0.0})
        await self._db.webhook_deliveries.insert_many(docs, ordered=True)

    async def claim_webhook_deliveries(
        self, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[WebhookDeliveryRecord]:
        claimed: list[WebhookDeliveryRecord] = []
        while len(claimed) < limit:
            doc = await self._db.webhook_deliveries.find_one_and_update(
                {
                    "state": "pending",
                    "next_attempt_at": {"$lte": now},
                    "leased_until": {"$lte": now},
                },
                {"$set": {"claimer": claimer, "leased_until": lease_until}},
                sort=[("next_attempt_at", ASCENDING), ("_id", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                break
            claimed.append(_delivery(doc))
        return claimed

    async def next_webhook_attempt(self) -> float | None:
        cursor = await self._db.webhook_deliveries.aggregate(
            [
                {"$match": {"state": "pending"}},
                {
                    "$group": {
                        "_id": None,
                        "at": {"$min": {"$max": ["$next_attempt_at", "$leased_until"]}},
                    }
                },
            ]
        )
        found = [doc async for doc in cursor]
        return float(found[0]["at"]) if found else None

    async def settle_webhook_delivery(self, delivery: WebhookDeliveryRecord, claimer: str) -> bool:
        result = await self._db.webhook_deliveries.update_one(
            {"_id": delivery.id, "claimer": claimer},
            {
                "$set": {
                    "state": delivery.state,
                    "attempts": delivery.attempts,
                    "last_status": delivery.last_status,
                    "last_error": delivery.last_error,
                    "next_attempt_at": delivery.next_attempt_at,
                    "delivered_at": delivery.delivered_at,
                    "finished_at": delivery.finished_at,
                    "claimer": None,
                    "leased_until": 0.0,
                }
            },
        )
        return result.matched_count > 0

    async def webhook_deliveries(
        self, hook_id: str, limit: int = 50
    ) -> list[WebhookDeliveryRecord]:
        cursor = (
            self._db.webhook_deliveries.find({"hook_id": hook_id})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [_delivery(doc) async for doc in cursor]

    async def drop_webhook_deliveries(self, finished_before: float) -> int:
        result = await self._db.webhook_deliveries.delete_many(
            {"state": {"$ne": "pending"}, "finished_at": {"$lt": finished_before}}
        )
        return int(result.deleted_count)


def _webhook(doc: dict[str, Any]) -> WebhookRecord:
    return WebhookRecord(
        doc["_id"],
        doc["url"],
        tuple(doc["events"]),
        doc["secret"],
        doc["created_at"],
        bool(doc.get("enabled", True)),
        doc.get("created_by"),
    )


def _delivery(doc: dict[str, Any]) -> WebhookDeliveryRecord:
    return WebhookDeliveryRecord(
        doc["_id"],
        doc["hook_id"],
        doc["event"],
        bytes(doc["body"]),
        doc["created_at"],
        doc["next_attempt_at"],
        doc["state"],
        doc["attempts"],
        doc.get("last_status"),
        doc.get("last_error"),
        doc.get("delivered_at"),
        doc.get("finished_at"),
    )


def _reply_fields(reply: ReplyRecord) -> dict[str, Any]:
    """A reply's document without its `_id`; `scope` ("" for shared ones, else the owner)
    carries the uniqueness of shortcuts."""
    fields = dataclasses.asdict(reply)
    del fields["id"]
    return {**fields, "scope": "" if reply.shared else reply.owner_id}


def _reply(doc: dict[str, Any]) -> ReplyRecord:
    return ReplyRecord(
        doc["_id"],
        doc["owner_id"],
        doc["shortcut"],
        doc["text"],
        doc["shared"],
        doc["created_at"],
        doc["updated_at"],
        doc.get("catalogue_id"),
    )


def _agent(doc: dict[str, Any], token_digest: str | None = None) -> AgentRecord:
    return AgentRecord(
        doc["_id"],
        doc["name"],
        token_digest,
        doc["created_at"],
        email=doc.get("email"),
        password_hash=doc.get("password_hash"),
        role="admin" if doc.get("role") == "admin" else "agent",
        disabled=bool(doc.get("disabled", False)),
        capacity=int(doc.get("capacity", DEFAULT_CAPACITY)),
    )


def _catalogue_record(doc: dict[str, Any]) -> CatalogueRecord:
    return CatalogueRecord(id=doc.pop("_id"), **doc)


def _record(doc: dict[str, Any]) -> ConversationRecord:
    snapshot = doc.get("snapshot")
    return ConversationRecord(
        doc["_id"],
        doc["created_at"],
        doc["seq"],
        with_seq(doc.get("summary") or {}, doc["seq"]),
        bytes(snapshot) if snapshot is not None else None,
        doc.get("snapshot_seq", 0),
    )


def _summary(doc: dict[str, Any]) -> SummaryRecord:
    return SummaryRecord(
        doc["_id"], doc["created_at"], doc["seq"], with_seq(doc.get("summary") or {}, doc["seq"])
    )


def _pin_fields(pin: Pin) -> dict[str, Any]:
    return {
        "conversation_id": pin.conversation_id,
        "redeemer": pin.redeemer,
        "issuer_id": pin.issuer_id,
        "created_at": pin.created_at,
        "expires_at": pin.expires_at,
        "used_at": pin.used_at,
    }


def _pin(doc: dict[str, Any]) -> Pin:
    return Pin(
        doc["_id"],
        doc["conversation_id"],
        doc["redeemer"],
        doc["issuer_id"],
        doc["created_at"],
        doc["expires_at"],
        doc.get("used_at"),
    )
