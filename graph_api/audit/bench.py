"""Benchmark of the full coverage audit (all 21 checks, whole graph) on generated tiers, on both
backends: ``graph-api bench-audit`` (``make bench-audit``).

For each tier the generated data go into a new embedded store and into an empty Neo4j (chunk by
chunk through ``GraphStore.load``), then the whole audit runs ``runs`` times on each. The figures:
the first (cold) run, the best and the median of the others, the slowest checks, and whether the
two backends found exactly the same records. The target of issue 5 is tier L under 10 s on each.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from graph_api.audit.engine import run_audit
from graph_api.ledger.generate import TIERS, generate_tier
from graph_api.store.base import EVERYTHING, GraphStore

TARGET_SECONDS = 10.0


def _findings(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["name"], f["id"]) for c in result["checks"] for f in c["findings"]}


async def _fill(store: GraphStore, tier: str, console: Console) -> tuple[int, float]:
    started = time.perf_counter()
    rows = 0
    with console.status(f"tier {tier}: loading into {store.name}…") as status:
        for chunk in generate_tier(tier):
            await store.load(chunk)
            rows += len(chunk.nodes) + len(chunk.edges)
            status.update(f"tier {tier}: loading into {store.name}… {rows:,} rows")
    return rows, time.perf_counter() - started


async def _time_audits(store: GraphStore, runs: int) -> dict[str, Any]:
    times: list[float] = []
    result: dict[str, Any] = {}
    for _ in range(runs):
        started = time.perf_counter()
        result = await run_audit(store, EVERYTHING)
        times.append(time.perf_counter() - started)
    warm = times[1:] or times
    slowest = sorted(((c["seconds"], c["name"]) for c in result["checks"]), reverse=True)[:5]
    return {"cold": times[0], "best": min(warm), "median": statistics.median(warm), "runs": times,
            "findings": result["summary"]["findings"], "slowest": [[n, round(s, 3)] for s, n in slowest],
            "_found": _findings(result)}


async def _embedded(tier: str, runs: int, console: Console) -> dict[str, Any]:
    from graph_api.store.embedded.store import EmbeddedStore

    with tempfile.TemporaryDirectory(prefix=f"bench-audit-{tier}-") as folder:
        store = EmbeddedStore(Path(folder) / "graph.sqlite3")
        try:
            rows, load_s = await _fill(store, tier, console)
            with console.status(f"tier {tier}: auditing (embedded)…"):
                figures = await _time_audits(store, runs)
        finally:
            await store.close()
            del store
            gc.collect()
    return {"rows": rows, "loadSeconds": load_s, **figures}


async def _neo4j(tier: str, runs: int, uri: str, console: Console) -> dict[str, Any]:
    from graph_api.settings import get_settings
    from graph_api.store.neo4j_store import Neo4jStore

    settings = get_settings()
    store = Neo4jStore(uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database)
    try:
        await store.ping()
        with console.status(f"tier {tier}: emptying Neo4j…"):
            await store.wipe()
            await store.migrate()
        rows, load_s = await _fill(store, tier, console)
        async with store.driver.session(database=store.database) as session:
            # fresh planner statistics, as after any bulk write (see neo4j_staged._refresh_statistics)
            await (await session.run("CALL db.resampleOutdatedIndexes()")).consume()
            await (await session.run("CALL db.clearQueryCaches()")).consume()
        with console.status(f"tier {tier}: auditing (Neo4j)…"):
            figures = await _time_audits(store, runs)
        await store.wipe()
    finally:
        await store.close()
    return {"rows": rows, "loadSeconds": load_s, **figures}


def _table(tier: str, f: dict[str, Any]) -> Table:
    table = Table(title=f"coverage audit · tier {tier} ({TIERS[tier].en})")
    table.add_column("")
    backends = [b for b in ("embedded", "neo4j") if b in f]
    for b in backends:
        table.add_column(b, justify="right")

    def row(name: str, fmt: Any) -> None:
        table.add_row(name, *(fmt(f[b]) for b in backends))

    row("records + relationships", lambda x: f"{x['rows']:,}")
    row("findings", lambda x: f"{x['findings']:,}")
    row("first audit (cold)", lambda x: f"{x['cold']:.2f} s")
    row("best of the next runs", lambda x: f"{x['best']:.2f} s")
    row("median of the next runs", lambda x: f"{x['median']:.2f} s")
    row(f"under {TARGET_SECONDS:.0f} s (best)", lambda x: "yes" if x["best"] < TARGET_SECONDS else "NO")
    row("slowest checks", lambda x: ", ".join(f"{n} {s:.2f}" for n, s in x["slowest"][:3]))
    return table


def run_audit_bench(tiers: list[str], neo4j_uri: str | None, runs: int = 3, out: Path | None = None) -> dict[str, Any]:
    console = Console()
    figures: dict[str, Any] = {}
    for tier in tiers:
        f: dict[str, Any] = {}
        f["embedded"] = asyncio.run(_embedded(tier, runs, console))
        gc.collect()
        if neo4j_uri:
            f["neo4j"] = asyncio.run(_neo4j(tier, runs, neo4j_uri, console))
            f["sameFindings"] = f["embedded"]["_found"] == f["neo4j"]["_found"]
        for b in ("embedded", "neo4j"):
            if b in f:
                f[b].pop("_found")
        figures[tier] = f
        console.print(_table(tier, f))
        if "sameFindings" in f:
            console.print(f"both backends found the same {f['embedded']['findings']:,} records: "
                          f"{'yes' if f['sameFindings'] else 'NO'}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return figures
