"""Large writes to Neo4j go through staging (graph_api/store/neo4j_staged.py): the result must
equal a one-transaction write, a failure at any point must leave nothing visible or staged,
and the leftovers of a process that died are invisible and cleared by the next write."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from graph_api.domain.model import KIND_BY_NAME
from graph_api.ledger.export import export_kinds
from graph_api.ledger.importer import apply_plan, plan_import
from graph_api.store import neo4j_staged
from graph_api.store.base import EVERYTHING, StoreError
from graph_api.store.neo4j_staged import StagedWrite
from graph_api.store.neo4j_store import Neo4jStore
from tests.backends import load_sample_into, open_neo4j


@pytest.fixture(scope="module")
async def neo4j(settings) -> AsyncIterator[Neo4jStore]:
    store = await open_neo4j(settings)
    yield store
    await load_sample_into(store)  # the state the other modules expect
    await store.close()


@pytest.fixture
async def staged(neo4j: Neo4jStore) -> AsyncIterator[Neo4jStore]:
    """The sample, with every write of more than 1,000 rows staged."""
    await load_sample_into(neo4j)
    neo4j.stage_above = 1_000
    yield neo4j
    neo4j.stage_above = Neo4jStore.stage_above


async def snapshot(store: Neo4jStore, tmp_path: Path) -> str:
    out = tmp_path / f"snapshot-{dt.datetime.now().timestamp()}.json"
    await export_kinds(store, list(KIND_BY_NAME), out, "json", EVERYTHING)
    return out.read_text(encoding="utf-8")


async def staged_leftovers(store: Neo4jStore) -> int:
    labels = [neo4j_staged.staged_label(k) for k in KIND_BY_NAME]
    records = await store._read("MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels) RETURN count(n) AS c",
                                {"labels": labels})
    return records[0]["c"]


class Interrupted(Exception):
    """As Ctrl-C or a lost connection would stop an import."""


def new_households_file(folder: Path, rows_from: Path, count: int, updated: int = 0) -> Path:
    """``count`` new households copied from existing ones (new ids and rooms), and ``updated``
    existing households with a changed size."""
    lines = rows_from.read_text(encoding="utf-8-sig").splitlines()
    header, rows = lines[0], lines[1:]
    out = []
    for i in range(count):
        cells = rows[i % len(rows)].split(",")
        cells[0], cells[3] = f"{cells[0]}-S{i}", f"S{i}"
        out.append(",".join(cells))
    for row in rows[:updated]:
        cells = row.split(",")
        cells[6] = "9"  # 户内人数
        out.append(",".join(cells))
    path = folder / "住户.csv"
    path.write_text("\n".join([header, *out]) + "\n", encoding="utf-8")
    return path


async def test_a_staged_import_equals_a_one_transaction_import(staged: Neo4jStore, tmp_path: Path) -> None:
    await export_kinds(staged, ["Household"], tmp_path / "export", "csv", EVERYTHING)
    path = new_households_file(tmp_path, tmp_path / "export" / "Household.csv", 3_000, updated=50)
    plan = await plan_import([path], staged)
    assert (plan.counts["Household"].created, plan.counts["Household"].updated) == (3_000, 50)
    assert plan.data.size > staged.stage_above
    await apply_plan(plan, staged)
    after_staged = await snapshot(staged, tmp_path)
    assert await staged_leftovers(staged) == 0

    await load_sample_into(staged)
    staged.stage_above = 10**9  # the same plan, one transaction
    plan = await plan_import([path], staged)
    await apply_plan(plan, staged)
    assert await snapshot(staged, tmp_path) == after_staged


@pytest.mark.parametrize("fail_at", ["staging", "before publish", "publish"])
async def test_a_failure_anywhere_leaves_nothing(staged: Neo4jStore, tmp_path: Path, fail_at: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    await export_kinds(staged, ["Household"], tmp_path / "export", "csv", EVERYTHING)
    path = new_households_file(tmp_path, tmp_path / "export" / "Household.csv", 25_000, updated=20)
    before = await snapshot(staged, tmp_path)
    plan = await plan_import([path], staged)
    written = []

    def progress(stage: str, done: int, total: int) -> None:
        written.append(done)
        if fail_at == "staging" and done > 15_000:  # after the first staging transactions committed
            raise Interrupted("the import was interrupted")

    if fail_at == "before publish":
        original = StagedWrite.__init__

        def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            original(self, *args, **kwargs)
            self.fail_before_publish = True

        monkeypatch.setattr(StagedWrite, "__init__", failing)
    if fail_at == "publish":
        # a constraint the publish transaction trips over: a new household's id taken meanwhile
        # by a node created behind the import's back
        victim = plan.data.nodes[-1][1]
        original_publish = StagedWrite._publish

        async def publish_after_interference(self, tx, *args):  # type: ignore[no-untyped-def]
            await (await tx.run("CREATE (:Household {id: $id})", id=victim)).consume()
            await original_publish(self, tx, *args)

        monkeypatch.setattr(StagedWrite, "_publish", publish_after_interference)
    with pytest.raises((Interrupted, StoreError)):
        await apply_plan(plan, staged, progress=progress)
    assert written, "nothing was written before the failure: the test proves nothing"
    assert await staged_leftovers(staged) == 0
    assert await snapshot(staged, tmp_path) == before


async def test_leftovers_of_a_dead_process_are_invisible_then_cleared(staged: Neo4jStore, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    await export_kinds(staged, ["Household"], tmp_path / "export", "csv", EVERYTHING)
    path = new_households_file(tmp_path, tmp_path / "export" / "Household.csv", 3_000)
    counts = await staged.count_nodes()
    before = await snapshot(staged, tmp_path)
    plan = await plan_import([path], staged)
    # the process "dies" after staging: no clean-up, no unlock
    dead = StagedWrite(staged.driver, staged.database, lambda name: f"`{name}`", lambda n: None,
                       fail_before_publish=True)
    await dead._lock()
    with pytest.raises(StoreError, match="injected"):
        await dead._stage_and_publish(plan.data)
    assert await staged_leftovers(staged) == 3_000 + 0
    assert await staged.count_nodes() == counts, "staged nodes must be invisible to reads"
    assert await snapshot(staged, tmp_path) == before
    # while its lock is fresh, another large write waits its turn
    with pytest.raises(StoreError, match="another large import"):
        await apply_plan(plan, staged)
    # once the lock is stale, the next write takes over, clears the leftovers and succeeds
    monkeypatch.setattr(neo4j_staged, "LOCK_STALE_SECONDS", 0)
    await apply_plan(plan, staged)
    assert await staged_leftovers(staged) == 0
    assert (await staged.count_nodes())["Household"] == counts["Household"] + 3_000
