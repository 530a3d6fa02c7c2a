"""The request guards: body size, rate limit, CORS, query cost, introspection and GraphiQL switches.

Every app here runs on an empty embedded store in tmp_path (no Neo4j needed): the guards do not
depend on the data. Requests to /graphql go through :class:`Api`, whose :meth:`Api.headers` is
the one place that knows how a caller authenticates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from graphql import parse

from graph_api.app import create_app, example_operations
from graph_api.graphql.cost import CostEstimate, CostLimits
from graph_api.graphql.schema import build_schema
from graph_api.http_guards import BodySizeLimitMiddleware, RateLimiter
from graph_api.settings import Settings
from graph_api.store.embedded.store import EmbeddedStore

SECRET = "test-secret-of-the-request-guards-0123456789"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"graph_api_env": "development", "graph_api_jwt_secret": SECRET}
    return Settings(**{**values, **overrides})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Api:
    """One app and its client; ``caller`` names whose token a request carries."""

    def __init__(self, app: Any, settings: Settings, client: httpx.AsyncClient):
        self.app = app
        self.settings = settings
        self.client = client
        self._tokens: dict[str, str] = {}

    def headers(self, caller: str = "staff") -> dict[str, str]:
        """The headers of ``caller``'s requests (one token per caller, kept for the test)."""
        if caller not in self._tokens:
            from graph_api.auth import TokenService
            from graph_api.domain.access import Role

            issued = TokenService(self.settings).create_jwt(caller, Role.DISTRICT_ADMIN, "district", ("210905",))
            self._tokens[caller] = issued.token
        return {"Authorization": f"Bearer {self._tokens[caller]}"}

    async def graphql(self, query: str, variables: dict[str, Any] | None = None, *, caller: str = "staff",
                      headers: dict[str, str] | None = None) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.client.post("/graphql", json=body, headers={**self.headers(caller), **(headers or {})})

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.graphql(query, variables)
        assert response.status_code == 200, response.text
        result = response.json()
        assert "errors" not in result, result
        return result["data"]

    async def errors(self, query: str, variables: dict[str, Any] | None = None) -> list[str]:
        response = await self.graphql(query, variables)
        assert response.status_code == 200, response.text
        result = response.json()
        assert result.get("data") is None, result
        return [e["message"] for e in result["errors"]]


@pytest.fixture
async def make_api(tmp_path) -> AsyncIterator[Callable[..., Api]]:
    """make_api(**settings) -> an Api on one empty embedded store."""
    store = EmbeddedStore(tmp_path / "graph.sqlite3")
    await store.migrate()
    clients: list[httpx.AsyncClient] = []

    def make(**overrides: Any) -> Api:
        settings = make_settings(**overrides)
        app = create_app(settings, store=store)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        clients.append(client)
        return Api(app, settings, client)

    yield make
    for client in clients:
        await client.aclose()
    await store.close()


SMALL_QUERY = "{ communities(first: 1) { totalCount } }"


# --- body size ---------------------------------------------------------------------------------

def too_large(limit: int) -> dict[str, Any]:
    return {"errors": [{"message": f"请求体过大（上限 {limit} 字节）· request body too large (limit {limit} bytes)"}]}


async def test_a_body_above_the_limit_is_refused_by_its_content_length(make_api) -> None:
    api = make_api(graph_api_max_body_bytes=1000)
    assert (await api.graphql(SMALL_QUERY)).status_code == 200
    padded = '{"query": "' + SMALL_QUERY + " " * 2000 + '"}'
    response = await api.client.post("/graphql", content=padded.encode(),
                                     headers={**api.headers(), "Content-Type": "application/json"})
    assert response.request.headers["content-length"] == str(len(padded))
    assert response.status_code == 413
    assert response.json() == too_large(1000)


async def test_a_chunked_body_is_cut_off_at_the_limit(make_api) -> None:
    api = make_api(graph_api_max_body_bytes=1000)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):  # 400 bytes each
            yield b'{"query": "' + b" " * 389 + b'"}'

    response = await api.client.post("/graphql", content=chunks(),
                                     headers={**api.headers(), "Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert response.json() == too_large(1000)


async def test_the_body_limit_holds_even_when_the_app_answers_the_cut_off_body() -> None:
    """A Content-Length that understates, and an app that catches the error and answers itself."""
    async def app(scope, receive, send) -> None:  # noqa: ANN001
        try:
            while (await receive()).get("more_body"):
                pass
        except Exception:  # noqa: BLE001
            pass
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"bad"})

    messages = [{"type": "http.request", "body": b"x" * 60, "more_body": True}] * 3
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [(b"content-length", b"10")]}
    await BodySizeLimitMiddleware(app, max_bytes=100)(scope, receive, send)
    assert sent[0]["status"] == 413
    assert b"limit 100 bytes" in sent[1]["body"]
    assert len(sent) == 2


# --- rate limit --------------------------------------------------------------------------------

