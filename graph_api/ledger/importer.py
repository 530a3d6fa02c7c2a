"""Importing staff ledgers: every sheet read, every rule checked, then one all-or-nothing write.

The work is a plan, then a write:

1. **read** each file into sheets and recognise each sheet's kind from its name or headers;
2. **parse** every row through the kind's column mapping (cells in the forms staff type);
3. **check** what needs the whole import and the store: duplicates, references, grid
   hierarchy and code rules, unique grid codes, scope keys, cross-field rules;
4. **compare** with what the store holds, so each record is created, updated or unchanged,
   and only the first two are written (re-importing a file writes nothing);
5. **write** the changes in one ``GraphStore.load`` call: one transaction on either backend.

Any problem stops the import before step 5, listed with file, sheet, row, column, value and
the reason in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_api.domain.model import GRID_CODE_SUFFIX, GRID_KINDS, KIND_BY_NAME, target_kinds
from graph_api.ledger.cells import CellError, converter, id_number_problem, is_blank, parse_text, split_keys
from graph_api.ledger.mapping import Column, Mapping, dependency_order, mapping_for, normalise_header
from graph_api.memory import gc_paused
from graph_api.ledger.readers import Sheet, UnreadableFile, read_file, recognise
from graph_api.store.base import EVERYTHING, Condition, GraphData, GraphStore, Record

MAX_PROBLEMS = 10_000  # kept in full; beyond that only counted (a wrong file can fail every row)
LOOKUP_BATCH = 5000
CODE_BATCH = 50_000  # grid codes per uniqueness query (an IN list: one index lookup each on Neo4j)
#: digits a community's code adds to its street's code
CODE_SUFFIX = {**GRID_CODE_SUFFIX, "Community": 3}
GRID_LEVEL = {"Community": "COMMUNITY", "Area": "AREA", "Complex": "COMPLEX", "Building": "BUILDING",
              "StairwellUnit": "UNIT"}
#: the relationship a new record of these kinds cannot do without (the grid hierarchy)
REQUIRED_PARENT = {"Community": "street", "Area": "parent", "Complex": "parent", "Building": "parent",
                   "StairwellUnit": "parent", "Household": "unit"}
#: integer properties that may be negative (a basement floor)
SIGNED_INTS = {("Household", "floor")}

Progress = Callable[[str, int, int], None]  # (stage, done so far, total)
SINGLE_KEY = re.compile(r"[^\s;；、,，|]+")
#: relationship fields by kind and name (Kind.rel scans a tuple: too slow per cell)
RELS = {k.name: {r.field: r for r in k.rels} for k in KIND_BY_NAME.values()}


@dataclass(frozen=True)
class ImportProblem:
    file: str
    sheet: str
    row: int | None  # None: the whole sheet or file
    column: str
    value: Any
    reason_zh: str
    reason_en: str

    def __str__(self) -> str:
        where = " · ".join(x for x in (self.file, self.sheet, f"第{self.row}行 row {self.row}" if self.row else "",
                                       self.column) if x)
        shown = self.value.isoformat() if isinstance(self.value, dt.date) else self.value
        value = "" if shown is None else f" = {shown!r}"
        return f"{where}{value}: {self.reason_zh} / {self.reason_en}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "value": None if self.value is None else
                (self.value.isoformat() if isinstance(self.value, dt.date) else str(self.value)),
                "reason_zh": self.reason_zh, "reason_en": self.reason_en}


class ImportRefused(ValueError):
    """The import found problems; nothing was written."""

    def __init__(self, problems: list[ImportProblem], more: int = 0):
        self.problems = problems
        self.more = more
        total = len(problems) + more
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        rest = f"\n  ... and {total - 50} more" if total > 50 else ""
        super().__init__(f"导入被拒绝，未写入任何数据 / import refused, nothing was written: "
                         f"{total} problem(s)\n{shown}{rest}")


@dataclass(slots=True)
class ImportRow:
    kind: str
    id: str
    props: dict[str, Any]  # the property columns the sheet has (None: the cell is empty)
    rels: dict[str, list[str]]  # the relationship columns the sheet has: business keys referred to
    sheet: int  # index into ImportPlan.sheets
    row: int


@dataclass
class SheetInfo:
    sheet: Sheet
    mapping: Mapping
    headers: dict[str, str]  # column name -> the header as this sheet spells it
    ignored: list[str]


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportPlan:
    sheets: list[SheetInfo] = field(default_factory=list)
    skipped_sheets: list[tuple[str, str]] = field(default_factory=list)  # (file, sheet) not recognised
    rows: dict[str, dict[str, ImportRow]] = field(default_factory=dict)  # kind -> id -> row
    problems: list[ImportProblem] = field(default_factory=list)
    more_problems: int = 0
    counts: dict[str, KindCounts] = field(default_factory=dict)
    data: GraphData = field(default_factory=GraphData)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return sum(len(info.sheet.rows) for info in self.sheets)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())

    def totals(self) -> KindCounts:
        out = KindCounts()
        for c in self.counts.values():
            out.created += c.created
            out.updated += c.updated
            out.unchanged += c.unchanged
        return out

    # --- problems ----------------------------------------------------------------------------
    def problem(self, sheet: int | None, row: int | None, column: str, value: Any, zh: str, en: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.more_problems += 1
            return
        if sheet is None:
            self.problems.append(ImportProblem("", "", row, column, value, zh, en))
            return
        info = self.sheets[sheet]
        header = info.headers.get(column, column)
        self.problems.append(ImportProblem(info.sheet.file, info.sheet.name, row, header, value, zh, en))

    def row_problem(self, r: ImportRow, column: str, value: Any, zh: str, en: str) -> None:
        self.problem(r.sheet, r.row, column, value, zh, en)

    def refuse_if_problems(self) -> None:
        if self.problems:
            # in the order staff read them: by file, sheet (dependency order), row
            order = {(i.sheet.file, i.sheet.name): n for n, i in enumerate(self.sheets)}
            self.problems.sort(key=lambda p: (order.get((p.file, p.sheet), -1), p.row or 0))
            raise ImportRefused(self.problems, self.more_problems)


# --- 1. reading and recognising ------------------------------------------------------------
def read_sources(paths: Sequence[str | Path], plan: ImportPlan, kind: str | None = None,
                 sheet_name: str | None = None) -> None:
    for path in paths:
        try:
            sheets = read_file(path)
        except UnreadableFile as exc:
            plan.problems.append(ImportProblem(Path(path).name, "", None, "", None, "文件无法读取", str(exc)))
            continue
        if sheet_name is not None:
            chosen = [s for s in sheets if s.name == sheet_name]
            if not chosen:
                plan.problems.append(ImportProblem(
                    Path(path).name, sheet_name, None, "", None, "工作簿中没有这个工作表",
                    f"no sheet named {sheet_name!r} (sheets: {', '.join(s.name for s in sheets)})"))
            sheets = chosen
        for sheet in sheets:
            mapping = recognise(sheet, kind)
            if mapping is None:
                plan.skipped_sheets.append((sheet.file, sheet.name))
                continue
            plan.sheets.append(_sheet_info(sheet, mapping, plan))
    # dependency order: referenced kinds first, so rows are parsed and reported in that order
    order = {name: i for i, name in enumerate(dependency_order())}
    plan.sheets.sort(key=lambda info: order[info.mapping.kind.name])


def _sheet_info(sheet: Sheet, mapping: Mapping, plan: ImportPlan) -> SheetInfo:
    headers: dict[str, str] = {}
    ignored = []
    for h in sheet.headers:
        column = mapping.by_header.get(normalise_header(h))
        if column is None:
            ignored.append(h)
        elif column.name in headers:
            plan.problems.append(ImportProblem(sheet.file, sheet.name, sheet.header_row or None, h, None,
                                               f"与“{headers[column.name]}”是同一字段，列重复",
                                               f"the same field as column {headers[column.name]!r}: duplicate column"))
        else:
            headers[column.name] = h
    return SheetInfo(sheet, mapping, headers, ignored)


# --- 2. parsing rows ---------------------------------------------------------------------------
def parse_rows(plan: ImportPlan, progress: Progress | None = None) -> None:
    total = plan.row_count
    done = 0
    for index, info in enumerate(plan.sheets):
        done = _parse_sheet(plan, index, info, progress, done, total)


def _parse_sheet(plan: ImportPlan, index: int, info: SheetInfo, progress: Progress | None,
                 done: int, total: int) -> int:
    m = info.mapping
    kind = m.kind.name
    position = {normalise_header(h): i for i, h in enumerate(info.sheet.headers)}

    def at(column: Column) -> int | None:
        spelled = info.headers.get(column.name)
        return None if spelled is None else position[normalise_header(spelled)]

    key_at = at(m.key)
    props = [(at(c), c.name, converter(c.prop)) for c in m.columns if c.prop is not None and at(c) is not None]
    rels = [(at(c), c.name, c.rel.many) for c in m.columns if c.rel is not None and at(c) is not None]
    defaults = {name: converter(m.kind.prop(name))(value) for name, value in m.defaults.items()}
    unit_at = None
    if m.unit_by_building and "unit" not in info.headers:
        b = next((position[normalise_header(h)] for h in m.unit_by_building[0] if normalise_header(h) in position), None)
        n = next((position[normalise_header(h)] for h in m.unit_by_building[1] if normalise_header(h) in position), None)
        if b is not None and n is not None:
            unit_at = (b, n)
            info.headers["unit"] = f"{info.sheet.headers[b]}+{info.sheet.headers[n]}"
    if key_at is None and m.id_from is None:
        plan.problem(index, info.sheet.header_row or None, m.key.name, None, f"缺少编号列（{m.key.header}）",
                     f"no business key column ({m.key.header})")
        return done + len(info.sheet.rows)
    if m.id_from and key_at is None:
        info.headers.setdefault("id", m.id_from)
    rows = plan.rows.setdefault(kind, {})
    step = max(1000, total // 200)
    for number, cells in info.sheet.rows:
        done += 1
        if progress is not None and done % step == 0:
            progress("parse", done, total)
        values: dict[str, Any] = {}
        for i, name, convert in props:
            value = cells[i]
            if value is None or (value.__class__ is str and (not value or value.isspace())):
                values[name] = None
                continue
            try:
                values[name] = convert(value)
            except CellError as exc:
                plan.problem(index, number, name, value, exc.zh, exc.en)
        for name, value in defaults.items():
            if values.get(name) is None:
                values[name] = value
        links: dict[str, list[str]] = {}
        for i, name, many in rels:
            value = cells[i]
            if value.__class__ is str and SINGLE_KEY.fullmatch(value):
                links[name] = [value]  # the common case: one key, nothing to split or strip
                continue
            try:
                keys = [] if is_blank(value) else split_keys(value)
            except CellError as exc:
                plan.problem(index, number, name, value, exc.zh, exc.en)
                continue
            if len(keys) > 1 and not many:
                plan.problem(index, number, name, value, "此列只能填一个编号", "this column takes one business key")
                continue
            links[name] = keys
        if unit_at is not None:
            unit = _unit_from_building(cells[unit_at[0]], cells[unit_at[1]])
            if unit is None:
                plan.problem(index, number, "unit", f"{cells[unit_at[0]]} / {cells[unit_at[1]]}",
                             "楼栋和单元号无法确定所在单元", "building and unit number do not name a unit")
            else:
                links["unit"] = [unit]
        record_id = _record_id(m, None if key_at is None else cells[key_at], values, links)
        if record_id is None:
            plan.problem(index, number, "id", None if key_at is None else cells[key_at],
                         "缺少编号" if m.id_from is None else f"缺少编号，也无法由 {m.id_from} 得出",
                         "missing business key" if m.id_from is None else f"missing business key, nor can it come from {m.id_from}")
            continue
        if record_id in rows:
            earlier = rows[record_id]
            where = plan.sheets[earlier.sheet]
            plan.problem(index, number, "id", record_id,
                         f"编号重复：与 {where.sheet.name} 第{earlier.row}行 相同",
                         f"duplicate business key: also on row {earlier.row} of {where.sheet.name}")
            continue
        rows[record_id] = ImportRow(kind, record_id, values, links, index, number)
    return done


def _unit_from_building(building: Any, number: Any) -> str | None:
    if is_blank(building) or is_blank(number):
        return None
    try:
        b = parse_text(building)
        n = parse_text(number).removesuffix("单元").strip()
    except CellError:
        return None
    if n.isdigit() and len(n) <= 2:
        return f"{b}{int(n):02d}"
    return n if n.startswith(b) else None  # the cell already holds the unit's id


def _record_id(m: Mapping, key_cell: Any, values: dict[str, Any], links: dict[str, list[str]]) -> str | None:
    if not is_blank(key_cell):
        try:
            return parse_text(key_cell)
        except CellError:
            return None
    if m.id_from is None:
        return None
    fields: dict[str, Any] = {}
    for name in _template_fields(m.id_from):
        value = values.get(name)
        if value is None and links.get(name):
            value = links[name][0]
        if value is None:
            return None
        fields[name] = value
    return m.id_from.format(**fields)


def _template_fields(template: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


# --- 3 and 4. checking against the whole import and the store, then comparing -----------------
class _Resolver:
    """Where each referenced business key lives: in this import or in the store, and its kind."""

    def __init__(self, plan: ImportPlan, store: GraphStore, counts: dict[str, int]):
        self.plan = plan
        self.store = store
        self.counts = counts
        self.stored: dict[str, dict[str, Record]] = defaultdict(dict)  # kind -> id -> record

    async def fetch(self, kind: str, ids: set[str] | list[str]) -> None:
        """Read these records from the store (each once; an empty kind costs nothing)."""
        if not self.counts.get(kind):
            return
        have = self.stored[kind]
        wanted = [i for i in ids if i not in have]
        for start in range(0, len(wanted), LOOKUP_BATCH):
            have.update(await self.store.get_nodes(kind, wanted[start:start + LOOKUP_BATCH], EVERYTHING))

    def kind_of(self, target: str, key: str) -> str | None:
        if target in KIND_BY_NAME:  # a concrete kind: one lookup in the import, one in the store
            return target if key in self.plan.rows.get(target, ()) or key in self.stored.get(target, ()) else None
        for k in target_kinds(target):
            if key in self.plan.rows.get(k, ()) or key in self.stored.get(k, ()):
                return k
        return None


async def check_and_compare(plan: ImportPlan, store: GraphStore, progress: Progress | None = None) -> None:
    counts = await store.count_nodes()
    resolver = _Resolver(plan, store, counts)
    # the records themselves, then every record a relationship column refers to
    for kind, rows in plan.rows.items():
        await resolver.fetch(kind, list(rows))
    wanted: dict[str, set[str]] = defaultdict(set)
    for kind, rows in plan.rows.items():
        # only relationships to kinds the store has records of need looking up
        fields = {name: [t for t in target_kinds(rel.target) if counts.get(t)] for name, rel in RELS[kind].items()}
        if not any(fields.values()):
            continue
        for r in rows.values():
            for name, keys in r.rels.items():
                for t in fields[name]:
                    imported = plan.rows.get(t, ())
                    wanted[t].update([key for key in keys if key not in imported])
    for target, keys in wanted.items():
        await resolver.fetch(target, keys)
    if progress:
        progress("check", 1, 4)
    existing_links = await _existing_links(plan, store, resolver)
    if progress:
        progress("check", 2, 4)
    _check_references(plan, resolver)
    scopes = _derive_scopes(plan, resolver)
    _check_rules(plan, resolver, existing_links)
    await _check_unique_codes(plan, store, counts)
    if progress:
        progress("check", 3, 4)
    _compare(plan, resolver, existing_links, scopes)
    if progress:
        progress("check", 4, 4)


async def _existing_links(plan: ImportPlan, store: GraphStore, resolver: _Resolver) -> dict[tuple[str, str], dict[str, set[tuple[str, str]]]]:
    """For records that exist, the stored targets of each relationship column the sheet has."""
    out: dict[tuple[str, str], dict[str, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for kind, rows in plan.rows.items():
        stored = resolver.stored.get(kind, {})
        columns: dict[str, list[str]] = defaultdict(list)
        for r in rows.values():
            if r.id in stored:
                for name in r.rels:
                    columns[name].append(r.id)
        k = KIND_BY_NAME[kind]
        for name, ids in columns.items():
            rel = k.rel(name)
            for start in range(0, len(ids), LOOKUP_BATCH):
                found = await store.neighbours(kind, rel, ids[start:start + LOOKUP_BATCH], EVERYTHING)
                for node_id, records in found.items():
                    out[(kind, node_id)][name] = {(rec["_kind"], rec["id"]) for rec in records}
                    for rec in records:  # their scope may be needed, and they are read already
                        resolver.stored[rec["_kind"]].setdefault(rec["id"], rec)
    return out


def _check_references(plan: ImportPlan, resolver: _Resolver) -> None:
    for kind, rows in plan.rows.items():
        k = KIND_BY_NAME[kind]
        for r in rows.values():
            for name, keys in r.rels.items():
                rel = k.rel(name)
                target_zh = "网格" if rel.target == "Grid" else KIND_BY_NAME[rel.target].zh
                for key in keys:
                    if resolver.kind_of(rel.target, key) is None:
                        plan.row_problem(r, name, key, f"引用的{target_zh}不存在（本次导入和库中都没有）",
                                         f"no {rel.target} with this business key, in this import or the store")


def _scope_of_record(kind: str, props: dict[str, Any], node_id: str) -> tuple[str | None, str | None]:
    if kind == "Street":
        return node_id, None
    if kind == "Community":
        return props.get("streetId"), node_id
    return props.get("streetId"), props.get("communityId")


def _derive_scopes(plan: ImportPlan, resolver: _Resolver) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """Each imported record's scope keys: as given, else from the relationship it hangs from.

    For kinds whose mapping says ``strict``, given keys must agree with that relationship."""
    memo: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    active: set[tuple[str, str]] = set()

    def scope(kind: str, node_id: str) -> tuple[str | None, str | None]:
        key = (kind, node_id)
        if key in memo:
            return memo[key]
        row = plan.rows.get(kind, {}).get(node_id)
        if row is None:
            stored = resolver.stored.get(kind, {}).get(node_id)
            result = _scope_of_record(kind, stored, node_id) if stored else (None, None)
            memo[key] = result
            return result
        if key in active:  # a cycle of references (org A under B under A): no derivation
            return (None, None)
        active.add(key)
        m = mapping_for(kind)
        given = (row.props.get("streetId"), row.props.get("communityId"))
        stored = resolver.stored.get(kind, {}).get(node_id) or {}
        if "streetId" not in row.props and "communityId" not in row.props and stored:
            given = (stored.get("streetId"), stored.get("communityId"))  # the sheet says nothing: kept
            if m.scope_strict:
                given = (None, None)  # but a record that moved takes the scope of its new parent
        derived: tuple[str | None, str | None] = (None, None)
        for name in m.scope_from:
            targets = row.rels.get(name)
            if targets is None and stored:
                continue  # column absent: the stored keys stand
            for target_key in targets or ():
                target_kind = resolver.kind_of(RELS[kind][name].target, target_key)
                if target_kind is None:
                    continue
                t_scope = scope(target_kind, target_key)
                if kind == "Community" and target_kind == "Street":
                    t_scope = (target_key, node_id)
                if t_scope != (None, None):
                    derived = t_scope
                    break
            if derived != (None, None):
                break
        if derived == (None, None) and m.scope_strict and stored:
            derived = _scope_of_record(kind, stored, node_id)  # the parent stays: so do the keys it gave
        if derived == (None, None):
            result = given if given != (None, None) else _scope_of_record(kind, stored, node_id) if stored else given
        elif not m.scope_strict and given != (None, None):
            result = given
        else:
            result = derived
            for name, mine, theirs in (("streetId", given[0], derived[0]), ("communityId", given[1], derived[1])):
                if m.scope_strict and mine is not None and mine != theirs:
                    plan.row_problem(row, name, mine,
                                     f"与所属上级记录的所属街道/社区不一致（应为 {derived[0]} / {derived[1]}）",
                                     f"disagrees with the record it belongs to (should be {derived[0]} / {derived[1]})")
        active.discard(key)
        memo[key] = result
        return result

    out = {}
    for kind, rows in plan.rows.items():
        if not KIND_BY_NAME[kind].scoped:
            continue
        for node_id in rows:
            out[(kind, node_id)] = scope(kind, node_id)
    return out


def _merged(r: ImportRow, stored: Record | None) -> dict[str, Any]:
    """The record's properties after this import: the stored ones overlaid with the sheet's."""
    out = {} if stored is None else {k: v for k, v in stored.items() if k not in ("_kind", "id")}
    for name, value in r.props.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _check_rules(plan: ImportPlan, resolver: _Resolver,
                 existing_links: dict[tuple[str, str], dict[str, set[tuple[str, str]]]]) -> None:
    today = dt.date.today()
    for kind, rows in plan.rows.items():
        k = KIND_BY_NAME[kind]
        stored_kind = resolver.stored.get(kind, {})
        required = [p for p in k.all_props if p.required and p.name != "id"]
        ints = [p.name for p in k.all_props if p.type is int and (kind, p.name) not in SIGNED_INTS]
        for r in rows.values():
            stored = stored_kind.get(r.id)
            props = r.props if stored is None else _merged(r, stored)  # None reads as missing
            for p in required:
                if props.get(p.name) in (None, [], ""):
                    if p.name in r.props:
                        plan.row_problem(r, p.name, None, "必填字段不能为空", "required field is empty")
                    elif stored is None:
                        plan.row_problem(r, p.name, None, f"缺少必填列（{mapping_for(kind).column(p.name).header}）",
                                         "required column is missing")
            for name in ints:
                value = r.props.get(name)
                if isinstance(value, int) and value < 0:
                    plan.row_problem(r, name, value, "不能为负数", "must not be negative")
            _kind_rules(plan, r, kind, props, today)
            parent_field = REQUIRED_PARENT.get(kind)
            if parent_field is not None:
                _check_parent(plan, resolver, r, kind, parent_field, props, stored, existing_links)


def _kind_rules(plan: ImportPlan, r: ImportRow, kind: str, props: dict[str, Any], today: dt.date) -> None:
    def before(first: str, second: str, zh: str, en: str) -> None:
        a, b = props.get(first), props.get(second)
        if a is not None and b is not None and b < a:
            column = second if second in r.props else first
            plan.row_problem(r, column, props.get(column), zh, en)

    birth = props.get("birthDate")
    if birth is not None and birth > today:
        plan.row_problem(r, "birthDate", birth, "出生日期晚于今天", "the birth date is in the future")
    if kind == "Member":
        joined = props.get("joinedDate")
        if birth is not None and joined is not None:
            age = joined.year - birth.year - ((joined.month, joined.day) < (birth.month, birth.day))
            if age < 18:
                plan.row_problem(r, "joinedDate" if "joinedDate" in r.props else "birthDate", joined,
                                 "入党时未满18周岁（入党时间早于出生日期加18年）",
                                 "joined the Party before turning 18 (or before being born)")
        id_number = props.get("idNumber")
        if birth is not None and id_number and not id_number_problem(id_number) and id_number[6:14] != f"{birth:%Y%m%d}":
            plan.row_problem(r, "idNumber", id_number, "身份证号中的出生日期与出生日期列不一致",
                             "the birth date inside the ID number differs from the birth date column")
    elif kind == "Cadre":
        before("birthDate", "electedDate", "当选日期早于出生日期", "elected before being born")
    elif kind == "Resource":
        before("validFrom", "validTo", "有效期止早于有效期起", "valid-to is before valid-from")
        capacity, claimed = props.get("capacity"), props.get("claimed")
        if capacity is not None and claimed is not None and claimed > capacity:
            plan.row_problem(r, "claimed", claimed, f"已认领数超过拟认领数（{capacity}）", f"more claimed than the capacity ({capacity})")
    elif kind == "Project":
        before("claimedDate", "completedDate", "完成日期早于认领日期", "completed before it was claimed")
    elif kind == "Pairing":
        before("since", "lastVisitDate", "最近走访日期早于结对日期", "last visit is before the pairing began")
    elif kind == "PartyOrg":
        for name in ("starRating", "starTarget"):
            value = props.get(name)
            if value is not None and not 0 <= value <= 5:
                plan.row_problem(r, name, value, "星级应为0到5", "a star rating is 0 to 5")
    if kind in GRID_LEVEL and props.get("level") not in (None, GRID_LEVEL[kind]):
        plan.row_problem(r, "level", props.get("level"), f"{KIND_BY_NAME[kind].zh}的网格层级应为{GRID_LEVEL[kind]}",
                         f"a {kind}'s grid level is {GRID_LEVEL[kind]}")


def _check_parent(plan: ImportPlan, resolver: _Resolver, r: ImportRow, kind: str, field_name: str,
                  props: dict[str, Any], stored: Record | None,
                  existing_links: dict[tuple[str, str], dict[str, set[tuple[str, str]]]]) -> None:
    """The grid hierarchy: a new grid (or household) hangs from its parent one level up, and a
    grid's code is its parent's code followed by the level's digits."""
    k = KIND_BY_NAME[kind]
    rel = k.rel(field_name)
    keys = r.rels.get(field_name)
    if keys is None and stored is not None:
        parents = [key for _, key in existing_links.get((kind, r.id), {}).get(field_name, ())]
        if not parents:
            return  # neither the sheet nor the store says: leave it to the coverage audit
    else:
        parents = keys or []
    if not parents:
        header = mapping_for(kind).column(field_name).header
        plan.row_problem(r, field_name, None, f"必须填写{rel.zh}（{header}）", f"the {rel.en} is required")
        return
    if kind not in CODE_SUFFIX:
        return
    parent_key = parents[0]
    parent_kind = resolver.kind_of(rel.target, parent_key)
    if parent_kind is None:
        return  # reported as a missing reference
    parent_row = plan.rows.get(parent_kind, {}).get(parent_key)
    parent_stored = resolver.stored.get(parent_kind, {}).get(parent_key)
    parent_code = None
    if parent_row is not None:
        parent_code = parent_row.props.get("code")
    if parent_code is None and parent_stored is not None:
        parent_code = parent_stored.get("code")
    code = props.get("code")
    if parent_code is None or code is None:
        return
    suffix = code[len(parent_code):]
    if not code.startswith(parent_code) or len(suffix) != CODE_SUFFIX[kind] or not suffix.isdigit():
        plan.row_problem(r, "code", code,
                         f"网格编码应为上级编码 {parent_code} 加 {CODE_SUFFIX[kind]} 位数字",
                         f"a grid code is its parent's code {parent_code} followed by {CODE_SUFFIX[kind]} digits")


