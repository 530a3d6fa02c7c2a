"""Neo4j backend over the official async driver.

Labels, relationship types and property names come only from the model registry (checked
before they reach the query text); every value travels as a query parameter.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from contextlib import asynccontextmanager
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import neo4j
from neo4j import AsyncGraphDatabase, RoutingControl
from neo4j.exceptions import ConstraintError, Neo4jError, ServiceUnavailable
from neo4j.time import Date as Neo4jDate
from neo4j.time import DateTime as Neo4jDateTime

from graph_api.domain.coverage import CHECK_BY_NAME, CheckError, CheckInput, CheckOutput
from graph_api.domain.matching import MEMBER_ITEMS, Demand, MatchingInput, MatchOptions, Supply
from graph_api.domain.model import KIND_BY_NAME, Kind, Rel, target_kinds
from graph_api.resources import read_text
from graph_api.store import rules
from graph_api.store.neo4j_staged import StagedWrite
from graph_api.store.base import (
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
    EVERYTHING,
    NotReachable,
    Page,
    Record,
    Scope,
    SortKey,
    StaleMatch,
    StoreError,
    absent_failures,
    check_condition,
    check_sort,
    expect_failures,
    kind,
    matching_cutoff,
    pairing_failures,
)

BATCH = 5000
#: a lone UTF-16 surrogate (JSON allows "\ud800") is no Unicode text: the driver cannot send it
BAD_TEXT = "文本中含有无效字符（孤立的代理项）· the text holds an invalid character (a lone surrogate)"
#: labels of the audit log and the security records: not model kinds, kept by load(replace=True)
KEPT_LABELS = ("AuditEntry", "ApiKey", "RevokedToken")


def _q(name: str) -> str:
    """Quote an identifier that the registry vouched for."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise StoreError(f"bad identifier {name!r}")
    return f"`{name}`"


def _native(value: Any) -> Any:
    if isinstance(value, (Neo4jDate, Neo4jDateTime)):
        return value.to_native()
    if isinstance(value, list):
        return [_native(v) for v in value]
    return value


def _record(row: Mapping[str, Any], kind_name: str) -> Record:
    # a stored property is never null: a null comes from a hidden field's projection and is left out
    rec = {k: _native(v) for k, v in row.items() if v is not None}
    rec["_kind"] = kind_name
    return rec


def _labelled_record(row: Mapping[str, Any]) -> Record:
    labels = row.pop("_labels")
    for label in labels:
        if label in KIND_BY_NAME:
            return _record(row, label)
    raise StoreError(f"node with labels {labels} has no known kind")


def scope_clause(k: Kind, var: str, scope: Scope, params: dict[str, Any]) -> list[str]:
    """WHERE parts limiting ``var`` to the scope (the store-side privacy filter)."""
    parts: list[str] = []
    if scope.unrestricted:
        return parts
    if k.scoped:
        if scope.street_ids is not None:
            params["scopeStreets"] = sorted(scope.street_ids)
            parts.append(f"{var}.streetId IN $scopeStreets")
        if scope.community_ids is not None:
            params["scopeCommunities"] = sorted(scope.community_ids)
            parts.append(f"{var}.communityId IN $scopeCommunities")
    elif k.name == "Street" and scope.street_ids is not None:
        params["scopeStreets"] = sorted(scope.street_ids)
        parts.append(f"{var}.id IN $scopeStreets")
    parts += grid_clause(k, var, scope, params)
    return parts


def grid_clause(k: Kind, var: str, scope: Scope, params: dict[str, Any]) -> list[str]:
    """The WHERE part of a grid scope: one of the kind's locator paths reaches a grid that is, or
    is under (``PART_OF``, up to four hops), one of the scope's grids; ``false`` for kinds no grid
    locates."""
    if scope.grid_ids is None:
        return []
    paths = rules.grid_locators(k.name)
    if not paths:
        return ["false"]
    params["scopeGrids"] = sorted(scope.grid_ids)
    tests = []
    for path in paths:
        if not path:
            pattern = f"({var}:Grid)"
        else:
            pattern = f"({var})"
            for i, (rel_type, direction) in enumerate(path):
                node = "(:Grid)" if i == len(path) - 1 else "()"
                arrow = f"-[:{_q(rel_type)}]->" if direction == "out" else f"<-[:{_q(rel_type)}]-"
                pattern += arrow + node
        tests.append(f"EXISTS {{ MATCH {pattern}-[:PART_OF*0..{rules.GRID_DEPTH}]->(scopeGrid:Grid) "
                     f"WHERE scopeGrid.id IN $scopeGrids }}")
    return [tests[0] if len(tests) == 1 else "(" + " OR ".join(tests) + ")"]


