"""Opening the test stores, shared by conftest.py and the differential tests."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graph_api.domain.dataset import read_sample
from graph_api.domain.graphdata import GraphData
from graph_api.settings import Settings
from graph_api.store.base import GraphStore
from graph_api.store.embedded.store import EmbeddedStore
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


# --- the two backends side by side, on one event loop (differential and parity tests) -------------

@dataclass
class Backends:
    loop: asyncio.AbstractEventLoop
    neo4j: Neo4jStore
    embedded: EmbeddedStore
    folder: Path
    loaded: str = ""

    def run(self, coro: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(coro)

    @property
    def both(self) -> tuple[GraphStore, GraphStore]:
        return self.neo4j, self.embedded

    def load(self, name: str, chunks: list[GraphData]) -> None:
        """Both stores emptied and loaded with the chunks (one write per chunk), unless already."""
        if self.loaded == name:
            return
        self.loaded = ""
        self.run(self.embedded.close())
        self.embedded = EmbeddedStore(self.folder / f"{name}.sqlite3")
        self.run(self.neo4j.wipe())
        for store in self.both:
            self.run(store.migrate())
            for chunk in chunks:
                self.run(store.load(chunk))
        self.loaded = name


@contextmanager
def both_backends(settings: Settings, folder: Path) -> Iterator[Backends]:
    """Neo4j and a new embedded store, migrated; Neo4j is left with the sample, as other modules expect."""
    loop = asyncio.new_event_loop()
    try:
        neo4j = loop.run_until_complete(open_neo4j(settings))
    except BaseException:
        loop.close()
        raise
    pair = Backends(loop, neo4j, EmbeddedStore(folder / "start.sqlite3"), folder)
    try:
        for store in pair.both:  # the same unique constraints on both sides
            pair.run(store.migrate())
        yield pair
    finally:
        try:
            pair.run(load_sample_into(neo4j))
        finally:
            pair.run(neo4j.close())
            pair.run(pair.embedded.close())
            loop.close()

