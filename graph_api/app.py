"""The FastAPI application: GraphQL at /graphql (GraphiQL served offline), /healthz, /readyz."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

from graph_api.graphql.context import GraphContext, make_context
from graph_api.graphql.schema import build_schema
from graph_api.resources import data_path, static_path
from graph_api.settings import Settings, get_settings
from graph_api.store.base import GraphStore
from graph_api.store.factory import open_store

log = logging.getLogger("graph_api")

GRAPHIQL_ASSETS = "/graphiql-assets"


def example_operations() -> list[dict[str, str]]:
    """The example operations of queries/examples, ArticleFigures first."""
    folder = data_path("queries/examples")
    files = sorted(folder.glob("*.graphql"), key=lambda p: (p.stem != "ArticleFigures", p.stem))
    return [{"name": p.stem, "query": p.read_text(encoding="utf-8")} for p in files]


def graphiql_page() -> str:
    template = (static_path("graphiql") / "index.html").read_text(encoding="utf-8")
    examples = json.dumps(example_operations(), ensure_ascii=False)
    # safe inside <script>: no "</script>", "<!--" or entity can be formed
    examples = examples.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return template.replace('"__GRAPHIQL_EXAMPLES__"', examples).replace('"__GRAPHIQL_HEADERS__"', '""')


class OfflineGraphQLRouter(GraphQLRouter):
    """Serves our own GraphiQL page, whose assets come from this service, not a CDN."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._page = graphiql_page()

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:  # type: ignore[override]
        return HTMLResponse(self._page)


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """The application; a given store is used as is (and not closed), otherwise one is opened."""
    settings = settings or get_settings()
    state: dict[str, GraphStore] = {} if store is None else {"store": store}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:  # owned by the caller
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
            yield
        finally:
            await opened.close()

    async def context_getter() -> GraphContext:
        return make_context(state["store"], settings)

    app = FastAPI(title="清河门区党建网格知识图谱 · Party-building grid knowledge graph", lifespan=lifespan)
    router = OfflineGraphQLRouter(build_schema(settings), context_getter=context_getter, graphql_ide="graphiql")
    app.include_router(router, prefix="/graphql")
    assets = static_path("graphiql")
    if Path(assets).is_dir():
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
