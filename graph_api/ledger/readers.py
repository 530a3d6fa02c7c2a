"""Opening the files staff bring: workbooks, CSV in whatever encoding Excel saved, JSON.

Every format becomes a list of :class:`Sheet`: a name, its header row and its data rows with
their row numbers as staff see them (1-based, counting the header and any title rows above
it), so a problem can point at the cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_api.ledger.mapping import Mapping, mappings, normalise_header

HEADER_SEARCH_ROWS = 10  # a title row or two may sit above the header row
NOTES_SHEET = "填写说明"  # the sheets a template (graph_api.ledger.template) adds beside the kinds' sheets:
CHOICES_SHEET = "选项"  # read back, they are not data


class UnreadableFile(ValueError):
    """The file cannot be read at all (format, encoding, broken workbook)."""


@dataclass
class Sheet:
    file: str  # the file's name, as problems show it
    name: str  # worksheet name, or the file's stem for CSV and JSON
    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]  # (row number, cell values aligned with headers)
    kind: str | None = None  # when the file says which kind it holds

    def __len__(self) -> int:
        return len(self.rows)


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM) or GB18030, the encodings Excel and WPS save CSV in."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8):].decode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:  # (after a BOM the file must be in that encoding)
        raise UnreadableFile(f"{file}: 不是 UTF-8 或 GB18030 编码的文本 / not UTF-8 or GB18030 text "
                             f"({exc.encoding}, byte {exc.start})") from None


def _score(headers: list[Any]) -> int:
    """How many cells of a row are headers some mapping knows (to find the header row)."""
    known = _known_headers()
    return sum(1 for h in headers if h is not None and normalise_header(h) in known)


_KNOWN: set[str] | None = None


def _known_headers() -> set[str]:
    global _KNOWN
    if _KNOWN is None:
        _KNOWN = {h for m in mappings().values() for h in m.by_header}
    return _KNOWN


def _table(file: str, name: str, raw_rows: Iterator[list[Any]] | list[list[Any]]) -> Sheet | None:
    """Find the header row among the first rows and keep the rest as data rows."""
    head: list[list[Any]] = []
    it = iter(raw_rows)
    for row in it:
        head.append(list(row))
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    if not head:
        return None
    scores = [_score(r) for r in head]
    best = max(range(len(head)), key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        best = next((i for i, r in enumerate(head) if any(c not in (None, "") for c in r)), 0)
    headers = ["" if h is None else str(h).strip() for h in head[best]]
    while headers and headers[-1] == "":
        headers.pop()
    width = len(headers)
    rows: list[tuple[int, list[Any]]] = []
    number = best + 1
    for row in itertools.chain(head[best + 1:], it):
        number += 1
        cells = row if type(row) is list and len(row) == width else list(row[:width])
        if len(cells) < width:
            cells.extend([None] * (width - len(cells)))
        if _blank(cells):
            continue  # blank rows between blocks are common in hand-kept sheets
        rows.append((number, cells))
    return Sheet(file=file, name=name, headers=headers, header_row=best + 1, rows=rows)


def _blank(cells: list[Any]) -> bool:
    try:
        return not "".join(cells).strip()  # text cells (CSV): one C call
    except TypeError:  # numbers, dates or None from a workbook
        return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def read_csv(path: Path) -> list[Sheet]:
    text = decode_text(path.read_bytes(), path.name)
    # the first line with a separator decides (a title line above the header has none); data
    # lines may hold lists such as 唱歌,跳舞 in a tab-separated file
    first = next((line for line in text[:65536].splitlines() if "\t" in line or "," in line), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    sheet = _table(path.name, path.stem, reader)
    return [sheet] if sheet else []


def read_xlsx(path: Path) -> list[Sheet]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"{path.name}: 不是可读的 Excel 工作簿 / not a readable .xlsx workbook: {exc}") from None
    sheets = []
    try:
        for ws in workbook.worksheets:
            if ws.title in (NOTES_SHEET, CHOICES_SHEET):
                continue
            ws.reset_dimensions()  # some writers record a wrong used range (A1): read every row and cell
            sheet = _table(path.name, ws.title, ws.iter_rows(values_only=True))
            if sheet is not None:
                sheets.append(sheet)
    finally:
        workbook.close()
    return sheets


def _json_sheet(file: str, name: str, records: list[Any], kind: str | None) -> Sheet:
    headers: list[str] = []
    seen: set[str] = set()
    for rec in records:
        if isinstance(rec, dict):
            for key in rec:
                if key not in seen and key != "_kind":
                    seen.add(key)
                    headers.append(key)
    rows = []
    for number, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise UnreadableFile(f"{file} {name}[{number}]: 每条记录应为 JSON 对象 / each record must be a JSON object")
        rows.append((number, [rec.get(h) for h in headers]))
    return Sheet(file=file, name=name, headers=headers, header_row=0, rows=rows, kind=kind)


def read_json(path: Path) -> list[Sheet]:
    """``{"Member": [{...}, ...], "党员": [...]}``, or a list of objects (one kind)."""
    try:
        raw = json.loads(decode_text(path.read_bytes(), path.name))
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"{path.name}: JSON 格式错误 / not valid JSON: line {exc.lineno}: {exc.msg}") from None
    if isinstance(raw, list):
        return [_json_sheet(path.name, path.stem, raw, None)]
    if isinstance(raw, dict):
        if "nodes" in raw and "edges" in raw:
            raise UnreadableFile(f"{path.name}: 这是数据集文件（nodes/edges），请用 graph-api load-sample 或 load / "
                                 "a data set file (nodes/edges): use graph-api load-sample")
        sheets = []
        for name, records in raw.items():
            if not isinstance(records, list):
                raise UnreadableFile(f"{path.name} {name}: 应为记录列表 / must be a list of records")
            sheets.append(_json_sheet(path.name, name, records, None))
        return sheets
    raise UnreadableFile(f"{path.name}: 应为对象或列表 / must be an object or a list")


def read_ndjson(path: Path) -> list[Sheet]:
    """One JSON object per line; an optional ``"_kind"`` names the kind of each line."""
    by_kind: dict[str | None, list[tuple[int, dict[str, Any]]]] = {}
    text = decode_text(path.read_bytes(), path.name)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnreadableFile(f"{path.name} 第{number}行 / line {number}: JSON 格式错误 / not valid JSON: {exc.msg}") from None
        if not isinstance(rec, dict):
            raise UnreadableFile(f"{path.name} 第{number}行 / line {number}: 应为 JSON 对象 / must be a JSON object")
        by_kind.setdefault(rec.get("_kind"), []).append((number, rec))
    sheets = []
    for kind, numbered in by_kind.items():
        sheet = _json_sheet(path.name, kind or path.stem, [r for _, r in numbered], kind)
        sheet.rows = [(n, cells) for (n, _), (_, cells) in zip(numbered, sheet.rows)]
        sheets.append(sheet)
    return sheets


READERS = {".csv": read_csv, ".tsv": read_csv, ".txt": read_csv, ".xlsx": read_xlsx, ".xlsm": read_xlsx,
           ".json": read_json, ".ndjson": read_ndjson, ".jsonl": read_ndjson}


def read_file(path: str | Path) -> list[Sheet]:
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFile(f"{path.name}: 不支持的文件类型 / unsupported file type {path.suffix!r} "
                             f"(use {', '.join(sorted(READERS))})")
    if not path.is_file():
        raise UnreadableFile(f"{path}: 文件不存在 / no such file")
    return reader(path)


def recognise(sheet: Sheet, kind: str | None = None) -> Mapping | None:
    """The mapping a sheet answers to: the kind asked for, the kind the file names, the sheet's
    name, or failing those the mapping that knows most of its headers (and its business key)."""
    all_mappings = mappings()
    for wanted in (kind, sheet.kind):
        if wanted:
            if wanted in all_mappings:
                return all_mappings[wanted]
            for m in all_mappings.values():
                if m.recognises(wanted):
                    return m
            return None
    for m in all_mappings.values():
        if m.recognises(sheet.name):
            return m
    best, best_score = None, 0
    normalised = [normalise_header(h) for h in sheet.headers]
    for m in all_mappings.values():
        score = sum(1 for h in normalised if h in m.by_header)
        if score > best_score:
            best, best_score = m, score
    if best is not None and best_score >= max(2, len([h for h in normalised if h]) // 2):
        return best
    return None
