"""Benchmark of the matching engine on a synthetic city: ``python -m graph_api.matching.bench``.

:func:`synthetic_input` builds a city-like grid tree (streets, communities, areas, complexes,
buildings, stairwell units) and a matching input in realistic proportions: needs raised mostly by
households (some by a grid), resources based at community to building grids with capacities 1-20
and a few named service items, offered by joint units (their big committees' communities) or by
members, and members who claimed 红色驿站 service items. :func:`run_engine_bench` times
:func:`graph_api.matching.engine.match` on it (wall seconds per phase) and its peak memory: by
default the growth of the process's peak resident set (``ru_maxrss``) across the timed run, or
the peak of Python allocations traced by ``tracemalloc`` in a second run (about ten times slower,
so the times always come from the untraced run).
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import resource
import sys
import time
import tracemalloc
from typing import Any

from rich.console import Console
from rich.table import Table

from graph_api.domain.matching import (
    MEMBER_ITEMS,
    Demand,
    MatchingInput,
    MatchOptions,
    Supply,
)
from graph_api.matching.engine import match

AS_OF = dt.date(2024, 6, 30)

NEED_CATEGORY_WEIGHTS = {"SERVICE": 25, "SMALL_WISH": 20, "HARDSHIP": 15, "GOODS": 12, "ENVIRONMENT": 10,
                         "FACILITY": 8, "TRAINING": 5, "TEAM_ACTIVITY": 5}
RESOURCE_CATEGORY_WEIGHTS = {"VOLUNTEERS": 25, "PUBLIC_SERVICE": 20, "FUNDS": 15, "EQUIPMENT": 15, "SKILL": 15,
                             "VENUE": 10}
ITEM_WEIGHTS = {"ELDERLY": 30, "POVERTY": 25, "DISABLED": 15, "STUDY": 15, "ORPHAN": 5, "CONVENIENCE": 10}
URGENCY_WEIGHTS = {"NORMAL": 50, "HIGH": 25, "LOW": 15, "URGENT": 10}
CARE_WEIGHTS = {"NEEDY_FAMILY": 30, "MINIMUM_LIVELIHOOD": 20, "ELDERLY_ALONE": 25, "DISABLED": 12,
                "STUDENT_AID": 6, "LEFT_BEHIND_CHILD": 5, "ORPHAN": 2}


def _pick(rnd: random.Random, weights: dict[str, int]) -> str:
    return rnd.choices(list(weights), weights=list(weights.values()))[0]


class City:
    """A grid tree sized for ``units`` stairwell units (about 3 per building, 9 buildings per
    complex, 4 complexes per area, 3.5 areas per community, 8 communities per street)."""

    def __init__(self, rnd: random.Random, units: int):
        self.paths: dict[str, list[tuple[str, ...]]] = {k: [] for k in ("community", "area", "complex", "building",
                                                                       "unit")}
        self.street_of: dict[str, str] = {}
        self.communities_of: dict[str, list[str]] = {}
        communities = max(1, round(units / (3 * 9 * 4 * 3.5)))
        streets = max(1, round(communities / 8))
        for c in range(communities):
            street = f"ST{c % streets + 1:02d}"
            community = f"{street}-C{c // streets + 1:02d}"
            self.street_of[community] = street
            self.communities_of.setdefault(street, []).append(community)
            self.paths["community"].append((community,))
            for a in range(rnd.randint(3, 4)):
                area = (f"{community}-A{a + 1}", community)
                self.paths["area"].append(area)
                for x in range(rnd.randint(3, 5)):
                    cpx = (f"{area[0]}-X{x + 1}", *area)
                    self.paths["complex"].append(cpx)
                    for b in range(rnd.randint(6, 12)):
                        bld = (f"{cpx[0]}-B{b + 1:02d}", *cpx)
                        self.paths["building"].append(bld)
                        for u in range(rnd.randint(2, 4)):
                            self.paths["unit"].append((f"{bld[0]}-U{u + 1}", *bld))

    def place(self, rnd: random.Random, level: str) -> tuple[tuple[str, ...], str, str]:
        path = rnd.choice(self.paths[level])
        return path, path[-1], self.street_of[path[-1]]

    def neighbour(self, rnd: random.Random, community: str) -> str:
        return rnd.choice(self.communities_of[self.street_of[community]])


def synthetic_input(demands: int = 10_000, supplies: int = 5_000, seed: int = 2024,
                    mode: str = "projects") -> MatchingInput:
    """A matching input on a synthetic city with about 2.5 stairwell units per demand."""
    rnd = random.Random(seed)
    city = City(rnd, units=max(100, int(demands * 2.5)))
    out_d: list[Demand] = []
    out_s: list[Supply] = []
    for i in range(demands):
        if mode == "pairings" or rnd.random() < 0.8:
            path, community, street = city.place(rnd, "unit")
        else:
            path, community, street = city.place(rnd, rnd.choice(("community", "area", "complex", "building")))
        if mode == "pairings":
            care = tuple(sorted({_pick(rnd, CARE_WEIGHTS) for _ in range(rnd.choice((1, 1, 1, 2)))}))
            out_d.append(Demand(kind="Household", id=f"HH{i:06d}", label=f"household {i}", community_id=community,
                                street_id=street, path=path, care=care))
            continue
        category = _pick(rnd, NEED_CATEGORY_WEIGHTS)
        if category in ("SERVICE", "SMALL_WISH", "HARDSHIP"):
            item = _pick(rnd, ITEM_WEIGHTS) if rnd.random() < 0.6 else None
        else:
            item = "CONVENIENCE" if rnd.random() < 0.2 else None
        out_d.append(Demand(kind="Need", id=f"ND{i:06d}", label=f"need {i}", community_id=community, street_id=street,
                            path=path, category=category, item=item, quantity=rnd.randint(1, 5),
                            urgency=_pick(rnd, URGENCY_WEIGHTS), opened=AS_OF - dt.timedelta(days=rnd.randint(0, 90))))
    members = supplies if mode == "pairings" else supplies * 3 // 10
    for j in range(supplies - members):
        level = rnd.choices(("community", "area", "complex", "building"), weights=(40, 25, 20, 15))[0]
        path, community, street = city.place(rnd, level)
        items: tuple[str, ...] = ()
        if rnd.random() < 0.5:
            items = tuple(sorted({_pick(rnd, ITEM_WEIGHTS) for _ in range(rnd.randint(1, 2))}))
        if rnd.random() < 0.7:  # a joint unit: its big committees' communities
            offered = ("JointUnit", f"JU{rnd.randint(1, supplies // 10 + 1):05d}")
            serves = tuple(sorted({community, city.neighbour(rnd, community)} if rnd.random() < 0.3 else {community}))
        else:
            offered = ("Member", f"PM{rnd.randint(1, supplies):06d}")
            serves = (community,)
        capacity = rnd.choices((1, 2, 3, 5, 10, 20), weights=(45, 25, 12, 10, 6, 2))[0]
        out_s.append(Supply(kind="Resource", id=f"RS{j:06d}", label=f"resource {j}", community_id=community,
                            street_id=street, path=path, capacity=capacity,
                            category=_pick(rnd, RESOURCE_CATEGORY_WEIGHTS), items=items, offered_by=offered,
                            serves_communities=serves))
    for j in range(members):
        path, community, street = city.place(rnd, "unit")
        items = tuple(sorted({_pick(rnd, {k: v for k, v in ITEM_WEIGHTS.items() if k in MEMBER_ITEMS})
                              for _ in range(rnd.randint(1, 2))}))
        if mode == "pairings":
            households = rnd.choices((0, 1, 2, 3, 4, 5, 6, 8, 10), weights=(20, 15, 15, 12, 10, 10, 8, 6, 4))[0]
            capacity = 20 - households
        else:
            households, capacity = 0, rnd.choice((1, 2, 2))
        out_s.append(Supply(kind="Member", id=f"PM{j:06d}", label=f"member {j}", community_id=community,
                            street_id=street, path=path, capacity=capacity, items=items,
                            offered_by=("Member", f"PM{j:06d}"), serves_communities=(community,),
                            households=households))
    return MatchingInput(as_of=AS_OF, demands=out_d, supplies=out_s)


def _maxrss_mib() -> float:
    """The process's peak resident set so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def run_engine_bench(demands: int = 10_000, supplies: int = 5_000, seed: int = 2024, mode: str = "projects",
                     cross_community: bool = False, max_distance: str = "STREET", memory: str = "rss",
                     console: Console | None = None) -> dict[str, Any]:
    """Time :func:`match` on a synthetic input and print a small table; returns the figures.

    Times are wall seconds of one run. ``memory``: ``"rss"`` (``peak_mib`` = how much the
    process's peak resident set grew during that run, ``ru_maxrss``; 0 when an earlier peak was
    higher), ``"tracemalloc"`` (``peak_mib`` = the peak of Python allocations of a second, traced
    run, the input excluded; slow) or ``"none"``."""
    t0 = time.perf_counter()
    data = synthetic_input(demands, supplies, seed, mode)
    generate = time.perf_counter() - t0
    options = MatchOptions(mode=mode, cross_community=cross_community,  # type: ignore[arg-type]
                           max_distance=max_distance, as_of=AS_OF)
    gc.collect()
    stats: dict[str, Any] = {}
    rss_before = _maxrss_mib()
    t0 = time.perf_counter()
    result = match(data, options, stats=stats)
    wall = time.perf_counter() - t0
    peak = _maxrss_mib() - rss_before if memory == "rss" else None
    if memory == "tracemalloc":
        del result
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        result = match(data, options)
        peak = (tracemalloc.get_traced_memory()[1] - base) / 2**20
        tracemalloc.stop()
    reasons: dict[str, int] = {}
    for u in result.unmatched:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    figures = {
        "mode": mode, "demands": demands, "supplies": supplies, "seed": seed, "cross_community": cross_community,
        "max_distance": max_distance, "generate_s": generate, "wall_s": wall,
        "prepare_s": stats["classes"], "build_s": stats["build"], "solve_s": stats["solve"],
        "decompose_s": stats["decompose"], "explain_s": stats["explain"], "components": stats["components"],
        "nodes": stats["nodes"], "edges": stats["edges"], "matched": len(result.proposals),
        "unmatched": len(result.unmatched), "total_cost": result.total_cost, "reasons": reasons,
        "peak_mib": peak, "memory": memory, "maxrss_mib": _maxrss_mib(),
    }
    table = Table(title=f"matching engine · {mode} · {demands:,} × {supplies:,} (seed {seed})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("wall (match)", f"{wall:.2f} s")
    for name in ("prepare", "build", "solve", "decompose", "explain"):
        table.add_row(f"  {name}", f"{figures[name + '_s']:.2f} s")
    table.add_row("network nodes / edges", f"{figures['nodes']:,} / {figures['edges']:,}")
    table.add_row("independent components", f"{figures['components']}")
    table.add_row("matched / unmatched", f"{figures['matched']:,} / {figures['unmatched']:,}")
    table.add_row("total cost", f"{figures['total_cost']:,}")
    for reason, n in sorted(reasons.items()):
        table.add_row(f"  {reason.lower()}", f"{n:,}")
    if peak is not None:
        how = "ru_maxrss growth" if memory == "rss" else "tracemalloc peak"
        table.add_row(f"memory ({how})", f"{peak:.1f} MiB")
    table.add_row("process peak RSS", f"{figures['maxrss_mib']:.0f} MiB")
    table.add_row("input generation", f"{generate:.2f} s")
    (console or Console()).print(table)
    return figures


def run_tier_pairing_bench(tier: str = "L", console: Console | None = None) -> dict[str, Any]:
    """Pair every household in a care category (all seven) that has no active pairing, on a generated
    tier loaded into a new embedded store: the store's input read and the engine, timed, with the
    process's peak memory."""
    import asyncio
    import tempfile
    from pathlib import Path

    from graph_api.domain.enums import CareCategory
    from graph_api.ledger.generate import generate_tier
    from graph_api.store.base import EVERYTHING
    from graph_api.store.embedded.store import EmbeddedStore

    console = console or Console()
    options = MatchOptions(mode="pairings", categories=tuple(c.value for c in CareCategory), as_of=AS_OF)

    async def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix=f"bench-match-{tier}-") as folder:
            store = EmbeddedStore(Path(folder) / "graph.sqlite3")
            try:
                t0 = time.perf_counter()
                with console.status(f"tier {tier}: loading into a new embedded store…"):
                    for chunk in generate_tier(tier):
                        await store.load(chunk)
                load_s = time.perf_counter() - t0
                rss_loaded = _maxrss_mib()
                t0 = time.perf_counter()
                data = await store.matching_input(options, EVERYTHING)
                read_s = time.perf_counter() - t0
                stats: dict[str, Any] = {}
                t0 = time.perf_counter()
                result = match(data, options, stats=stats)
                match_s = time.perf_counter() - t0
            finally:
                await store.close()
        return {"tier": tier, "load_s": load_s, "read_s": read_s, "match_s": match_s,
                "demands": len(data.demands), "supplies": len(data.supplies), "matched": len(result.proposals),
                "unmatched": len(result.unmatched), "nodes": stats["nodes"], "edges": stats["edges"],
                "rss_after_load_mib": rss_loaded, "peak_mib": _maxrss_mib(),
                "match_growth_mib": _maxrss_mib() - rss_loaded}

    figures = asyncio.run(run())
    table = Table(title=f"pairing every household in a care category without a helper · tier {tier}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("households to pair / members with room", f"{figures['demands']:,} / {figures['supplies']:,}")
    table.add_row("paired / left unpaired", f"{figures['matched']:,} / {figures['unmatched']:,}")
    table.add_row("read the input from the store", f"{figures['read_s']:.2f} s")
    table.add_row("match (min-cost flow)", f"{figures['match_s']:.2f} s")
    table.add_row("network nodes / edges", f"{figures['nodes']:,} / {figures['edges']:,}")
    table.add_row("peak memory after loading the tier", f"{figures['rss_after_load_mib']:,.0f} MiB")
    table.add_row("peak memory, whole process", f"{figures['peak_mib']:,.0f} MiB")
    table.add_row("growth while reading and matching", f"{figures['match_growth_mib']:,.0f} MiB")
    table.add_row("(loading the tier, not part of the figure)", f"{figures['load_s']:.0f} s")
    console.print(table)
    return figures


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="benchmark of the matching engine on a synthetic city")
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--supplies", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--mode", choices=("projects", "pairings"), default="projects")
    parser.add_argument("--cross-community", action="store_true")
    parser.add_argument("--max-distance", default="STREET")
    parser.add_argument("--memory", choices=("rss", "tracemalloc", "none"), default="rss",
                        help="peak memory: growth of ru_maxrss (default) or a second, traced run (slow)")
    args = parser.parse_args()
    run_engine_bench(args.demands, args.supplies, args.seed, args.mode, args.cross_community, args.max_distance,
                     args.memory)
