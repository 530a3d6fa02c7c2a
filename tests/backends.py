"""Opening the test stores, shared by conftest.py and the differential tests."""

from __future__ import annotations

import os

import pytest

from graph_api.domain.dataset import read_sample
from graph_api.settings import Settings
from graph_api.store.base import GraphStore
from graph_api.store.neo4j_store import Neo4jStore


async def open_neo4j(settings: Settings) -> Neo4jStore:
    """The Neo4j at NEO4J_URI; the test fails loudly with the reason if it cannot be reached."""
    uri = os.environ.get("NEO4J_URI", settings.neo4j_uri)
    store = Neo4jStore(uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database)
    try:
        await store.ping()
    except Exception as exc:  # noqa: BLE001  (any reason is reported)
        await store.close()
        pytest.fail(f"Neo4j is not reachable at {uri}: {exc!r}. Run `make test` (it starts Neo4j with "
                    f"devdb) or set NEO4J_URI to a running server.", pytrace=False)
    return store


async def load_sample_into(store: GraphStore) -> None:
    """Wipe, migrate and load the sample: the state every GraphQL test starts from."""
    await store.wipe()
    await store.migrate()
    await store.load(read_sample(), replace=True)
