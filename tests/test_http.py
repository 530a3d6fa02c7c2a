"""The HTTP surface: GraphiQL served offline, health and readiness, GraphQL over POST."""

from __future__ import annotations

import httpx
import pytest

from graph_api.app import create_app
from graph_api.store.neo4j_store import Neo4jStore


@pytest.fixture
async def client(store, settings):
    app = create_app(settings, store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def test_graphiql_page_is_served_with_local_assets_and_examples(client) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert "/graphiql-assets/graphiql.min.js" in html
    assert "__GRAPHIQL_EXAMPLES__" not in html and "ArticleFigures" in html
    for cdn in ("unpkg.com", "jsdelivr", "cdnjs", "esm.sh"):
        assert cdn not in html
    asset = await client.get("/graphiql-assets/graphiql.min.js")
    assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]
    assert len(asset.content) > 100_000


async def test_graphql_post_and_health(client, store, admin_headers) -> None:
    response = await client.post("/graphql", json={"query": "{ communities(first: 1) { totalCount } }"},
                                 headers=admin_headers)
    assert response.status_code == 200
    assert response.json()["data"]["communities"]["totalCount"] == 13
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready" and ready["store"] == store.name


async def test_readyz_reports_an_unreachable_store(settings) -> None:
    dead = Neo4jStore("bolt://127.0.0.1:1")  # nothing listens on port 1
    app = create_app(settings, store=dead)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            response = await c.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
    finally:
        await dead.close()