def rate_limited_api(make_api, limit: int) -> tuple[Api, FakeClock]:
    api = make_api(graph_api_rate_limit=limit)
    clock = FakeClock()
    api.app.state.rate_limiter.clock = clock
    return api, clock


async def test_the_rate_limit_refuses_above_the_limit_and_refills_with_time(make_api) -> None:
    api, clock = rate_limited_api(make_api, 3)
    for _ in range(3):
        assert (await api.graphql(SMALL_QUERY)).status_code == 200
    refused = await api.graphql(SMALL_QUERY)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"  # 3 a minute: one token every 20 s
    assert refused.json() == {"errors": [{"message": "请求过于频繁，请 20 秒后重试（每分钟上限 3 次）· "
                                                     "too many requests, retry in 20 s (limit 3 per minute)"}]}
    clock.advance(5)
    refused = await api.graphql(SMALL_QUERY)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "15"
    clock.advance(15)
    assert (await api.graphql(SMALL_QUERY)).status_code == 200
    assert (await api.graphql(SMALL_QUERY)).status_code == 429
    clock.advance(3600)  # a full bucket, never more than the limit
    assert [(await api.graphql(SMALL_QUERY)).status_code for _ in range(4)] == [200, 200, 200, 429]


async def test_each_token_has_its_own_bucket_and_no_token_means_the_client_address(make_api) -> None:
    api, _ = rate_limited_api(make_api, 2)
    assert [(await api.graphql(SMALL_QUERY, caller="a")).status_code for _ in range(3)] == [200, 200, 429]
    assert [(await api.graphql(SMALL_QUERY, caller="b")).status_code for _ in range(3)] == [200, 200, 429]
    # without a token: counted per client address (refused later by authentication, not the limit)
    anonymous = [(await api.client.post("/graphql", json={"query": SMALL_QUERY})).status_code for _ in range(3)]
    assert anonymous[2] == 429 and 429 not in anonymous[:2]


async def test_health_and_assets_are_not_limited_and_zero_is_off(make_api) -> None:
    api, _ = rate_limited_api(make_api, 1)
    for _ in range(5):
        assert (await api.client.get("/healthz")).status_code == 200
        assert (await api.client.get("/readyz")).status_code == 200
        assert (await api.client.get("/graphiql-assets/graphiql.min.js")).status_code == 200
    assert (await api.graphql(SMALL_QUERY)).status_code == 200
    assert (await api.graphql(SMALL_QUERY)).status_code == 429
    assert (await api.client.get("/healthz")).status_code == 200

    unlimited = make_api(graph_api_rate_limit=0)
    assert {(await unlimited.graphql(SMALL_QUERY)).status_code for _ in range(30)} == {200}


def test_the_rate_limiter_remembers_a_bounded_number_of_callers() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, max_keys=2, clock=clock)
    assert limiter.take("a") == 0 and limiter.take("b") == 0
    assert limiter.take("a") == pytest.approx(60.0)  # a is now the most recent
    assert limiter.take("c") == 0  # b, the oldest, is forgotten
    assert len(limiter) == 2
    assert limiter.take("b") == 0  # a forgotten caller starts with a full bucket
    assert limiter.take("c") == pytest.approx(60.0)


# --- CORS --------------------------------------------------------------------------------------

ORIGIN = "https://staff.example"


