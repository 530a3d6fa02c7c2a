"""The FastAPI application: GraphQL at /graphql (GraphiQL served offline), /healthz, /readyz."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

from graph_api.auth import AuthError, TokenService, parse_scope
from graph_api.domain.access import Principal, Role, masks_for
from graph_api.graphql.context import GraphContext, make_context
from graph_api.graphql.schema import build_schema
from graph_api.http_guards import install_request_guards
from graph_api.resources import data_path, static_path
from graph_api.settings import Settings, get_settings
from graph_api.store.base import EVERYTHING, GraphStore, Scope
from graph_api.store.factory import open_store

log = logging.getLogger("graph_api")

GRAPHIQL_ASSETS = "/graphiql-assets"


#: an example that needs another role says so in a line "# token: ROLE KIND:ID" (development only)
EXAMPLE_TOKEN = re.compile(r"^#\s*token:\s*([A-Z_]+)\s+(\S+)\s*$", re.MULTILINE)


def example_operations(mint: Callable[[str, str], str] | None = None) -> list[dict[str, Any]]:
    """The example operations of queries/examples, ArticleFigures first; with ``mint`` (a
    development run), an example naming a role gets a token of that role in its headers."""
    folder = data_path("queries/examples")
    files = sorted(folder.glob("*.graphql"), key=lambda p: (p.stem != "ArticleFigures", p.stem))
    out: list[dict[str, Any]] = []
    for p in files:
        text = p.read_text(encoding="utf-8")
        example: dict[str, Any] = {"name": p.stem, "query": text}
        wanted = EXAMPLE_TOKEN.search(text)
        if mint is not None and wanted:
            example["headers"] = json.dumps({"Authorization": f"Bearer {mint(*wanted.groups())}"}, indent=2)
        out.append(example)
    return out


def _script_json(value: object) -> str:
    # safe inside <script>: no "</script>", "<!--" or entity can be formed
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def graphiql_page(token: str | None = None, mint: Callable[[str, str], str] | None = None) -> str:
    """Our GraphiQL page; with a development token, the Authorization header is preset."""
    template = (static_path("graphiql") / "index.html").read_text(encoding="utf-8")
    headers = json.dumps({"Authorization": f"Bearer {token}"}, indent=2) if token else ""
    return (template.replace('"__GRAPHIQL_EXAMPLES__"', _script_json(example_operations(mint if token else None)))
            .replace('"__GRAPHIQL_HEADERS__"', _script_json(headers)))


#: the context of a request that reads no data (the GraphiQL page): no capability, no rows
NOBODY = Principal(subject="anonymous", role=Role.GRID_WORKER, scope_kind="grid", scope_ids=())
NOBODY_SCOPE = Scope(grid_ids=frozenset(), masks=masks_for(Role.GRID_WORKER))


def is_ide_page(request: Request) -> bool:
    """A browser asking for GraphiQL: GET, HTML accepted, no operation in the URL."""
    return (request.method == "GET" and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params)


class OfflineGraphQLRouter(GraphQLRouter):
    """Serves our own GraphiQL page, whose assets come from this service, not a CDN."""

    def __init__(self, *args, dev_token: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
                 mint: Callable[[str, str], str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._dev_token = dev_token if dev_token is not None else {}
        self._mint = mint
        self._pages: dict[str, str] = {}

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:  # type: ignore[override]
        token = self._dev_token.get("token", "")
        if token not in self._pages:
            self._pages[token] = graphiql_page(token or None, self._mint)
        return HTMLResponse(self._pages[token])


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """The application; a given store is used as is (and not closed), otherwise one is opened."""
    settings = settings or get_settings()
    state: dict[str, GraphStore] = {} if store is None else {"store": store}
    tokens = TokenService(settings)  # refuses unusable key settings at start, not at the first request
    dev_token: dict[str, str] = {}  # the development token, once the store says which district

    async def make_dev_token(opened: GraphStore) -> None:
        if settings.production or not settings.switch(settings.graph_api_dev_token):
            return
        districts = (await opened.find_nodes("District", [], [], 0, 1, EVERYTHING)).records
        if not districts:
            log.warning("no district in the store: no development token (load the sample first)")
            return
        district = districts[0]["id"]
        issued = tokens.create_jwt("dev-admin", Role.DISTRICT_ADMIN, "district", (district,))
        dev_token["token"] = issued.token
        log.warning("development token (district administrator of %s, until %s UTC), preset in GraphiQL; "
                    "for other clients send the header\n  Authorization: Bearer %s",
                    district, f"{issued.expires:%Y-%m-%d %H:%M}", issued.token)

    def mint_dev_token(role: str, scope: str) -> str:
        kind, ids = parse_scope(scope)
        return tokens.create_jwt(f"dev-{role.lower()}", Role(role), kind, ids).token

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:  # owned by the caller
            await make_dev_token(store)
            yield
            return
        opened = await open_store(settings)
        state["store"] = opened
        try:
            await opened.migrate()
            if settings.graph_api_load_sample:
                from graph_api.domain.dataset import read_sample

                counts = await opened.count_nodes()
                if not any(counts.values()):
                    report = await opened.load(read_sample())
                    log.warning("loaded the sample: %d nodes, %d edges in %.1f s",
                                report.nodes, report.edges, report.seconds)
            await make_dev_token(opened)
            yield
        finally:
            await opened.close()

    async def context_getter(request: Request) -> GraphContext:
        """No token, no data: the caller is authenticated before anything is read."""
        current = state["store"]
        if is_ide_page(request):
            # strawberry asks for a context before it serves the GraphiQL page: the page holds no
            # data, so it gets one that can see nothing
            return make_context(current, settings, NOBODY_SCOPE, NOBODY)
        principal = await tokens.authenticate(current, request.headers.get("authorization"))  # AuthError: 401
        scope = await tokens.scope_of(current, principal)
        return make_context(current, settings, scope, principal)

    app = FastAPI(title="清河门区党建网格知识图谱 · Party-building grid knowledge graph", lifespan=lifespan)

    @app.exception_handler(AuthError)
    async def refused(request: Request, exc: AuthError) -> JSONResponse:
        """401/403 in the shape GraphQL clients read: an ``errors`` list, and no data."""
        code = "UNAUTHENTICATED" if exc.status == 401 else "FORBIDDEN"
        return JSONResponse({"errors": [{"message": f"{exc.zh} · {exc.en}", "extensions": {"code": code}}]},
                            status_code=exc.status, headers={"WWW-Authenticate": 'Bearer realm="graph-api"'})
    install_request_guards(app, settings)  # body size, rate limit, CORS (graph_api/http_guards.py)
    graphiql = settings.switch(settings.graph_api_graphiql)
    router = OfflineGraphQLRouter(build_schema(settings), context_getter=context_getter,
                                  graphql_ide="graphiql" if graphiql else None,
                                  dev_token=dev_token, mint=mint_dev_token)
    app.include_router(router, prefix="/graphql")
    assets = static_path("graphiql")
    if graphiql and Path(assets).is_dir():
        app.mount(GRAPHIQL_ASSETS, StaticFiles(directory=assets), name="graphiql-assets")

    @app.get("/healthz", summary="进程存活 · process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="存储可用 · store is reachable")
    async def readyz() -> JSONResponse:
        try:
            facts = await state["store"].ping()
        except Exception as exc:  # any failure means not ready; say why
            return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready", **facts})

    return app
