"""Benchmark comparing the two store backends, and the embedded store's start time and memory.

Four phases, each timed:

1. **side by side** — the sample is loaded into a fresh temporary embedded store and into
   Neo4j (wiped, migrated, ``load(replace=True)``); the three staff queries of the
   foundation benchmark (:mod:`graph_api.bench`) run on both with the same variables, and a
   table shows p50/p95 of each backend, the ratio Neo4j p50 / embedded p50, req/s and
   store round trips per request.
2. **sample start** — the sample's file is reopened in a fresh child process (so this
   process's memory does not count): construction time (``EmbeddedStore.start_seconds``:
   the file replayed into memory) and resident memory (RSS) before/after, peak RSS, next to
   a bare interpreter with the same imports.
3. **generated graph** — a deterministic synthetic district of N households (default
   1,000,000) with the sample's shape is written into a new store file in a child process
   (rows/s, time, peak RSS of the writer), then reopened in another fresh child: start time,
   RSS, RSS per million households, and optionally the three queries on it.
4. **summary** — the figures in one block (and as the returned dict).

Writers for phase 3 (``--writer``):

* ``load`` — the whole graph in one ``EmbeddedStore.load(data, replace=True)`` call, as a
  user would load a data set.
* ``batched`` — one ``EmbeddedStore.load`` per community (the first with ``replace=True``).
  Slow as the file grows: each load deletes ``unique_values`` rows by ``(kind, id)``,
  which has no index, so every node of every batch scans that table.
* ``direct`` — streams the rows straight into the SQLite file in the store's own format
  (:mod:`graph_api.store.embedded.durable`: same schema, ``encode_props``, the
  ``unique_values`` rows of ``Grid.code`` and the ``unique_constraints`` rows that
  ``migrate`` writes). Needs little memory; the reopen then checks the file like any start.

Usage: ``python -m graph_api.bench_backends --neo4j-uri bolt://127.0.0.1:7692 --households 1000000``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from graph_api.domain.values import id_check_digit
from graph_api.store.base import GraphData

# --- the synthetic district ---------------------------------------------------------------
# fan-out of the grid tree (the sample has ~11 households per unit, 2.3 units per building)
HOUSEHOLDS_PER_UNIT = 20  # 10 floors, 2 doors
UNITS_PER_BUILDING = 4
BUILDINGS_PER_COMPLEX = 8
COMPLEXES_PER_AREA = 3
AREAS_PER_COMMUNITY = 2  # -> 3,840 households per community
COMMUNITIES_PER_STREET = 10
HOUSEHOLDS_PER_MEMBER = 8  # one Party member per 8 households
MEMBERS_PER_BRANCH = 40
TEAM_SIZE = 20
DISTRICT_CODE = "219999"
HOUSEHOLDS_PER_COMMUNITY = (HOUSEHOLDS_PER_UNIT * UNITS_PER_BUILDING * BUILDINGS_PER_COMPLEX
                            * COMPLEXES_PER_AREA * AREAS_PER_COMMUNITY)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
CARE = (  # (categories, weight per 1000 households), after the sample's mix
    ((), 954), (("NEEDY_FAMILY",), 12), (("ELDERLY_ALONE",), 12), (("NEEDY_FAMILY", "MINIMUM_LIVELIHOOD"), 6),
    (("DISABLED",), 5), (("MINIMUM_LIVELIHOOD",), 4), (("MINIMUM_LIVELIHOOD", "STUDENT_AID"), 4),
    (("NEEDY_FAMILY", "DISABLED"), 2), (("LEFT_BEHIND_CHILD",), 1),
)
CARE_CHOICES = [c for c, _ in CARE]
CARE_WEIGHTS = [w for _, w in CARE]
PAIRING_KIND = {"NEEDY_FAMILY": "POVERTY", "MINIMUM_LIVELIHOOD": "POVERTY", "STUDENT_AID": "STUDY",
                "DISABLED": "DISABLED", "ELDERLY_ALONE": "ELDERLY", "LEFT_BEHIND_CHILD": "STUDY"}
AS_OF = dt.date(2022, 6, 30)


class _Ids:
    """Deterministic people: names, phones, ID numbers with a valid check digit, birth dates."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seq = 0

    def person(self, young: int, old: int) -> tuple[str, str, str, dt.date]:
        rng = self.rng
        self.seq += 1
        born = dt.date(AS_OF.year - rng.randint(young, old), rng.randint(1, 12), rng.randint(1, 28))
        body = f"{DISTRICT_CODE}{born:%Y%m%d}{900 + self.seq % 100:03d}"
        check = id_check_digit(body)
        name = f"{SURNAMES[self.seq % len(SURNAMES)]}某{self.seq % 97 + 1}"
        return name, f"1390{self.seq % 10_000_000:07d}", body + check, born


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def generate(households: int, seed: int = 20220630) -> Iterator[GraphData]:
    """The synthetic district in chunks: the district and each street first, then one chunk per
    community. A chunk's edges only reference nodes of that chunk or of earlier chunks.

    Valid against the registry: required props present, enum values and dates in store form,
    scope keys ``streetId``/``communityId`` on every node inside a community (street-level
    nodes carry ``streetId``; the district and its committee none, as in the sample).
    """
    rng = random.Random(seed)
    ids = _Ids(rng)
    communities = max(1, math.ceil(households / HOUSEHOLDS_PER_COMMUNITY))
    streets = math.ceil(communities / COMMUNITIES_PER_STREET)
    head = GraphData(meta={"name": f"synthetic district of {households} households", "seed": seed})
    district_org = f"PO{DISTRICT_CODE}"
    head.nodes.append(("District", DISTRICT_CODE, {
        "name": "合成区", "code": DISTRICT_CODE, "asOfDate": AS_OF,
        "dataNote": f"synthetic benchmark data: {households} households, seed {seed}; everything is invented"}))
    head.nodes.append(("PartyOrg", district_org, {"name": "中共合成区委员会", "kind": "DISTRICT_COMMITTEE",
                                                  "foundedDate": dt.date(1984, 6, 1)}))
    yield head
    remaining = households
    member_seq = pairing_seq = person_seq = 0
    for s in range(streets):
        street = f"{DISTRICT_CODE}{s + 1:03d}"
        street_org = f"PO{street}"
        chunk = GraphData()
        chunk.nodes.append(("Street", street, {"name": f"合成第{s + 1}街道", "code": street}))
        chunk.nodes.append(("PartyOrg", street_org, {
            "streetId": street, "name": f"中共合成第{s + 1}街道工作委员会", "kind": "STREET_WORKING_COMMITTEE",
            "foundedDate": dt.date(2002, 3, 1)}))
        chunk.edges.append(("Street", street, "PART_OF", "District", DISTRICT_CODE))
        chunk.edges.append(("PartyOrg", street_org, "UNDER", "PartyOrg", district_org))
        yield chunk
        for c in range(COMMUNITIES_PER_STREET):
            if remaining <= 0:
                break
            here = min(HOUSEHOLDS_PER_COMMUNITY, remaining)
            remaining -= here
            chunk, member_seq, pairing_seq, person_seq = _community(
                rng, ids, street, street_org, c, here, member_seq, pairing_seq, person_seq)
            yield chunk


