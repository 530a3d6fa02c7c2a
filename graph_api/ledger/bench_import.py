"""Benchmark of ledger import (issue 4): generated tiers into both backends, and Neo4j's write
against a hand-written raw-driver baseline.

For each tier (default M and L; S is ~20,000 households, M ~100,000, L ~1,000,000):

0. **files** — the tier's CSV files (one per kind, as ``graph-api generate`` writes them) are
   taken from the cache folder (``.bench/tiers/<tier>-<seed>``) when a complete copy is there,
   else generated into it in a child process, timed.
1. **embedded** — in a fresh child process (so its peak RSS, VmHWM, is this import's): a new
   temporary store file, ``migrate``, ``import_files`` of the tier's CSVs. Figures: rows,
   read / parse / check / write seconds, parse+check rows/s (``row_count / (parse + check)``),
   read+parse+check rows/s, write rows/s (``data.size / write``), wall time, peak RSS. Then, in
   the same child, the same files imported again: it must create and update nothing (the
   idempotency figure).
2. **Neo4j, ours vs baseline** — one child process: Neo4j wiped and migrated, ``plan_import``
   into the empty database (timed, peak RSS), then the plan's ``data`` written by

   * the **baseline**: the neo4j async driver and nothing of this project — per kind
     ``UNWIND $rows AS row CREATE (n:Label[:Grid]) SET n = row.props, n.id = row.id``, then per
     (source kind, type, target kind) ``UNWIND $rows AS row MATCH (a:Src {id: row[0]})
     MATCH (b:Dst {id: row[1]}) CREATE (a)-[:TYPE]->(b)``, batches of 10,000 rows, each batch its
     own transaction, ``None`` properties dropped;
   * **ours**: ``apply_plan(plan, store)`` (above 50,000 rows a staged write: see
     :mod:`graph_api.store.neo4j_staged`);

   each on a wiped and migrated database (wiping is not timed). Rounds alternate the order
   (tier M: baseline, ours, ours, baseline; the best of each is reported; tier L: baseline,
   ours). After every write the node counts per kind must equal the tier's. After our last
   write the same files are imported again: nothing may be created or updated (before it, not
   timed, the indexes the writes made outdated are resampled: see :func:`_fresh_statistics`). Before the
   first measured tier a warm-up round on tier S (baseline and ours) evens out JVM warm-up;
   it is not reported. The figure of the issue: ours rows/s ÷ baseline rows/s (target ≥ 0.80).
3. **summary** — a table per tier, then every figure in one block (and as the returned dict,
   ``--json`` writes it).

Usage: ``graph-api bench-import --neo4j-uri bolt://127.0.0.1:7691 --tiers M --tiers L``
or ``python -m graph_api.ledger.bench_import --neo4j-uri ... --tiers M L``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from graph_api.bench_backends import _log, _maxrss, _mib, _run_child
from graph_api.ledger.generate import GENERATOR_VERSION

BACKENDS = ("embedded", "neo4j")
DEFAULT_TIERS = ("M", "L")
DEFAULT_CACHE = Path(".bench/tiers")
#: write rounds per tier on Neo4j: 2 = baseline, ours, ours, baseline (best of each); 1 = baseline, ours
ROUNDS = {"S": 2, "M": 2, "L": 1}
WARMUP_TIER = "S"
BASELINE_BATCH = 10_000
TARGET_RATIO = 0.80
MANIFEST = "manifest.json"


# --- the tier's files ------------------------------------------------------------------------------
def tier_folder(cache_dir: Path, tier: str, seed: int) -> Path:
    return cache_dir / f"{tier}-{seed}"


def cached_tier(cache_dir: Path, tier: str, seed: int) -> dict[str, Any] | None:
    """The manifest of a complete cached copy of the tier's files, or None."""
    folder = tier_folder(cache_dir, tier, seed)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("tier") != tier or manifest.get("seed") != seed or manifest.get("generator") != GENERATOR_VERSION:
        return None  # another tier, or written by an older generator
    if not all((folder / f"{kind}.csv").is_file() for kind in manifest.get("counts", {})):
        return None
    return manifest


