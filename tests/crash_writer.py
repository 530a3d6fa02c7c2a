"""Child program of the crash test: writes to an embedded store until it is killed.

    python tests/crash_writer.py DBPATH SEED [big]

It opens an :class:`EmbeddedStore` at DBPATH, migrates, creates one PartyOrg and one Area
and prints ``READY``. Then it writes batches 0, 1, 2... for ever, one ``load()`` each. Before a load
it prints ``BEGIN <n> <members>``; after ``load()`` has returned (the SQLite commit is
done) it prints ``ACK <n>``. Every line is flushed at once, so the parent knows exactly
which writes were acknowledged when it kills this process with SIGKILL.

Batch ``n`` is a function of ``(SEED, n)`` alone (see :func:`batch`), so the parent can
rebuild the state the file must hold after batches ``0..k``: :func:`expected_state`.
Each batch, all-or-nothing:

* ``size`` new Members ``CM-n-i``, each with a Pairing ``CP-n-i``, and the edges
  ``(Member)-[:MEMBER_OF]->(PartyOrg)`` and ``(Pairing)-[:BY_MEMBER]->(Member)``;
* an update of an existing node: the first Member of batch ``n-1`` is renamed;
* an update of the counter ``serviceBrand`` of the PartyOrg to ``crash-writer batch n``;
* a new grid code ``crash-code-n`` for the Area (unique across grids: its entry in the
  file's ``unique_values`` moves with it).

Sizes go from 1 member (3-4 node writes) to a few hundred nodes (5-10 ms); with ``big``
every batch has 8,000-12,000 nodes and takes 0.15-0.25 s, long enough for SQLite to spill
uncommitted pages into the WAL before the commit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph_api.store.base import GraphData  # noqa: E402

ORG = "CRASH-ORG"
ORG_PROPS: dict[str, Any] = {"name": "崩溃测试党支部", "kind": "BRANCH"}
AREA = "CRASH-AREA"
AREA_PROPS: dict[str, Any] = {"code": "crash-code-start", "name": "崩溃测试片区", "level": "AREA"}
MAX_SECONDS = 120.0  # a guard: the parent kills this process long before


def batch_size(seed: int, n: int, big: bool = False) -> int:
    """Number of new members in batch ``n`` (each brings a pairing and two edges)."""
    rng = random.Random(f"{seed}:{n}:size")
    if big:
        return rng.randint(4000, 6000)  # 0.15-0.25 s; SQLite spills uncommitted pages into the WAL
    roll = rng.random()
    if roll < 0.65:
        return rng.randint(1, 4)
    if roll < 0.97:
        return rng.randint(5, 30)
    return rng.randint(100, 300)  # a few hundred nodes: 5-10 ms


def member_props(n: int, i: int) -> dict[str, Any]:
    return {"name": f"党员{n}-{i}", "gender": "FEMALE" if (n + i) % 2 else "MALE",
            "joinedDate": dt.date(1980 + n % 40, 1 + i % 12, 1 + (n + i) % 28),
            "specialties": [f"s{n % 7}", f"t{i % 5}"]}


def pairing_props(n: int, i: int) -> dict[str, Any]:
    return {"kind": "ELDERLY", "status": "ACTIVE", "since": dt.date(2020 + n % 5, 1 + n % 12, 1 + i % 28)}


def renamed(n: int) -> str:
    """The name batch ``n`` gives the first member of batch ``n - 1``."""
    return f"党员{n - 1}-0（第{n}批更名）"


def counter(n: int) -> str:
    return f"crash-writer batch {n}"


def grid_code(n: int) -> str:
    return f"crash-code-{n}"


def batch(seed: int, n: int, big: bool = False) -> GraphData:
    size = batch_size(seed, n, big)
    nodes: list[tuple[str, str, dict[str, Any]]] = []
    edges: list[tuple[str, str, str, str, str]] = []
    if n > 0:
        nodes.append(("Member", f"CM-{n - 1}-0", {"name": renamed(n)}))  # update of an existing node
    for i in range(size):
        nodes.append(("Member", f"CM-{n}-{i}", member_props(n, i)))
        nodes.append(("Pairing", f"CP-{n}-{i}", pairing_props(n, i)))
        edges.append(("Member", f"CM-{n}-{i}", "MEMBER_OF", "PartyOrg", ORG))
        edges.append(("Pairing", f"CP-{n}-{i}", "BY_MEMBER", "Member", f"CM-{n}-{i}"))
    nodes.append(("PartyOrg", ORG, {"serviceBrand": counter(n)}))  # the counter
    nodes.append(("Area", AREA, {"code": grid_code(n)}))  # a unique value that moves
    return GraphData(nodes=nodes, edges=edges, meta={"batch": n})


def expected_state(seed: int, last: int, big: bool = False
                   ) -> tuple[dict[tuple[str, str], dict[str, Any]], set[tuple[str, str, str, str, str]]]:
    """Nodes (with their properties) and edges after the start and batches ``0..last``."""
    nodes: dict[tuple[str, str], dict[str, Any]] = {("PartyOrg", ORG): dict(ORG_PROPS),
                                                    ("Area", AREA): dict(AREA_PROPS)}
    edges: set[tuple[str, str, str, str, str]] = set()
    for n in range(last + 1):
        apply(nodes, edges, batch(seed, n, big))
    return nodes, edges


def apply(nodes: dict[tuple[str, str], dict[str, Any]], edges: set[tuple[str, str, str, str, str]],
          data: GraphData) -> None:
    """What a successful ``load(data)`` does: ``SET n += props`` per node, edges merged."""
    for kind_name, node_id, props in data.nodes:
        nodes.setdefault((kind_name, node_id), {}).update(props)
    edges.update(data.edges)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(path: str, seed: int, big: bool) -> None:
    from graph_api.store.embedded.store import EmbeddedStore

    store = EmbeddedStore(path)
    await store.migrate()
    await store.load(GraphData(nodes=[("PartyOrg", ORG, dict(ORG_PROPS)), ("Area", AREA, dict(AREA_PROPS))]))
    say("READY")
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < MAX_SECONDS:
        data = batch(seed, n, big)  # built before BEGIN: from BEGIN to ACK is load() alone
        say(f"BEGIN {n} {batch_size(seed, n, big)}")
        await store.load(data)
        say(f"ACK {n}")
        n += 1
    say("TIMEOUT")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] != "big"):
        sys.exit("usage: python tests/crash_writer.py DBPATH SEED [big]")
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), len(sys.argv) == 4))