def _targets_scope_clause(kinds: Sequence[str], var: str, scope: Scope, params: dict[str, Any]) -> list[str]:
    """The scope of a relationship target that may be one of several kinds (the Grid label)."""
    by_kind = {name: " AND ".join(scope_clause(KIND_BY_NAME[name], var, scope, params)) for name in kinds}
    texts = set(by_kind.values())
    if len(texts) == 1:
        text = texts.pop()
        return [text] if text else []
    return ["(" + " OR ".join(f"({var}:{_q(name)}{' AND ' + text if text else ''})"
                              for name, text in by_kind.items()) + ")"]


def _mask_expr(field: str, mode: str) -> str:
    """Cypher of :func:`graph_api.domain.access.mask_value` (sizes and slices count code points)."""
    if mode == "hide":
        return "null"
    if mode == "phone":
        return (f"CASE WHEN {field} IS NULL THEN null WHEN size({field}) >= 7 "
                f"THEN left({field}, 3) + '****' + right({field}, 4) ELSE '****' END")
    if mode == "name":
        return (f"CASE WHEN {field} IS NULL THEN null ELSE left({field}, 1) + reduce(s = '', i IN "
                f"range(1, CASE WHEN size({field}) > 2 THEN size({field}) - 1 ELSE 1 END) | s + '*') END")
    raise StoreError(f"unknown mask mode {mode!r}")


def projection(var: str, kinds: Sequence[str], scope: Scope, labels: bool = False) -> str:
    """``var {.*}`` with the scope's masks applied (by concrete kind when there are several)."""
    rules_by_prop: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name in kinds:
        for prop, mode in rules.mask_plan(name, scope).items():
            rules_by_prop[prop].append((name, mode))
    entries = [".*"]
    for prop, masks in sorted(rules_by_prop.items()):
        field = f"{var}.{_q(prop)}"
        if len(kinds) == 1:
            expr = _mask_expr(field, masks[0][1])
        else:
            expr = ("CASE " + " ".join(f"WHEN {var}:{_q(name)} THEN {_mask_expr(field, mode)}" for name, mode in masks)
                    + f" ELSE {field} END")
        entries.append(f"{_q(prop)}: {expr}")
    if labels:
        entries.append(f"_labels: labels({var})")
    return f"{var} {{{', '.join(entries)}}}"


def _scope_params(scope: Scope) -> dict[str, list[str] | None]:
    """$streets / $communities of the queries in queries/cypher (null: no restriction)."""
    return {"streets": None if scope.street_ids is None else sorted(scope.street_ids),
            "communities": None if scope.community_ids is None else sorted(scope.community_ids)}


def condition_clause(k: Kind, var: str, cond: Condition, params: dict[str, Any], index: int) -> str:
    check_condition(k, cond)
    prop = k.prop(cond.prop)
    p = f"c{index}"
    field = f"{var}.{_q(cond.prop)}"
    params[p] = cond.value
    op = cond.op
    if op == "eq":
        return f"{field} = ${p}"
    if op == "ne":
        return f"({field} IS NULL OR {field} <> ${p})"
    if op == "in":
        return f"{field} IN ${p}"
    if op == "startsWith":
        return f"{field} STARTS WITH ${p}"
    if op == "contains":
        return f"${p} IN {field}" if prop.many else f"{field} CONTAINS ${p}"
    if op == "containsAny":
        return f"any(v IN coalesce({field}, []) WHERE v IN ${p})"
    if op in ("gt", "gte", "lt", "lte"):
        sym = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        return f"{field} {sym} ${p}"
    if op == "isNull":
        params.pop(p)
        return f"{field} IS NULL" if cond.value else f"{field} IS NOT NULL"
    raise StoreError(f"unknown operator {op!r}")


def where(parts: list[str]) -> str:
    return ("WHERE " + " AND ".join(parts)) if parts else ""