def _child_generate(spec: dict[str, Any]) -> dict[str, Any]:
    """Child: write the tier's CSV files into a scratch folder, then move it into place with its
    manifest (a half-written folder is never taken for a cached copy)."""
    from graph_api.ledger.export import write_generated
    from graph_api.ledger.generate import generate_tier

    folder = Path(spec["folder"])
    scratch = folder.with_name(folder.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    started = time.perf_counter()
    counts = write_generated(generate_tier(spec["tier"], spec["seed"]), scratch, "csv")
    seconds = time.perf_counter() - started
    manifest = {"tier": spec["tier"], "seed": spec["seed"], "generator": GENERATOR_VERSION, "counts": counts, "nodes": sum(counts.values()),
                "generate_seconds": seconds, "generate_maxrss": _maxrss(),
                "bytes": sum(p.stat().st_size for p in scratch.glob("*.csv"))}
    (scratch / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    scratch.rename(folder)
    return manifest


def ensure_tier(cache_dir: Path, tier: str, seed: int) -> dict[str, Any]:
    """The tier's files, generated (in a child, timed) unless a complete copy is cached."""
    manifest = cached_tier(cache_dir, tier, seed)
    folder = tier_folder(cache_dir, tier, seed)
    if manifest is not None:
        return {**manifest, "cached": True, "folder": str(folder)}
    cache_dir.mkdir(parents=True, exist_ok=True)
    _log(f"generating tier {tier} (seed {seed}) into {folder} ...")
    manifest = _child("generate", {"tier": tier, "seed": seed, "folder": str(folder)}, f"generating tier {tier}")
    return {**manifest, "cached": False, "folder": str(folder)}


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: n for k, n in counts.items() if n}


def tier_files(folder: str | Path) -> list[Path]:
    return sorted(Path(folder).glob("*.csv"))


# --- figures of a plan ------------------------------------------------------------------------------
def _plan_figures(plan: Any, wall: float) -> dict[str, Any]:
    s = plan.seconds
    rows = plan.row_count
    checked = s.get("parse", 0.0) + s.get("check", 0.0)
    read_checked = checked + s.get("read", 0.0)
    totals = plan.totals()
    return {"rows": rows, "write_rows": plan.data.size, "nodes": len(plan.data.nodes),
            "edges": len(plan.data.edges), "cleared": len(plan.data.cleared_edges),
            "read_seconds": s.get("read", 0.0), "parse_seconds": s.get("parse", 0.0),
            "check_seconds": s.get("check", 0.0),
            "parse_check_rows_per_s": rows / checked if checked else 0.0,
            "read_parse_check_rows_per_s": rows / read_checked if read_checked else 0.0,
            "created": totals.created, "updated": totals.updated, "unchanged": totals.unchanged,
            "wall_seconds": wall}


# --- 1. the embedded store (child) ------------------------------------------------------------------
async def _child_embedded(spec: dict[str, Any]) -> dict[str, Any]:
    from graph_api.ledger.importer import import_files
    from graph_api.store.embedded.store import EmbeddedStore

    files = tier_files(spec["folder"])
    folder = Path(tempfile.mkdtemp(prefix="bench-import-", dir=spec.get("tmp") or None))
    path = folder / "bench.sqlite3"
    store = EmbeddedStore(path)
    out: dict[str, Any] = {}
    try:
        await store.migrate()
        _log(f"embedded: importing {len(files)} files into a new store ...")
        started = time.perf_counter()
        plan = await import_files(files, store)
        wall = time.perf_counter() - started
        out = _plan_figures(plan, wall)
        out["write_seconds"] = plan.seconds.get("write", 0.0)
        out["write_rows_per_s"] = plan.data.size / out["write_seconds"] if out["write_seconds"] else 0.0
        out["maxrss"] = _maxrss()  # the import's peak: nothing else ran in this process yet
        out["counts"] = await store.count_nodes()
        out["file_bytes"] = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        del plan
        gc.collect()
        _log(f"embedded: imported {out['rows']:,} rows in {wall:.1f} s; importing the same files again ...")
        started = time.perf_counter()
        again = await import_files(files, store)
        out["reimport"] = _plan_figures(again, time.perf_counter() - started)
        out["reimport"]["write_rows"] = again.data.size
        out["maxrss_end"] = _maxrss()
    finally:
        await store.close()
        shutil.rmtree(folder, ignore_errors=True)
    return out


# --- 2. Neo4j: the raw-driver baseline and ours (child) -------------------------------------------
async def baseline_write(driver: Any, database: str, data: Any, batch: int = BASELINE_BATCH) -> float:
    """Write ``data`` (new nodes and edges; an empty database) with the bare neo4j driver:
    ``CREATE`` in batches, each its own transaction. Seconds, preparing the rows included."""
    from graph_api.domain.model import KIND_BY_NAME

    started = time.perf_counter()
    nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, node_id, props in data.nodes:
        nodes[kind].append({"id": node_id, "props": {k: v for k, v in props.items() if v is not None}})
    edges: dict[tuple[str, str, str], list[list[str]]] = defaultdict(list)
    for src_kind, src_id, rel_type, dst_kind, dst_id in data.edges:
        edges[(src_kind, rel_type, dst_kind)].append([src_id, dst_id])
    queries: list[tuple[str, list[Any]]] = []
    for kind, rows in nodes.items():
        labels = ":".join(f"`{label}`" for label in KIND_BY_NAME[kind].labels)
        queries.append((f"UNWIND $rows AS row CREATE (n:{labels}) SET n = row.props, n.id = row.id", rows))
    for (src_kind, rel_type, dst_kind), rows in edges.items():
        queries.append((f"UNWIND $rows AS row MATCH (a:`{src_kind}` {{id: row[0]}}) "
                        f"MATCH (b:`{dst_kind}` {{id: row[1]}}) CREATE (a)-[:`{rel_type}`]->(b)", rows))
    async with driver.session(database=database) as session:
        for query, rows in queries:
            for start in range(0, len(rows), batch):
                tx = await session.begin_transaction()
                try:
                    await (await tx.run(query, rows=rows[start:start + batch])).consume()
                    await tx.commit()
                finally:
                    await tx.close()
    return time.perf_counter() - started


async def _relationships(driver: Any, database: str) -> int:
    async with driver.session(database=database) as session:
        row = await (await session.run("MATCH ()-[r]->() RETURN count(r) AS c")).single()
    return int(row["c"])


async def _fresh_statistics(driver: Any, database: str) -> float:
    """Resample the indexes a write made outdated and drop cached plans (not timed as part of the
    re-import). Right after a wipe and a bulk write the index samples still describe the empty
    database and the planner can pick a label scan per key for the re-import's neighbour reads:
    on tier S ``neighbours(Household, unit)`` took ~50 s instead of ~1.5 s; on L it would not end."""
    started = time.perf_counter()
    async with driver.session(database=database) as session:
        await (await session.run("CALL db.resampleOutdatedIndexes()")).consume()
        await (await session.run("CALL db.clearQueryCaches()")).consume()
    return time.perf_counter() - started


async def _child_neo4j(spec: dict[str, Any]) -> dict[str, Any]:
    from neo4j import AsyncGraphDatabase

    from graph_api.ledger.importer import apply_plan, import_files, plan_import
    from graph_api.settings import get_settings
    from graph_api.store.neo4j_store import Neo4jStore

    settings = get_settings()
    uri, database, label = spec["uri"], settings.neo4j_database, spec.get("label", "neo4j")
    expected: dict[str, int] = spec["counts"]
    files = tier_files(spec["folder"])
    store = Neo4jStore(uri, settings.neo4j_user, settings.neo4j_password, database)
    driver = AsyncGraphDatabase.driver(uri, auth=(settings.neo4j_user, settings.neo4j_password))
    out: dict[str, Any] = {"writes": []}
    try:
        async def clean() -> float:
            t = time.perf_counter()
            await store.wipe()
            await store.migrate()
            return time.perf_counter() - t

        async def reimport() -> None:
            out["resample_seconds"] = await _fresh_statistics(driver, database)
            _log(f"{label}: importing the same files again ...")
            started = time.perf_counter()
            again = await import_files(files, store)
            out["reimport"] = _plan_figures(again, time.perf_counter() - started)
            out["reimport"]["write_rows"] = again.data.size
            _log(f"{label}: re-import in {out['reimport']['wall_seconds']:.1f} s: {again.totals()}")
            del again
            gc.collect()

        out["wipe_seconds"] = [await clean()]
        _log(f"{label}: planning the import of {len(files)} files against the empty database ...")
        started = time.perf_counter()
        plan = await plan_import(files, store)
        out["plan"] = _plan_figures(plan, time.perf_counter() - started)
        out["plan"]["maxrss"] = _maxrss()  # the plan's peak: nothing else ran in this process yet
        size = plan.data.size
        relationships = len(set(plan.data.edges))
        rounds: list[str] = spec["rounds"]
        last_ours = max((i for i, who in enumerate(rounds) if who == "ours"), default=-1)
        for i, who in enumerate(rounds):
            if i:
                _log(f"{label}: wiping (not timed) ...")
                out["wipe_seconds"].append(await clean())
            _log(f"{label}: write {i + 1}/{len(rounds)}: {who}, {size:,} rows ...")
            started = time.perf_counter()
            try:
                if who == "baseline":
                    seconds = await baseline_write(driver, database, plan.data)
                else:
                    await apply_plan(plan, store)
                    seconds = plan.seconds["write"]
            except Exception as exc:  # noqa: BLE001 (a failed write is a result too; the other rounds still run)
                failed = time.perf_counter() - started
                error = f"{type(exc).__name__}: {exc}"
                out["writes"].append({"who": who, "error": error[:2000], "seconds_until_failure": failed})
                _log(f"{label}: {who} FAILED after {failed:.1f} s: {error[:500]}")
                if i == last_ours:
                    out["reimport_skipped"] = f"our write failed: {error[:300]}"
                continue
            counts = await store.count_nodes()
            got_relationships = await _relationships(driver, database)
            mismatched = {k: (counts.get(k, 0), expected.get(k, 0)) for k in {*counts, *expected}
                          if counts.get(k, 0) != expected.get(k, 0)}
            write = {"who": who, "seconds": seconds, "rows_per_s": size / seconds if seconds else 0.0,
                     "nodes": sum(counts.values()), "relationships": got_relationships,
                     "expected_relationships": relationships, "counts_ok": not mismatched,
                     "mismatched": {k: {"stored": a, "expected": b} for k, (a, b) in mismatched.items()}}
            out["writes"].append(write)
            _log(f"{label}: {who} wrote {size:,} rows in {seconds:.1f} s ({write['rows_per_s']:,.0f} rows/s); "
                 f"{write['nodes']:,} nodes, {got_relationships:,} relationships"
                 + ("" if not mismatched else f"; COUNTS DIFFER: {mismatched}"))
            if i == last_ours and spec.get("reimport", True):
                await reimport()
        if spec.get("reimport", True) and "reimport" not in out and last_ours >= 0:
            # our last write failed: the re-import still gets a graph to check, written by the baseline
            last = out["writes"][-1] if out["writes"] else {}
            ready = last.get("who") == "baseline" and "error" not in last and last.get("counts_ok")
            try:
                if not ready:
                    _log(f"{label}: our write failed; wiping and writing the graph with the baseline (not timed) "
                         f"for the re-import ...")
                    out["wipe_seconds"].append(await clean())
                    await baseline_write(driver, database, plan.data)
            except Exception as exc:  # noqa: BLE001
                out["reimport_skipped"] = f"{out.get('reimport_skipped', '')}; the baseline failed too: {exc}"
            else:
                out["reimport_after"] = "baseline"
                out.pop("reimport_skipped", None)
                await reimport()
        out["maxrss_end"] = _maxrss()
    finally:
        await driver.close()
        await store.close()
    for who in ("baseline", "ours"):
        runs = [w["seconds"] for w in out["writes"] if w["who"] == who and "seconds" in w]
        errors = [w["error"] for w in out["writes"] if w["who"] == who and "error" in w]
        out[who] = None if not runs else {"seconds": min(runs), "rows_per_s": size / min(runs) if min(runs) else 0.0,
                                          "runs": runs}
        if errors:
            out[f"{who}_errors"] = errors
    if out["ours"] and out["baseline"]:
        out["ratio"] = out["ours"]["rows_per_s"] / out["baseline"]["rows_per_s"]
    out["write_rows"] = size
    return out


# --- children --------------------------------------------------------------------------------------
def _child(what: str, spec: dict[str, Any], title: str) -> dict[str, Any]:
    """Run one part in a fresh interpreter (``python -m graph_api.ledger.bench_import --child``)."""
    lines = _run_child(["-m", "graph_api.ledger.bench_import", "--child", what, json.dumps(spec)], title)
    out = lines[-1]
    out["child_wall_seconds"] = lines[0].get("child_wall_seconds")
    return out


def _child_main(what: str, spec_json: str) -> None:
    spec = json.loads(spec_json)
    started = time.perf_counter()
    if what == "generate":
        out = _child_generate(spec)
    elif what == "embedded":
        out = asyncio.run(_child_embedded(spec))
    elif what == "neo4j":
        out = asyncio.run(_child_neo4j(spec))
    else:
        raise SystemExit(f"unknown child {what!r}")
    out["wall_seconds_child"] = time.perf_counter() - started
    out.setdefault("maxrss_end", _maxrss())
    print(json.dumps(out, default=str), flush=True)


# --- the benchmark ---------------------------------------------------------------------------------
def _neo4j_version(uri: str) -> str:
    from graph_api.settings import get_settings
    from graph_api.store.neo4j_store import Neo4jStore

    settings = get_settings()

    async def ping() -> dict[str, Any]:
        store = Neo4jStore(uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database)
        try:
            return await store.ping()
        finally:
            await store.close()

    return str(asyncio.run(ping()).get("version", "?"))


def rounds_for(tier: str) -> list[str]:
    return ["baseline", "ours", "ours", "baseline"] if ROUNDS.get(tier, 1) >= 2 else ["baseline", "ours"]


def _embedded_part(tier: str, f: dict[str, Any], problems: list[str], console: Console) -> None:
    files = f["files"]
    console.print("embedded: importing in a fresh child process ...")
    e = _child("embedded", {"folder": files["folder"]}, f"embedded import of tier {tier}")
    f["embedded"] = e
    if _nonzero(e["counts"]) != _nonzero(files["counts"]):
        problems.append(f"tier {tier}, embedded: the store holds {sum(e['counts'].values()):,} nodes "
                        f"after the import, the files have {files['nodes']:,}")
    r = e["reimport"]
    if r["created"] or r["updated"] or r["write_rows"]:
        problems.append(f"tier {tier}, embedded: re-importing the same files would create {r['created']:,} "
                        f"and update {r['updated']:,} records ({r['write_rows']:,} rows to write)")


def _warmup(cache: Path, seed: int, neo4j_uri: str, console: Console) -> dict[str, Any]:
    s_files = ensure_tier(cache, WARMUP_TIER, seed)
    console.print(f"Neo4j: warm-up round on tier {WARMUP_TIER} (baseline, ours; not reported) ...")
    w = _child("neo4j", {"uri": neo4j_uri, "folder": s_files["folder"], "counts": s_files["counts"],
                         "rounds": ["baseline", "ours"], "reimport": False, "label": "warm-up"}, "Neo4j warm-up")
    return {"tier": WARMUP_TIER, "wall_seconds": w["child_wall_seconds"],
            "writes": [{"who": x["who"], "seconds": x.get("seconds"), "error": x.get("error")} for x in w["writes"]]}


def _neo4j_part(tier: str, f: dict[str, Any], neo4j_uri: str, problems: list[str], console: Console) -> None:
    files = f["files"]
    rounds = rounds_for(tier)
    console.print(f"Neo4j: plan, then writes {', '.join(rounds)} in one child process ...")
    n = _child("neo4j", {"uri": neo4j_uri, "folder": files["folder"], "counts": files["counts"],
                         "rounds": rounds, "label": f"Neo4j {tier}"}, f"Neo4j import of tier {tier}")
    f["neo4j"] = n
    for i, w in enumerate(n["writes"]):
        if "error" in w:
            problems.append(f"tier {tier}, Neo4j write {i + 1} ({w['who']}) failed after "
                            f"{w['seconds_until_failure']:.1f} s: {w['error'][:300]}")
            continue
        if not w["counts_ok"]:
            problems.append(f"tier {tier}, Neo4j write {i + 1} ({w['who']}): node counts differ from the "
                            f"files: {w['mismatched']}")
        if w["relationships"] != w["expected_relationships"]:
            problems.append(f"tier {tier}, Neo4j write {i + 1} ({w['who']}): {w['relationships']:,} "
                            f"relationships, the plan has {w['expected_relationships']:,}")
    r = n.get("reimport")
    if r is None:
        problems.append(f"tier {tier}, Neo4j: no re-import ran ({n.get('reimport_skipped', '?')})")
    elif r["created"] or r["updated"] or r["write_rows"]:
        problems.append(f"tier {tier}, Neo4j: re-importing the same files would create {r['created']:,} "
                        f"and update {r['updated']:,} records ({r['write_rows']:,} rows to write)")


def run_import_bench(tiers: list[str] | tuple[str, ...] = DEFAULT_TIERS, neo4j_uri: str | None = None, *,
                     backends: list[str] | tuple[str, ...] = BACKENDS, cache_dir: str | Path = DEFAULT_CACHE,
                     seed: int | None = None, console: Console | None = None, warmup: bool = True,
                     json_out: str | Path | None = None) -> dict[str, Any]:
    """Run the benchmark (see the module doc), print a table per tier and a summary; returns every
    figure. Raises ``SystemExit`` after printing (and writing ``json_out``) if a check failed: node
    counts after a write, or a re-import that would create or update something."""
    from graph_api.ledger.generate import DEFAULT_SEED, TIERS

    console = console or Console(width=140)
    seed = DEFAULT_SEED if seed is None else seed
    tiers = [t.upper() for t in tiers]
    for t in tiers:
        if t not in TIERS:
            raise SystemExit(f"unknown tier {t!r}: one of {', '.join(TIERS)}")
    for b in backends:
        if b not in BACKENDS:
            raise SystemExit(f"unknown backend {b!r}: one of {', '.join(BACKENDS)}")
    cache = Path(cache_dir).resolve()  # children run in the project folder
    run_started = time.perf_counter()
    figures: dict[str, Any] = {"seed": seed, "tiers": {}, "backends": list(backends), "cache_dir": str(cache),
                               "neo4j_uri": neo4j_uri if "neo4j" in backends else None, "problems": []}
    problems: list[str] = figures["problems"]
    if "neo4j" in backends:
        if not neo4j_uri:
            raise SystemExit("the Neo4j part needs --neo4j-uri")
        figures["neo4j_version"] = _neo4j_version(neo4j_uri)
        console.print(f"Neo4j {figures['neo4j_version']} at {neo4j_uri}: it is WIPED before every write")
    warmed = not warmup

    for tier in tiers:
        console.rule(f"tier {tier} · {TIERS[tier].en}")
        f: dict[str, Any] = figures["tiers"].setdefault(tier, {"tier": TIERS[tier].as_dict()})
        t = time.perf_counter()
        try:
            files = ensure_tier(cache, tier, seed)
        except SystemExit as exc:
            problems.append(f"tier {tier}: {exc}")
            continue
        f["files"] = files
        f["tier_nodes"] = files["nodes"]
        console.print(f"files: {files['folder']} · {files['nodes']:,} rows in {len(files['counts'])} files, "
                      f"{_mib(files.get('bytes', 0))} · " + ("cached (generated earlier in "
                      f"{files['generate_seconds']:.1f} s)" if files["cached"] else
                      f"generated in {files['generate_seconds']:.1f} s (peak RSS {_mib(files['generate_maxrss'])})"))
        # a child that fails is reported with the other checks; the other parts and tiers still run
        if "embedded" in backends:
            try:
                _embedded_part(tier, f, problems, console)
            except SystemExit as exc:
                problems.append(f"tier {tier}, embedded: {exc}")
        if "neo4j" in backends:
            try:
                if not warmed:
                    warmed = True
                    figures["warmup"] = _warmup(cache, seed, neo4j_uri, console)
                _neo4j_part(tier, f, neo4j_uri, problems, console)
            except SystemExit as exc:
                problems.append(f"tier {tier}, Neo4j: {exc}")
        f["wall_seconds"] = time.perf_counter() - t
        console.print(tier_table(tier, f, figures.get("neo4j_version")))

    figures["wall_seconds"] = time.perf_counter() - run_started
    figures["maxrss_self"] = _maxrss()
    console.rule("summary")
    console.print(summary(figures), highlight=False, markup=False)
    if json_out:
        Path(json_out).write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        console.print(f"figures written to {json_out}")
    if problems:
        console.print("[bold red]CHECKS FAILED:[/bold red]")
        for p in problems:
            console.print(f"[red]  - {p}[/red]", highlight=False)
        raise SystemExit(1)
    return figures


# --- output ----------------------------------------------------------------------------------------
def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f} s"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} rows/s"


