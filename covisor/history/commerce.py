"""The report's `products` section: what the range's conversations did with the shop's
products, and the orders that followed (docs/PROTOCOL.md, *Reports*).

The store (covisor/store/commerce.py) reads the events and the orders' items and names each
product by the catalogue's product id; this module splits the counts per agent and per device,
takes the top lists and their titles (as the product's card titles it, catalogue/products.py).

Events count by their conversation, which the range holds when it was opened in it (like every
conversation figure), and go to that conversation's agent (its first `conversation.accepted`,
as `ConversationFacts` says) and device. Orders count by when they were made (like the
`conversions` figures), and go to the agent of their conversation and to the device the
conversion recorded. A conversation no agent accepted counts in the totals only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from covisor.catalogue.products import shared_title
from covisor.history.amounts import per_currency
from covisor.store.commerce import CommerceStore, ProductMoment, ShownOrder
from covisor.store.records import ConversationFacts

TOP = 10
"""How many products each top list holds."""

_FIGURES = ["shown", "sent", "added_to_cart", "orders_with_shown"]


@dataclass
class _Tally:
    """The figures of one scope: the whole range, an agent or a device."""

    acts: Counter[str] = field(default_factory=Counter)
    orders: list[ShownOrder] = field(default_factory=list)

    def wire(self) -> dict[str, Any]:
        return {
            "shown": self.acts["shown"],
            "sent": self.acts["sent"],
            "added_to_cart": self.acts["added"],
            "orders_with_shown": len(self.orders),
            "orders_value": per_currency((o.currency, o.value_cents) for o in self.orders),
        }


@dataclass
class _Split:
    total: _Tally = field(default_factory=_Tally)
    agents: dict[str, _Tally] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    devices: dict[str, _Tally] = field(default_factory=dict)

    def scopes(self, agent_id: str | None, agent_name: str | None, device: str) -> list[_Tally]:
        """The tallies a fact of this agent (if any) and device adds to."""
        scopes = [self.total, self.devices.setdefault(device, _Tally())]
        if agent_id is not None:
            scopes.append(self.agents.setdefault(agent_id, _Tally()))
            if agent_name:
                self.names[agent_id] = agent_name
        return scopes


def _split(
    facts: Sequence[ConversationFacts],
    moments: Iterable[ProductMoment],
    orders: Iterable[ShownOrder],
) -> _Split:
    split = _Split()
    by_id = {f.id: f for f in facts}
    for order in orders:
        for tally in split.scopes(order.agent_id, order.agent_name, order.device):
            tally.orders.append(order)
    for moment in moments:
        # A conversation opened after the facts were read has none: it counts in the totals.
        f = by_id.get(moment.conversation_id)
        agent_id, agent_name = (f.agent_id, f.agent_name) if f else (None, None)
        for tally in split.scopes(agent_id, agent_name, f.device if f else "unknown"):
            tally.acts[moment.act] += moment.count
    return split


def _most_shown(moments: Iterable[ProductMoment]) -> list[tuple[str, int]]:
    shown: Counter[str] = Counter()
    for moment in moments:
        if moment.act == "shown":
            shown[moment.product_id] += moment.count
    return sorted(shown.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP]


async def products_section(
    store: CommerceStore, start: float, end: float, facts: Sequence[ConversationFacts]
) -> dict[str, Any]:
    """The section for [start, end), `facts` being the range's conversations."""
    moments = await store.product_moments(start, end)
    split = _split(facts, moments, await store.orders_with_shown(start, end))
    most_shown = _most_shown(moments)
    sold = await store.sold_after_chat(start, end, TOP)
    titles = await store.product_titles(
        sorted({pid for pid, _ in most_shown} | {s.product_id for s in sold})
    )

    def title(product_id: str) -> str | None:
        variants = titles.get(product_id)
        return shared_title(variants) if variants else None

    agents = [
        {"id": agent_id, "name": split.names.get(agent_id, ""), **tally.wire()}
        for agent_id, tally in split.agents.items()
    ]
    agents.sort(key=lambda a: (-a["orders_with_shown"], -a["shown"], a["name"], a["id"]))
    return {
        **split.total.wire(),
        "agents": agents,
        "devices": [
            {"device": device, **tally.wire()} for device, tally in sorted(split.devices.items())
        ],
        "most_shown": [
            {"product_id": pid, "title": title(pid), "shown": count} for pid, count in most_shown
        ],
        "most_sold_after_chat": [
            {
                "product_id": s.product_id,
                "title": title(s.product_id),
                "quantity": s.quantity,
                "orders": s.orders,
            }
            for s in sold
        ],
    }


def csv_sections(products: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The section as CSV sections `(name, header, rows)`: `products` (the figures of the
    range, then per agent, then per device), `products_orders` (their orders' value per
    currency), `most_shown` and `most_sold_after_chat`."""
    scopes = [
        ("all", "", "", products),
        *(("agent", a["id"], a["name"], a) for a in products["agents"]),
        *(("device", d["device"], "", d) for d in products["devices"]),
    ]
    return [
        (
            "products",
            ["scope", "id", "name", *_FIGURES],
            [[scope, key, name, *(row[f] for f in _FIGURES)] for scope, key, name, row in scopes],
        ),
        (
            "products_orders",
            ["scope", "id", "currency", "orders", "total", "average"],
            [
                [scope, key, v["currency"], v["orders"], v["total"], v["average"]]
                for scope, key, _, row in scopes
                for v in row["orders_value"]
            ],
        ),
        (
            "most_shown",
            ["product_id", "title", "shown"],
            [[p["product_id"], p["title"], p["shown"]] for p in products["most_shown"]],
        ),
        (
            "most_sold_after_chat",
            ["product_id", "title", "quantity", "orders"],
            [
                [p["product_id"], p["title"], p["quantity"], p["orders"]]
                for p in products["most_sold_after_chat"]
            ],
        ),
    ]
