"""Crash safety of the embedded store: kill -9 a writer at random moments, then reopen.

``tests/crash_writer.py`` writes an endless stream of all-or-nothing batches and prints
``ACK n`` once ``load()`` has returned. The tests kill it with SIGKILL and reopen the store
in this process, then check that

* every acknowledged batch is there completely (nodes, properties, edges, updates of
  existing nodes, the grid code in ``unique_values``);
* nothing is half-written: the batches present in any form are exactly ``0..k``, each one
  complete, and nothing else is in the file (``k`` is the last ACK, or the batch in flight
  if its commit happened before the kill);
* the in-memory graph after the restart equals the SQLite file, and queries work;
* a further write succeeds after recovery and survives another reopen.

Five writers (one per seed) run at once and are killed 0.3-2.5 s after they are ready; two
more write batches of 8-12k nodes and are killed inside ``load()``, one of them as soon as
SQLite has spilled pages of the unfinished transaction into the WAL. The kill delays come
from fixed seeds (``CRASH_SEEDS=3,4,5`` tries others); every failure message names the
seed, the delay and the child's last lines.

The last test checks that a refused write leaves the file, the memory and a reopened store
unchanged, including a failure injected inside the SQLite transaction after rows were
written.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import random
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from graph_api.domain.model import KIND_BY_NAME, Rel
from graph_api.store.base import EVERYTHING, GraphData, StoreError
from graph_api.store.embedded.durable import decode_props
from graph_api.store.embedded.store import EmbeddedStore

WRITER = Path(__file__).with_name("crash_writer.py")
_spec = importlib.util.spec_from_file_location("crash_writer", WRITER)
assert _spec is not None and _spec.loader is not None
cw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cw)

SEEDS = [int(s) for s in os.environ.get("CRASH_SEEDS", "11,23,37,41,59").split(",") if s.strip()]
BIG_SEED = 97
MIN_ACKS = 3  # the child must have acknowledged this many batches before the kill
GUARD_SECONDS = 30.0  # the child must print READY / ACKs well within this

Nodes = dict[tuple[str, str], dict[str, Any]]
Edges = set[tuple[str, str, str, str, str]]


# --- the child -------------------------------------------------------------------------------
@dataclass
class Run:
    seed: int
    big: bool
    delay: float
    lines: list[str] = field(default_factory=list, repr=False)
    stderr: str = ""
    returncode: int | None = None
    killed_after: float = 0.0
    wal_frames_uncommitted: int = 0

    @property
    def acked(self) -> int:
        return max((int(line.split()[1]) for line in self.lines if line.startswith("ACK ")), default=-1)

    @property
    def begun(self) -> int:
        return max((int(line.split()[1]) for line in self.lines if line.startswith("BEGIN ")), default=-1)

    @property
    def in_flight(self) -> bool:
        """Killed between BEGIN n and ACK n, i.e. inside load()."""
        return self.begun > self.acked

    def describe(self) -> str:
        mode = " big" if self.big else ""
        tail = "\n    ".join(self.lines[-6:]) or "(nothing)"
        return (f"seed={self.seed}{mode}, kill delay {self.delay:.3f} s after READY "
                f"(killed {self.killed_after:.3f} s after start), last ACK {self.acked}, last BEGIN {self.begun}, "
                f"returncode {self.returncode}, {self.wal_frames_uncommitted} uncommitted frame(s) in the WAL\n"
                f"  child: {sys.executable} {WRITER} DBPATH {self.seed}{mode}\n"
                f"  rerun: CRASH_SEEDS={self.seed} pytest tests/test_crash.py  (the moment of the kill varies)\n"
                f"  last lines:\n    {tail}\n  stderr: {self.stderr.strip()[-2000:] or '(empty)'}")


def _pump(stream: Any, out: queue.Queue) -> None:
    for line in stream:
        out.put((time.monotonic(), line.strip()))
    out.put((time.monotonic(), None))


def run_and_kill(path: Path, seed: int, delay: float, *, big: bool = False, rng: random.Random | None = None,
                 on_spill: bool = False) -> Run:
    """Start the writer, let it write, kill it with SIGKILL, return what it printed.

    Normal mode: kill ``delay`` seconds after READY, but not before MIN_ACKS acknowledgements.
    Big mode: with ``on_spill``, kill as soon as the WAL holds frames of the unfinished
    transaction (the first three batches are watched); otherwise, or should all three
    commit before a spill is seen, kill inside the next ``load()`` at a random fraction of
    the duration of the ones acknowledged.
    """
    args = [sys.executable, str(WRITER), str(path), str(seed)] + (["big"] if big else [])
    started = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    run = Run(seed, big, delay)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True)
    reader.start()
    errors: list[str] = []
    err_reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    err_reader.start()
    try:
        acks = 0
        ready = None
        checked_lock = False
        begun_at: dict[int, float] = {}
        durations: list[float] = []
        watched = 0  # big batches watched for a spill
        in_load = False
        while True:
            now = time.monotonic()
            if now - started > GUARD_SECONDS:
                raise AssertionError("the writer did not get far enough in time")
            wait = GUARD_SECONDS
            if not big and acks >= MIN_ACKS and ready is not None:
                wait = ready + delay - now
                if wait <= 0:
                    break
            if in_load and on_spill:
                wait = 0.002
            try:
                at, line = lines.get(timeout=wait)
            except queue.Empty:
                if in_load and on_spill and uncommitted_wal_frames(path):
                    break
                continue
            if line is None:
                raise AssertionError("the writer exited by itself before the kill")
            run.lines.append(line)
            word, *rest = line.split()
            if word == "READY":
                ready = at
            elif word == "ACK":
                in_load = False
                acks += 1
                n = int(rest[0])
                if n in begun_at:
                    durations.append(at - begun_at[n])
                if not checked_lock:
                    # while the writer lives, its file is not ours to open (one owning process)
                    with pytest.raises(StoreError, match="another process"):
                        EmbeddedStore(path)
                    checked_lock = True
            elif word == "BEGIN":
                begun_at[int(rest[0])] = at
                if big and on_spill and watched < 3:
                    watched += 1
                    in_load = True
                elif big and durations and rng is not None:
                    time.sleep(rng.uniform(0.05, 0.75) * min(durations))
                    break
        assert proc.poll() is None, "the writer exited by itself before the kill"
        run.killed_after = time.monotonic() - started
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        run.returncode = proc.returncode
        reader.join(timeout=10)
        err_reader.join(timeout=10)
        run.stderr = "".join(errors)
        while True:  # everything the child printed before it died
            try:
                _, line = lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                run.lines.append(line)
    run.wal_frames_uncommitted = uncommitted_wal_frames(path)
    assert run.returncode == -signal.SIGKILL, run.describe()
    return run


# --- reading the state -----------------------------------------------------------------------
def uncommitted_wal_frames(path: Path) -> int:
    """Frames of the current WAL generation after its last commit frame: pages that an
    unfinished transaction had already spilled into the WAL (frame headers only are read)."""
    try:
        wal = open(f"{path}-wal", "rb")  # noqa: SIM115
    except FileNotFoundError:
        return 0
    with wal:
        header = wal.read(32)
        if len(header) < 32:
            return 0
        page_size = struct.unpack(">I", header[8:12])[0]
        salts = header[16:24]
        since_commit = 0
        offset = 32
        while True:
            wal.seek(offset)
            frame = wal.read(24)
            if len(frame) < 24 or frame[8:16] != salts:
                return since_commit  # the end, or frames of an older generation of the WAL
            since_commit = 0 if struct.unpack(">I", frame[4:8])[0] else since_commit + 1
            offset += 24 + page_size


def read_file(path: Path) -> tuple[Nodes, Edges]:
    """Everything in the SQLite file, through a read-only connection of our own."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        nodes = {(k, i): decode_props(k, p) for k, i, p in conn.execute("SELECT kind, id, props FROM nodes")}
        edges = {tuple(e) for e in conn.execute("SELECT src_kind, src_id, type, dst_kind, dst_id FROM edges")}
    finally:
        conn.close()
    return nodes, edges


