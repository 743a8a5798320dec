"""`covisor migrate-store`: a deployment on SQLite moves onto PostgreSQL with nothing lost."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from covisor.app.http import create_app
from covisor.catalogue.search import parse_query
from covisor.config import Config
from tests.conftest import LOADED_MACHINE_SHED_AFTER, serving
from tests.history.test_privacy import covisor
from tests.store.test_products_contract import product, write


async def test_a_sqlite_deployment_moves_onto_postgresql_with_nothing_lost(
    tmp_path: Path, postgres_url: str
) -> None:
    config = Config(
        data_dir=tmp_path / "data", port=0, seed_demo=False, shed_after=LOADED_MACHINE_SHED_AFTER
    )
    async with serving(await create_app(config)) as h:
        cid, customer, agent = await h.session()
        await customer.ok("chat.send", {"conversation_id": cid, "text": "¿Es impermeable?"})
        await agent.ok("chat.send", {"conversation_id": cid, "text": "Sí, con membrana."})
        await write(
            h.services.store,  # type: ignore[arg-type]
            "i1",
            product("ZT-R42", group_id="ZT", title="Zapatilla de trail roja 42"),
        )
        before = await h.services.store.events_after(cid, 0, 100)
    data_dir = str(config.data_dir)

    code, said = await covisor("migrate-store", "--to", postgres_url, "--data-dir", data_dir)
    assert code == 0, said
    assert "Copied" in said and "rows" in said

    on_postgresql = dataclasses.replace(config, database_url=postgres_url)
    async with serving(await create_app(on_postgresql)) as h:
        store = h.services.store
        assert await store.events_after(cid, 0, 100) == before
        status, body = await h.request("GET", f"/api/conversations/{cid}", agent.token)
        assert status == 200 and body["status"] == "active", body
        back = await h.peer(customer.token)
        await back.ok("join", {"conversation_id": cid})
        sent = await back.ok("chat.send", {"conversation_id": cid, "text": "¡Gracias!"})
        assert sent["seq"] == before[-1].seq + 1
        hits = await store.search_products(parse_query("zapat roja"))  # type: ignore[attr-defined]
        assert [hit.id for hit in hits] == ["ZT-R42"]

    code, said = await covisor("migrate-store", "--to", postgres_url, "--data-dir", data_dir)
    assert code == 2 and "is not empty" in said and "Traceback" not in said, said
