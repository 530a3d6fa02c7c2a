"""Embedded backend: the graph in memory as a networkx MultiDiGraph, durable in SQLite.

Nodes are keyed ``(kind, id)`` with their properties as the node's attribute dict; an
edge's key is its relationship type. A write is checked against the in-memory graph, then
committed in one SQLite transaction, and only then applied in memory: a failed write
leaves both unchanged, and an acknowledged one survives a crash (the file is replayed into
memory at start).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import networkx as nx

from graph_api.domain.model import GRID_KINDS, KIND_BY_NAME, Kind, Rel, target_kinds
from graph_api.memory import gc_paused
from graph_api.resources import read_text
from graph_api.store import rules
from graph_api.store.base import (
    EVERYTHING,
    Absent,
    AuditEntry,
    AuditQuery,
    Change,
    Condition,
    Expect,
    GraphData,
    GraphStore,
    Guard,
    LoadReport,
    NoActivePairing,
    Page,
    Record,
    Scope,
    SortKey,
    StaleMatch,
    StoreError,
    absent_failures,
    expect_failures,
    kind,
    pairing_failures,
)
from graph_api.domain.coverage import CheckInput, CheckOutput
from graph_api.domain.matching import MatchingInput, MatchOptions
from graph_api.store.embedded import coverage, figures, matching
from graph_api.store.embedded.durable import AUDIT_SCHEMA, DurableFile, encode_props
from graph_api.store.embedded.semantics import in_scope, page_of, predicate

NodeKey = tuple[str, str]
Visible = Callable[[str, dict[str, Any]], bool] | None
UNIQUE = re.compile(r"FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE")
MODEL_LABELS = frozenset(label for k in KIND_BY_NAME.values() for label in k.labels)


@asynccontextmanager
async def _gc_paused_async() -> AsyncIterator[None]:
    with gc_paused():
        yield


WRITE_CHUNK = 50_000  # rows per executemany: progress is reported between chunks


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _labels(kind_name: str) -> tuple[str, ...]:
    return KIND_BY_NAME[kind_name].labels


class EmbeddedStore(GraphStore):
    name = "embedded"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.file = DurableFile(self.path)
        self._lock = asyncio.Lock()
        started = time.perf_counter()
        self._rebuild()
        self.start_seconds = time.perf_counter() - started

    # --- in-memory state -------------------------------------------------------------------
    def _rebuild(self) -> None:
        """Replay the file into memory (at start, and should an in-memory apply ever fail)."""
        with gc_paused():
            self._replay()
        gc.freeze()  # the graph is long-lived: keep the collector from walking it on every cycle

    def _replay(self) -> None:
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.by_kind: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in KIND_BY_NAME}
        self.constraints: list[tuple[str, str]] = [c for c in self.file.unique_constraints()]
        self.unique: dict[tuple[str, str], dict[Any, NodeKey]] = {c: {} for c in self.constraints}
        for kind_name, node_id, props in self.file.read_nodes():
            self._put_node(kind_name, node_id, props)
        self.graph.add_edges_from(((sk, si), (dk, di), rt) for sk, si, rt, dk, di in self.file.read_edges())

    def _put_node(self, kind_name: str, node_id: str, props: dict[str, Any]) -> None:
        key = (kind_name, node_id)
        old = self.by_kind[kind_name].get(node_id)
        if old is not None:
            self._unindex(kind_name, node_id, old)
            old.clear()
            old.update(props)
            attrs = old
            attrs["id"] = node_id
        else:
            self.graph.add_node(key)
            attrs = self.graph.nodes[key]
            attrs.update(props)
            attrs["id"] = node_id  # filters and sorts see the business key like any property
            self.by_kind[kind_name][node_id] = attrs
        for label, prop in self._constraints_for(kind_name):
            value = attrs.get(prop)
            if value is not None:
                self.unique[(label, prop)][value] = key

    def _unindex(self, kind_name: str, node_id: str, props: dict[str, Any]) -> None:
        for label, prop in self._constraints_for(kind_name):
            value = props.get(prop)
            if value is not None and self.unique[(label, prop)].get(value) == (kind_name, node_id):
                del self.unique[(label, prop)][value]

    def _constraints_for(self, kind_name: str) -> list[tuple[str, str]]:
        labels = _labels(kind_name)
        return [(label, prop) for label, prop in self.constraints if label in labels and prop != "id"]

    @staticmethod
    def _record(kind_name: str, node_id: str, props: dict[str, Any], plan: Mapping[str, str] | None = None) -> Record:
        rec = {k: (list(v) if isinstance(v, list) else v) for k, v in props.items()}
        if plan:
            rec = rules.mask_props(rec, plan)
        rec["_kind"] = kind_name
        return rec

    # --- scope -----------------------------------------------------------------------------
    def _grid_under(self, scope: Scope) -> set[NodeKey] | None:
        """The nodes from which ``PART_OF`` leads, in up to four hops, to one of the scope's grids
        (the grids themselves included); None without a grid scope."""
        if scope.grid_ids is None:
            return None
        frontier = {(g, gid) for g in GRID_KINDS for gid in scope.grid_ids if gid in self.by_kind[g]}
        under = set(frontier)
        for _ in range(rules.GRID_DEPTH):
            frontier = {other for key in frontier for other, edges in self.graph.pred[key].items()
                        if "PART_OF" in edges and other not in under}
            under |= frontier
        return under

    def _located(self, key: NodeKey, paths: Any, under: set[NodeKey]) -> bool:
        """Whether one of the locator paths leads from the node to a grid in ``under``."""
        for path in paths:
            frontier = {key}
            for rel_type, direction in path:
                adjacency = self.graph.succ if direction == "out" else self.graph.pred
                frontier = {other for node in frontier for other, edges in adjacency[node].items()
                            if rel_type in edges}
            if any(node[0] in GRID_KINDS and node in under for node in frontier):
                return True
        return False

    def _visible(self, k: Kind, scope: Scope, under: set[NodeKey] | None) -> Visible:
        """A test of (id, props) against the scope's keys and grids, or None when all is visible."""
        keys = in_scope(k, scope)
        if scope.grid_ids is None:
            return keys
        assert under is not None
        paths = rules.grid_locators(k.name)
        if not paths:
            return lambda _id, _p: False
        name = k.name
        if keys is None:
            return lambda node_id, _p: self._located((name, node_id), paths, under)
        return lambda node_id, p: keys(node_id, p) and self._located((name, node_id), paths, under)

    # --- lifecycle -------------------------------------------------------------------------
    async def close(self) -> None:
        self.file.close()

    async def ping(self) -> dict[str, Any]:
        try:
            self.file.conn.execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"the embedded store file {self.path} cannot be read: {exc}") from exc
        return {"store": "embedded", "path": str(self.path), "version": f"sqlite {sqlite3.sqlite_version}",
                "nodes": self.graph.number_of_nodes(), "edges": self.graph.number_of_edges()}

    async def migrate(self) -> list[str]:
        """Unique constraints of schema/constraints.cypher become checks here (indexes are implicit)."""
        text = read_text("schema/constraints.cypher")
        statements = [s.strip() for s in text.split(";") if "REQUIRE" in s]
        async with self._lock:
            wanted = []
            for statement in statements:
                match = UNIQUE.search(statement)
                # the business key is the table's primary key; labels that are not the model's (the
                # audit log, API keys) live in tables of their own, with their own keys
                if match and match.group(2) != "id" and match.group(1) in MODEL_LABELS:
                    wanted.append((match.group(1), match.group(2), statement.splitlines()[-1].strip()))
            new = [(label, prop, st) for label, prop, st in wanted if (label, prop) not in self.constraints]
            if not new:
                return [st for _, _, st in wanted]
            rows = []
            for label, prop, _ in new:
                seen: dict[Any, NodeKey] = {}
                for kind_name in KIND_BY_NAME:
                    if label not in _labels(kind_name):
                        continue
                    for node_id, props in self.by_kind[kind_name].items():
                        value = props.get(prop)
                        if value is None:
                            continue
                        if value in seen:
                            raise StoreError(f"cannot add the constraint {label}.{prop} IS UNIQUE: "
                                             f"{seen[value]} and {(kind_name, node_id)} share {value!r}")
                        seen[value] = (kind_name, node_id)
                        rows.append((label, prop, str(value), kind_name, node_id))
            with self.file.transaction() as conn:
                conn.executemany("INSERT INTO unique_constraints VALUES (?, ?, ?)", [(lb, pr, st) for lb, pr, st in new])
                conn.executemany("INSERT INTO unique_values VALUES (?, ?, ?, ?, ?)", rows)
            self._rebuild()
            return [st for _, _, st in wanted]

    # --- reads -----------------------------------------------------------------------------
    async def get_nodes(self, kind_name: str, ids: Sequence[str], scope: Scope) -> dict[str, Record]:
        k = kind(kind_name)
        nodes = self.by_kind[k.name]
        visible = self._visible(k, scope, self._grid_under(scope))
        plan = rules.mask_plan(k.name, scope)
        out = {}
        for node_id in ids:
            props = nodes.get(node_id)
            if props is not None and (visible is None or visible(node_id, props)):
                out[node_id] = self._record(k.name, node_id, props, plan)
        return out

    async def find_nodes(self, kind_name: str, conditions: Sequence[Condition], sort: Sequence[SortKey],
                         offset: int, limit: int, scope: Scope) -> Page:
        k = kind(kind_name)
        rules.refuse_masked_filters(k, scope, conditions, sort)
        tests = [predicate(k, c) for c in conditions]
        visible = self._visible(k, scope, self._grid_under(scope))
        plan = rules.mask_plan(k.name, scope)
        matched = [(node_id, props) for node_id, props in self.by_kind[k.name].items()
                   if all(t(props) for t in tests) and (visible is None or visible(node_id, props))]
        page = page_of(k, matched, sort, offset, limit)
        return Page(total=len(matched), records=[self._record(k.name, i, p, plan) for i, p in page])

    async def neighbours(self, kind_name: str, rel: Rel, ids: Sequence[str], scope: Scope) -> dict[str, list[Record]]:
        k = kind(kind_name)
        targets = set(target_kinds(rel.target))
        adjacency = self.graph.succ if rel.direction == "out" else self.graph.pred
        under = self._grid_under(scope)
        scope_tests = {t: self._visible(KIND_BY_NAME[t], scope, under) for t in targets}
        plans = {t: rules.mask_plan(t, scope) for t in targets}  # by concrete kind
        out: dict[str, list[Record]] = {}
        for node_id in ids:
            key = (k.name, node_id)
            if key not in adjacency:
                continue
            found = []
            for (other_kind, other_id), edges in adjacency[key].items():
                if other_kind in targets and rel.type in edges:
                    props = self.by_kind[other_kind][other_id]
                    visible = scope_tests[other_kind]
                    if visible is None or visible(other_id, props):
                        found.append((other_id, other_kind, props))
            if found:
                found.sort(key=lambda f: f[0])
                out[node_id] = [self._record(ok, oi, p, plans[ok]) for oi, ok, p in found]
        return out

    async def scan(self, kind_name: str, scope: Scope, batch: int = 5000) -> AsyncIterator[list[Record]]:
        k = kind(kind_name)
        visible = self._visible(k, scope, self._grid_under(scope))
        plan = rules.mask_plan(k.name, scope)
        nodes = self.by_kind[k.name]
        ids = sorted(i for i, p in nodes.items() if visible is None or visible(i, p))
        for start in range(0, len(ids), batch):
            # a node deleted meanwhile is skipped; its id was read under the same lock-free snapshot
            yield [self._record(k.name, i, nodes[i], plan) for i in ids[start:start + batch] if i in nodes]
            await asyncio.sleep(0)  # let requests in between pages

    async def count_nodes(self, scope: Scope = EVERYTHING) -> dict[str, int]:
        if scope.unrestricted:
            return {name: len(nodes) for name, nodes in self.by_kind.items()}
        under = self._grid_under(scope)
        out = {}
        for name, nodes in self.by_kind.items():
            visible = self._visible(KIND_BY_NAME[name], scope, under)
            out[name] = len(nodes) if visible is None else sum(1 for i, p in nodes.items() if visible(i, p))
        return out

    async def article_figures(self, district_id: str, scope: Scope) -> Mapping[str, Any]:
        rules.refuse_grid_scope(scope, "文章统计数字", "the article's figures are")
        return figures.article_figures(self, district_id, scope)

    async def coverage_check(self, check: CheckInput, scope: Scope) -> CheckOutput:
        rules.refuse_grid_scope(scope, "覆盖检查", "coverage checks are")
        return coverage.run_check(self, scope, check)

    async def grid_paths(self, grid_ids: Sequence[str], scope: Scope) -> dict[str, list[Record]]:
        rules.refuse_grid_scope(scope, "网格路径", "grid paths are")
        return coverage.grid_paths(self, list(grid_ids), scope)

    async def matching_input(self, options: MatchOptions, scope: Scope) -> MatchingInput:
        rules.refuse_grid_scope(scope, "资源匹配", "matching is")
        return matching.matching_input(self, options, scope)

    # --- writes ----------------------------------------------------------------------------
    async def load(self, data: GraphData, *, replace: bool = False,
                   progress: Callable[[int], None] | None = None) -> LoadReport:
        started = time.perf_counter()
        async with self._lock, _gc_paused_async():
            self._write(data, replace, progress)
        return LoadReport(len(data.nodes), len(data.edges), time.perf_counter() - started)

    async def apply_matches(self, data: GraphData, guards: Sequence[Guard]) -> None:
        await self.apply_change(Change(data=data, guards=tuple(guards)))

    async def apply_change(self, change: Change) -> None:
        """Under the write lock: the guards checked against the in-memory graph (nothing is
        written when one fails), then the deletes, the write :meth:`load` does and the audit
        entries, in one SQLite transaction; memory follows once it has committed."""
        for guard in change.guards:  # refused before anything is looked at, as on Neo4j
            if isinstance(guard, (Expect, Absent)):
                kind(guard.kind)
            elif not isinstance(guard, NoActivePairing):
                raise StoreError(f"unknown guard {guard!r}")
        deletes = [(kind(k).name, i) for k, i in dict.fromkeys(change.deletes)]
        audit_rows = [rules.audit_row(entry) for entry in change.audit]
        async with self._lock, _gc_paused_async():
            failures = self._guard_failures(change.guards)
            if failures:
                raise StaleMatch(failures)
            missing = [(k, i) for k, i in deletes if i not in self.by_kind[k]]
            if missing:
                raise rules.missing_deletes(missing)
            self._write(change.data, False, None, deletes=deletes, audit=audit_rows)

    def _guard_failures(self, guards: Sequence[Guard]) -> list[str]:
        failures: list[str] = []
        for guard in guards:
            if isinstance(guard, Expect):
                failures += expect_failures(guard, self.by_kind[kind(guard.kind).name].get(guard.id))
            elif isinstance(guard, Absent):
                failures += absent_failures(guard, guard.id in self.by_kind[kind(guard.kind).name])
            elif isinstance(guard, NoActivePairing):
                key = ("Household", guard.household_id)
                exists = guard.household_id in self.by_kind["Household"]
                active = [pid for (pk, pid), edges in (self.graph.pred[key].items() if exists else ())
                          if pk == "Pairing" and "FOR_HOUSEHOLD" in edges
                          and self.by_kind["Pairing"][pid].get("status") == "ACTIVE"]
                failures += pairing_failures(guard, exists, active)
            else:
                raise StoreError(f"unknown guard {guard!r}")
        return failures

    def _write(self, data: GraphData, replace: bool, progress: Callable[[int], None] | None,
               deletes: Sequence[NodeKey] = (), audit: Sequence[Mapping[str, Any]] = ()) -> None:
        """The durable write of :meth:`load` (and of :meth:`apply_change`: ``deletes``, existing
        nodes removed with their edges first, and ``audit`` rows appended, in the same
        transaction); the caller holds the write lock."""
        deleted = set(deletes)
        existing = (lambda kind_name, node_id: False) if replace else \
            (lambda kind_name, node_id: node_id in self.by_kind[kind_name] and (kind_name, node_id) not in deleted)
        merged: dict[NodeKey, dict[str, Any]] = {}
        for kind_name in {n[0] for n in data.nodes} | {e[0] for e in data.edges} | {e[3] for e in data.edges}:
            kind(kind_name)  # an unknown kind is refused with a StoreError
        for kind_name, node_id, props in data.nodes:
            key = (kind_name, node_id)
            base = merged.get(key)
            if base is None:
                base = dict(self.by_kind[kind_name][node_id]) if existing(kind_name, node_id) else {}
            base.update(props)  # SET n += props; None removes the property, as in Cypher
            for name in [n for n, v in props.items() if v is None]:
                del base[name]
            merged[key] = base
        for kind_name, _, _, targets in data.cleared_edges:
            kind(kind_name)
            for target in targets:
                kind(target)
        self._check_edges(data, merged, existing)
        unique_rows = self._check_unique(merged, replace, deleted)
        edges = sorted({tuple(e) for e in data.edges})  # key order: much faster B-tree inserts
        removed = [] if replace else [e for e in self._cleared(data.cleared_edges)
                                      if (e[0], e[1]) not in deleted and (e[3], e[4]) not in deleted]
        dropped = sorted({(sk, si, rt, dk, di) for key in deleted
                          for (sk, si), (dk, di), rt in [*self.graph.out_edges(key, keys=True),
                                                         *self.graph.in_edges(key, keys=True)]})
        try:
            with self.file.transaction() as conn:
                conn.executemany("DELETE FROM edges WHERE src_kind = ? AND src_id = ? AND type = ? "
                                 "AND dst_kind = ? AND dst_id = ?", [*removed, *dropped])
                if deleted:
                    conn.executemany("DELETE FROM unique_values WHERE kind = ? AND id = ?", sorted(deleted))
                    conn.executemany("DELETE FROM nodes WHERE kind = ? AND id = ?", sorted(deleted))
                if replace:
                    conn.execute("DELETE FROM unique_values")
                    conn.execute("DELETE FROM edges")
                    conn.execute("DELETE FROM nodes")
                if not replace:
                    conn.executemany("DELETE FROM unique_values WHERE kind = ? AND id = ?",
                                     [key for key in merged if self._constraints_for(key[0])])
                report = progress or (lambda n: None)  # may raise (Ctrl-C, an injected failure): rolls back
                report(len(removed))
                node_rows = ((k, i, encode_props({n: v for n, v in p.items() if n != "id"}))
                             for (k, i), p in merged.items())
                for chunk in _chunks(node_rows, WRITE_CHUNK):
                    conn.executemany("INSERT INTO nodes (kind, id, props) VALUES (?, ?, ?) "
                                     "ON CONFLICT (kind, id) DO UPDATE SET props = excluded.props", chunk)
                    report(len(chunk))
                conn.executemany("INSERT INTO unique_values VALUES (?, ?, ?, ?, ?)", unique_rows)
                for chunk in _chunks(iter(edges), WRITE_CHUNK):
                    conn.executemany("INSERT OR IGNORE INTO edges VALUES (?, ?, ?, ?, ?)", chunk)
                    report(len(chunk))
                _insert_audit(conn, audit)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"a uniqueness or reference constraint refused the data, nothing was written: {exc}") from exc
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            raise StoreError(f"the embedded store refused the data, nothing was written: {exc}") from exc
        try:
            if replace:
                self.graph = nx.MultiDiGraph()
                self.by_kind = {name: {} for name in KIND_BY_NAME}
                self.unique = {c: {} for c in self.constraints}
            for sk, si, rt, dk, di in removed:
                self.graph.remove_edge((sk, si), (dk, di), key=rt)
            for kind_name, node_id in deleted:
                self._unindex(kind_name, node_id, self.by_kind[kind_name].pop(node_id))
                self.graph.remove_node((kind_name, node_id))  # and its edges
            for (kind_name, node_id), props in merged.items():
                self._put_node(kind_name, node_id, props)
            self.graph.add_edges_from(((sk, si), (dk, di), rt) for sk, si, rt, dk, di in edges)
        except Exception:  # the file is the truth: never serve a half-applied graph
            self._rebuild()
            raise

    def _cleared(self, cleared: Sequence[tuple[str, str, str, tuple[str, ...]]]) -> list[tuple[str, str, str, str, str]]:
        """The stored edges that ``cleared_edges`` asks to remove."""
        out = []
        for kind_name, node_id, rel_type, targets in cleared:
            key = (kind_name, node_id)
            if key not in self.graph:
                continue
            for (other_kind, other_id), edges in self.graph.succ[key].items():
                if other_kind in targets and rel_type in edges:
                    out.append((kind_name, node_id, rel_type, other_kind, other_id))
        return sorted(set(out))

    def _check_edges(self, data: GraphData, merged: Mapping[NodeKey, Any], existing: Any) -> None:
        missing: dict[tuple[str, str, str], int] = defaultdict(int)
        for src_kind, src_id, rel_type, dst_kind, dst_id in data.edges:
            for k, i in ((src_kind, src_id), (dst_kind, dst_id)):
                if (k, i) not in merged and not existing(k, i):
                    missing[(src_kind, rel_type, dst_kind)] += 1
                    break
        if missing:
            (src_kind, rel_type, dst_kind), count = next(iter(missing.items()))
            raise StoreError(f"{count} {src_kind}-[:{rel_type}]->{dst_kind} edge(s) reference nodes that "
                             f"do not exist; nothing was written")

    def _check_unique(self, merged: Mapping[NodeKey, dict[str, Any]], replace: bool,
                      deleted: set[NodeKey] = frozenset()) -> list[tuple[str, ...]]:
        rows = []
        claimed: dict[tuple[str, str], dict[Any, NodeKey]] = defaultdict(dict)
        for (kind_name, node_id), props in merged.items():
            for label, prop in self._constraints_for(kind_name):
                value = props.get(prop)
                if value is None:
                    continue
                owner = claimed[(label, prop)].get(value)
                if owner is None and not replace:
                    owner = self.unique[(label, prop)].get(value)
                    if owner is not None and owner in merged and merged[owner].get(prop) != value:
                        owner = None  # that node gives the value up in this same write
                    if owner in deleted and owner not in merged:
                        owner = None  # deleted in this same write
                if owner is not None and owner != (kind_name, node_id):
                    raise StoreError(f"a uniqueness constraint refused the data, nothing was written: "
                                     f"{label}.{prop} = {value!r} already belongs to {owner[0]} {owner[1]}")
                claimed[(label, prop)][value] = (kind_name, node_id)
                rows.append((label, prop, str(value), kind_name, node_id))
        return rows

    async def wipe(self) -> None:
        """Everything goes: the graph, the audit log (its table dropped and made again: the
        append-only triggers refuse a DELETE), API keys and revocations."""
        async with self._lock:
            with self.file.transaction() as conn:
                conn.execute("DELETE FROM unique_values")
                conn.execute("DELETE FROM edges")
                conn.execute("DELETE FROM nodes")
                conn.execute("DELETE FROM api_keys")
                conn.execute("DELETE FROM revoked_tokens")
                conn.execute("DROP TABLE audit_log")
                for statement in AUDIT_SCHEMA:
                    conn.execute(statement)
            self._rebuild()

    # --- audit log and security records ----------------------------------------------------
    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        rows = [rules.audit_row(entry) for entry in entries]
        async with self._lock:
            try:
                with self.file.transaction() as conn:
                    _insert_audit(conn, rows)
            except sqlite3.Error as exc:
                raise StoreError(f"the audit log refused the entries, nothing was written: {exc}") from exc

    async def audit_log(self, query: AuditQuery, scope: Scope, offset: int, limit: int) -> Page:
        rules.check_page(offset, limit)
        if scope.grid_ids is not None:  # a grid scope sees no entries
            return Page(total=0, records=[])
        filters = rules.audit_filters(query)
        parts: list[str] = []
        params: list[Any] = []
        for name, column in (("actor", "actor"), ("operation", "operation"), ("kind", "kind")):
            if filters[name] is not None:
                parts.append(f"{column} = ?")
                params.append(filters[name])
        if filters["recordId"] is not None:
            parts.append("EXISTS (SELECT 1 FROM json_each(audit_log.record_ids) WHERE json_each.value = ?)")
            params.append(filters["recordId"])
        if filters["since"] is not None:
            parts.append("at >= ?")
            params.append(rules.iso(filters["since"]))
        if filters["until"] is not None:
            parts.append("at < ?")
            params.append(rules.iso(filters["until"]))
        for ids, column in ((scope.street_ids, "street_id"), (scope.community_ids, "community_id")):
            if ids is not None:
                parts.append(f"{column} IN (SELECT value FROM json_each(?))")
                params.append(json.dumps(sorted(ids)))
        clause = ("WHERE " + " AND ".join(parts)) if parts else ""
        conn = self.file.conn
        total = conn.execute(f"SELECT count(*) FROM audit_log {clause}", params).fetchone()[0]
        rows = conn.execute(
            f"SELECT id, at, actor, role, operation, kind, record_ids, street_id, community_id, before, after, "
            f"fields FROM audit_log {clause} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
        records = []
        for (id_, at, actor, role, operation, kind_name, record_ids, street_id, community_id,
             before, after, fields) in rows:
            records.append(rules.audit_record(
                {"id": id_, "at": rules.from_iso(at), "actor": actor, "role": role, "operation": operation,
                 "kind": kind_name, "recordIds": json.loads(record_ids), "streetId": street_id,
                 "communityId": community_id, "before": before, "after": after, "fields": json.loads(fields)},
                scope))
        return Page(total=total, records=records)

    async def put_api_key(self, key: Mapping[str, Any]) -> None:
        row = rules.api_key_row(key)
        async with self._lock:
            with self.file.transaction() as conn:
                conn.execute(
                    "INSERT INTO api_keys (id, hash, role, scope_kind, scope_ids, name, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, "
                    "role = excluded.role, scope_kind = excluded.scope_kind, scope_ids = excluded.scope_ids, "
                    "name = excluded.name, created_at = excluded.created_at, expires_at = excluded.expires_at",
                    (row["id"], row["hash"], row["role"], row["scopeKind"], json.dumps(row["scopeIds"]), row["name"],
                     rules.iso(row["createdAt"]), None if row["expiresAt"] is None else rules.iso(row["expiresAt"])))

    async def get_api_key(self, key_id: str) -> Record | None:
        row = self.file.conn.execute(
            "SELECT id, hash, role, scope_kind, scope_ids, name, created_at, expires_at, "
            "revoked_at IS NOT NULL OR EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.id = api_keys.id) "
            "FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        if row is None:
            return None
        id_, hash_, role, scope_kind, scope_ids, name, created_at, expires_at, revoked = row
        return {"id": id_, "hash": hash_, "role": role, "scopeKind": scope_kind, "scopeIds": json.loads(scope_ids),
                "name": name, "createdAt": rules.from_iso(created_at), "expiresAt": rules.from_iso(expires_at),
                "revoked": bool(revoked)}

    async def revoke(self, token_id: str, at: dt.datetime) -> None:
        when = rules.iso(rules.utc(at, "the time of a revocation"))
        async with self._lock:
            with self.file.transaction() as conn:
                conn.execute("INSERT INTO revoked_tokens (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                             (token_id, when))
                conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (when, token_id))

    async def is_revoked(self, token_id: str) -> bool:
        row = self.file.conn.execute("SELECT 1 FROM revoked_tokens WHERE id = ?", (token_id,)).fetchone()
        return row is not None


def _insert_audit(conn: sqlite3.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    conn.executemany(
        "INSERT INTO audit_log (id, at, actor, role, operation, kind, record_ids, street_id, community_id, "
        "before, after, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r["id"], rules.iso(r["at"]), r["actor"], r["role"], r["operation"], r["kind"],
          json.dumps(r["recordIds"], ensure_ascii=False), r["streetId"], r["communityId"], r["before"], r["after"],
          json.dumps(r["fields"], ensure_ascii=False)) for r in rows])


__all__ = ["EmbeddedStore"]
