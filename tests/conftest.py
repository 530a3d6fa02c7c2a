"""Fixtures: a real store per backend, loaded once with the sample, and a GraphQL runner.

The Neo4j tests talk to the server at NEO4J_URI (``make test`` starts one with devdb when
the variable is not set). If it cannot be reached they fail loudly with the reason; they
are never skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from graph_api.domain.dataset import read_sample
from graph_api.domain.graphdata import GraphData
from graph_api.graphql.context import GraphContext, make_context
from graph_api.graphql.schema import build_schema
from graph_api.settings import Settings, get_settings
from graph_api.store.base import GraphStore
from graph_api.store.embedded.store import EmbeddedStore
from tests.backends import load_sample_into, open_neo4j

BACKENDS = ["neo4j", "embedded"]


#: the tests' HS256 secret (the development secret file is not touched by tests)
TEST_JWT_SECRET = "test-secret-of-the-graph-api-suite-0123456789"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings().model_copy(update={"graph_api_jwt_secret": TEST_JWT_SECRET})


def bearer(settings: Settings, role: str, scope: str, **kw: Any) -> dict[str, str]:
    """An Authorization header of a fresh token for the role (e.g. "COMMUNITY_STAFF") and scope."""
    from graph_api.auth import TokenService, parse_scope
    from graph_api.domain.access import Role

    kind, ids = parse_scope(scope)
    issued = TokenService(settings).create_jwt(kw.pop("subject", f"test-{role.lower()}"), Role(role), kind, ids, **kw)
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture(scope="session")
def admin_headers(settings: Settings) -> dict[str, str]:
    """A district administrator of the sample's district."""
    return bearer(settings, "DISTRICT_ADMIN", "district:210905")


@pytest.fixture(scope="session")
def sample_data():
    return read_sample()


@pytest.fixture(scope="session")
def tier_s() -> list[GraphData]:
    """Generated tier S (29,000 records), for the parity tests."""
    from graph_api.ledger.generate import generate_tier

    return list(generate_tier("S"))


@asynccontextmanager
async def writable_sample_store(name: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory,
                                label: str) -> AsyncIterator[GraphStore]:
    """A store of one backend, loaded with the sample, that a test module may write to; the sample
    is loaded again afterwards, leaving Neo4j as the other modules expect it."""
    store = await open_backend(name, settings, tmp_path_factory.mktemp(f"{label}-{name}"))
    try:
        await load_sample_into(store)
        yield store
        await load_sample_into(store)
    finally:
        await store.close()


async def open_backend(name: str, settings: Settings, folder: Path) -> GraphStore:
    if name == "neo4j":
        return await open_neo4j(settings)
    if name == "embedded":
        return EmbeddedStore(folder / "graph.sqlite3")
    raise AssertionError(name)  # a new backend must be added here


@pytest.fixture(scope="session", params=BACKENDS)
async def store(request: pytest.FixtureRequest, settings: Settings,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[GraphStore]:
    """A store of each backend, wiped, migrated and loaded with the sample."""
    opened = await open_backend(request.param, settings, tmp_path_factory.mktemp(request.param))
    await load_sample_into(opened)
    yield opened
    await opened.close()


@pytest.fixture(scope="session")
def schema(settings: Settings):
    return build_schema(settings)


class GraphQLRunner:
    """Runs operations against the schema with a fresh request context each time."""

    def __init__(self, schema: Any, store: GraphStore, settings: Settings):
        self.schema = schema
        self.store = store
        self.settings = settings
        self.last_context: GraphContext | None = None

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, *,
                       expect_errors: bool = False, **context_kw: Any) -> Any:
        self.last_context = make_context(self.store, self.settings, **context_kw)
        result = await self.schema.execute(query, variable_values=variables, context_value=self.last_context)
        if expect_errors:
            assert result.errors, f"expected errors, got data {result.data}"
            return result
        assert not result.errors, [str(e) for e in result.errors]
        return result.data

    @property
    def round_trips(self) -> int:
        assert self.last_context is not None
        return self.last_context.store.round_trips


@pytest.fixture
def gql(schema: Any, store: GraphStore, settings: Settings) -> GraphQLRunner:
    return GraphQLRunner(schema, store, settings)