async def test_cors_headers_only_for_an_allowed_origin(make_api) -> None:
    api = make_api(graph_api_cors_origins=[ORIGIN], graph_api_rate_limit=1)
    allowed = await api.graphql(SMALL_QUERY, headers={"Origin": ORIGIN})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    preflight = await api.client.options("/graphql", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    methods = {m.strip() for m in preflight.headers["access-control-allow-methods"].split(",")}
    assert methods == {"GET", "POST", "OPTIONS"}
    allowed_headers = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    # a refusal by the guards is readable by the browser client too
    refused = await api.graphql(SMALL_QUERY, headers={"Origin": ORIGIN})
    assert refused.status_code == 429
    assert refused.headers["access-control-allow-origin"] == ORIGIN
    assert "retry-after" in refused.headers["access-control-expose-headers"].lower()

    other = await api.client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


async def test_no_cors_headers_without_configured_origins(make_api) -> None:
    api = make_api(graph_api_cors_origins=[])
    response = await api.graphql(SMALL_QUERY, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    preflight = await api.client.options("/graphql", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    for r in (response, preflight):
        assert not [h for h in r.headers if h.lower().startswith("access-control-")]


# --- query cost --------------------------------------------------------------------------------

def cost_error(cost: int, limit: int) -> str:
    return f"查询成本 {cost} 超过上限 {limit} · query cost {cost} exceeds the limit {limit}"


async def test_a_query_over_the_cost_limit_is_refused_at_the_operation(make_api) -> None:
    api = make_api(graph_api_max_query_cost=100)
    # 1 (communities) + 1 (totalCount) + 1 (nodes) + 20 × (1 name + 1 leaders + 10 × 1 name)
    response = await api.graphql("{ communities(first: 20) { totalCount nodes { name leaders { name } } } }")
    result = response.json()
    assert result.get("data") is None
    assert result["errors"] == [{"message": cost_error(243, 100), "locations": [{"line": 1, "column": 1}]}]
    # no first: the default page size (20)
    assert await api.errors("{ communities { nodes { name leaders { name } } } }") == [cost_error(242, 100)]
    # a normal query passes
    assert await api.data("{ communities(first: 5) { totalCount nodes { name leaders { name } } } }") == {
        "communities": {"totalCount": 0, "nodes": []}}
    assert await api.data("{ __typename }") == {"__typename": "Query"}


async def test_the_cost_follows_variables_for_first(make_api) -> None:
    api = make_api(graph_api_max_query_cost=100)
    query = "query Page($n: Int) { communities(first: $n) { nodes { name leaders { name } } } }"  # 2 + 12 n
    ok = {"communities": {"nodes": []}}
    assert await api.data(query, {"n": 5}) == ok
    assert await api.errors(query, {"n": 20}) == [cost_error(242, 100)]
    assert await api.data(query, {"n": 5}) == ok  # the same document again: the verdict is not cached
    assert await api.errors(query, {}) == [cost_error(242, 100)]  # not given: the default page size
    assert await api.errors(query, {"n": 10_000}) == [cost_error(6002, 100)]  # capped at the maximum page size
    with_default = "query Page($n: Int = 20) { communities(last: $n) { nodes { name leaders { name } } } }"
    assert await api.errors(with_default) == [cost_error(242, 100)]
    assert await api.data(with_default, {"n": 2}) == ok


async def test_fragments_are_counted(make_api) -> None:
    api = make_api(graph_api_max_query_cost=100)
    named = """
        query Named { communities(first: 20) { nodes { ...Grid } } }
        fragment Grid on Community { name ...Leaders }
        fragment Leaders on Community { leaders { name } }
    """
    assert await api.errors(named) == [cost_error(242, 100)]
    inline = "{ communities(first: 20) { nodes { ... on Community { name leaders { name } } } } }"
    assert await api.errors(inline) == [cost_error(242, 100)]
    on_connection = """
        query Q($n: Int) { communities(first: $n) { ...Page } }
        fragment Page on CommunityConnection { totalCount nodes { name leaders { name } } }
    """
    assert await api.errors(on_connection, {"n": 20}) == [cost_error(243, 100)]
    assert await api.data(on_connection, {"n": 1}) == {"communities": {"totalCount": 0, "nodes": []}}


def test_the_example_operations_fit_the_default_cost_limit() -> None:
    settings = make_settings()
    schema = build_schema(settings)._schema
    limits = CostLimits.from_settings(settings)
    assert limits.max_cost == 50_000
    for example in example_operations():
        document = parse(example["query"])
        fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
        for operation in (d for d in document.definitions if d.kind == "operation_definition"):
            cost = CostEstimate(schema, limits, fragments.get, {}).operation(operation)
            assert 0 < cost <= limits.max_cost, (example["name"], cost)


# --- introspection -----------------------------------------------------------------------------

INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_follows_its_switch(make_api) -> None:
    on = make_api()  # development: on unless set
    assert await on.data(INTROSPECTION) == {"__schema": {"queryType": {"name": "Query"}}}

    off = make_api(graph_api_introspection=False)
    assert await off.errors(INTROSPECTION) == ["内省查询已关闭（字段 __schema）· introspection is disabled (field __schema)"]
    assert await off.errors('{ __type(name: "Community") { name } }') == [
        "内省查询已关闭（字段 __type）· introspection is disabled (field __type)"]
    assert await off.data("{ __typename communities(first: 1) { __typename totalCount } }") == {
        "__typename": "Query", "communities": {"__typename": "CommunityConnection", "totalCount": 0}}

    production = make_api(graph_api_env="production")  # production: off unless set
    assert len(await production.errors(INTROSPECTION)) == 1
    allowed = make_api(graph_api_env="production", graph_api_introspection=True)
    assert await allowed.data(INTROSPECTION) == {"__schema": {"queryType": {"name": "Query"}}}


# --- GraphiQL ----------------------------------------------------------------------------------

async def graphiql_served(api: Api) -> tuple[bool, bool]:
    page = await api.client.get("/graphql", headers={**api.headers(), "Accept": "text/html"})
    asset = await api.client.get("/graphiql-assets/graphiql.min.js")
    page_ok = page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page_ok or page.status_code == 404
    assert asset.status_code in (200, 404)
    return page_ok, asset.status_code == 200


async def test_graphiql_follows_its_switch(make_api) -> None:
    assert await graphiql_served(make_api()) == (True, True)
    off = make_api(graph_api_graphiql=False)
    assert await graphiql_served(off) == (False, False)
    assert await off.data(SMALL_QUERY) == {"communities": {"totalCount": 0}}  # GraphQL itself is still served
    assert await graphiql_served(make_api(graph_api_env="production")) == (False, False)
    assert await graphiql_served(make_api(graph_api_env="production", graph_api_graphiql=True)) == (True, True)