async def _check_unique_codes(plan: ImportPlan, store: GraphStore, counts: dict[str, int]) -> None:
    """Grid codes are unique across the five levels, in the import and against the store."""
    owner: dict[str, ImportRow] = {}
    for kind in GRID_KINDS:
        for r in plan.rows.get(kind, {}).values():
            code = r.props.get("code")
            if code is None:
                continue
            other = owner.get(code)
            if other is not None:
                where = plan.sheets[other.sheet]
                plan.row_problem(r, "code", code, f"网格编码重复：与 {where.sheet.name} 第{other.row}行 相同",
                                 f"duplicate grid code: also on row {other.row} of {where.sheet.name}")
            else:
                owner[code] = r
    for kind in GRID_KINDS:
        if not counts.get(kind):
            continue
        codes = list(owner)
        for start in range(0, len(codes), CODE_BATCH):
            chunk = codes[start:start + CODE_BATCH]
            page = await store.find_nodes(kind, [Condition("code", "in", chunk)], [], 0, len(chunk), EVERYTHING)
            for rec in page.records:
                r = owner[rec["code"]]
                if (r.kind, r.id) != (kind, rec["id"]) and not _gives_up_code(plan, kind, rec):
                    plan.row_problem(r, "code", rec["code"], f"网格编码已被{KIND_BY_NAME[kind].zh} {rec['id']} 使用",
                                     f"the grid code already belongs to {kind} {rec['id']}")