def table_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("nodes", "edges", "unique_values", "unique_constraints")}
    finally:
        conn.close()


def unique_values(path: Path) -> set[tuple[str, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return set(conn.execute("SELECT label, prop, value, kind, id FROM unique_values"))
    finally:
        conn.close()


def read_memory(store: EmbeddedStore) -> tuple[Nodes, Edges]:
    nodes = {(k, i): {n: v for n, v in props.items() if n != "id"}
             for k, by_id in store.by_kind.items() for i, props in by_id.items()}
    edges = {(u[0], u[1], key, v[0], v[1]) for u, v, key in store.graph.edges(keys=True)}
    return nodes, edges


def differences(what: str, expected: tuple[Nodes, Edges], actual: tuple[Nodes, Edges]) -> list[str]:
    (en, ee), (an, ae) = expected, actual
    out = []
    missing, extra = sorted(en.keys() - an.keys()), sorted(an.keys() - en.keys())
    changed = sorted(k for k in en.keys() & an.keys() if en[k] != an[k])
    if missing:
        out.append(f"{what}: {len(missing)} node(s) missing, e.g. {missing[:5]}")
    if extra:
        out.append(f"{what}: {len(extra)} unexpected node(s), e.g. {extra[:5]}")
    for key in changed[:5]:
        out.append(f"{what}: {key} has {an[key]!r}, expected {en[key]!r}")
    if ee - ae:
        out.append(f"{what}: {len(ee - ae)} edge(s) missing, e.g. {sorted(ee - ae)[:5]}")
    if ae - ee:
        out.append(f"{what}: {len(ae - ee)} unexpected edge(s), e.g. {sorted(ae - ee)[:5]}")
    return out


BATCH_ID = re.compile(r"^C[MP]-(\d+)-\d+$")
RENAMED = re.compile(r"（第(\d+)批更名）$")
COUNTER = re.compile(r"^crash-writer batch (\d+)$")
GRID_CODE = re.compile(r"^crash-code-(\d+)$")


def batches_present(nodes: Nodes, edges: Edges) -> set[int]:
    """Every batch id that left any trace: a node, an edge, a rename, the counter, the code."""
    found = set()
    for (_, node_id), props in nodes.items():
        for pattern, value in ((BATCH_ID, node_id), (RENAMED, props.get("name") or ""),
                               (COUNTER, props.get("serviceBrand") or ""), (GRID_CODE, props.get("code") or "")):
            match = pattern.search(value)
            if match:
                found.add(int(match.group(1)))
    for _, src, _, _, dst in edges:
        for node_id in (src, dst):
            match = BATCH_ID.match(node_id)
            if match:
                found.add(int(match.group(1)))
    return found


def counts_by_kind(nodes: Nodes) -> dict[str, int]:
    out: dict[str, int] = {}
    for kind_name, _ in nodes:
        out[kind_name] = out.get(kind_name, 0) + 1
    return out


async def check_store(store: EmbeddedStore, path: Path, expected: tuple[Nodes, Edges], why: str, *,
                      file: bool = True) -> None:
    """The store's memory (and, with ``file``, the SQLite file) holds exactly ``expected``;
    queries through the store interface answer accordingly."""
    problems = differences("in memory", expected, read_memory(store))
    if file:
        problems += differences("in the file", expected, read_file(path))
    assert not problems, why + "\n" + "\n".join(problems)
    nodes, edges = expected
    counted = {k: v for k, v in (await store.count_nodes()).items() if v}
    assert counted == counts_by_kind(nodes), why
    assert (store.graph.number_of_nodes(), store.graph.number_of_edges()) == (len(nodes), len(edges)), why
    rows = table_counts(path)
    assert (rows["nodes"], rows["edges"]) == (len(nodes), len(edges)), f"file row counts {rows}\n{why}"
    grid_codes = {("Grid", "code", p["code"], k, i) for (k, i), p in nodes.items() if k == "Area"}
    assert unique_values(path) == grid_codes, why
    # queries through the store interface
    members = sorted(i for k, i in nodes if k == "Member")
    org = (await store.get_nodes("PartyOrg", [cw.ORG], EVERYTHING))[cw.ORG]
    assert org == {**nodes[("PartyOrg", cw.ORG)], "id": cw.ORG, "_kind": "PartyOrg"}, why
    sample = members[:: max(1, len(members) // 50)] + members[-3:]
    got = await store.get_nodes("Member", sample, EVERYTHING)
    assert {i: got[i]["name"] for i in sample} == {i: nodes[("Member", i)]["name"] for i in sample}, why
    pairings = await store.neighbours("Member", rel("Member", "pairings"), sample, EVERYTHING)
    assert {i: [r["id"] for r in pairings[i]] for i in sample} == {i: ["CP" + i[2:]] for i in sample}, why
    orgs = await store.neighbours("Member", rel("Member", "organisation"), sample, EVERYTHING)
    assert {i: [r["id"] for r in orgs[i]] for i in sample} == {i: [cw.ORG] for i in sample}, why
    page = await store.find_nodes("Pairing", [], [], 0, 5, EVERYTHING)
    assert page.total == len(members), why


def rel(kind_name: str, field_name: str) -> Rel:
    return KIND_BY_NAME[kind_name].rel(field_name)


async def verify_after_crash(path: Path, run: Run) -> int:
    """All the checks after a kill; returns the last batch found in the file."""
    why = run.describe()
    on_disk = read_file(path)  # as the crash left it, before the store opens (and recovers) it
    present = batches_present(*on_disk)
    last = max(present, default=-1)
    assert present == set(range(last + 1)), f"batches present are not 0..{last}: " \
        f"missing {sorted(set(range(last + 1)) - present)[:10]}\n{why}"
    assert last >= run.acked, f"acknowledged batch(es) {last + 1}..{run.acked} lost\n{why}"
    assert last <= max(run.begun, run.acked), f"batch {last} present but never begun\n{why}"
    expected = cw.expected_state(run.seed, last, run.big)
    problems = differences("in the file", expected, on_disk)
    assert not problems, f"the file after the crash is not batches 0..{last} exactly\n" + \
        "\n".join(problems) + "\n" + why

    store = EmbeddedStore(path)
    try:
        # memory replayed from the file == expected == the file as the crash left it
        await check_store(store, path, expected, f"after reopening\n{why}", file=False)
        # the unique index was rebuilt: the Area's current code is taken, the one before is free
        code = expected[0][("Area", cw.AREA)]["code"]
        with pytest.raises(StoreError, match="uniqueness"):
            await store.load(GraphData(nodes=[("Area", "CRASH-AREA-2", {**cw.AREA_PROPS, "code": code})]))
        old = cw.grid_code(last - 1) if last >= 1 else None
        # a further write succeeds after recovery, and reaches the file
        more = cw.batch(run.seed, last + 1)
        if old:
            more.nodes.append(("Area", "CRASH-AREA-OLD", {**cw.AREA_PROPS, "code": old}))
        await store.load(more)
        cw.apply(*expected, more)
        await check_store(store, path, expected, f"after a write following recovery\n{why}")
    finally:
        await store.close()
    store = EmbeddedStore(path)
    try:
        await check_store(store, path, expected, f"after a second reopening\n{why}", file=False)
    finally:
        await store.close()
    return last


# --- the tests -------------------------------------------------------------------------------
Outcome = tuple[Path, "Run | BaseException"]


def run_concurrently(jobs: dict[Any, tuple[Path, dict[str, Any]]]) -> dict[Any, Outcome]:
    """``run_and_kill(path, **kwargs)`` for every job at once, one thread each."""
    results: dict[Any, Outcome] = {}

    def one(key: Any, path: Path, kwargs: dict[str, Any]) -> None:
        try:
            results[key] = (path, run_and_kill(path, **kwargs))
        except BaseException as exc:  # noqa: BLE001  (reported by the test that needs it)
            results[key] = (path, exc)

    threads = [threading.Thread(target=one, args=(key, path, kwargs)) for key, (path, kwargs) in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def the_run(key: Any, result: Outcome) -> tuple[Path, Run]:
    path, run = result
    if isinstance(run, BaseException):
        raise AssertionError(f"{key}: the writer could not be run and killed: {run!r}") from run
    return path, run


@pytest.fixture(scope="module")
def random_kills(tmp_path_factory: pytest.TempPathFactory) -> dict[Any, Outcome]:
    """One writer per seed, all at once (the 2 cores are shared, which varies the timing
    further), each killed at its own random moment: 0.3-2.5 s after READY."""
    return run_concurrently({
        seed: (tmp_path_factory.mktemp(f"crash{seed}") / "graph.sqlite3",
               {"seed": seed, "delay": random.Random(seed).uniform(0.3, 2.5)})
        for seed in SEEDS})


@pytest.mark.parametrize("seed", SEEDS)
async def test_kill_at_a_random_moment_loses_no_acknowledged_write(random_kills, seed: int) -> None:
    path, run = the_run(f"seed={seed}", random_kills[seed])
    last = await verify_after_crash(path, run)
    state = "in flight, committed" if last > run.acked else \
        ("in flight, not committed" if run.in_flight else "between writes")
    print(f"seed {seed}: killed {run.killed_after:.2f} s after start, {run.acked + 1} batches acknowledged, "
          f"kill {state}")


async def test_kill_inside_a_large_batch_leaves_all_or_nothing(tmp_path: Path) -> None:
    """Batches of 8-12k nodes, killed inside load(): one writer as soon as SQLite has
    spilled pages of the unfinished transaction into the WAL, one at a random moment."""
    rng = random.Random(BIG_SEED)
    runs = []
    for attempt in range(3):  # until a kill has landed inside a load()
        jobs = {f"{how} #{attempt}": (tmp_path / f"{how}{attempt}" / "graph.sqlite3",
                                      {"seed": BIG_SEED + 10 * attempt + i, "delay": 0.0, "big": True,
                                       "rng": random.Random(rng.random()), "on_spill": how == "spill"})
                for i, how in enumerate(("spill", "random"))}
        for key, result in run_concurrently(jobs).items():
            path, run = the_run(key, result)
            runs.append((key, run, await verify_after_crash(path, run)))
        if any(run.in_flight for _, run, _ in runs):
            break
    print("\n".join(f"big {key}, seed {run.seed}: killed inside load() of batch {run.begun}: {run.in_flight}, "
                    f"{'committed' if last > run.acked else 'not committed'}, "
                    f"{run.wal_frames_uncommitted} uncommitted WAL frame(s) discarded at recovery"
                    for key, run, last in runs))
    assert any(run.in_flight for _, run, _ in runs), "no kill landed inside a load():\n" + \
        "\n".join(run.describe() for _, run, _ in runs)


# each bad batch also brings valid new nodes, an update of an existing node and edges, so
# a partial write would show
VALID = [("Member", "M2", {"name": "李四"}), ("Member", "M1", {"name": "张三（改名）"}),
         ("PartyOrg", "O1", {"serviceBrand": "v2"}),
         ("Area", "A2", {"code": "21000000000102", "name": "二片区", "level": "AREA"})]
VALID_EDGES = [("Member", "M2", "MEMBER_OF", "PartyOrg", "O1"), ("Area", "A2", "PART_OF", "Community", "C1")]
INJECTED = ("Member", "M2", "INJECTED_FAILURE", "PartyOrg", "O1")
BAD = {  # what: (data, replace, the error)
    "a grid code another grid has": (GraphData(
        nodes=[*VALID, ("Area", "A3", {"code": "210000000001", "name": "重码片区", "level": "AREA"})],
        edges=VALID_EDGES), False, "uniqueness constraint"),
    "one grid code twice in the batch": (GraphData(
        nodes=[*VALID, ("Area", "A3", {"code": "21000000000102", "name": "重码片区", "level": "AREA"})],
        edges=VALID_EDGES), False, "uniqueness constraint"),
    "an edge to a missing node": (GraphData(
        nodes=VALID, edges=[*VALID_EDGES, ("Member", "M2", "MEMBER_OF", "PartyOrg", "no-such-org")]),
        False, "do not exist"),
    # passes the in-memory checks; fails once the node and unique_values rows are written
    "a failure inside the SQLite transaction": (GraphData(nodes=VALID, edges=[*VALID_EDGES, INJECTED]),
                                                False, "injected failure"),
    # the same after the replace has deleted every row in the same transaction
    "a replace that fails inside the SQLite transaction": (GraphData(
        nodes=[*VALID, ("PartyOrg", "O1", {"name": "甲支部", "kind": "BRANCH"}),
               ("Community", "C1", {"code": "210000000001", "name": "甲社区", "level": "COMMUNITY"})],
        edges=[*VALID_EDGES, INJECTED]), True, "injected failure"),
}


async def test_a_refused_write_changes_neither_the_file_nor_memory(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite3"
    store = EmbeddedStore(path)
    try:
        await store.migrate()
        await store.load(GraphData(
            nodes=[("Community", "C1", {"code": "210000000001", "name": "甲社区", "level": "COMMUNITY"}),
                   ("Area", "A1", {"code": "21000000000101", "name": "一片区", "level": "AREA"}),
                   ("PartyOrg", "O1", {"name": "甲支部", "kind": "BRANCH", "serviceBrand": "v1"}),
                   ("Member", "M1", {"name": "张三"})],
            edges=[("Area", "A1", "PART_OF", "Community", "C1"), ("Member", "M1", "MEMBER_OF", "PartyOrg", "O1")]))
        # a failure inside the SQLite transaction, after rows were written: a trigger refuses
        # one edge type that nothing but this test uses
        conn = sqlite3.connect(path)
        conn.execute("CREATE TRIGGER refuse_injected BEFORE INSERT ON edges WHEN NEW.type = 'INJECTED_FAILURE' "
                     "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        conn.commit()
        conn.close()

        before_counts = await store.count_nodes()
        before_rows = table_counts(path)
        before_file = read_file(path)
        before_unique = unique_values(path)
        assert {row[2] for row in before_unique} == {"210000000001", "21000000000101"}
        before_memory = read_memory(store)
        assert before_file == before_memory

        for what, (data, replace, error) in BAD.items():
            with pytest.raises(StoreError, match=error):
                await store.load(data, replace=replace)
            assert await store.count_nodes() == before_counts, what
            assert table_counts(path) == before_rows, what
            assert read_file(path) == before_file, what
            assert unique_values(path) == before_unique, what
            assert read_memory(store) == before_memory, what
            assert (await store.get_nodes("Member", ["M1", "M2"], EVERYTHING)) == \
                {"M1": {"id": "M1", "name": "张三", "_kind": "Member"}}, what
    finally:
        await store.close()

    store = EmbeddedStore(path)
    try:
        assert read_memory(store) == before_memory
        assert await store.count_nodes() == before_counts
        assert unique_values(path) == before_unique
        # the refused batches left no claim behind: their valid part goes through now
        await store.load(GraphData(nodes=VALID, edges=VALID_EDGES))
        assert (await store.get_nodes("Area", ["A2"], EVERYTHING))["A2"]["code"] == "21000000000102"
        assert read_memory(store) == read_file(path)
    finally:
        await store.close()
    store = EmbeddedStore(path)
    try:
        assert (await store.get_nodes("Member", ["M1", "M2"], EVERYTHING)).keys() == {"M1", "M2"}
        assert table_counts(path)["nodes"] == before_rows["nodes"] + 2
    finally:
        await store.close()
