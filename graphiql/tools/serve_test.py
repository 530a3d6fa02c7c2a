"""Tiny local server to check the self-hosted GraphiQL build (test use only).

Serves graph_api/static/graphiql/ the way the real API is meant to:

* GET  /graphiql-assets/<file>  -> the built files (StaticFiles);
* GET  /graphql (Accept: text/html) -> index.html with the two placeholders
  replaced, done by overriding GraphQLRouter.render_graphql_ide;
* POST /graphql -> a tiny real strawberry schema (``hello(name)``).

Run with the project's venv:  .venv/bin/python graphiql/tools/serve_test.py --port 8765
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import strawberry
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

ASSETS = Path(__file__).resolve().parents[2] / "graph_api" / "static" / "graphiql"

SAMPLE_EXAMPLES: list[dict[str, Any]] = [
    {"name": "Hello", "query": "query Hello {\n  hello\n}\n"},
    {
        "name": "HelloName",
        "query": "query HelloName($name: String!) {\n  hello(name: $name)\n}\n",
        "variables": {"name": "清河门区"},
    },
    {
        "name": "ArticleFigures",
        "description": "Example with </script> in its text, to test escaping.",
        "query": 'query ArticleFigures {\n  hello(name: "</script><b>x</b>")\n}\n',
    },
]


def js_json(value: Any) -> str:
    """JSON that is safe to put inside an inline <script> of an HTML page."""
    text = json.dumps(value, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_page(examples: list[dict[str, Any]] | None, headers: dict[str, str] | None) -> str:
    html = (ASSETS / "index.html").read_text(encoding="utf-8")
    if examples is not None:
        html = html.replace('"__GRAPHIQL_EXAMPLES__"', js_json(examples), 1)
    if headers is not None:
        html = html.replace('"__GRAPHIQL_HEADERS__"', js_json(headers), 1)
    return html


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "GraphiQL") -> str:
        return f"你好, {name}!"


def make_app(examples: list[dict[str, Any]] | None, headers: dict[str, str] | None) -> FastAPI:
    class Router(GraphQLRouter):
        async def render_graphql_ide(self, request: Request) -> HTMLResponse:
            return HTMLResponse(render_page(examples, headers))

    app = FastAPI()
    app.mount("/graphiql-assets", StaticFiles(directory=ASSETS), name="graphiql-assets")
    app.include_router(Router(strawberry.Schema(query=Query)), prefix="/graphql")
    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--no-examples", action="store_true", help="leave the examples placeholder as is")
    ap.add_argument("--headers", default=None, help='default headers as JSON, e.g. \'{"X-Token":"t"}\'')
    args = ap.parse_args()
    examples = None if args.no_examples else SAMPLE_EXAMPLES
    headers = json.loads(args.headers) if args.headers else None
    uvicorn.run(make_app(examples, headers), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
