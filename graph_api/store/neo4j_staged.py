"""Large writes to Neo4j, all-or-nothing without one huge transaction.

A single transaction holds every pending write in the server's heap: a city-sized import
(millions of rows) would need gigabytes of it. So a large write goes in three steps:

1. **stage** — the new nodes are created in many small transactions under a staging label
   (``_StagedMember`` for a Member...), then the edges that touch them. Nodes are addressed
   by element id (a seek: no index to keep up for the staging labels). No read matches a
   staging label (every read names the real label of what it reads), so staged data is
   invisible to the API, the figures and the audits.
2. **publish** — one transaction relabels the staged nodes (a light change per node),
   applies the updates to existing nodes, removes replaced edges and adds the edges between
   existing nodes. It commits whole or not at all.
3. **clean up** — if anything fails before the publish commits, the staged nodes are
   deleted (in batches). If the process dies instead, they stay invisible and the next
   staged write deletes them first.

One staged write runs at a time: a lock node with a heartbeat; a lock whose heartbeat is
older than :data:`LOCK_STALE_SECONDS` belonged to a process that died and is taken over.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from neo4j import AsyncDriver

from graph_api.domain.graphdata import GraphData
from graph_api.domain.model import KIND_BY_NAME
from graph_api.store.base import StoreError

STAGE_BATCH = 10_000
LOCK_STALE_SECONDS = 600


def staged_label(kind: str) -> str:
    return f"_Staged{kind}"


class StagedWrite:
    def __init__(self, driver: AsyncDriver, database: str, quote: Callable[[str], str],
                 progress: Callable[[int], None], fail_before_publish: bool = False):
        self.driver = driver
        self.database = database
        self.q = quote
        self.report = progress
        self.run_id = uuid.uuid4().hex
        self.fail_before_publish = fail_before_publish  # tests: a crash between stage and publish

    # --- the lock ---------------------------------------------------------------------------
    async def _lock(self) -> None:
        async with self.driver.session(database=self.database) as session:
            result = await session.run(
                "MERGE (l:_ImportLock {id: 'import'}) "
                "ON CREATE SET l.owner = $run, l.beat = timestamp() "
                "WITH l, l.owner = $run OR timestamp() - l.beat > $stale AS mine "
                "FOREACH (_ IN CASE WHEN mine THEN [1] ELSE [] END | SET l.owner = $run, l.beat = timestamp()) "
                "RETURN mine, l.beat AS beat",
                run=self.run_id, stale=LOCK_STALE_SECONDS * 1000)
            row = await result.single()
        if not row or not row["mine"]:
            raise StoreError("another large import is writing to Neo4j right now; try again when it has "
                             "finished (a lock left by a process that died expires after "
                             f"{LOCK_STALE_SECONDS // 60} minutes)")

    async def _beat(self, tx: Any) -> None:
        result = await tx.run("MATCH (l:_ImportLock {id: 'import', owner: $run}) SET l.beat = timestamp() "
                              "RETURN count(l) AS held", run=self.run_id)
        if (await result.single())["held"] != 1:
            raise StoreError("the import lost its lock (its heartbeat stopped for too long); nothing was written")

    async def _unlock(self) -> None:
        async with self.driver.session(database=self.database) as session:
            await (await session.run("MATCH (l:_ImportLock {id: 'import', owner: $run}) DELETE l",
                                     run=self.run_id)).consume()

    # --- staging ----------------------------------------------------------------------------
    async def _prepare(self) -> None:
        """No leftovers of a staged write whose process died."""
        await self.clean_up()

    async def _refresh_statistics(self) -> None:
        """After a bulk write the planner's index statistics are stale: reads that follow (a
        re-import's lookups, the API) would get plans scanning whole labels until Neo4j
        resamples by itself. Resample now, and drop plans cached with the old statistics."""
        async with self.driver.session(database=self.database) as session:
            await (await session.run("CALL db.resampleOutdatedIndexes()")).consume()
            await (await session.run("CALL db.clearQueryCaches()")).consume()

    async def clean_up(self) -> None:
        async with self.driver.session(database=self.database) as session:
            for kind in KIND_BY_NAME:
                await (await session.run(
                    f"MATCH (n:{self.q(staged_label(kind))}) "
                    f"CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF {STAGE_BATCH} ROWS")).consume()

    async def _counts(self) -> dict[str, int]:
        """Nodes per kind, from the count store (no scan)."""
        out = {}
        async with self.driver.session(database=self.database) as session:
            for kind in KIND_BY_NAME:
                result = await session.run(f"MATCH (n:{self.q(kind)}) RETURN count(n) AS c")
                out[kind] = (await result.single())["c"]
        return out

    async def _existing(self, kind: str, ids: list[str]) -> dict[str, str]:
        """The element ids of the nodes of ``kind`` with these business keys that exist."""
        found: dict[str, str] = {}
        query = (f"UNWIND $ids AS key MATCH (n:{self.q(kind)} {{id: key}}) "
                 f"RETURN collect([n.id, elementId(n)]) AS found")
        async with self.driver.session(database=self.database) as session:
            for start in range(0, len(ids), STAGE_BATCH):
                result = await session.run(query, ids=ids[start:start + STAGE_BATCH])
                found.update((await result.single())["found"])
        return found

    async def _in_batches(self, query: str, rows: list[Any], check_count: str | None = None,
                          collect: list[str] | None = None) -> None:
        """One small transaction per batch (with the lock's heartbeat). ``check_count``: the
        statement returns ``n``, which must equal the batch's size; ``collect``: it returns one
        record whose ``eids`` list is appended there (one record: streaming a record per row
        costs the driver more than the write)."""
        async with self.driver.session(database=self.database) as session:
            for start in range(0, len(rows), STAGE_BATCH):
                chunk = rows[start:start + STAGE_BATCH]
                tx = await session.begin_transaction()
                try:
                    await self._beat(tx)
                    result = await tx.run(query, rows=chunk)
                    if check_count is not None:
                        found = (await result.single())["n"]
                        if found != len(chunk):
                            raise StoreError(f"{len(chunk) - found} {check_count} edge(s) reference nodes that "
                                             f"do not exist; nothing was written")
                    elif collect is not None:
                        collect.extend((await result.single())["eids"])
                    else:
                        await result.consume()
                    await tx.commit()
                finally:
                    await tx.close()
                self.report(len(chunk))

    # --- the whole write --------------------------------------------------------------------
    async def run(self, data: GraphData) -> None:
        await self._lock()
        try:
            await self._prepare()
            try:
                await self._stage_and_publish(data)
            except BaseException:
                await self.clean_up()
                raise
            await self._refresh_statistics()
        finally:
            await self._unlock()

    async def _stage_and_publish(self, data: GraphData) -> None:
        # the same node twice in one write merges, as SET n += props would
        nodes: dict[tuple[str, str], dict[str, Any]] = {}
        for kind, node_id, props in data.nodes:
            KIND_BY_NAME[kind]  # noqa: B018 (an unknown kind fails here, before anything is written)
            if (kind, node_id) in nodes:
                nodes[(kind, node_id)].update(props)
            else:
                nodes[(kind, node_id)] = props
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, node_id in nodes:
            by_kind[kind].append(node_id)
        # every node the write touches is addressed by element id from here on: a seek, no index
        element: dict[tuple[str, str], str] = {}
        endpoints: dict[str, set[str]] = defaultdict(set)
        for src_kind, src_id, _, dst_kind, dst_id in data.edges:
            endpoints[src_kind].add(src_id)
            endpoints[dst_kind].add(dst_id)
        counts = await self._counts()
        for kind in {*by_kind, *endpoints}:
            KIND_BY_NAME[kind]  # noqa: B018
            if not counts.get(kind):
                continue  # nothing of this kind yet (a first import): no lookups
            wanted = sorted(set(by_kind.get(kind, ())) | endpoints.get(kind, set()))
            for node_id, eid in (await self._existing(kind, wanted)).items():
                element[(kind, node_id)] = eid
        existing = set(element)
        new_by_kind: dict[str, list[str]] = {k: [i for i in ids if (k, i) not in existing] for k, ids in by_kind.items()}

        # 1. stage the new nodes, then every edge, by element id
        staged: dict[str, list[str]] = {}
        for kind, ids in new_by_kind.items():
            if not ids:
                continue
            rows = [{"id": i, "props": {n: v for n, v in nodes[(kind, i)].items() if v is not None}} for i in ids]
            eids: list[str] = []
            await self._in_batches(
                f"UNWIND $rows AS row CREATE (n:{self.q(staged_label(kind))}) SET n = row.props, n.id = row.id "
                f"RETURN collect(elementId(n)) AS eids", rows, collect=eids)
            staged[kind] = eids
            element.update(zip(((kind, i) for i in ids), eids))
        edge_rows: dict[str, list[list[str]]] = defaultdict(list)
        published: dict[str, list[list[str]]] = defaultdict(list)
        for src_kind, src_id, rel_type, dst_kind, dst_id in dict.fromkeys(data.edges):
            a, b = element.get((src_kind, src_id)), element.get((dst_kind, dst_id))
            if a is None or b is None:
                missing = (src_kind, src_id) if a is None else (dst_kind, dst_id)
                raise StoreError(f"a {src_kind}-[:{rel_type}]->{dst_kind} edge references {missing[0]} {missing[1]}, "
                                 f"which does not exist; nothing was written")
            if (src_kind, src_id) in existing and (dst_kind, dst_id) in existing:
                published[rel_type].append([a, b])  # between existing nodes: visible, so at publish
            else:
                edge_rows[rel_type].append([a, b])
        for rel_type, rows in edge_rows.items():
            await self._in_batches(
                f"UNWIND $rows AS row MATCH (a) WHERE elementId(a) = row[0] MATCH (b) WHERE elementId(b) = row[1] "
                f"CREATE (a)-[:{self.q(rel_type)}]->(b) RETURN count(*) AS n", rows, check_count=rel_type)
        if self.fail_before_publish:
            raise StoreError("injected failure between staging and publishing (tests)")
        # 2. publish in one transaction
        async with self.driver.session(database=self.database) as session:
            tx = await session.begin_transaction()
            try:
                await self._beat(tx)
                await self._publish(tx, data, nodes, by_kind, existing, element, staged, published)
                await tx.commit()
            finally:
                await tx.close()

    async def _publish(self, tx: Any, data: GraphData, nodes: dict[tuple[str, str], dict[str, Any]],
                       by_kind: dict[str, list[str]], existing: set[tuple[str, str]],
                       element: dict[tuple[str, str], str], staged: dict[str, list[str]],
                       published: dict[str, list[list[str]]]) -> None:
        cleared: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
        for kind, node_id, rel_type, targets in data.cleared_edges:
            eid = element.get((kind, node_id))
            if (kind, node_id) in existing and eid is not None:
                cleared[(rel_type, tuple(targets))].append(eid)
            elif (kind, node_id) not in element:
                KIND_BY_NAME[kind]  # noqa: B018
        for (rel_type, targets), eids in cleared.items():
            target_test = " OR ".join(f"b:{self.q(t)}" for t in targets)
            query = (f"UNWIND $ids AS eid MATCH (a)-[r:{self.q(rel_type)}]->(b) WHERE elementId(a) = eid "
                     f"AND ({target_test}) DELETE r")
            for start in range(0, len(eids), STAGE_BATCH):
                await (await tx.run(query, ids=eids[start:start + STAGE_BATCH])).consume()
                self.report(len(eids[start:start + STAGE_BATCH]))
        for kind, ids in by_kind.items():
            updates = [{"eid": element[(kind, i)], "props": nodes[(kind, i)]} for i in ids if (kind, i) in existing]
            query = "UNWIND $rows AS row MATCH (n) WHERE elementId(n) = row.eid SET n += row.props"
            for start in range(0, len(updates), STAGE_BATCH):
                await (await tx.run(query, rows=updates[start:start + STAGE_BATCH])).consume()
                self.report(len(updates[start:start + STAGE_BATCH]))
        for kind, eids in staged.items():
            labels = ":".join(self.q(label) for label in KIND_BY_NAME[kind].labels)
            query = (f"UNWIND $ids AS eid MATCH (n) WHERE elementId(n) = eid "
                     f"SET n:{labels} REMOVE n:{self.q(staged_label(kind))}")
            for start in range(0, len(eids), STAGE_BATCH):
                await (await tx.run(query, ids=eids[start:start + STAGE_BATCH])).consume()
        for rel_type, rows in published.items():
            query = (f"UNWIND $rows AS row MATCH (a) WHERE elementId(a) = row[0] MATCH (b) WHERE elementId(b) = row[1] "
                     f"MERGE (a)-[:{self.q(rel_type)}]->(b)")
            for start in range(0, len(rows), STAGE_BATCH):
                await (await tx.run(query, rows=rows[start:start + STAGE_BATCH])).consume()
                self.report(len(rows[start:start + STAGE_BATCH]))