def _gives_up_code(plan: ImportPlan, kind: str, rec: Record) -> bool:
    row = plan.rows.get(kind, {}).get(rec["id"])
    return row is not None and "code" in row.props and row.props["code"] != rec["code"]


def _compare(plan: ImportPlan, resolver: _Resolver,
             existing_links: dict[tuple[str, str], dict[str, set[tuple[str, str]]]],
             scopes: dict[tuple[str, str], tuple[str | None, str | None]]) -> None:
    """Created, updated or unchanged for each row; the changes become the write."""
    data = plan.data
    for kind, rows in plan.rows.items():
        k = KIND_BY_NAME[kind]
        counts = plan.counts.setdefault(kind, KindCounts())
        stored_kind = resolver.stored.get(kind, {})
        rels = RELS[kind]
        for r in rows.values():
            props = dict(r.props)
            if k.scoped:
                street, community = scopes.get((kind, r.id), (None, None))
                if street is not None or "streetId" in props:
                    props["streetId"] = street
                if community is not None or "communityId" in props:
                    props["communityId"] = community
            stored = stored_kind.get(r.id)
            if stored is None:
                counts.created += 1
                data.nodes.append((kind, r.id, {n: v for n, v in props.items() if v is not None}))
                for name, keys in r.rels.items():
                    rel = rels[name]
                    for key in keys:
                        target = resolver.kind_of(rel.target, key)
                        if target:
                            data.edges.append((kind, r.id, rel.type, target, key))
                continue
            links = {name: [(resolver.kind_of(rels[name].target, key), key) for key in keys]
                     for name, keys in r.rels.items()}
            changed_props = {n: v for n, v in props.items() if stored.get(n) != v}
            had = existing_links.get((kind, r.id), {})
            changed_links = [name for name, targets in links.items() if set(targets) != had.get(name, set())]
            if not changed_props and not changed_links:
                counts.unchanged += 1
                continue
            counts.updated += 1
            if changed_props:
                data.nodes.append((kind, r.id, changed_props))
            for name in changed_links:
                rel = k.rel(name)
                data.cleared_edges.append((kind, r.id, rel.type, target_kinds(rel.target)))
                data.edges.extend((kind, r.id, rel.type, tk, tid) for tk, tid in links[name] if tk)


