"""Changing the graph one record at a time: create, update, delete or archive, connect and
disconnect, for every kind of the model.

A change is planned as a one-row import (:mod:`graph_api.ledger.importer`), so a mutation
checks exactly what a ledger import checks, with one rule in one place: value formats,
required fields, references, the grid hierarchy and codes, scope keys, cross-field rules.
Then who may do it (:mod:`graph_api.domain.access`): the role may change the kind, the
record is in the caller's scope before and after, every record it refers to is one the
caller can see. The write is one store transaction (:meth:`GraphStore.apply_change`) guarded
by the record as it was read, and carries its audit entry (before and after), so a failed
mutation changes nothing and a successful one is always in the log.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph_api.domain.access import GRID_LOCATORS, Principal, may_write
from graph_api.domain.model import KIND_BY_NAME, Kind, target_kinds
from graph_api.ledger.cells import CellError, converter
from graph_api.ledger.importer import ImportPlan, ImportProblem, ImportRow, SheetInfo, check_and_compare
from graph_api.ledger.mapping import mapping_for
from graph_api.ledger.readers import Sheet
from graph_api.store.base import (
    EVERYTHING,
    Absent,
    AuditEntry,
    Change,
    Expect,
    GraphStore,
    Record,
    Scope,
    StaleMatch,
    StoreError,
)

#: kinds whose records are archived (a status set) rather than deleted: their history matters
ARCHIVE: dict[str, tuple[str, str]] = {"Pairing": ("status", "ENDED"), "Need": ("status", "CLOSED")}
#: relationships that make a record impossible to delete while they exist (kind -> fields)
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "District": ("streets",), "Street": ("communities", "teams"), "Community": ("areas", "cadres"),
    "Area": ("complexes",), "Complex": ("buildings",), "Building": ("units",), "StairwellUnit": ("households",),
    "Household": ("pairings", "needs"), "Member": ("pairings",), "PartyOrg": ("children", "members"),
}
SCOPE_KEYS = ("streetId", "communityId")
#: a new record's business key: printable, no spaces, at most 128 characters
KEY_TEXT = re.compile(r"[^\s\x00-\x1f\x7f]{1,128}")
#: the relationship that holds a grid's parent (its code extends the parent's)
GRID_PARENT_FIELD = {"Community": "street", "Area": "parent", "Complex": "parent", "Building": "parent",
                     "StairwellUnit": "parent"}


@dataclass(frozen=True)
class FieldProblem:
    """A reason a change was refused, that the caller can fix."""

    field: str  # GraphQL field name ("key" for the business key, "" for the whole record)
    code: str  # FORBIDDEN, NOT_FOUND, DUPLICATE, REQUIRED, INVALID, CONFLICT, HAS_DEPENDENTS, READ_ONLY
    zh: str
    en: str
    value: str | None = None


class ChangeRefused(Exception):
    """Nothing was written; ``problems`` says why, field by field."""

    def __init__(self, problems: Sequence[FieldProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.zh} · {p.en}" for p in self.problems))


@dataclass
class ChangeResult:
    kind: str
    key: str
    record: Record | None  # as the caller may see it (None after a delete)
    audit_id: str | None  # None when nothing changed
    changed: bool


@dataclass
class Request:
    """What a mutation asks: properties (absent: unchanged, None: cleared) and links by field."""

    operation: str  # create, update, delete, archive, connect, disconnect
    kind: str
    key: str
    props: dict[str, Any] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)


def merge_into(record: dict[str, Any], props: Mapping[str, Any]) -> None:
    """``record`` as a write of ``props`` leaves it: ``SET n += props``, where None removes."""
    for name, value in props.items():
        if value is None:
            record.pop(name, None)
        else:
            record[name] = value


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def _plain_props(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {k: _json(v) for k, v in sorted(record.items()) if k not in ("_kind", "id")}


def _code(problem: ImportProblem) -> str:
    zh = problem.reason_zh
    if "必填" in zh or "必须填写" in zh:
        return "REQUIRED"
    if "引用的" in zh or "不存在" in zh:
        return "NOT_FOUND"
    if "重复" in zh or "已被" in zh:
        return "DUPLICATE"
    return "INVALID"


def _value(value: Any) -> str | None:
    return None if value is None else str(_json(value))


class ChangeService:
    """Applies :class:`Request` s for a principal whose reads are limited to ``scope``."""

    def __init__(self, store: GraphStore, principal: Principal, scope: Scope, read_only: bool = False):
        self.store = store
        self.principal = principal
        self.scope = scope
        # the rows the caller may see, without masks: the service reads what it writes in full
        self.rows = Scope(scope.street_ids, scope.community_ids, scope.grid_ids)
        self.read_only = read_only

    async def apply(self, req: Request) -> ChangeResult:
        k = KIND_BY_NAME[req.kind]
        self._authorise(req)
        stored = (await self.store.get_nodes(k.name, [req.key], EVERYTHING)).get(req.key)
        visible = (await self.store.get_nodes(k.name, [req.key], self.rows)).get(req.key) if stored else None
        if req.operation == "create":
            if not KEY_TEXT.fullmatch(req.key):
                raise ChangeRefused([FieldProblem("key", "INVALID", "业务编号应为 1 到 128 个字符，不含空白和控制字符",
                                                  "a business key is 1 to 128 characters, without spaces or control "
                                                  "characters", req.key[:200])])
            if stored is not None:
                raise ChangeRefused([FieldProblem("key", "DUPLICATE", f"编号已被占用：{req.key}",
                                                  f"the business key {req.key!r} is already taken", req.key)])
        elif visible is None:
            raise ChangeRefused([FieldProblem("key", "NOT_FOUND", f"没有编号为 {req.key} 的{k.zh}（或不在您的范围内）",
                                              f"no {k.en} {req.key!r} in your scope", req.key)])
        if req.operation == "delete":
            if not self._in_scope(stored, k, req.key, await self._district_of(k, req)):
                raise ChangeRefused([FieldProblem("", "FORBIDDEN", "该记录不在您的范围内", "the record is outside your scope")])
            return await self._delete(k, req, stored)
        if req.operation == "archive":
            status_field, status = ARCHIVE[k.name]
            req = Request("archive", k.name, req.key, props={status_field: status})
        if req.operation in ("connect", "disconnect"):
            req = await self._link_request(k, req)
        parent = GRID_PARENT_FIELD.get(k.name)
        if parent and stored is not None and "code" in req.props and parent not in req.links:
            # a grid code is checked against the parent's: name the current parent so the rule runs
            found = await self.store.neighbours(k.name, k.rel(parent), [req.key], EVERYTHING)
            req.links[parent] = [r["id"] for r in found.get(req.key, [])]
        return await self._upsert(k, req, stored)

    # --- checks ------------------------------------------------------------------------------
    def _authorise(self, req: Request) -> None:
        if self.read_only:
            raise ChangeRefused([FieldProblem("", "READ_ONLY", "服务处于只读模式（GRAPH_API_READ_ONLY）",
                                              "the service is read-only (GRAPH_API_READ_ONLY)")])
        action = {"create": "create", "delete": "delete"}.get(req.operation, "update")
        if req.operation == "archive" and req.kind not in ARCHIVE:
            raise ChangeRefused([FieldProblem("", "INVALID", f"{KIND_BY_NAME[req.kind].zh}不能归档",
                                              f"a {req.kind} cannot be archived")])
        if not may_write(self.principal.role, action, req.kind):
            role = self.principal.role
            raise ChangeRefused([FieldProblem(
                "", "FORBIDDEN", f"{role.zh if role else ''}无权{ {'create': '新建', 'update': '修改', 'delete': '删除'}[action]}"
                f"{KIND_BY_NAME[req.kind].zh}", f"a {role.en if role else 'caller'} may not {action} a {req.kind}")])

    async def _check_targets(self, k: Kind, links: Mapping[str, list[str]]) -> list[FieldProblem]:
        """Every record a link names must be one the caller can see (else: as if it did not exist)."""
        problems = []
        for name, keys in links.items():
            rel = k.rel(name)
            missing = set(keys)
            for target in target_kinds(rel.target):
                if not missing:
                    break
                missing -= set(await self.store.get_nodes(target, sorted(missing), self.rows))
            target_zh = "网格" if rel.target == "Grid" else KIND_BY_NAME[rel.target].zh
            problems += [FieldProblem(name, "NOT_FOUND", f"引用的{target_zh}不存在（或不在您的范围内）",
                                      f"no {rel.target} {key!r} in your scope", key) for key in sorted(missing)]
        return problems

    def _in_scope(self, props: Mapping[str, Any], k: Kind, key: str, district: str | None = None) -> bool:
        if not k.scoped:
            if self.principal.scope_kind == "district":  # the district itself, and its streets (by ``district``)
                return (key if k.name == "District" else district) in self.principal.scope_ids
            if k.name == "Street" and self.rows.street_ids is not None:
                return key in self.rows.street_ids
            return self.rows.unrestricted
        street, community = props.get("streetId"), props.get("communityId")
        if k.name == "Community":
            community = key
        if self.rows.street_ids is not None and street not in self.rows.street_ids:
            return False
        if self.rows.community_ids is not None and community not in self.rows.community_ids:
            return False
        return True

    async def _district_of(self, k: Kind, req: Request) -> str | None:
        """A street's district after the change (None for other kinds)."""
        if k.name != "Street":
            return None
        if "district" in req.links:
            return next(iter(req.links["district"]), None)
        found = await self.store.neighbours(k.name, k.rel("district"), [req.key], EVERYTHING)
        return next((r["id"] for r in found.get(req.key, [])), None)

    async def _stays_in_grids(self, k: Kind, req: Request) -> bool:
        """Whether a record still lies under the caller's grids after the change: the first hop
        of one of its GRID_LOCATORS paths leads to a record the caller sees."""
        for hops in GRID_LOCATORS.get(k.name, ()):
            if not hops:
                return True
            rel_type, direction = hops[0]
            for rel in k.rels:
                if (rel.type, rel.direction) != (rel_type, direction):
                    continue
                if rel.field in req.links:  # the targets named were checked: the caller sees them
                    if req.links[rel.field]:
                        return True
                elif (await self.store.neighbours(k.name, rel, [req.key], self.rows)).get(req.key):
                    return True
        return False

    # --- the operations ----------------------------------------------------------------------
    async def _link_request(self, k: Kind, req: Request) -> Request:
        (name, targets), = req.links.items()
        rel = k.rel(name)
        current = await self.store.neighbours(k.name, rel, [req.key], EVERYTHING)
        keys = [r["id"] for r in current.get(req.key, [])]
        if req.operation == "connect":
            keys = targets if not rel.many else sorted(set(keys) | set(targets))
        else:
            absent = [t for t in targets if t not in keys]
            if absent:
                raise ChangeRefused([FieldProblem(name, "NOT_FOUND", "两者之间没有这个关系",
                                                  "the records are not linked that way", absent[0])])
            keys = [key for key in keys if key not in targets]
        return Request(req.operation, k.name, req.key, links={name: keys})

    def _plan(self, k: Kind, req: Request) -> ImportPlan:
        """A one-row import of the request; conversion problems are refused here."""
        m = mapping_for(k.name)
        problems: list[FieldProblem] = []
        values: dict[str, Any] = {}
        for name, value in req.props.items():
            prop = k.prop(name)
            if value is None or value == []:
                values[name] = None
                continue
            try:
                values[name] = converter(prop)(value)  # domain enums are str: their value converts
            except CellError as exc:
                problems.append(FieldProblem(name, "INVALID", exc.zh, exc.en, _value(value)))
        if problems:
            raise ChangeRefused(problems)
        columns = ["key", *req.props, *req.links]
        sheet = Sheet(file="GraphQL", name=f"{req.operation}{k.name}", headers=columns, header_row=0, rows=[])
        info = SheetInfo(sheet, m, {c if c != "key" else "id": c for c in columns}, [])
        plan = ImportPlan(sheets=[info])
        plan.rows[k.name] = {req.key: ImportRow(k.name, req.key, values, dict(req.links), 0, 0)}
        return plan

    async def _upsert(self, k: Kind, req: Request, stored: Record | None) -> ChangeResult:
        problems = await self._check_targets(k, req.links)
        if problems:
            raise ChangeRefused(problems)
        plan = self._plan(k, req)
        await check_and_compare(plan, self.store)
        if plan.problems:
            raise ChangeRefused([FieldProblem(p.column or "", _code(p), p.reason_zh, p.reason_en, _value(p.value))
                                 for p in plan.problems])
        data = plan.data
        after = dict(stored or {})
        for _, _, props in data.nodes:
            merge_into(after, props)
        if not self._in_scope(after, k, req.key, await self._district_of(k, req)):
            raise ChangeRefused([FieldProblem(next((n for n in SCOPE_KEYS if n in req.props), ""), "FORBIDDEN",
                                              "修改后的记录不在您的范围内", "the record would leave your scope")])
        community = after.get("communityId") if k.scoped and k.name != "Community" else None
        if community is not None:  # else a scope key checked alone could place the record in another's scope
            owner = (await self.store.get_nodes("Community", [community], EVERYTHING)).get(community)
            if owner is None or owner.get("streetId") != after.get("streetId"):
                raise ChangeRefused([FieldProblem(next((n for n in SCOPE_KEYS if n in req.props), ""), "INVALID",
                                                  "所属街道与所属社区不一致", "the record's street and community disagree",
                                                  _value(after.get("streetId")))])
        first_hops = {hops[0][0] for hops in GRID_LOCATORS.get(k.name, ()) if hops}
        linked = {k.rel(name).type for name, keys in req.links.items() if keys}
        if self.rows.grid_ids is not None and req.operation == "create" and not first_hops & linked:
            raise ChangeRefused([FieldProblem("", "REQUIRED", "网格员新建的记录须关联其网格内的记录",
                                              "a grid worker's new record must name a grid or household of theirs")])
        if self.rows.grid_ids is not None and req.operation != "create" and not await self._stays_in_grids(k, req):
            raise ChangeRefused([FieldProblem(next(iter(req.links), ""), "FORBIDDEN", "修改后的记录不在您的范围内",
                                              "the record would leave your scope")])
        if not data.size:
            return ChangeResult(k.name, req.key, await self._visible(k, req.key), None, False)
        before_links, after_links = await self._links_before_after(k, req)
        entry = self._entry(req.operation, k, req.key, after,
                            None if stored is None else {**_plain_props(stored), **before_links},  # type: ignore[dict-item]
                            {**_plain_props(after), **after_links})  # type: ignore[dict-item]
        guard = Absent(k.name, req.key) if stored is None else Expect(k.name, req.key, _guard_props(k, stored))
        await self._write(Change(data=data, guards=(guard,), audit=(entry,)))
        return ChangeResult(k.name, req.key, await self._visible(k, req.key), entry.id, True)

    async def _links_before_after(self, k: Kind, req: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        before: dict[str, Any] = {}
        for name in req.links:
            found = await self.store.neighbours(k.name, k.rel(name), [req.key], EVERYTHING)
            before[name] = [r["id"] for r in found.get(req.key, [])]
        after = {name: sorted(set(keys)) for name, keys in req.links.items()}
        return before, after

    async def _delete(self, k: Kind, req: Request, stored: Record | None) -> ChangeResult:
        assert stored is not None
        if k.name in ARCHIVE:
            status_field, status = ARCHIVE[k.name]
            raise ChangeRefused([FieldProblem("", "INVALID", f"{k.zh}保留历史，请归档（{status_field} = {status}）",
                                              f"a {k.en} keeps its history: archive it instead")])
        held = []
        for name in DEPENDENTS.get(k.name, ()):
            found = await self.store.neighbours(k.name, k.rel(name), [req.key], EVERYTHING)
            if found.get(req.key):
                held.append((name, len(found[req.key])))
        if held:
            raise ChangeRefused([FieldProblem(name, "HAS_DEPENDENTS", f"仍有 {n} 条{k.rel(name).zh}，不能删除",
                                              f"still has {n} {k.rel(name).en}: cannot be deleted") for name, n in held])
        entry = self._entry("delete", k, req.key, stored, _plain_props(stored), None)
        await self._write(Change(deletes=((k.name, req.key),),
                                 guards=(Expect(k.name, req.key, _guard_props(k, stored)),), audit=(entry,)))
        return ChangeResult(k.name, req.key, None, entry.id, True)

    async def _write(self, change: Change) -> None:
        try:
            await self.store.apply_change(change)
        except StaleMatch as exc:
            raise ChangeRefused([FieldProblem("", "CONFLICT", "记录在读取后已被修改，未写入任何内容，请重试",
                                              "the record changed since it was read; nothing was written, retry",
                                              "; ".join(exc.failures))]) from None

    async def _visible(self, k: Kind, key: str) -> Record | None:
        return (await self.store.get_nodes(k.name, [key], self.scope)).get(key)

    def _entry(self, operation: str, k: Kind, key: str, placed: Mapping[str, Any],
               before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> AuditEntry:
        street, community = placed.get("streetId"), placed.get("communityId")
        if k.name == "Community":
            community = key
        elif k.name == "Street":
            street = key
        return AuditEntry(id=uuid.uuid4().hex, at=dt.datetime.now(dt.UTC), actor=self.principal.subject,
                          role=self.principal.role.value if self.principal.role else "OPERATOR",
                          operation=f"{operation}{k.name}", kind=k.name, record_ids=(key,),
                          street_id=street, community_id=community, before=before, after=after)


async def audit_entries(store: GraphStore, data: Any, principal: Principal, operation: str) -> list[AuditEntry]:
    """Audit entries (before and after) for each node a write of ``data`` merges, for writes made
    outside :class:`ChangeService` (accepting matches); read before the write."""
    by_kind: dict[str, list[str]] = {}
    for kind_name, node_id, _ in data.nodes:
        by_kind.setdefault(kind_name, []).append(node_id)
    stored: dict[tuple[str, str], Record] = {}
    for kind_name, ids in by_kind.items():
        for node_id, rec in (await store.get_nodes(kind_name, ids, EVERYTHING)).items():
            stored[(kind_name, node_id)] = rec
    after: dict[tuple[str, str], dict[str, Any]] = {}
    for kind_name, node_id, props in data.nodes:
        merge_into(after.setdefault((kind_name, node_id), dict(stored.get((kind_name, node_id)) or {})), props)
    now = dt.datetime.now(dt.UTC)
    role = principal.role.value if principal.role else "OPERATOR"
    return [AuditEntry(id=uuid.uuid4().hex, at=now, actor=principal.subject, role=role,
                       operation=f"{operation}:{'update' if key in stored else 'create'}{key[0]}", kind=key[0],
                       record_ids=(key[1],), street_id=props.get("streetId"), community_id=props.get("communityId"),
                       before=_plain_props(stored.get(key)), after=_plain_props(props))
            for key, props in after.items()]


def _guard_props(k: Kind, stored: Record) -> dict[str, Any]:
    """The stored record as a guard: every property, and every one it lacks as missing."""
    props = {p.name: stored.get(p.name) for p in k.all_props if p.name != "id"}
    return props


__all__ = ["ChangeService", "ChangeRefused", "ChangeResult", "FieldProblem", "Request", "ARCHIVE", "StoreError"]
