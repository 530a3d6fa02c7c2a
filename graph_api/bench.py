"""Benchmark of three staff queries through the whole HTTP stack (FastAPI, strawberry, store).

Prints p50/p95 latency, requests per second and store round trips per request. Requests go
through the ASGI app in-process (no socket), so the figures are the service's own cost.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from graph_api.app import create_app
from graph_api.domain.model import KIND_BY_NAME
from graph_api.graphql.context import make_context
from graph_api.graphql.schema import build_schema
from graph_api.resources import data_path
from graph_api.settings import get_settings
from graph_api.store.base import EVERYTHING, Condition, SortKey
from graph_api.store.factory import open_store


def _example(name: str) -> str:
    return data_path(f"queries/examples/{name}.graphql").read_text(encoding="utf-8")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def pick_variables(store: Any) -> dict[str, dict[str, Any]]:
    """Variables that hit real data: a community, and a building with paired households."""
    communities = await store.find_nodes("Community", [], [SortKey("id")], 0, 1, EVERYTHING)
    if not communities.records:
        raise SystemExit("the store is empty: run `graph-api load-sample` first")
    pairings = await store.find_nodes("Pairing", [Condition("status", "eq", "ACTIVE")], [SortKey("id")], 0, 1, EVERYTHING)
    building = None
    if pairings.records:  # walk pairing -> household -> unit -> building
        key = pairings.records[0]["id"]
        for step_kind, field in (("Pairing", "household"), ("Household", "unit"), ("StairwellUnit", "parent")):
            found = await store.neighbours(step_kind, KIND_BY_NAME[step_kind].rel(field), [key], EVERYTHING)
            if not found.get(key):
                break
            key = found[key][0]["id"]
        else:
            building = key
    if building is None:
        building = (await store.find_nodes("Building", [], [SortKey("id")], 0, 1, EVERYTHING)).records[0]["id"]
    return {
        "CommunityGrids": {"key": communities.records[0]["id"]},
        "BuildingHouseholds": {"code": building},
        "MemberList": {"first": 50},
    }


async def bench_headers(store: Any, settings: Any) -> dict[str, str]:
    """A district administrator's bearer token for the store's first district."""
    from graph_api.auth import TokenService
    from graph_api.domain.access import Role
    from graph_api.store.base import EVERYTHING

    districts = (await store.find_nodes("District", [], [], 0, 1, EVERYTHING)).records
    if not districts:
        raise SystemExit("the store holds no district: load the sample first")
    issued = TokenService(settings).create_jwt("bench", Role.DISTRICT_ADMIN, "district", (districts[0]["id"],))
    return {"Authorization": f"Bearer {issued.token}"}


async def measure_queries(store: Any, settings: Any, requests: int, concurrencies: list[int], warmup: int,
                          variables: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """p50/p95/mean latency, req/s, round trips and response size of each query on one open store.

    The store is used as is (not closed); ``variables`` default to :func:`pick_variables`.
    """
    if variables is None:
        variables = await pick_variables(store)
    # the bench measures queries, not the rate limiter; requests carry a district administrator's
    # token, so each one pays for authentication as a client's would
    settings = settings.model_copy(update={"graph_api_rate_limit": 0})
    headers = await bench_headers(store, settings)
    schema = build_schema(settings)
    app = create_app(settings, store=store)
    rows = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, vars_ in variables.items():
            query = _example(name)
            # store round trips of one request, counted by the request's store wrapper
            context = make_context(store, settings)
            result = await schema.execute(query, variable_values=vars_, context_value=context)
            if result.errors:
                raise SystemExit(f"{name}: {result.errors}")
            round_trips = context.store.round_trips

            async def one() -> float:
                started = time.perf_counter()
                response = await client.post("/graphql", json={"query": query, "variables": vars_}, headers=headers)
                elapsed = time.perf_counter() - started
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise SystemExit(f"{name}: {response.status_code} {body.get('errors')}")
                return elapsed

            size = len((await client.post("/graphql", json={"query": query, "variables": vars_},
                                          headers=headers)).content)
            for concurrency in concurrencies:
                semaphore = asyncio.Semaphore(concurrency)

                async def limited() -> float:
                    async with semaphore:
                        return await one()

                await asyncio.gather(*(limited() for _ in range(warmup)))
                started = time.perf_counter()
                latencies = await asyncio.gather(*(limited() for _ in range(requests)))
                wall = time.perf_counter() - started
                rows.append({
                    "query": name,
                    "requests": requests,
                    "concurrency": concurrency,
                    "p50_ms": percentile(latencies, 0.50) * 1000,
                    "p95_ms": percentile(latencies, 0.95) * 1000,
                    "mean_ms": statistics.fmean(latencies) * 1000,
                    "req_per_s": requests / wall,
                    "round_trips": round_trips,
                    "bytes": size,
                })
    return rows


async def run_bench(requests: int, concurrencies: list[int], warmup: int, console: Console) -> list[dict[str, Any]]:
    settings = get_settings()
    store = await open_store(settings)
    try:
        rows = await measure_queries(store, settings, requests, concurrencies, warmup)
        facts = await store.ping()
    finally:
        await store.close()
    table = Table(title=f"graph-api bench · store {facts.get('store')} {facts.get('version', '')} · "
                        f"{requests} requests per row, in-process HTTP (ASGI)")
    for column in ("query", "concurrency", "p50 ms", "p95 ms", "mean ms", "req/s", "round trips/request", "bytes"):
        table.add_column(column, justify="right" if column != "query" else "left")
    for r in rows:
        table.add_row(r["query"], str(r["concurrency"]), f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}",
                      f"{r['mean_ms']:.1f}", f"{r['req_per_s']:.0f}", str(r["round_trips"]), str(r["bytes"]))
    console.print(table)
    return rows
