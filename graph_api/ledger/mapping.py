"""Column mappings of the staff ledgers (台账): which headers mean which field of which kind.

The mappings are data, one TOML file per kind in ``loaders/mappings/``. Each lists the sheet
names it answers to, the headers of the business key, of every property and of every
outgoing relationship (cells hold the business keys of the records referred to). The first
header of each entry is the one export and template write; every other is an alias import
accepts. This module reads them and checks them against the model registry.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from graph_api.domain.model import KIND_BY_NAME, KINDS, Kind, Prop, Rel, target_kinds
from graph_api.resources import data_path

MAPPINGS_DIR = "loaders/mappings"


def normalise_header(text: Any) -> str:
    """Headers compare without spaces, case, full-width brackets or a trailing '*' (required mark)."""
    s = str(text or "").strip().lower()
    s = s.replace("（", "(").replace("）", ")").replace("：", "").replace(":", "")
    s = re.sub(r"\s+", "", s)
    return s.rstrip("*")


@dataclass(frozen=True)
class Column:
    """One column of a kind's sheet: a property, a relationship, or the business key."""

    name: str  # property name, relationship field name, or "id"
    headers: tuple[str, ...]
    prop: Prop | None = None
    rel: Rel | None = None

    @property
    def header(self) -> str:
        return self.headers[0]

    @property
    def is_key(self) -> bool:
        return self.prop is None and self.rel is None


@dataclass(frozen=True)
class Mapping:
    kind: Kind
    sheets: tuple[str, ...]
    key: Column
    columns: tuple[Column, ...]  # properties then relationships, in export order
    id_from: str | None = None  # template such as "{code}" or "{unit}-{room}"
    defaults: dict[str, Any] = field(default_factory=dict)
    scope_from: tuple[str, ...] = ()
    scope_strict: bool = False
    unit_by_building: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # (building headers, number headers)
    by_header: dict[str, Column] = field(default_factory=dict)  # normalised header -> column

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return (self.key, *self.columns)

    def column(self, name: str) -> Column:
        for c in self.all_columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def recognises(self, sheet_name: str) -> bool:
        wanted = normalise_header(sheet_name)
        return any(normalise_header(s) == wanted for s in self.sheets)


class MappingError(ValueError):
    """A mapping file contradicts the model (a bug in the shipped data, found by the tests)."""


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
        raise MappingError(f"{where}: expected a non-empty list of headers")
    return tuple(value)


def parse_mapping(raw: dict[str, Any], source: str) -> Mapping:
    kind = KIND_BY_NAME.get(raw.get("kind", ""))
    if kind is None:
        raise MappingError(f"{source}: unknown kind {raw.get('kind')!r}")
    props = {p.name: p for p in kind.all_props if p.name != "id"}
    rels = {r.field: r for r in kind.rels if r.direction == "out"}
    key = Column("id", _strings(raw.get("id"), f"{source} id"))
    columns: list[Column] = []
    for name, headers in (raw.get("columns") or {}).items():
        if name not in props:
            raise MappingError(f"{source}: {kind.name} has no property {name!r}")
        columns.append(Column(name, _strings(headers, f"{source} columns.{name}"), prop=props[name]))
    for name, headers in (raw.get("relations") or {}).items():
        if name not in rels:
            raise MappingError(f"{source}: {kind.name} has no outgoing relationship {name!r}")
        columns.append(Column(name, _strings(headers, f"{source} relations.{name}"), rel=rels[name]))
    missing = (set(props) | set(rels)) - {c.name for c in columns}
    if missing:
        raise MappingError(f"{source}: no column for {sorted(missing)}")
    by_header: dict[str, Column] = {}
    unit = raw.get("unit_by_building")
    extra_headers: list[str] = []
    unit_by_building = None
    if unit is not None:
        unit_by_building = (_strings(unit.get("building"), f"{source} unit_by_building.building"),
                            _strings(unit.get("number"), f"{source} unit_by_building.number"))
        extra_headers = [*unit_by_building[0], *unit_by_building[1]]
    for column in (key, *columns):
        for header in column.headers:
            norm = normalise_header(header)
            if norm in by_header or norm in map(normalise_header, extra_headers):
                raise MappingError(f"{source}: header {header!r} is used twice")
            by_header[norm] = column
    scope = raw.get("scope") or {}
    scope_from = tuple(scope.get("from") or ())
    for name in scope_from:
        if name not in rels:
            raise MappingError(f"{source}: scope.from names {name!r}, not an outgoing relationship")
    defaults = dict(raw.get("defaults") or {})
    for name in defaults:
        if name not in props:
            raise MappingError(f"{source}: default for unknown property {name!r}")
    sheets = _strings(raw.get("sheets"), f"{source} sheets")
    return Mapping(kind=kind, sheets=sheets, key=key, columns=tuple(columns), id_from=raw.get("id_from"),
                   defaults=defaults, scope_from=scope_from, scope_strict=bool(scope.get("strict")),
                   unit_by_building=unit_by_building, by_header=by_header)


@cache
def mappings() -> dict[str, Mapping]:
    """Every kind's mapping, by kind name, in the registry's order."""
    folder = data_path(MAPPINGS_DIR)
    found: dict[str, Mapping] = {}
    for path in sorted(folder.glob("*.toml")):
        mapping = parse_mapping(tomllib.loads(path.read_text(encoding="utf-8")), path.name)
        if mapping.kind.name in found:
            raise MappingError(f"{path.name}: a second mapping for {mapping.kind.name}")
        found[mapping.kind.name] = mapping
    missing = [k.name for k in KINDS if k.name not in found]
    if missing:
        raise MappingError(f"no mapping in {MAPPINGS_DIR} for {missing}")
    return {k.name: found[k.name] for k in KINDS}


def mapping_for(kind_name: str) -> Mapping:
    return mappings()[kind_name]


def dependency_order() -> list[str]:
    """Kinds ordered so that a kind comes after the kinds its relationships point to (where the
    relationships allow it: cycles such as Member ↔ Activity keep the registry's order)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting:
            return
        visiting.add(name)
        for rel in KIND_BY_NAME[name].rels:
            if rel.direction == "out":
                for target in target_kinds(rel.target):
                    if target != name:
                        visit(target)
        visiting.discard(name)
        order.append(name)

    for k in KINDS:
        visit(k.name)
    return order