def tier_table(tier: str, f: dict[str, Any], version: str | None = None) -> Table:
    e, n = f.get("embedded"), f.get("neo4j")
    p = n["plan"] if n else None
    table = Table(title=f"tier {tier}: import of {f['tier_nodes']:,} records ({len(f['files']['counts'])} CSV files)"
                        + (f" · Neo4j {version}" if n and version else ""))
    table.add_column("")
    if e:
        table.add_column("embedded", justify="right")
    if n:
        table.add_column("Neo4j", justify="right")

    def row(name: str, embedded: str | None = None, neo4j: str | None = None) -> None:
        table.add_row(name, *([embedded or "—"] if e else []), *([neo4j or "—"] if n else []))

    def both(name: str, fmt: Any, key: str) -> None:
        row(name, fmt(e[key]) if e else None, fmt(p[key]) if p else None)

    both("rows read", lambda v: f"{v:,}", "rows")
    row("rows to write (nodes + edges)", e and f"{e['write_rows']:,} ({e['nodes']:,} + {e['edges']:,})",
        n and f"{n['write_rows']:,} ({p['nodes']:,} + {p['edges']:,})")
    both("read", _s, "read_seconds")
    both("parse", _s, "parse_seconds")
    both("check", _s, "check_seconds")
    both("parse + check", _rate, "parse_check_rows_per_s")
    both("read + parse + check", _rate, "read_parse_check_rows_per_s")
    if e:
        row("write", f"{_s(e['write_seconds'])} · {_rate(e['write_rows_per_s'])}")
    if n:
        for who, title in (("ours", "write, ours"), ("baseline", "write, raw-driver baseline")):
            w, errors = n.get(who), n.get(f"{who}_errors", [])
            tried = (len(w["runs"]) if w else 0) + len(errors)
            value = w and f"{_s(w['seconds'])} · {_rate(w['rows_per_s'])}"
            if not w and errors:
                value = f"FAILED: {errors[0][:90]}"
            row(f"{title} (best of {tried})" if tried > 1 else title, None, value)
            if tried > 1:
                shown = [f"{x:.1f}" for x in w["runs"]] if w else []
                row(f"  runs, {who} (s)", None, " / ".join(shown + ["failed"] * len(errors)))
        if n.get("ratio") is not None:
            ok = "meets" if n["ratio"] >= TARGET_RATIO else "BELOW"
            row(f"ours ÷ baseline rows/s (target ≥ {TARGET_RATIO:.2f})", None, f"{n['ratio']:.2f} ({ok})")
    row("total (read + parse + check + write)", e and _s(e["wall_seconds"]),
        n and n.get("ours") and _s(p["wall_seconds"] + n["ours"]["seconds"]))
    row("peak RSS of the child", e and _mib(e["maxrss"]), p and f"{_mib(p['maxrss'])} (plan)")
    re_e, re_n = e and e.get("reimport"), n and n.get("reimport")
    row("re-import of the same files" + (" (graph written by the baseline)" if n and n.get("reimport_after") else ""),
        re_e and f"{_s(re_e['wall_seconds'])} · {re_e['created']} created / {re_e['updated']} updated",
        re_n and f"{_s(re_n['wall_seconds'])} · {re_n['created']} created / {re_n['updated']} updated")
    return table