class Neo4jStore(GraphStore):
    name = "neo4j"
    #: rows above which a write is staged rather than held in one transaction
    stage_above = 50_000

    def __init__(self, uri: str, user: str = "neo4j", password: str = "neo4j", database: str = "neo4j"):
        self.uri = uri
        self.database = database
        self.driver = AsyncGraphDatabase.driver(uri, auth=(user, password), max_connection_pool_size=50,
                                                connection_timeout=5, connection_acquisition_timeout=10)

    async def close(self) -> None:
        await self.driver.close()

    async def _read(self, query: str, params: dict[str, Any] | None = None) -> list[neo4j.Record]:
        try:
            result = await self.driver.execute_query(
                query, params or {}, database_=self.database, routing_=RoutingControl.READ)
        except ServiceUnavailable as exc:
            raise NotReachable(f"Neo4j at {self.uri} is not reachable: {exc}") from exc
        except UnicodeEncodeError:
            raise StoreError(BAD_TEXT) from None
        return result.records

    async def ping(self) -> dict[str, Any]:
        # a plain session run: no retries, so an unreachable store is reported at once
        try:
            async with self.driver.session(database=self.database) as session:
                result = await session.run("CALL dbms.components() YIELD versions, edition "
                                           "RETURN versions[0] AS version, edition")
                row = await result.single()
        except (ServiceUnavailable, OSError) as exc:
            raise NotReachable(f"Neo4j at {self.uri} is not reachable: {exc}") from exc
        assert row is not None
        return {"store": "neo4j", "uri": self.uri, "version": row["version"], "edition": row["edition"]}

    async def migrate(self) -> list[str]:
        text = _strip_comments(read_text("schema/constraints.cypher"))
        statements = [s.strip() for s in text.split(";") if s.strip()]
        try:
            async with self.driver.session(database=self.database) as session:
                for statement in statements:
                    await (await session.run(statement)).consume()
        except ServiceUnavailable as exc:
            raise NotReachable(f"Neo4j at {self.uri} is not reachable: {exc}") from exc
        return statements

    # --- reads -----------------------------------------------------------------------------
    async def get_nodes(self, kind_name: str, ids: Sequence[str], scope: Scope) -> dict[str, Record]:
        k = kind(kind_name)
        params: dict[str, Any] = {"ids": list(dict.fromkeys(ids))}  # each id once
        parts = scope_clause(k, "n", scope, params)
        rows = await self._read(
            f"UNWIND $ids AS key MATCH (n:{_q(k.name)} {{id: key}}) {where(parts)} "
            f"RETURN {projection('n', [k.name], scope)} AS n", params)
        return {row["n"]["id"]: _record(row["n"], k.name) for row in rows}

    async def find_nodes(self, kind_name: str, conditions: Sequence[Condition], sort: Sequence[SortKey],
                         offset: int, limit: int, scope: Scope) -> Page:
        k = kind(kind_name)
        rules.refuse_masked_filters(k, scope, conditions, sort)
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        parts = scope_clause(k, "n", scope, params)
        parts += [condition_clause(k, "n", c, params, i) for i, c in enumerate(conditions)]
        order = []
        for key in sort:
            check_sort(k, key)
            order.append(f"n.{_q(key.prop)}{' DESC' if key.descending else ''}")
        if not any(key.prop == "id" for key in sort):
            order.append("n.id")
        match = f"MATCH (n:{_q(k.name)}) {where(parts)}"
        query = (
            f"CALL () {{ {match} RETURN count(n) AS total }} "
            f"CALL () {{ {match} WITH n ORDER BY {', '.join(order)} SKIP $offset LIMIT $limit "
            f"RETURN collect({projection('n', [k.name], scope)}) AS rows }} RETURN total, rows"
        )
        row = (await self._read(query, params))[0]
        return Page(total=row["total"], records=[_record(r, k.name) for r in row["rows"]])

    async def neighbours(self, kind_name: str, rel: Rel, ids: Sequence[str], scope: Scope) -> dict[str, list[Record]]:
        k = kind(kind_name)
        targets = target_kinds(rel.target)
        abstract = len(targets) > 1
        params: dict[str, Any] = {"ids": list(dict.fromkeys(ids))}  # each id once, as the contract says
        parts = _targets_scope_clause(targets, "t", scope, params)
        arrow = f"-[:{_q(rel.type)}]->" if rel.direction == "out" else f"<-[:{_q(rel.type)}]-"
        shown = projection("t", targets, scope, labels=abstract)
        query = (
            f"UNWIND $ids AS key MATCH (s:{_q(k.name)} {{id: key}}){arrow}(t:{_q(rel.target)}) {where(parts)} "
            f"WITH key, t ORDER BY t.id RETURN key, collect({shown}) AS rows"
        )
        out: dict[str, list[Record]] = {}
        for row in await self._read(query, params):
            if abstract:
                out[row["key"]] = [_labelled_record(dict(r)) for r in row["rows"]]
            else:
                out[row["key"]] = [_record(r, rel.target) for r in row["rows"]]
        return out

    async def scan(self, kind_name: str, scope: Scope, batch: int = 5000) -> AsyncIterator[list[Record]]:
        k = kind(kind_name)
        params: dict[str, Any] = {"after": "", "limit": batch}
        parts = ["n.id > $after", *scope_clause(k, "n", scope, params)]
        query = (f"MATCH (n:{_q(k.name)}) {where(parts)} WITH n ORDER BY n.id LIMIT $limit "
                 f"RETURN {projection('n', [k.name], scope)} AS n")
        while True:  # keyset pages on the id index: each page costs the same however deep
            rows = await self._read(query, params)
            if not rows:
                return
            yield [_record(row["n"], k.name) for row in rows]
            if len(rows) < batch:
                return
            params["after"] = rows[-1]["n"]["id"]

    async def count_nodes(self, scope: Scope = EVERYTHING) -> dict[str, int]:
        """One query: a count per kind under the scope (the audit log and security records are not kinds)."""
        params: dict[str, Any] = {}
        parts = []
        for i, name in enumerate(KIND_BY_NAME):
            params[f"k{i}"] = name
            clause = where(scope_clause(KIND_BY_NAME[name], "n", scope, params))
            # counted before the name is added: a constant next to count() would group, and no row is no group
            parts.append(f"MATCH (n:{_q(name)}) {clause} WITH count(n) AS c RETURN $k{i} AS k, c")
        rows = await self._read(f"CALL () {{ {' UNION ALL '.join(parts)} }} RETURN k, c", params)
        return {row["k"]: row["c"] for row in rows}

    async def article_figures(self, district_id: str, scope: Scope) -> Mapping[str, Any]:
        rules.refuse_grid_scope(scope, "文章统计数字", "the article's figures are")
        params = {"district": district_id, **_scope_params(scope)}
        rows = await self._read(read_text("queries/cypher/article_figures.cypher"), params)
        if not rows:
            raise StoreError(f"no district {district_id!r}")
        merged = {**rows[0]["figures"], **rows[0]["cadreFigures"]}
        return {k: _native(v) for k, v in merged.items()}

    async def coverage_check(self, check: CheckInput, scope: Scope) -> CheckOutput:
        rules.refuse_grid_scope(scope, "覆盖检查", "coverage checks are")
        if check.check not in CHECK_BY_NAME:
            raise CheckError(f"没有名为 {check.check!r} 的检查 · no check named {check.check!r}")
        params = {**check.values, "asOf": check.as_of, **_scope_params(scope)}
        rows = await self._read(read_text(f"queries/cypher/coverage/{check.check}.cypher"), params)
        population: dict[str | None, int] = {}
        findings: list[dict[str, Any]] = []
        for row in rows:  # (community, population, findings); a row of findings only has population 0
            if row["population"]:
                population[row["community"]] = population.get(row["community"], 0) + row["population"]
            findings.extend({**f, "facts": {k: _native(v) for k, v in f["facts"].items()}} for f in row["findings"])
        findings.sort(key=lambda f: (f["id"], f["kind"]))
        return CheckOutput(findings, population)

    async def grid_paths(self, grid_ids: Sequence[str], scope: Scope) -> dict[str, list[Record]]:
        rules.refuse_grid_scope(scope, "网格路径", "grid paths are")
        params = {"ids": list(dict.fromkeys(grid_ids)), **_scope_params(scope)}
        rows = await self._read(read_text("queries/cypher/coverage/grid_paths.cypher"), params)
        return {row["id"]: [dict(step) for step in row["path"]] for row in rows}

    async def matching_input(self, options: MatchOptions, scope: Scope) -> MatchingInput:
        rules.refuse_grid_scope(scope, "资源匹配", "matching is")
        params: dict[str, Any] = {"exemptBornOnOrBefore": matching_cutoff(options), **_scope_params(scope)}
        if options.mode == "projects":
            params.update(asOf=options.as_of, memberItems=list(MEMBER_ITEMS), memberCapacity=options.member_capacity)
        else:
            params.update(categories=list(options.categories), maxHouseholds=options.max_households)
        rows = await self._read(read_text(f"queries/cypher/matching/{options.mode}.cypher"), params)
        demands: list[Demand] = []
        supplies: list[Supply] = []
        for row in rows:
            kind_name, r, path = row["kind"], row["row"], tuple(row["path"])
            common = dict(kind=kind_name, id=row["id"], label=r["label"], community_id=r["communityId"],
                          street_id=r["streetId"], path=path)
            if kind_name == "Need":
                demands.append(Demand(**common, category=r["category"], item=r["item"], quantity=r["quantity"],
                                      urgency=r["urgency"], opened=_native(r["opened"])))
            elif kind_name == "Household":
                demands.append(Demand(**common, care=tuple(r["care"] or ())))
            else:
                offered = r["offeredBy"]
                supplies.append(Supply(**common, capacity=r["capacity"], category=r.get("category"),
                                       items=tuple(r["items"]), offered_by=None if offered is None else tuple(offered),
                                       serves_communities=tuple(sorted(set(r["serves"]))),
                                       households=r.get("households") or 0))
        demands.sort(key=lambda d: (d.id, d.kind))
        supplies.sort(key=lambda s: (s.id, s.kind))
        return MatchingInput(as_of=options.as_of, demands=demands, supplies=supplies)  # type: ignore[arg-type]

    # --- writes ----------------------------------------------------------------------------
    async def load(self, data: GraphData, *, replace: bool = False,
                   progress: Callable[[int], None] | None = None) -> LoadReport:
        """All or nothing. Up to :attr:`stage_above` rows: one transaction of ``UNWIND`` batches.
        Larger writes are staged in small transactions and published in one (see
        :mod:`graph_api.store.neo4j_staged`), so the server's heap need not hold them all."""
        started = time.perf_counter()
        report = progress or (lambda n: None)
        if not replace and data.size > self.stage_above:
            async with self._write_errors():
                await StagedWrite(self.driver, self.database, _q, report).run(data)
            return LoadReport(len(data.nodes), len(data.edges), time.perf_counter() - started)
        async with self._write_errors(), self.driver.session(database=self.database) as session:
            tx = await session.begin_transaction()
            try:
                if replace:  # the audit log, API keys and revocations stay
                    kept = " OR ".join(f"n:{_q(label)}" for label in KEPT_LABELS)
                    await (await tx.run(f"MATCH (n) WHERE NOT ({kept}) DETACH DELETE n")).consume()
                await _write_in_tx(tx, data, report)
                await tx.commit()
            except BaseException:
                await tx.close()  # rolls back: all or nothing
                raise
        return LoadReport(len(data.nodes), len(data.edges), time.perf_counter() - started)

    async def apply_matches(self, data: GraphData, guards: Sequence[Guard]) -> None:
        await self.apply_change(Change(data=data, guards=tuple(guards)))

    async def apply_change(self, change: Change) -> None:
        """One write transaction (retried by the driver on a deadlock): lock the guarded nodes (and
        the pairings of guarded households), read them, raise StaleMatch if a guard fails; else
        delete ``change.deletes`` with their relationships, write ``change.data`` as :meth:`load`
        does and append ``change.audit``."""
        guards = list(change.guards)
        for guard in guards:  # refused before a transaction is opened
            if isinstance(guard, (Expect, Absent)):
                kind(guard.kind)
            elif not isinstance(guard, NoActivePairing):
                raise StoreError(f"unknown guard {guard!r}")
        deletes: dict[str, list[str]] = defaultdict(list)
        for kind_name, node_id in dict.fromkeys(change.deletes):
            deletes[kind(kind_name).name].append(node_id)
        audit_rows = [rules.audit_row(entry) for entry in change.audit]
        created = {(n[0], n[1]) for n in change.data.nodes}

        async def work(tx: neo4j.AsyncManagedTransaction) -> None:
            failures = await _check_guards(tx, guards, created)
            if failures:
                raise StaleMatch(failures)
            await _delete_in_tx(tx, deletes, change.deletes)
            await _write_in_tx(tx, change.data, lambda n: None)
            await _append_audit_in_tx(tx, audit_rows)

        async with self._write_errors(), self.driver.session(database=self.database) as session:
            await session.execute_write(work)

    @asynccontextmanager
    async def _write_errors(self) -> AsyncIterator[None]:
        """Neo4j's refusals as errors a user can act on (the write has been rolled back)."""
        try:
            yield
        except ConstraintError as exc:
            raise StoreError(f"a uniqueness constraint refused the data, nothing was written: {exc.message}") from exc
        except ServiceUnavailable as exc:
            raise NotReachable(f"Neo4j at {self.uri} is not reachable: {exc}") from exc
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused the data, nothing was written: {exc.message}") from exc
        except UnicodeEncodeError:
            raise StoreError(BAD_TEXT + ", nothing was written") from None

    async def wipe(self) -> None:
        async with self.driver.session(database=self.database) as session:
            await (await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")).consume()

    # --- audit log and security records ----------------------------------------------------------
    async def _write_tx(self, work: Callable[[Any], Any]) -> Any:
        async with self._write_errors(), self.driver.session(database=self.database) as session:
            return await session.execute_write(work)

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        rows = [rules.audit_row(entry) for entry in entries]
        if rows:
            await self._write_tx(lambda tx: _append_audit_in_tx(tx, rows))

    async def audit_log(self, query: AuditQuery, scope: Scope, offset: int, limit: int) -> Page:
        rules.check_page(offset, limit)
        if scope.grid_ids is not None:  # a grid scope sees no entries
            return Page(total=0, records=[])
        params: dict[str, Any] = {**rules.audit_filters(query), "offset": offset, "limit": limit,
                                  "streets": None if scope.street_ids is None else sorted(scope.street_ids),
                                  "communities": None if scope.community_ids is None else sorted(scope.community_ids)}
        parts = [f"a.{name} = ${name}" for name in ("actor", "operation", "kind") if params[name] is not None]
        if params["recordId"] is not None:
            parts.append("$recordId IN a.recordIds")
        if params["since"] is not None:
            parts.append("a.at >= $since")
        if params["until"] is not None:
            parts.append("a.at < $until")
        if scope.street_ids is not None:
            parts.append("a.streetId IN $streets")
        if scope.community_ids is not None:
            parts.append("a.communityId IN $communities")
        match = f"MATCH (a:AuditEntry) {where(parts)}"
        rows = await self._read(
            f"CALL () {{ {match} RETURN count(a) AS total }} "
            f"CALL () {{ {match} WITH a ORDER BY a.at DESC, a.id DESC SKIP $offset LIMIT $limit "
            f"RETURN collect(a {{.*}}) AS rows }} RETURN total, rows", params)
        row = rows[0]
        return Page(total=row["total"], records=[rules.audit_record({k: _native(v) for k, v in r.items()}, scope)
                                                 for r in row["rows"]])

    async def put_api_key(self, key: Mapping[str, Any]) -> None:
        row = rules.api_key_row(key)
        props = {name: value for name, value in row.items() if name != "id"}

        async def work(tx: Any) -> None:
            await (await tx.run("MERGE (k:ApiKey {id: $id}) SET k += $props", id=row["id"], props=props)).consume()

        await self._write_tx(work)

    async def get_api_key(self, key_id: str) -> Record | None:
        rows = await self._read(
            "MATCH (k:ApiKey {id: $id}) RETURN k {.*} AS k, "
            "coalesce(k.revoked, false) OR EXISTS { MATCH (r:RevokedToken {id: $id}) } AS revoked", {"id": key_id})
        if not rows:
            return None
        stored = {name: _native(value) for name, value in rows[0]["k"].items()}
        out: Record = {name: stored.get(name) for name in rules.API_KEY_FIELDS}
        out["scopeIds"] = list(out["scopeIds"] or [])
        for name in ("createdAt", "expiresAt"):
            if out[name] is not None:
                out[name] = rules.utc(out[name], name)
        out["revoked"] = bool(rows[0]["revoked"])
        return out

    async def revoke(self, token_id: str, at: dt.datetime) -> None:
        when = rules.utc(at, "the time of a revocation")

        async def work(tx: Any) -> None:
            await (await tx.run(
                "MERGE (r:RevokedToken {id: $id}) ON CREATE SET r.at = $at "
                "WITH r OPTIONAL MATCH (k:ApiKey {id: $id}) "
                "FOREACH (_ IN CASE WHEN k IS NULL THEN [] ELSE [1] END | SET k.revoked = true)",
                id=token_id, at=when)).consume()

        await self._write_tx(work)

    async def is_revoked(self, token_id: str) -> bool:
        rows = await self._read("RETURN EXISTS { MATCH (r:RevokedToken {id: $id}) } AS revoked", {"id": token_id})
        return bool(rows[0]["revoked"])


#: touching a property takes the node's write lock until the transaction ends (Neo4j has no
#: explicit lock without APOC); the property is removed again in the same statement
_LOCK = "SET n.`_matchGuard` = true REMOVE n.`_matchGuard`"


async def _check_guards(tx: Any, guards: Sequence[Guard], created: set[tuple[str, str]] = frozenset()) -> list[str]:
    """Lock the guarded nodes (kind by kind, in id order), then read them: what no longer holds,
    in the order of the guards. An :class:`Absent` guard merges its node (the uniqueness
    constraint's lock keeps a concurrent create out until this transaction ends): it held when the
    merge created the node, which is removed again unless ``created`` (the write) holds it."""
    ids_by_kind: dict[str, list[str]] = defaultdict(list)
    absent_by_kind: dict[str, list[str]] = defaultdict(list)
    household_ids: list[str] = []
    for guard in guards:
        if isinstance(guard, Expect):
            ids_by_kind[kind(guard.kind).name].append(guard.id)
        elif isinstance(guard, Absent):
            absent_by_kind[kind(guard.kind).name].append(guard.id)
        elif isinstance(guard, NoActivePairing):
            household_ids.append(guard.household_id)
        else:
            raise StoreError(f"unknown guard {guard!r}")
    ids_by_kind = {k: sorted(set(ids)) for k, ids in sorted(ids_by_kind.items())}
    absent_by_kind = {k: sorted(set(ids)) for k, ids in sorted(absent_by_kind.items())}
    household_ids = sorted(set(household_ids))
    for kind_name, ids in ids_by_kind.items():
        await (await tx.run(f"UNWIND $ids AS key MATCH (n:{_q(kind_name)} {{id: key}}) {_LOCK}", ids=ids)).consume()
    if household_ids:
        await (await tx.run(f"UNWIND $ids AS key MATCH (n:Household {{id: key}}) {_LOCK}", ids=household_ids)).consume()
        await (await tx.run(f"UNWIND $ids AS key MATCH (n:Pairing)-[:FOR_HOUSEHOLD]->(:Household {{id: key}}) "
                            f"WITH DISTINCT n ORDER BY n.id {_LOCK}", ids=household_ids)).consume()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for kind_name, ids in ids_by_kind.items():
        result = await tx.run(f"UNWIND $ids AS key MATCH (n:{_q(kind_name)} {{id: key}}) RETURN key, n {{.*}} AS n",
                              ids=ids)
        found.update({(kind_name, row["key"]): {k: _native(v) for k, v in row["n"].items()} async for row in result})
    active: dict[str, list[str]] = {}
    if household_ids:
        result = await tx.run(
            "UNWIND $ids AS key MATCH (h:Household {id: key}) "
            "RETURN key, COLLECT { MATCH (p:Pairing)-[:FOR_HOUSEHOLD]->(h) WHERE p.status = 'ACTIVE' "
            "RETURN p.id } AS active", ids=household_ids)
        active = {row["key"]: row["active"] async for row in result}
    taken: set[tuple[str, str]] = set()
    for kind_name, ids in absent_by_kind.items():
        result = await tx.run(
            f"UNWIND $ids AS key MERGE (n:{_q(kind_name)} {{id: key}}) ON CREATE SET n.`_absentGuard` = true "
            f"WITH key, n, n.`_absentGuard` IS NULL AS existed REMOVE n.`_absentGuard` RETURN key, existed", ids=ids)
        placeholders = []
        async for row in result:
            if row["existed"]:
                taken.add((kind_name, row["key"]))
            elif (kind_name, row["key"]) not in created:
                placeholders.append(row["key"])
        if placeholders:
            await (await tx.run(f"UNWIND $ids AS key MATCH (n:{_q(kind_name)} {{id: key}}) DELETE n",
                                ids=placeholders)).consume()
    failures: list[str] = []
    for guard in guards:
        if isinstance(guard, Expect):
            failures += expect_failures(guard, found.get((kind(guard.kind).name, guard.id)))
        elif isinstance(guard, Absent):
            failures += absent_failures(guard, (kind(guard.kind).name, guard.id) in taken)
        else:
            failures += pairing_failures(guard, guard.household_id in active, active.get(guard.household_id, []))
    return failures


async def _delete_in_tx(tx: Any, deletes: Mapping[str, list[str]], asked: Sequence[tuple[str, str]]) -> None:
    """Delete the nodes with all their relationships; a StoreError naming those that do not exist."""
    present: set[tuple[str, str]] = set()
    for kind_name, ids in deletes.items():
        result = await tx.run(f"UNWIND $ids AS key MATCH (n:{_q(kind_name)} {{id: key}}) RETURN key", ids=ids)
        present.update({(kind_name, row["key"]) async for row in result})
    missing = [(k, i) for k, i in dict.fromkeys(asked) if (kind(k).name, i) not in present]
    if missing:
        raise rules.missing_deletes(missing)
    for kind_name, ids in deletes.items():
        for i in range(0, len(ids), BATCH):
            await (await tx.run(f"UNWIND $ids AS key MATCH (n:{_q(kind_name)} {{id: key}}) DETACH DELETE n",
                                ids=ids[i:i + BATCH])).consume()


async def _append_audit_in_tx(tx: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Audit entries as AuditEntry nodes (null values are simply not stored)."""
    for i in range(0, len(rows), BATCH):
        await (await tx.run("UNWIND $rows AS row CREATE (a:AuditEntry) SET a = row",
                            rows=list(rows[i:i + BATCH]))).consume()


async def _write_in_tx(tx: Any, data: GraphData, report: Callable[[int], None]) -> None:
    """The small-write path of :meth:`Neo4jStore.load` inside an open transaction: clear the
    listed relationship fields, merge the nodes (``SET n += props``), merge the edges, in ``UNWIND``
    batches; a StoreError when an edge references a node that does not exist."""
    nodes_by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind_name, node_id, props in data.nodes:
        nodes_by_kind[kind_name].append({"id": node_id, "props": props})
    edges_by_shape: dict[tuple[str, str, str], list[list[str]]] = defaultdict(list)
    for src_kind, src_id, rel_type, dst_kind, dst_id in data.edges:
        edges_by_shape[(src_kind, rel_type, dst_kind)].append([src_id, dst_id])
    cleared_by_shape: dict[tuple[str, str, tuple[str, ...]], list[str]] = defaultdict(list)
    for kind_name, node_id, rel_type, targets in data.cleared_edges:
        cleared_by_shape[(kind_name, rel_type, tuple(targets))].append(node_id)
    for (kind_name, rel_type, targets), ids in cleared_by_shape.items():
        kind(kind_name)
        target_test = " OR ".join(f"b:{_q(t)}" for t in targets)
        query = (f"UNWIND $ids AS key MATCH (a:{_q(kind_name)} {{id: key}})-[r:{_q(rel_type)}]->(b) "
                 f"WHERE {target_test} DELETE r")
        for i in range(0, len(ids), BATCH):
            await (await tx.run(query, ids=ids[i:i + BATCH])).consume()
            report(len(ids[i:i + BATCH]))
    for kind_name, rows in nodes_by_kind.items():
        k = kind(kind_name)
        extra = "".join(f" SET n:{_q(label)}" for label in k.extra_labels)
        query = (f"UNWIND $rows AS row MERGE (n:{_q(k.name)} {{id: row.id}}) "
                 f"SET n += row.props{extra}")
        for i in range(0, len(rows), BATCH):
            await (await tx.run(query, rows=rows[i:i + BATCH])).consume()
            report(len(rows[i:i + BATCH]))
    for (src_kind, rel_type, dst_kind), rows in edges_by_shape.items():
        kind(src_kind)
        kind(dst_kind)
        query = (f"UNWIND $rows AS row MATCH (a:{_q(src_kind)} {{id: row[0]}}) "
                 f"MATCH (b:{_q(dst_kind)} {{id: row[1]}}) MERGE (a)-[:{_q(rel_type)}]->(b) "
                 f"RETURN count(*) AS n")
        for i in range(0, len(rows), BATCH):
            chunk = rows[i:i + BATCH]
            result = await tx.run(query, rows=chunk)
            found = (await result.single())["n"]  # type: ignore[index]
            if found != len(chunk):
                raise StoreError(
                    f"{len(chunk) - found} {src_kind}-[:{rel_type}]->{dst_kind} edge(s) "
                    f"reference nodes that do not exist; nothing was written")
            report(len(chunk))


def _strip_comments(statement: str) -> str:
    lines = [line for line in statement.splitlines() if not line.strip().startswith("//")]
    return "\n".join(lines).strip()