def _community(rng: random.Random, ids: _Ids, street: str, street_org: str, c: int, households: int,
               member_seq: int, pairing_seq: int, person_seq: int) -> tuple[GraphData, int, int, int]:
    code = f"{street}{c + 1:03d}"
    scope = {"streetId": street, "communityId": code}
    name = f"合成{street[-3:]}街道第{c + 1}社区"
    data = GraphData()
    nodes, edges = data.nodes, data.edges
    committee = f"PO{code}"
    nodes.append(("Community", code, {**scope, "code": code, "name": name, "level": "COMMUNITY",
                                      "officeAreaSqm": rng.randint(400, 900),
                                      "serviceCenterAreaSqm": rng.randint(200, 600)}))
    edges.append(("Community", code, "PART_OF", "Street", street))
    star = rng.randint(2, 5)
    nodes.append(("PartyOrg", committee, {**scope, "name": f"中共{name}委员会", "kind": "COMMUNITY_COMMITTEE",
                                          "foundedDate": _day(rng, dt.date(2000, 1, 1), dt.date(2012, 12, 31)),
                                          "starRating": star, "starTarget": min(5, star + rng.randint(0, 1))}))
    edges.append(("PartyOrg", committee, "COVERS", "Community", code))
    edges.append(("PartyOrg", committee, "UNDER", "PartyOrg", street_org))

    # members and their branches (members are numbered first so grid leaders can be picked)
    n_members = math.ceil(households / HOUSEHOLDS_PER_MEMBER)
    n_branches = math.ceil(n_members / MEMBERS_PER_BRANCH)
    branches = [f"{committee}B{b + 1}" for b in range(n_branches)]
    for b, branch in enumerate(branches):
        nodes.append(("PartyOrg", branch, {**scope, "name": f"中共{name}第{b + 1}支部委员会", "kind": "BRANCH",
                                           "foundedDate": _day(rng, dt.date(2005, 1, 1), dt.date(2020, 12, 31)),
                                           "hasBranchCommittee": True}))
        edges.append(("PartyOrg", branch, "UNDER", "PartyOrg", committee))
    members = [f"M{member_seq + i + 1:07d}" for i in range(n_members)]
    member_seq += n_members
    team = f"T{code}S1"
    nodes.append(("Team", team, {**scope, "name": f"{name}党员服务队", "kind": "SERVICE",
                                 "formedDate": _day(rng, dt.date(2018, 1, 1), dt.date(2021, 12, 31)),
                                 "purpose": "走访困难家庭，便民服务"}))
    edges.append(("Team", team, "ORGANISED_BY", "PartyOrg", committee))
    edges.append(("Member", members[0], "SECRETARY_OF", "PartyOrg", committee))
    edges.append(("Member", members[0], "LEADS_GRID", "Community", code))

    def add_grid_worker(grid_kind: str, grid: str) -> None:
        nonlocal person_seq
        person_seq += 1
        worker = f"PS{person_seq:07d}"
        w_name, w_phone, _, _ = ids.person(25, 50)
        nodes.append(("Person", worker, {**scope, "name": w_name, "gender": rng.choice(("MALE", "FEMALE")),
                                         "roles": ["GRID_WORKER"], "phone": w_phone}))
        edges.append(("Person", worker, "WORKS_GRID", grid_kind, grid))

    # the grid tree and the households
    household_ids: list[str] = []
    needy: list[tuple[str, tuple[str, ...]]] = []
    left = households
    building_no = 0
    occupancies, occupancy_weights = ("RESIDENT", "RENTED", "VACANT", "SHOP"), (72, 15, 10, 3)
    for a in range(AREAS_PER_COMMUNITY):
        if left <= 0:
            break
        area = f"{code}{a + 1:02d}"
        nodes.append(("Area", area, {**scope, "code": area, "name": f"{name}第{a + 1}片区", "level": "AREA"}))
        edges.append(("Area", area, "PART_OF", "Community", code))
        edges.append(("Member", members[(1 + a) % n_members], "LEADS_GRID", "Area", area))
        add_grid_worker("Area", area)
        for x in range(COMPLEXES_PER_AREA):
            if left <= 0:
                break
            cx = f"{area}{x + 1:02d}"
            cx_name = f"合成{code[-3:]}-{a + 1}{x + 1}小区"
            nodes.append(("Complex", cx, {**scope, "code": cx, "name": cx_name, "level": "COMPLEX"}))
            edges.append(("Complex", cx, "PART_OF", "Area", area))
            edges.append(("Member", members[(3 + a * COMPLEXES_PER_AREA + x) % n_members], "LEADS_GRID", "Complex", cx))
            add_grid_worker("Complex", cx)
            for b in range(BUILDINGS_PER_COMPLEX):
                if left <= 0:
                    break
                building = f"{cx}{b + 1:03d}"
                b_name = f"{cx_name}{b + 1}号楼"
                nodes.append(("Building", building, {
                    **scope, "code": building, "name": b_name, "level": "BUILDING",
                    "floors": HOUSEHOLDS_PER_UNIT // 2, "hazard": rng.random() < 0.01}))
                edges.append(("Building", building, "PART_OF", "Complex", cx))
                group = f"{committee}G{building_no + 1}"
                nodes.append(("PartyOrg", group, {**scope, "name": f"{b_name}网格党小组", "kind": "GRID_GROUP"}))
                edges.append(("PartyOrg", group, "UNDER", "PartyOrg", branches[building_no % n_branches]))
                edges.append(("PartyOrg", group, "COVERS", "Building", building))
                leader = members[(building_no * 7 + 11) % n_members]
                edges.append(("Member", leader, "LEADS_GRID", "Building", building))
                building_no += 1
                for u in range(UNITS_PER_BUILDING):
                    if left <= 0:
                        break
                    unit = f"{building}{u + 1:02d}"
                    nodes.append(("StairwellUnit", unit, {**scope, "code": unit, "name": f"{b_name}{u + 1}单元",
                                                          "level": "UNIT"}))
                    edges.append(("StairwellUnit", unit, "PART_OF", "Building", building))
                    for h in range(min(HOUSEHOLDS_PER_UNIT, left)):
                        floor, door = h // 2 + 1, h % 2 + 1
                        room = f"{floor}{door:02d}"
                        hid = f"{unit}-{room}"
                        head_name, phone, id_number, _ = ids.person(20, 85)
                        occupancy = rng.choices(occupancies, occupancy_weights)[0]
                        props: dict[str, Any] = {**scope, "room": room, "floor": floor, "occupancy": occupancy,
                                                 "size": 0 if occupancy == "VACANT" else rng.randint(1, 5),
                                                 "headName": head_name, "phone": phone, "idNumber": id_number}
                        care = rng.choices(CARE_CHOICES, CARE_WEIGHTS)[0]
                        if care:
                            props["careCategories"] = list(care)
                            props["riskTier"] = rng.choices(("HIGH", "KEY", "GENERAL"), (13, 50, 37))[0]
                            needy.append((hid, care))
                        nodes.append(("Household", hid, props))
                        edges.append(("Household", hid, "IN_UNIT", "StairwellUnit", unit))
                        household_ids.append(hid)
                    left -= min(HOUSEHOLDS_PER_UNIT, left)

    # the members: in a branch, living in one of the community's households
    for i, member in enumerate(members):
        m_name, phone, id_number, born = ids.person(22, 88)
        category = "RETIRED" if AS_OF.year - born.year >= 60 else rng.choices(("EMPLOYED", "MOBILE"), (85, 15))[0]
        joined = _day(rng, dt.date(max(born.year + 18, 1960), 1, 1), dt.date(2021, 12, 31))
        props = {**scope, "name": m_name, "gender": rng.choice(("MALE", "FEMALE")), "birthDate": born,
                 "education": rng.choice(("JUNIOR_HIGH", "SENIOR_HIGH", "ASSOCIATE", "BACHELOR", "POSTGRADUATE")),
                 "joinedDate": joined, "category": category, "phone": phone, "idNumber": id_number,
                 "lastContactDate": _day(rng, dt.date(2022, 1, 1), AS_OF)}
        if category == "EMPLOYED":
            props["reportedDate"] = _day(rng, dt.date(2020, 1, 1), AS_OF)
            edges.append(("Member", member, "REPORTED_TO", "Community", code))
        nodes.append(("Member", member, props))
        edges.append(("Member", member, "MEMBER_OF", "PartyOrg", branches[i * n_branches // n_members]))
        home = household_ids[(i * HOUSEHOLDS_PER_MEMBER) % len(household_ids)]
        edges.append(("Member", member, "LIVES_IN", "Household", home))
        if i % max(1, n_members // TEAM_SIZE) == 0:
            edges.append(("Member", member, "IN_TEAM", "Team", team))

    # help pairings for needy households (1 in 20 has no helper yet, 1 in 10 pairings has ended)
    for hid, care in needy:
        if not ({"NEEDY_FAMILY", "MINIMUM_LIVELIHOOD", "DISABLED", "ELDERLY_ALONE"} & set(care)) or rng.random() < 0.05:
            continue
        pairing_seq += 1
        pairing = f"PR{pairing_seq:07d}"
        since = _day(rng, dt.date(2019, 1, 1), dt.date(2022, 3, 31))
        nodes.append(("Pairing", pairing, {**scope, "kind": PAIRING_KIND[care[0]], "since": since,
                                           "lastVisitDate": _day(rng, max(since, dt.date(2022, 3, 1)), AS_OF),
                                           "status": "ENDED" if rng.random() < 0.1 else "ACTIVE"}))
        edges.append(("Pairing", pairing, "BY_MEMBER", "Member", members[rng.randrange(n_members)]))
        edges.append(("Pairing", pairing, "FOR_HOUSEHOLD", "Household", hid))
    return data, member_seq, pairing_seq, person_seq


def generate_graph(households: int, seed: int = 20220630) -> GraphData:
    """The whole synthetic district as one :class:`GraphData`."""
    out = GraphData()
    for chunk in generate(households, seed):
        out.nodes.extend(chunk.nodes)
        out.edges.extend(chunk.edges)
        out.meta.update(chunk.meta)
    return out


# --- writing the generated graph (runs in a child process) ----------------------------------
def _maxrss() -> int:
    """Peak resident memory of this process in bytes: VmHWM of /proc/self/status.

    Not ``getrusage().ru_maxrss``: Linux carries the parent's high-water mark across
    fork and exec, so a child would report at least its parent's RSS.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def _write_with_store(path: Path, households: int, seed: int, batched: bool) -> dict[str, Any]:
    from graph_api.store.embedded.store import EmbeddedStore

    store = EmbeddedStore(path)
    await store.migrate()
    out: dict[str, Any] = {"nodes": 0, "edges": 0}
    started = time.perf_counter()
    try:
        if batched:
            gen_seconds = 0.0
            chunks = generate(households, seed)
            first = True
            while True:
                t = time.perf_counter()
                chunk = next(chunks, None)
                gen_seconds += time.perf_counter() - t
                if chunk is None:
                    break
                await store.load(chunk, replace=first)
                first = False
                out["nodes"] += len(chunk.nodes)
                out["edges"] += len(chunk.edges)
            out["generate_seconds"] = gen_seconds
            out["write_seconds"] = time.perf_counter() - started - gen_seconds
        else:
            data = generate_graph(households, seed)
            out["generate_seconds"] = time.perf_counter() - started
            out["nodes"], out["edges"] = len(data.nodes), len(data.edges)
            out["rss_after_generate"] = _rss()
            _log(f"generated {out['nodes']:,} nodes, {out['edges']:,} edges in {out['generate_seconds']:.1f} s; "
                 f"EmbeddedStore.load(replace=True) ...")
            report = await store.load(data, replace=True)
            out["write_seconds"] = report.seconds
            del data
        out["rss_after_write"] = _rss()
    finally:
        await store.close()
    return out


def _write_direct(path: Path, households: int, seed: int) -> dict[str, Any]:
    """Stream the rows into the file in the store's format, one transaction per chunk."""
    from graph_api.domain.model import KIND_BY_NAME
    from graph_api.store.embedded.durable import DurableFile, encode_props
    from graph_api.store.embedded.store import EmbeddedStore

    store = EmbeddedStore(path)  # creates the schema; migrate records the unique constraints
    asyncio.run(store.migrate())
    constraints = [(label, prop) for label, prop in store.constraints]
    asyncio.run(store.close())
    unique_for = {name: [(label, prop) for label, prop in constraints if label in KIND_BY_NAME[name].labels]
                  for name in KIND_BY_NAME}
    file = DurableFile(path)
    out: dict[str, Any] = {"nodes": 0, "edges": 0, "unique_rows": 0}
    gen_seconds = write_seconds = 0.0
    chunks = generate(households, seed)
    try:
        with file.transaction() as conn:
            conn.execute("DELETE FROM unique_values")
            conn.execute("DELETE FROM edges")
            conn.execute("DELETE FROM nodes")
        while True:
            t = time.perf_counter()
            chunk = next(chunks, None)
            if chunk is None:
                gen_seconds += time.perf_counter() - t
                break
            node_rows = [(k, i, encode_props(p)) for k, i, p in chunk.nodes]
            unique_rows = [(label, prop, str(p[prop]), k, i) for k, i, p in chunk.nodes
                           for label, prop in unique_for[k] if p.get(prop) is not None]
            edge_rows = list(dict.fromkeys(chunk.edges))
            t2 = time.perf_counter()
            gen_seconds += t2 - t
            with file.transaction() as conn:
                conn.executemany("INSERT INTO nodes (kind, id, props) VALUES (?, ?, ?)", node_rows)
                conn.executemany("INSERT INTO unique_values VALUES (?, ?, ?, ?, ?)", unique_rows)
                conn.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?)", edge_rows)
            write_seconds += time.perf_counter() - t2
            out["nodes"] += len(node_rows)
            out["edges"] += len(edge_rows)
            out["unique_rows"] += len(unique_rows)
        t = time.perf_counter()
        file.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        write_seconds += time.perf_counter() - t
    finally:
        file.close()
    out["generate_seconds"] = gen_seconds  # generating and encoding the rows
    out["write_seconds"] = write_seconds  # SQLite inserts and commits
    out["rss_after_write"] = _rss()
    return out


def _child_write(path: str, households: int, seed: int, writer: str) -> None:
    """Entry point of the writer child: prints one JSON line with its figures."""
    started = time.perf_counter()
    target = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    if writer == "direct":
        out = _write_direct(target, households, seed)
    else:
        out = asyncio.run(_write_with_store(target, households, seed, batched=writer == "batched"))
    out["writer"] = writer
    out["wall_seconds"] = time.perf_counter() - started
    out["maxrss"] = _maxrss()
    out["file_bytes"] = sum(Path(f"{target}{s}").stat().st_size for s in ("", "-wal") if Path(f"{target}{s}").exists())
    print(json.dumps(out), flush=True)


# --- measuring a store file in a fresh child process --------------------------------------
#: the child that opens the store: the same imports with or without opening ("-" = baseline)
OPEN_SNIPPET = r"""
import gc, json, sys, time
import psutil
from graph_api.store.embedded.store import EmbeddedStore
def peak():  # VmHWM: unlike ru_maxrss, not inherited from the parent across fork and exec
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:"))
proc = psutil.Process()
out = {"rss_before": proc.memory_info().rss}
if sys.argv[1] != "-":
    t = time.perf_counter()
    store = EmbeddedStore(sys.argv[1])
    out["wall_seconds"] = time.perf_counter() - t
    out["start_seconds"] = store.start_seconds
    out["rss_after"] = proc.memory_info().rss
    gc.collect()
    out["rss_after_gc"] = proc.memory_info().rss
    out["nodes"] = store.graph.number_of_nodes()
    out["edges"] = store.graph.number_of_edges()
out["maxrss"] = peak()
print(json.dumps(out), flush=True)
if len(sys.argv) > 2 and int(sys.argv[2]) > 0 and sys.argv[1] != "-":
    from graph_api.bench_backends import _child_queries
    _child_queries(store, int(sys.argv[2]), int(sys.argv[3]))
"""


def _child_queries(store: Any, requests: int, warmup: int) -> None:
    """After the memory figures: the three queries on the opened store (second JSON line)."""
    from graph_api.bench import measure_queries
    from graph_api.settings import get_settings

    rows = asyncio.run(measure_queries(store, get_settings(), requests, [1], warmup))
    print(json.dumps({"queries": rows, "maxrss_after_queries": _maxrss()}), flush=True)


def _run_child(args: list[str], what: str) -> list[dict[str, Any]]:
    """Run a Python child, stderr passed through; its stdout JSON lines."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], check=False, stdout=subprocess.PIPE, text=True, env=env,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        raise SystemExit(f"{what}: the child process failed (exit {done.returncode}): {done.stdout[-2000:]}")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{what}: the child printed no figures")
    lines[0]["child_wall_seconds"] = time.perf_counter() - started
    return lines


def open_in_child(path: Path | None, requests: int = 0, warmup: int = 0) -> dict[str, Any]:
    """Open the store file in a fresh interpreter: start time and RSS (``path=None``: baseline)."""
    lines = _run_child(["-c", OPEN_SNIPPET, str(path) if path else "-", str(requests), str(warmup)],
                       f"opening {path}")
    out = lines[0]
    if len(lines) > 1:
        out.update(lines[1])
    return out


# --- the benchmark --------------------------------------------------------------------------
MiB = 1024 * 1024


def _mib(value: float) -> str:
    return f"{value / MiB:,.0f} MiB"


async def _side_by_side(neo4j_uri: str, requests: int, warmup: int, concurrency: int, sample_path: Path,
                        console: Console) -> dict[str, Any]:
    from graph_api.bench import measure_queries, pick_variables
    from graph_api.domain.dataset import read_sample
    from graph_api.settings import get_settings
    from graph_api.store.embedded.store import EmbeddedStore
    from graph_api.store.neo4j_store import Neo4jStore

    settings = get_settings()
    data = read_sample()
    embedded = EmbeddedStore(sample_path)
    neo4j = Neo4jStore(neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database)
    try:
        await embedded.migrate()
        e_load = await embedded.load(data, replace=True)
        facts = await neo4j.ping()
        await neo4j.wipe()
        await neo4j.migrate()
        n_load = await neo4j.load(data, replace=True)
        console.print(f"sample: {len(data.nodes):,} nodes, {len(data.edges):,} edges · loaded into embedded in "
                      f"{e_load.seconds:.2f} s, into Neo4j {facts.get('version')} in {n_load.seconds:.2f} s")
        variables = await pick_variables(embedded)
        if (other := await pick_variables(neo4j)) != variables:
            console.print(f"[yellow]the backends pick different variables ({variables} / {other}); "
                          "using the embedded ones")
        embedded_rows = await measure_queries(embedded, settings, requests, [concurrency], warmup, variables)
        neo4j_rows = await measure_queries(neo4j, settings, requests, [concurrency], warmup, variables)
    finally:
        await embedded.close()
        await neo4j.close()
    rows = []
    for e, n in zip(embedded_rows, neo4j_rows):
        rows.append({"query": e["query"], "variables": variables[e["query"]], "concurrency": concurrency,
                     "embedded_p50_ms": e["p50_ms"], "embedded_p95_ms": e["p95_ms"],
                     "embedded_req_per_s": e["req_per_s"],
                     "neo4j_p50_ms": n["p50_ms"], "neo4j_p95_ms": n["p95_ms"], "neo4j_req_per_s": n["req_per_s"],
                     "ratio": n["p50_ms"] / e["p50_ms"], "embedded_round_trips": e["round_trips"],
                     "neo4j_round_trips": n["round_trips"], "bytes": e["bytes"], "neo4j_bytes": n["bytes"]})
    table = Table(title=f"embedded vs Neo4j {facts.get('version', '')} · sample · {requests} requests per query, "
                        f"concurrency {concurrency}, in-process HTTP (ASGI)")
    for column in ("query", "embedded p50 ms", "embedded p95 ms", "Neo4j p50 ms", "Neo4j p95 ms",
                   "ratio (Neo4j p50 / embedded p50)", "embedded req/s", "Neo4j req/s", "round trips"):
        table.add_column(column, justify="left" if column == "query" else "right")
    for r in rows:
        trips = str(r["embedded_round_trips"]) if r["embedded_round_trips"] == r["neo4j_round_trips"] else \
            f"{r['embedded_round_trips']} / {r['neo4j_round_trips']}"
        table.add_row(r["query"], f"{r['embedded_p50_ms']:.1f}", f"{r['embedded_p95_ms']:.1f}",
                      f"{r['neo4j_p50_ms']:.1f}", f"{r['neo4j_p95_ms']:.1f}", f"{r['ratio']:.1f}×",
                      f"{r['embedded_req_per_s']:.0f}", f"{r['neo4j_req_per_s']:.0f}", trips)
    console.print(table)
    return {"neo4j_version": facts.get("version"), "sample_nodes": len(data.nodes), "sample_edges": len(data.edges),
            "embedded_load_seconds": e_load.seconds, "neo4j_load_seconds": n_load.seconds, "rows": rows}


def _open_table(title: str, baseline: dict[str, Any], opened: dict[str, Any], households: int | None) -> Table:
    table = Table(title=title, show_header=False)
    table.add_row("start (EmbeddedStore() = file replayed into memory)", f"{opened['start_seconds']:.2f} s")
    table.add_row("nodes / edges in memory", f"{opened['nodes']:,} / {opened['edges']:,}")
    table.add_row("RSS bare interpreter, same imports (baseline)", _mib(baseline["rss_before"]))
    table.add_row("RSS before opening / after / after gc", f"{_mib(opened['rss_before'])} / {_mib(opened['rss_after'])}"
                                                           f" / {_mib(opened['rss_after_gc'])}")
    table.add_row("RSS of the store (after − before)", _mib(opened["rss_after"] - opened["rss_before"]))
    table.add_row("peak RSS of the child (maxrss)", _mib(opened["maxrss"]))
    if households:
        table.add_row("RSS per million households (after − before)",
                      _mib((opened["rss_after"] - opened["rss_before"]) * 1_000_000 / households))
    return table


async def run_backend_bench(neo4j_uri: str, requests: int, warmup: int, households: int, console: Console, *,
                            concurrency: int = 1, writer: str = "load", generated_requests: int = 20,
                            seed: int = 20220630, workdir: str | None = None, keep: bool = False) -> dict[str, Any]:
    """Run the four phases and print their tables; returns every figure (see the module doc)."""
    run_started = time.perf_counter()
    folder = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="bench-backends-", dir="/tmp"))
    folder.mkdir(parents=True, exist_ok=True)
    sample_path = folder / "sample.sqlite3"
    generated_path = folder / f"generated-{households}.sqlite3"
    for p in folder.glob("*.sqlite3*"):
        p.unlink()
    figures: dict[str, Any] = {"neo4j_uri": neo4j_uri, "households": households, "writer": writer,
                               "requests": requests, "warmup": warmup, "concurrency": concurrency, "phases": {}}
    phases = figures["phases"]
    try:
        # 1. the same queries on both backends
        console.rule("1 · embedded vs Neo4j on the sample")
        t = time.perf_counter()
        figures["side_by_side"] = await _side_by_side(neo4j_uri, requests, warmup, concurrency, sample_path, console)
        phases["1 side by side"] = time.perf_counter() - t

        # 2. start time and memory of the sample, in fresh children
        console.rule("2 · embedded start and memory, sample")
        t = time.perf_counter()
        baseline = open_in_child(None)
        sample_open = open_in_child(sample_path)
        figures["baseline"] = baseline
        figures["sample_open"] = sample_open
        title = f"sample ({sample_path.stat().st_size / MiB:.1f} MiB file)"
        console.print(_open_table(title, baseline, sample_open, None))
        phases["2 sample start"] = time.perf_counter() - t

        if households > 0:
            # 3. a generated graph of N households
            console.rule(f"3 · generated graph of {households:,} households (writer: {writer})")
            t = time.perf_counter()
            console.print(f"writing {generated_path} in a child process ...")
            snippet = ("import sys; from graph_api.bench_backends import _child_write; "
                       "_child_write(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])")
            written = _run_child(["-c", snippet, str(generated_path), str(households), str(seed), writer],
                                 "writing")[0]
            rows = written["nodes"] + written["edges"] + written.get("unique_rows", 0)
            written["rows_per_second"] = rows / written["write_seconds"]
            figures["generated_write"] = written
            phases["3a generate + write"] = time.perf_counter() - t
            table = Table(title=f"writing {households:,} households", show_header=False)
            table.add_row("nodes / edges", f"{written['nodes']:,} / {written['edges']:,}")
            table.add_row("generate", f"{written['generate_seconds']:.1f} s")
            table.add_row(f"write ({writer})", f"{written['write_seconds']:.1f} s · "
                                               f"{written['rows_per_second']:,.0f} rows/s (nodes + edges)")
            table.add_row("writer child wall time", f"{written['wall_seconds']:.1f} s")
            table.add_row("peak RSS of the writer child", _mib(written["maxrss"]))
            table.add_row("file size", _mib(written["file_bytes"]))
            console.print(table)

            t = time.perf_counter()
            console.print(f"reopening {generated_path} in a fresh child process ...")
            generated_open = open_in_child(generated_path, generated_requests, min(warmup, 5))
            figures["generated_open"] = generated_open
            phases["3b reopen" + (" + queries" if generated_requests else "")] = time.perf_counter() - t
            title = f"generated graph, {households:,} households"
            console.print(_open_table(title, baseline, generated_open, households))
            if generated_open.get("queries"):
                table = Table(title=f"the three queries on the generated graph, embedded, "
                                    f"{generated_requests} requests, concurrency 1")
                for column in ("query", "p50 ms", "p95 ms", "req/s", "round trips", "bytes"):
                    table.add_column(column, justify="left" if column == "query" else "right")
                for r in generated_open["queries"]:
                    table.add_row(r["query"], f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['req_per_s']:.1f}",
                                  str(r["round_trips"]), str(r["bytes"]))
                console.print(table)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)

    # 4. summary
    figures["wall_seconds"] = time.perf_counter() - run_started
    figures["maxrss_self"] = _maxrss()
    figures["maxrss_largest_child"] = max(
        (c.get(key, 0) for name in ("baseline", "sample_open", "generated_write", "generated_open")
         if (c := figures.get(name)) for key in ("maxrss", "maxrss_after_queries")), default=0)
    console.rule("4 · summary")
    console.print(_summary(figures))
    return figures


def _summary(f: dict[str, Any]) -> str:
    s = f["side_by_side"]
    lines = [(f"Neo4j {s['neo4j_version']} vs embedded, sample ({s['sample_nodes']:,} nodes, "
              f"{s['sample_edges']:,} edges), {f['requests']} requests per query, concurrency {f['concurrency']}:")]
    for r in s["rows"]:
        lines.append(f"  {r['query']:<19} embedded p50 {r['embedded_p50_ms']:6.1f} ms "
                     f"(p95 {r['embedded_p95_ms']:6.1f}) · Neo4j p50 {r['neo4j_p50_ms']:6.1f} ms "
                     f"(p95 {r['neo4j_p95_ms']:6.1f}) · Neo4j/embedded {r['ratio']:4.1f}× · {r['embedded_round_trips']} round trips")
    b, o = f["baseline"], f["sample_open"]
    lines.append(f"embedded start, sample: {o['start_seconds']:.2f} s · RSS {_mib(o['rss_after'])} "
                 f"(bare interpreter with the same imports {_mib(b['rss_before'])}, store "
                 f"+{_mib(o['rss_after'] - o['rss_before'])})")
    if "generated_open" in f:
        w, g, n = f["generated_write"], f["generated_open"], f["households"]
        store_rss = g["rss_after"] - g["rss_before"]
        lines.append(f"generated graph, {n:,} households ({w['nodes']:,} nodes, {w['edges']:,} edges): "
                     f"generated in {w['generate_seconds']:.1f} s, written ({w['writer']}) in "
                     f"{w['write_seconds']:.1f} s = {w['rows_per_second']:,.0f} rows/s, file {_mib(w['file_bytes'])}, "
                     f"writer peak RSS {_mib(w['maxrss'])}")
        lines.append(f"embedded start, {n:,} households: {g['start_seconds']:.1f} s · RSS {_mib(g['rss_after'])} "
                     f"(store +{_mib(store_rss)}, {_mib(store_rss * 1_000_000 / n)} per million households) · "
                     f"peak RSS while starting {_mib(g['maxrss'])}")
        for r in g.get("queries", []):
            lines.append(f"  {r['query']:<19} on {n:,} households, embedded: p50 {r['p50_ms']:.1f} ms, "
                         f"p95 {r['p95_ms']:.1f} ms, {r['round_trips']} round trips")
    lines.append("phases: " + " · ".join(f"{k} {v:.1f} s" for k, v in f["phases"].items())
                 + f" · total {f['wall_seconds']:.1f} s")
    lines.append(f"peak RSS: this process {_mib(f['maxrss_self'])}, largest child {_mib(f['maxrss_largest_child'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m graph_api.bench_backends", description=__doc__.split("\n\n")[0])
    parser.add_argument("--neo4j-uri", default=os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"),
                        help="Bolt URI of a Neo4j the benchmark may WIPE (default: $NEO4J_URI)")
    parser.add_argument("--requests", type=int, default=200, help="requests per query and backend")
    parser.add_argument("--warmup", type=int, default=20, help="requests per query before measuring")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--households", type=int, default=1_000_000, help="households of the generated graph (0: skip)")
    parser.add_argument("--writer", choices=("load", "batched", "direct"), default="load",
                        help="how the generated graph is written (see the module doc)")
    parser.add_argument("--generated-requests", type=int, default=20,
                        help="requests per query on the generated graph (0: skip)")
    parser.add_argument("--seed", type=int, default=20220630)
    parser.add_argument("--workdir", default=None, help="folder for the store files (default: a new one under /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the store files")
    parser.add_argument("--json", dest="json_out", default=None, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    figures = asyncio.run(run_backend_bench(
        args.neo4j_uri, args.requests, args.warmup, args.households, Console(width=160),
        concurrency=args.concurrency, writer=args.writer, generated_requests=args.generated_requests,
        seed=args.seed, workdir=args.workdir, keep=args.keep))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