def summary(figures: dict[str, Any]) -> str:
    lines = []
    pad = " " * 12
    for tier, f in figures["tiers"].items():
        files = f["files"]
        lines.append(f"tier {tier}: {f['tier_nodes']:,} records · files "
                     + (f"cached (generated in {files['generate_seconds']:.1f} s)" if files["cached"]
                        else f"generated in {files['generate_seconds']:.1f} s"))
        if e := f.get("embedded"):
            r = e["reimport"]
            lines.append(f"  embedded  read {e['read_seconds']:.1f} s · parse {e['parse_seconds']:.1f} s · "
                         f"check {e['check_seconds']:.1f} s · write {e['write_seconds']:.1f} s · "
                         f"total {e['wall_seconds']:.1f} s · peak RSS {_mib(e['maxrss'])}")
            lines.append(f"{pad}parse+check {e['parse_check_rows_per_s']:,.0f} rows/s · read+parse+check "
                         f"{e['read_parse_check_rows_per_s']:,.0f} rows/s · write {e['write_rows_per_s']:,.0f} rows/s "
                         f"({e['write_rows']:,} rows)")
            lines.append(f"{pad}re-import {r['wall_seconds']:.1f} s: {r['created']} created / {r['updated']} updated / "
                         f"{r['unchanged']:,} unchanged")
        if n := f.get("neo4j"):
            p, ours, base = n["plan"], n.get("ours"), n.get("baseline")
            lines.append(f"  Neo4j     read {p['read_seconds']:.1f} s · parse {p['parse_seconds']:.1f} s · check "
                         f"{p['check_seconds']:.1f} s · peak RSS of the plan {_mib(p['maxrss'])}")
            lines.append(f"{pad}parse+check {p['parse_check_rows_per_s']:,.0f} rows/s · read+parse+check "
                         f"{p['read_parse_check_rows_per_s']:,.0f} rows/s")
            for who in ("ours", "baseline"):
                for error in n.get(f"{who}_errors", []):
                    lines.append(f"{pad}write, {who}: FAILED: {error[:300]}")
            if ours and base:
                def runs(w: dict[str, Any]) -> str:
                    return ", ".join(f"{x:.1f}" for x in w["runs"])

                head = f"write of {n['write_rows']:,} rows: "
                lines.append(f"{pad}{head}ours {ours['seconds']:.1f} s = {ours['rows_per_s']:,.0f} rows/s "
                             f"(runs {runs(ours)} s)")
                lines.append(f"{pad}{' ' * len(head)}raw-driver baseline {base['seconds']:.1f} s = "
                             f"{base['rows_per_s']:,.0f} rows/s (runs {runs(base)} s)")
                verdict = "meets" if n["ratio"] >= TARGET_RATIO else "BELOW"
                lines.append(f"{pad}ours ÷ baseline {n['ratio']:.2f} ({verdict} the target ≥ {TARGET_RATIO:.2f}) · "
                             f"total (plan + our write) "
                             f"{p['wall_seconds'] + ours['seconds']:.1f} s")
            elif ours or base:
                who, w = ("ours", ours) if ours else ("raw-driver baseline", base)
                lines.append(f"{pad}write of {n['write_rows']:,} rows: {who} {w['seconds']:.1f} s = "
                             f"{w['rows_per_s']:,.0f} rows/s")
            if r := n.get("reimport"):
                lines.append(f"{pad}re-import {r['wall_seconds']:.1f} s: {r['created']} created / "
                             f"{r['updated']} updated / {r['unchanged']:,} unchanged"
                             + (" (graph written by the baseline: our write failed)"
                                if n.get("reimport_after") else ""))
        lines.append(f"  tier wall time (files, children, wipes): {f['wall_seconds']:.1f} s")
    if w := figures.get("warmup"):
        lines.append(f"Neo4j warm-up on tier {w['tier']} (not reported above): {w['wall_seconds']:.1f} s")
    lines.append(f"total {figures['wall_seconds']:.1f} s · peak RSS of this process {_mib(figures['maxrss_self'])}")
    if figures["problems"]:
        lines.append(f"{len(figures['problems'])} check(s) FAILED (listed below)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child_main(argv[1], argv[2])
        return
    from graph_api.ledger.generate import DEFAULT_SEED

    parser = argparse.ArgumentParser(prog="python -m graph_api.ledger.bench_import",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiers", nargs="+", default=list(DEFAULT_TIERS), help="tiers to measure (S, M, L)")
    parser.add_argument("--neo4j-uri", default=os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"),
                        help="Bolt URI of a Neo4j the benchmark may WIPE (default: $NEO4J_URI)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--cache-dir", default=str(DEFAULT_CACHE), help="generated tier files, reused")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-warmup", action="store_true", help="skip the Neo4j warm-up round on tier S")
    parser.add_argument("--json", dest="json_out", default=None, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    run_import_bench(args.tiers, args.neo4j_uri, backends=args.backends, cache_dir=args.cache_dir, seed=args.seed,
                     warmup=not args.no_warmup, json_out=args.json_out)


if __name__ == "__main__":
    main()
