"""Writing ledgers out: the same columns and Chinese headers import reads, so an exported
sheet can be edited and imported back; empty templates for staff to fill in; GraphML of the
graph (or a scope of it) for analysts.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from graph_api.domain.graphdata import GraphData
from graph_api.domain.model import KIND_BY_NAME, target_kinds
from graph_api.ledger.mapping import Column, Mapping, dependency_order, mapping_for
from graph_api.store.base import EVERYTHING, GraphStore, Scope

LIST_JOIN = "；"
FORMATS = ("xlsx", "csv", "json")


def cell_value(column: Column, value: Any, *, for_text: bool) -> Any:
    """A stored value as staff read it: enum values as their Chinese label, 是/否, lists joined
    with ；, dates as dates in a workbook and YYYY-MM-DD in text."""
    if value is None or value == []:
        return None
    prop = column.prop
    if prop is not None and prop.is_enum:
        labels = {m.value: m.zh for m in prop.type}
        value = [labels.get(v, v) for v in value] if isinstance(value, list) else labels.get(value, value)
    elif prop is not None and prop.type is bool:
        value = "是" if value else "否"
    if isinstance(value, list):
        return LIST_JOIN.join(str(v) for v in value)
    if isinstance(value, dt.date) and for_text:
        return value.isoformat()
    return value


def headers(mapping: Mapping) -> list[str]:
    return [c.header for c in mapping.all_columns]


def row_of(mapping: Mapping, record: dict[str, Any], links: dict[str, list[str]], *, for_text: bool) -> list[Any]:
    out: list[Any] = [record["id"]]
    for column in mapping.columns:
        if column.rel is not None:
            out.append(cell_value(column, links.get(column.name), for_text=for_text))
        else:
            out.append(cell_value(column, record.get(column.name), for_text=for_text))
    return out


async def store_rows(store: GraphStore, kind: str, scope: Scope, batch: int = 5000) -> AsyncIterator[list[tuple[dict[str, Any], dict[str, list[str]]]]]:
    """Each node of ``kind`` with the business keys of its outgoing relationships, by batch."""
    mapping = mapping_for(kind)
    rels = [c.rel for c in mapping.columns if c.rel is not None]
    async for records in store.scan(kind, scope, batch):
        ids = [r["id"] for r in records]
        links: dict[str, dict[str, list[str]]] = {r["id"]: {} for r in records}
        for rel in rels:
            # a relationship to a record outside the scope is still part of this record (the
            # key of, say, the street's working committee is not personal data)
            found = await store.neighbours(kind, rel, ids, EVERYTHING)
            for node_id, targets in found.items():
                links[node_id][rel.field] = [t["id"] for t in targets]
        yield [(r, links[r["id"]]) for r in records]


def graphdata_rows(chunks: Iterable[GraphData]) -> Iterator[tuple[str, dict[str, Any], dict[str, list[str]]]]:
    """The rows of generated data (nodes with their outgoing edges), without a store."""
    for chunk in chunks:
        links: dict[tuple[str, str], dict[str, list[str]]] = {}
        field_of: dict[tuple[str, str, str], str] = {}
        for src_kind, src_id, rel_type, dst_kind, dst_id in chunk.edges:
            shape = (src_kind, rel_type, dst_kind)
            name = field_of.get(shape)
            if name is None:
                name = field_of[shape] = _field_for(*shape)
            links.setdefault((src_kind, src_id), {}).setdefault(name, []).append(dst_id)
        node_keys = {(k, i) for k, i, _ in chunk.nodes}
        for key in links:
            if key not in node_keys:
                raise ValueError(f"generated edge from {key} whose node is not in the same chunk")
        for kind, node_id, props in chunk.nodes:
            yield kind, {"id": node_id, **props}, links.get((kind, node_id), {})


def _field_for(src_kind: str, rel_type: str, dst_kind: str) -> str:
    for rel in KIND_BY_NAME[src_kind].rels:
        if rel.direction == "out" and rel.type == rel_type and dst_kind in target_kinds(rel.target):
            return rel.field
    raise ValueError(f"no relationship field for {src_kind}-[:{rel_type}]->{dst_kind}")


# --- writers -------------------------------------------------------------------------------------
class TableWriter:
    """Rows of several kinds into one format: a workbook with a sheet per kind, a CSV file per
    kind in a folder, or one JSON object with a list per kind."""

    def __init__(self, out: Path, fmt: str):
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        self.out = out
        self.fmt = fmt
        self.counts: dict[str, int] = {}
        self._csv: dict[str, tuple[Any, Any]] = {}
        self._json: dict[str, list[dict[str, Any]]] = {}
        self._book: Any = None
        self._sheets: dict[str, Any] = {}
        if fmt == "xlsx":
            import openpyxl

            self._book = openpyxl.Workbook(write_only=True)
        elif fmt == "csv":
            out.mkdir(parents=True, exist_ok=True)

    def _open(self, kind: str) -> None:
        mapping = mapping_for(kind)
        self.counts[kind] = 0
        if self.fmt == "csv":
            # UTF-8 with BOM: Excel on Windows opens it with the Chinese intact
            handle = open(self.out / f"{kind}.csv", "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            writer = csv.writer(handle)
            writer.writerow(headers(mapping))
            self._csv[kind] = (handle, writer)
        elif self.fmt == "xlsx":
            ws = self._book.create_sheet(mapping.sheets[0])
            ws.append(headers(mapping))
            self._sheets[kind] = ws
        else:
            self._json[kind] = []

    def begin(self, kind: str) -> None:
        """Open the kind's sheet or file (with its header row) unless it is open already."""
        if kind not in self.counts:
            self._open(kind)

    def write(self, kind: str, record: dict[str, Any], links: dict[str, list[str]]) -> None:
        if kind not in self.counts:
            self._open(kind)
        mapping = mapping_for(kind)
        self.counts[kind] += 1
        if self.fmt == "csv":
            self._csv[kind][1].writerow(row_of(mapping, record, links, for_text=True))
        elif self.fmt == "xlsx":
            self._sheets[kind].append(row_of(mapping, record, links, for_text=False))
        else:
            values = row_of(mapping, record, links, for_text=True)
            self._json[kind].append({h: v for h, v in zip(headers(mapping), values) if v is not None})

    def close(self) -> list[Path]:
        if self.fmt == "csv":
            for handle, _ in self._csv.values():
                handle.close()
            return [self.out / f"{kind}.csv" for kind in self._csv]
        self.out.parent.mkdir(parents=True, exist_ok=True)
        if self.fmt == "xlsx":
            if not self._sheets:
                self._book.create_sheet("空 empty")
            self._book.save(self.out)
        else:
            sheets = {mapping_for(kind).sheets[0]: rows for kind, rows in self._json.items()}
            self.out.write_text(json.dumps(sheets, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return [self.out]


async def export_kinds(store: GraphStore, kinds: Sequence[str], out: Path, fmt: str, scope: Scope,
                       progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write every record of these kinds in the scope; returns the rows written per kind."""
    writer = TableWriter(out, fmt)
    order = {name: i for i, name in enumerate(dependency_order())}
    for kind in sorted(kinds, key=order.__getitem__):
        writer.begin(kind)  # an empty kind still gets its header row
        async for batch in store_rows(store, kind, scope):
            for record, links in batch:
                writer.write(kind, record, links)
            if progress is not None:
                progress(kind, len(batch))
    writer.close()
    return dict(writer.counts)


def write_generated(chunks: Iterable[GraphData], out: Path, fmt: str = "csv",
                    progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Generated data as import files (a CSV per kind by default)."""
    writer = TableWriter(out, fmt)
    for kind, record, links in graphdata_rows(_counted(chunks, progress)):
        writer.write(kind, record, links)
    writer.close()
    return dict(writer.counts)


def _counted(chunks: Iterable[GraphData], progress: Callable[[int], None] | None) -> Iterator[GraphData]:
    for chunk in chunks:
        yield chunk
        if progress is not None:
            progress(len(chunk.nodes))


__all__ = ["TableWriter", "export_kinds", "write_generated", "headers", "row_of", "cell_value"]