# --- the whole import ------------------------------------------------------------------------------
async def plan_import(paths: Sequence[str | Path], store: GraphStore, *, kind: str | None = None,
                      sheet: str | None = None, progress: Progress | None = None) -> ImportPlan:
    """Read, parse, check and compare; raise :class:`ImportRefused` with every problem found."""
    with gc_paused():  # hundreds of thousands of long-lived rows, in no cycles
        return await _plan_import(paths, store, kind, sheet, progress)


async def _plan_import(paths: Sequence[str | Path], store: GraphStore, kind: str | None, sheet: str | None,
                       progress: Progress | None) -> ImportPlan:
    plan = ImportPlan()
    started = time.perf_counter()
    read_sources(paths, plan, kind, sheet)
    if not plan.sheets and not plan.problems:
        names = ", ".join(f"{f} {s}" for f, s in plan.skipped_sheets) or ", ".join(map(str, paths))
        plan.problems.append(ImportProblem(names, "", None, "", None, "没有可识别的工作表（请用 --kind 指明记录类型）",
                                           "no sheet recognised (name the kind with --kind)"))
    plan.seconds["read"] = time.perf_counter() - started
    plan.refuse_if_problems()
    started = time.perf_counter()
    parse_rows(plan, progress)
    plan.seconds["parse"] = time.perf_counter() - started
    started = time.perf_counter()
    await check_and_compare(plan, store, progress)
    plan.seconds["check"] = time.perf_counter() - started
    plan.refuse_if_problems()
    return plan


async def apply_plan(plan: ImportPlan, store: GraphStore, progress: Progress | None = None) -> None:
    """Write the plan's changes in one all-or-nothing store write (nothing when nothing changed)."""
    if not plan.data.size:
        plan.seconds["write"] = 0.0
        return
    started = time.perf_counter()
    total = plan.data.size
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress("write", done, total)

    await store.load(plan.data, progress=advance)
    plan.seconds["write"] = time.perf_counter() - started


async def import_files(paths: Sequence[str | Path], store: GraphStore, *, kind: str | None = None,
                       sheet: str | None = None, dry_run: bool = False,
                       progress: Progress | None = None) -> ImportPlan:
    plan = await plan_import(paths, store, kind=kind, sheet=sheet, progress=progress)
    if not dry_run:
        await apply_plan(plan, store, progress)
    return plan
