"""The ``graph-api`` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph_api.settings import get_settings

app = typer.Typer(help="清河门区党建网格知识图谱 · Party-building grid knowledge graph service", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console(stderr=True)


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _with_store(action: Any) -> Any:
    from graph_api.store.factory import open_store

    store = await open_store(get_settings())
    try:
        return await action(store)
    finally:
        await store.close()


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


@app.command()
def serve(host: Optional[str] = typer.Option(None, help="listen address (GRAPH_API_HOST)"),
          port: Optional[int] = typer.Option(None, help="port (GRAPH_API_PORT)"),
          load_sample: bool = typer.Option(False, "--load-sample", help="load the sample data if the store is empty")) -> None:
    """Serve the GraphQL API with GraphiQL at /graphql."""
    import uvicorn

    from graph_api.app import create_app

    settings = get_settings()
    if load_sample:
        settings = settings.model_copy(update={"graph_api_load_sample": True})
    host = host or settings.graph_api_host
    port = port or settings.graph_api_port
    where = settings.neo4j_uri if settings.graph_api_store == "neo4j" else settings.graph_api_db
    console.print(f"GraphiQL: [bold]http://{host}:{port}/graphql[/bold]  store: {settings.graph_api_store} ({where})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def migrate() -> None:
    """Apply the constraints and indexes of schema/constraints.cypher (idempotent)."""
    statements = _run(_with_store(lambda s: s.migrate()))
    console.print(f"applied {len(statements)} constraint/index statements")


@app.command("load-sample")
def load_sample(keep: bool = typer.Option(False, "--keep", help="merge into the graph instead of replacing it")) -> None:
    """Load the 清河门区 sample data set (replaces the graph unless --keep)."""
    from graph_api.domain.dataset import read_sample
    from graph_api.domain.values import InvalidData
    from graph_api.store.base import StoreError

    async def action(store: Any) -> Any:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("reading and checking the sample", total=None)
            data = read_sample()
            progress.update(task, description="applying constraints")
            await store.migrate()
            progress.update(task, description=f"writing {len(data.nodes)} nodes and {len(data.edges)} edges")
            return await store.load(data, replace=not keep)

    try:
        report = _run(_with_store(action))
    except (InvalidData, StoreError) as exc:
        _fail(str(exc))
    console.print(f"loaded {report.nodes} nodes and {report.edges} edges in {report.seconds:.1f} s")


@app.command()
def figures(district: Optional[str] = typer.Option(None, help="district key (default: the only one)")) -> None:
    """Print the article's figures computed from the graph (JSON)."""
    from graph_api.graphql.schema import build_schema
    from graph_api.graphql.context import make_context

    query = Path(_example("ArticleFigures")).read_text(encoding="utf-8")

    async def action(store: Any) -> Any:
        schema = build_schema()
        return await schema.execute(query, variable_values={"districtKey": district} if district else None,
                                    context_value=make_context(store, get_settings()))

    result = _run(_with_store(action))
    if result.errors:
        _fail("; ".join(str(e) for e in result.errors))
    print(json.dumps(result.data, ensure_ascii=False, indent=2))


def _example(name: str) -> Path:
    from graph_api.resources import data_path

    return data_path(f"queries/examples/{name}.graphql")


@app.command("export-schema")
def export_schema(out: Path = typer.Option(None, help="file to write (default: stdout)")) -> None:
    """Print the GraphQL SDL (the copy in schema/schema.graphql is checked by a test)."""
    from graph_api.graphql.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if out:
        out.write_text(sdl, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        sys.stdout.write(sdl)


@app.command("model-doc")
def model_doc(out: Path = typer.Option(None, help="file to write (default: stdout)")) -> None:
    """Render the model document (schema/model.md) from the registry."""
    from graph_api.domain.modeldoc import render

    text = render()
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        sys.stdout.write(text)


@app.command()
def ping() -> None:
    """Check that the store answers."""
    facts = _run(_with_store(lambda s: s.ping()))
    table = Table(show_header=False)
    for k, v in facts.items():
        table.add_row(k, str(v))
    Console().print(table)


@app.command()
def bench(requests: int = typer.Option(200, help="requests per query"),
          concurrency: list[int] = typer.Option([1, 4], help="requests in flight at once (repeatable)"),
          warmup: int = typer.Option(20, help="requests per query before measuring")) -> None:
    """Benchmark three staff queries against the loaded graph: p50/p95 latency, req/s, round trips."""
    from graph_api.bench import run_bench

    _run(run_bench(requests=requests, concurrencies=concurrency, warmup=warmup, console=Console(width=120)))


@app.command("bench-backends")
def bench_backends(neo4j_uri: str = typer.Option(None, help="Neo4j to compare with (NEO4J_URI); it is WIPED"),
                   requests: int = typer.Option(200, help="requests per query and backend"),
                   warmup: int = typer.Option(20, help="requests per query before measuring"),
                   households: int = typer.Option(1_000_000, help="households of the generated graph (0: skip)"),
                   writer: str = typer.Option("load", help="load | batched | direct"),
                   json_out: Optional[Path] = typer.Option(None, "--json", help="also write the figures here")) -> None:
    """Embedded vs Neo4j latency side by side, embedded start time and memory (sample and generated graph)."""
    from graph_api.bench_backends import run_backend_bench

    uri = neo4j_uri or get_settings().neo4j_uri
    figures_ = _run(run_backend_bench(uri, requests, warmup, households, Console(width=120), writer=writer))
    if json_out:
        json_out.write_text(json.dumps(figures_, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
