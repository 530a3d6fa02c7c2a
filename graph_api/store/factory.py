"""Opening the configured store backend."""

from __future__ import annotations

from graph_api.settings import Settings
from graph_api.store.base import GraphStore


async def open_store(settings: Settings) -> GraphStore:
    if settings.graph_api_store == "embedded":
        from graph_api.store.embedded.store import EmbeddedStore

        return EmbeddedStore(settings.graph_api_db)
    from graph_api.store.neo4j_store import Neo4jStore

    return Neo4jStore(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database)
