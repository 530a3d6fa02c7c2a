"""Empty workbooks for staff to fill in, and GraphML of the graph for analysts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from graph_api.domain.model import KIND_BY_NAME, target_kinds
from graph_api.ledger.cells import FORMAT_OF_PROP
from graph_api.ledger.export import LIST_JOIN, store_rows
from graph_api.ledger.mapping import Column, Mapping, dependency_order, mapping_for
from graph_api.ledger.readers import CHOICES_SHEET, NOTES_SHEET
from graph_api.store.base import GraphStore, Scope

TEMPLATE_ROWS = 2000  # rows the drop-down lists cover


def _type_text(column: Column) -> tuple[str, str]:
    if column.is_key:
        return "文本（唯一编号）", "text, unique business key"
    if column.rel is not None:
        target = "网格" if column.rel.target == "Grid" else KIND_BY_NAME[column.rel.target].zh
        several = f"，可填多个，用{LIST_JOIN}分隔" if column.rel.many else ""
        return f"{target}的编号{several}", f"business key of a {column.rel.target}" + (", several separated by ；" if column.rel.many else "")
    prop = column.prop
    assert prop is not None
    several = f"，可填多个，用{LIST_JOIN}分隔" if prop.many else ""
    if prop.is_enum:
        return "从下拉列表选择：" + "、".join(m.zh for m in prop.type) + several, "one of the listed values"
    if prop.type is dt.date:
        return "日期，如 2021-07-01、2021/7/1、2021年7月1日", "date"
    if prop.type is int:
        return "整数", "whole number"
    if prop.type is float:
        return "数字", "number"
    if prop.type is bool:
        return "是 或 否", "yes or no"
    fmt = FORMAT_OF_PROP.get(prop.name)
    if fmt == "phone":
        return "11位手机号或带区号的固定电话", "phone number"
    if fmt == "cn_id":
        return "18位身份证号（校验码会被检查）", "18-character ID number, check digit verified"
    return "文本" + several, "text"


def _description(column: Column) -> tuple[str, str]:
    if column.is_key:
        return "业务编号", "business key"
    item = column.prop or column.rel
    assert item is not None
    return item.zh, item.en


def _required(mapping: Mapping, column: Column) -> bool:
    if column.is_key:
        return mapping.id_from is None
    return bool(column.prop is not None and column.prop.required and column.name not in mapping.defaults)


def write_template(kinds: Sequence[str], out: Path) -> Path:
    """A workbook with one sheet per kind (header row, drop-down lists on enum columns), a
    notes sheet explaining every column, and a hidden sheet holding the lists' values."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    order = {name: i for i, name in enumerate(dependency_order())}
    book = openpyxl.Workbook()
    book.remove(book.active)
    notes = book.create_sheet(NOTES_SHEET)
    notes.append(["工作表 sheet", "列名 header", "含义", "meaning", "必填 required", "填写要求", "format", "也可用的列名 aliases"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    choices = book.create_sheet(CHOICES_SHEET)
    choices.sheet_state = "hidden"
    choice_col = 0
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for kind in sorted(kinds, key=order.__getitem__):
        mapping = mapping_for(kind)
        ws = book.create_sheet(mapping.sheets[0], index=len(book.sheetnames) - 2)
        for index, column in enumerate(mapping.all_columns, start=1):
            cell = ws.cell(row=1, column=index, value=column.header)
            cell.font = bold
            zh, en = _description(column)
            fmt_zh, fmt_en = _type_text(column)
            required = _required(mapping, column)
            if required:
                cell.fill = required_fill
            cell.comment = Comment(f"{zh}（{en}）\n{fmt_zh}" + ("\n必填" if required else ""), "graph-api")
            ws.column_dimensions[get_column_letter(index)].width = max(10, min(30, len(column.header) * 2 + 4))
            if column.prop is None or column.prop.type is str:
                # keys, codes, ID and phone numbers stay as typed: Excel keeps only 15 digits of a number
                ws.column_dimensions[get_column_letter(index)].number_format = "@"
            notes.append([mapping.sheets[0], column.header, zh, en, "是" if required else "",
                          fmt_zh, fmt_en, "、".join(column.headers[1:])])
            prop = column.prop
            if prop is not None and prop.is_enum and not prop.many:
                choice_col += 1
                letter = get_column_letter(choice_col)
                values = [m.zh for m in prop.type]
                choices.cell(row=1, column=choice_col, value=f"{kind}.{prop.name}")
                for r, value in enumerate(values, start=2):
                    choices.cell(row=r, column=choice_col, value=value)
                rule = DataValidation(type="list", formula1=f"'{CHOICES_SHEET}'!${letter}$2:${letter}${len(values) + 1}",
                                      allow_blank=True, showErrorMessage=True,
                                      errorTitle="取值不在列表中", error=f"请从下拉列表选择{zh}")
                target = get_column_letter(index)
                rule.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
                ws.add_data_validation(rule)
            elif prop is not None and prop.type is bool:
                rule = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
                target = get_column_letter(index)
                rule.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
                ws.add_data_validation(rule)
        ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGH", (14, 18, 22, 30, 8, 40, 30, 30)):
        notes.column_dimensions[letter].width = width
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out


# --- GraphML -------------------------------------------------------------------------------------
def _graphml_value(value: Any) -> Any:
    if isinstance(value, list):
        return LIST_JOIN.join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def export_graphml(store: GraphStore, kinds: Sequence[str], out: Path, scope: Scope,
                         include_sensitive: bool = False) -> tuple[int, int]:
    """The graph (or the scope of it) as GraphML through networkx. Sensitive personal data
    (phones, ID numbers, care categories) is left out unless asked for."""
    graph = nx.MultiDiGraph()
    pending: list[tuple[str, str, str, str]] = []
    for kind in kinds:
        k = KIND_BY_NAME[kind]
        sensitive = set() if include_sensitive else {p.name for p in k.all_props if p.sensitive}
        fields = {c.name: c.rel for c in mapping_for(kind).columns if c.rel is not None}
        async for batch in store_rows(store, kind, scope):
            for record, links in batch:
                attrs = {n: _graphml_value(v) for n, v in record.items()
                         if n not in sensitive and n != "_kind" and v is not None}
                attrs["nodeKind"] = kind  # not "kind": several kinds have a property of that name
                attrs["label"] = str(record.get("name") or record.get("title") or record.get("room") or record["id"])
                graph.add_node(f"{kind}:{record['id']}", **attrs)
                for name, keys in links.items():
                    rel = fields[name]
                    for key in keys:
                        pending.append((f"{kind}:{record['id']}", rel.target, key, rel.type))
    for source, target, key, rel_type in pending:
        node = _find(graph, target, key)
        if node is not None:  # an edge leaving the scope or the chosen kinds is left out
            graph.add_edge(source, node, key=rel_type, relType=rel_type)
    out.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(graph, out, encoding="utf-8", named_key_ids=True)
    return graph.number_of_nodes(), graph.number_of_edges()


def _find(graph: nx.MultiDiGraph, target: str, key: str) -> str | None:
    for kind in target_kinds(target):
        node = f"{kind}:{key}"
        if node in graph:
            return node
    return None
