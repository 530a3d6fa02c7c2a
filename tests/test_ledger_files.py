"""Ledger files: the readers (csv in every encoding Excel saves, xlsx with title rows, json,
ndjson), sheet recognition, the fill-in template and the GraphML export.

The GraphML tests use an embedded store of their own (no Neo4j needed).
"""

from __future__ import annotations

import codecs
import collections
import datetime as dt
import json
import re
import shutil
import zipfile
from pathlib import Path

import networkx as nx
import openpyxl
import pytest

from graph_api.domain.dataset import read_sample
from graph_api.domain.model import KIND_BY_NAME, KINDS, relationship_types
from graph_api.ledger.cells import converter
from graph_api.ledger.mapping import mapping_for, normalise_header
from graph_api.ledger.readers import UnreadableFile, read_file, read_xlsx, recognise
from graph_api.ledger.template import CHOICES_SHEET, NOTES_SHEET, export_graphml, write_template
from graph_api.store.base import EVERYTHING
from graph_api.store.embedded.store import EmbeddedStore

MEMBER_CSV = ("党员编号,姓名,性别,出生日期,学历,所在支部\n"
              "M1,张三,男,1960/5/1,本科,PO-1\n"
              "M2,李四,女,1975年3月2日,高中/中专,PO-1\n")
MEMBER_HEADERS = ["党员编号", "姓名", "性别", "出生日期", "学历", "所在支部"]
MEMBER_ROWS = [(2, ["M1", "张三", "男", "1960/5/1", "本科", "PO-1"]),
               (3, ["M2", "李四", "女", "1975年3月2日", "高中/中专", "PO-1"])]
SENSITIVE = {"phone", "idNumber", "careCategories", "headName", "riskTier"}
COMMUNITY = "210905001001"


def one_sheet(path: Path):
    sheets = read_file(path)
    assert len(sheets) == 1
    return sheets[0]


# --- CSV -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, data", [
    ("utf8.csv", MEMBER_CSV.encode("utf-8")),
    ("bom.csv", MEMBER_CSV.encode("utf-8-sig")),
    ("gb.csv", MEMBER_CSV.encode("gb18030")),
    ("crlf.csv", MEMBER_CSV.replace("\n", "\r\n").encode("gb18030")),  # what Excel on Windows saves
    ("tabs.tsv", MEMBER_CSV.replace(",", "\t").encode("utf-8")),
    ("tabs.txt", MEMBER_CSV.replace(",", "\t").encode("gb18030")),
    ("tabs.csv", MEMBER_CSV.replace(",", "\t").encode("utf-8-sig")),  # tab-separated under a .csv name
])
def test_the_same_csv_in_every_encoding(tmp_path, name, data):
    if name != "utf8.csv":
        assert data != MEMBER_CSV.encode("utf-8")  # really another encoding or separator
    path = tmp_path / name
    path.write_bytes(data)
    sheet = one_sheet(path)
    assert sheet.headers == MEMBER_HEADERS  # no BOM glued to the first header, no mojibake
    assert sheet.rows == MEMBER_ROWS
    assert sheet.header_row == 1
    assert sheet.name == path.stem and sheet.file == name
    assert recognise(sheet).kind.name == "Member"


def test_gb18030_text_is_not_mistaken_for_utf8(tmp_path):
    path = tmp_path / "gb.csv"
    path.write_bytes(MEMBER_CSV.encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the test file really needs the GB18030 fallback
    assert one_sheet(path).rows[1][1][1] == "李四"


def test_tsv_with_comma_lists_in_the_cells(tmp_path):
    text = ("党员编号\t姓名\t特长\n"
            "M1\t张三\t唱歌,跳舞,书法,摄影,剪纸\n"
            "M2\t李四\t理发,维修,家电,电脑,缝补\n")
    path = tmp_path / "members.tsv"
    path.write_text(text, encoding="utf-8")
    sheet = one_sheet(path)
    assert sheet.headers == ["党员编号", "姓名", "特长"]
    assert sheet.rows[0] == (2, ["M1", "张三", "唱歌,跳舞,书法,摄影,剪纸"])


def test_csv_with_a_title_line_and_blank_lines(tmp_path):
    text = "清河门区党员名册,,,,,\n,,,,,\n" + MEMBER_CSV.replace("M1,", "\nM1,", 1) + ",,,,,\nM3,王五,男,,,\n"
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    sheet = one_sheet(path)
    assert sheet.header_row == 3
    assert sheet.headers == MEMBER_HEADERS
    assert [n for n, _ in sheet.rows] == [5, 6, 8]  # line 4 and line 7 are blank
    assert sheet.rows[2][1][:2] == ["M3", "王五"]


def test_short_rows_are_padded_and_long_rows_cut(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("党员编号,姓名,性别\nM1,张三\nM2,李四,女,多余\n", encoding="utf-8")
    sheet = one_sheet(path)
    assert sheet.rows == [(2, ["M1", "张三", None]), (3, ["M2", "李四", "女"])]


@pytest.mark.parametrize("data", [
    bytes(range(0x80, 0x100)),  # lone continuation bytes: not UTF-8, and 0x80 / 0xFF are not GB18030
    b"\x81\x30\xff\x80" * 3,  # a broken four-byte GB18030 sequence
    codecs.BOM_UTF8 + "党员编号,姓名\n".encode("gb18030"),  # a UTF-8 BOM, then GB18030
    codecs.BOM_UTF16_LE + "党员编号".encode("utf-16-le") + b"\x00",  # UTF-16 cut short
    codecs.BOM_UTF16_LE + b"\x00\xd8\x41\x00",  # a lone surrogate
    "党员编号,姓名\n".encode("utf-8") + b"\x80\xff",
])
def test_bytes_that_are_no_known_encoding_refused(tmp_path, data):
    path = tmp_path / "garbled.csv"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile) as info:
        read_file(path)
    message = str(info.value)
    assert "garbled.csv" in message
    assert "编码" in message and "GB18030" in message and "not UTF-8" in message


def test_utf16_with_bom_read(tmp_path):
    path = tmp_path / "unicode.txt"  # Excel's "Unicode text": UTF-16 with BOM, tab-separated
    path.write_bytes(MEMBER_CSV.replace(",", "\t").encode("utf-16"))
    sheet = one_sheet(path)
    assert sheet.headers == MEMBER_HEADERS and sheet.rows == MEMBER_ROWS


def test_unsupported_suffix_refused(tmp_path):
    for name in ("old.xls", "notes.docx", "noext"):
        path = tmp_path / name
        path.write_bytes(b"whatever")
        with pytest.raises(UnreadableFile, match="不支持的文件类型") as info:
            read_file(path)
        assert ".xlsx" in str(info.value) and ".csv" in str(info.value)


def test_missing_file_refused(tmp_path):
    with pytest.raises(UnreadableFile, match="文件不存在"):
        read_file(tmp_path / "nowhere.csv")


# --- xlsx ----------------------------------------------------------------------------------------
def member_workbook(path: Path, *, merged_title: bool, title: str | None = "五一社区党员台账") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "花名册"  # not a name any mapping knows
    if title:
        ws["A1"] = title
        if merged_title:
            ws.merge_cells("A1:F1")
    # row 2 stays blank; the header row is row 3
    for col, header in enumerate(MEMBER_HEADERS, start=1):
        ws.cell(row=3, column=col, value=header)
    ws.append(["M1", "张三", "男", dt.datetime(1960, 5, 1), "本科", "PO-1"])  # row 4
    ws.append([])  # row 5, blank
    ws.append(["M2", "李四", "女", "1975年3月2日", "大专", None])  # row 6
    ws.append([None, "  ", None, None, None, None])  # row 7, only a space: blank
    ws.append(["M3", "王五", None, 20210701, None, "PO-2"])  # row 8
    book.save(path)
    return path


@pytest.mark.parametrize("merged_title", [True, False])
def test_xlsx_header_row_below_a_title_and_a_blank_row(tmp_path, merged_title):
    sheet = one_sheet(member_workbook(tmp_path / "members.xlsx", merged_title=merged_title))
    assert sheet.name == "花名册"
    assert sheet.header_row == 3
    assert sheet.headers == MEMBER_HEADERS
    assert [n for n, _ in sheet.rows] == [4, 6, 8]  # row numbers as Excel shows them, blank rows skipped
    assert sheet.rows[0][1] == ["M1", "张三", "男", dt.datetime(1960, 5, 1), "本科", "PO-1"]
    assert sheet.rows[1][1][5] is None
    assert sheet.rows[2][1][3] == 20210701
    assert recognise(sheet).kind.name == "Member"  # by its headers


def test_xlsx_without_a_title_row(tmp_path):
    sheet = one_sheet(member_workbook(tmp_path / "members.xlsx", merged_title=False, title=None))
    assert sheet.header_row == 3  # two blank rows above the header
    assert [n for n, _ in sheet.rows] == [4, 6, 8]


def test_xlsx_with_a_wrong_used_range_is_read_whole(tmp_path):
    """Some writers record the used range as A1 only; the reader must not trust it."""
    path = member_workbook(tmp_path / "members.xlsx", merged_title=False)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text, count = re.subn(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1"/>', data.decode())
                assert count == 1
                data = text.encode()
            dst.writestr(item, data)
    sheet = one_sheet(broken)
    assert sheet.headers == MEMBER_HEADERS
    assert [n for n, _ in sheet.rows] == [4, 6, 8]


def test_workbook_sheets_recognised_by_their_names(tmp_path):
    book = openpyxl.Workbook()
    members = book.active
    members.title = "党员"
    members.append(["编号", "姓名", "性别"])
    members.append(["M1", "张三", "男"])
    households = book.create_sheet("住户")
    households.append(["编号", "房号", "联系电话"])
    households.append(["H1", "101", "13800138000"])
    other = book.create_sheet("统计")
    other.append(["合计", "备注"])
    other.append([3, "无"])
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    sheets = {s.name: s for s in read_file(path)}
    assert list(sheets) == ["党员", "住户", "统计"]
    assert recognise(sheets["党员"]).kind.name == "Member"
    assert recognise(sheets["住户"]).kind.name == "Household"
    assert recognise(sheets["统计"]) is None
    assert recognise(sheets["统计"], "Household").kind.name == "Household"  # --kind wins
    assert recognise(sheets["党员"], "住户").kind.name == "Household"  # a kind named in Chinese
    assert recognise(sheets["党员"], "nonsense") is None


def test_sheet_of_unknown_name_recognised_by_headers(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("房号,楼层,居住状态,户内人数,困难类别,所在单元\n101,1,常住,3,低保户,U1\n", encoding="utf-8")
    assert recognise(one_sheet(path)).kind.name == "Household"
    path.write_text("帮扶党员,帮扶住户,结对日期,状态\nM1,H1,2021-07-01,帮扶中\n", encoding="utf-8")
    assert recognise(one_sheet(path)).kind.name == "Pairing"


def test_sheet_with_too_few_known_headers_not_recognised(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("姓名,爱好,星座,血型,身高,体重\n张三,读书,白羊,A,170,60\n", encoding="utf-8")
    assert recognise(one_sheet(path)) is None


@pytest.mark.parametrize("data", [b"PK\x03\x04 this is no zip", "党员编号,姓名\nM1,张三\n".encode("utf-8"), b""])
def test_broken_workbook_refused(tmp_path, data):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile) as info:
        read_file(path)
    assert "Excel" in str(info.value) and "broken.xlsx" in str(info.value)


# --- JSON and NDJSON -----------------------------------------------------------------------------
def test_json_object_of_lists(tmp_path):
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps({
        "党员": [{"编号": "M1", "姓名": "张三"}, {"编号": "M2", "姓名": "李四", "性别": "女"}],
        "Household": [{"id": "H1", "room": "101"}],
    }, ensure_ascii=False), encoding="utf-8")
    sheets = read_file(path)
    assert [s.name for s in sheets] == ["党员", "Household"]
    members, households = sheets
    assert members.headers == ["编号", "姓名", "性别"]
    assert members.rows == [(1, ["M1", "张三", None]), (2, ["M2", "李四", "女"])]
    assert recognise(members).kind.name == "Member"
    assert recognise(households).kind.name == "Household"


def test_json_list(tmp_path):
    path = tmp_path / "members.json"
    path.write_text(json.dumps([{"党员编号": "M1", "姓名": "张三", "出生日期": "1960-05-01"}],
                               ensure_ascii=False), encoding="gb18030")
    sheet = one_sheet(path)
    assert sheet.name == "members"
    assert sheet.headers == ["党员编号", "姓名", "出生日期"]
    assert sheet.rows == [(1, ["M1", "张三", "1960-05-01"])]
    assert recognise(sheet).kind.name == "Member"


def test_ndjson_with_kind(tmp_path):
    lines = [{"_kind": "Member", "id": "M1", "name": "张三"},
             {"_kind": "住户", "id": "H1", "room": "101"},
             {"_kind": "Member", "id": "M2", "name": "李四", "gender": "女"}]
    path = tmp_path / "ledger.ndjson"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines[:2]) + "\n\n"
                    + json.dumps(lines[2], ensure_ascii=False) + "\n", encoding="utf-8")
    sheets = read_file(path)
    by_kind = {s.kind: s for s in sheets}
    assert set(by_kind) == {"Member", "住户"}
    members = by_kind["Member"]
    assert members.headers == ["id", "name", "gender"]  # _kind is not a column
    assert members.rows == [(1, ["M1", "张三", None]), (4, ["M2", "李四", "女"])]  # line numbers of the file
    assert recognise(members).kind.name == "Member"
    assert recognise(by_kind["住户"]).kind.name == "Household"


def test_ndjson_without_kind_uses_the_file_name(tmp_path):
    path = tmp_path / "members.jsonl"
    path.write_text('{"党员编号": "M1", "姓名": "张三"}\n', encoding="utf-8")
    sheet = one_sheet(path)
    assert sheet.kind is None and sheet.name == "members"
    assert recognise(sheet).kind.name == "Member"


def test_dataset_file_refused_pointing_to_load_sample(tmp_path):
    path = tmp_path / "qinghemen.json"
    path.write_text(json.dumps({"meta": {}, "nodes": [], "edges": []}), encoding="utf-8")
    with pytest.raises(UnreadableFile) as info:
        read_file(path)
    assert "load-sample" in str(info.value) and "数据集" in str(info.value)


@pytest.mark.parametrize("name, text, words", [
    ("bad.json", "{not json", "JSON"),
    ("scalar.json", "42", "对象或列表"),
    ("nolist.json", '{"党员": {"编号": "M1"}}', "记录列表"),
    ("notobjects.json", '[["M1", "张三"]]', "JSON 对象"),
    ("bad.ndjson", '{"id": "M1"}\n{oops\n', "第2行"),
    ("array.ndjson", '[1, 2]\n', "第1行"),
])
def test_malformed_json_refused(tmp_path, name, text, words):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UnreadableFile, match=words):
        read_file(path)


# --- the fill-in template ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def template_path(tmp_path_factory) -> Path:
    return write_template(["Member", "Household"], tmp_path_factory.mktemp("template") / "template.xlsx")


def test_template_sheets_and_header_rows(template_path):
    book = openpyxl.load_workbook(template_path)  # it re-opens
    assert set(book.sheetnames) == {"党员", "住户", NOTES_SHEET, CHOICES_SHEET}
    assert book.sheetnames.index("住户") < book.sheetnames.index("党员")  # households before the members living there
    assert book[CHOICES_SHEET].sheet_state == "hidden"
    for kind, sheet in (("Member", "党员"), ("Household", "住户")):
        mapping = mapping_for(kind)
        ws = book[sheet]
        row1 = [c.value for c in ws[1]]
        assert row1 == [c.header for c in mapping.all_columns]
        assert ws.max_row == 1  # nothing but the header row
        assert ws.freeze_panes == "A2"


def test_template_notes_explain_every_column(template_path):
    book = openpyxl.load_workbook(template_path)
    notes = book[NOTES_SHEET]
    rows = [[c.value for c in row] for row in notes.iter_rows(min_row=2)]
    for kind, sheet in (("Member", "党员"), ("Household", "住户")):
        mapping = mapping_for(kind)
        listed = {(r[0], r[1]): r for r in rows if r[0] == sheet}
        assert len(listed) == len(mapping.all_columns)
        for column in mapping.all_columns:
            row = listed[(sheet, column.header)]
            item = column.prop or column.rel
            expected_zh = "业务编号" if item is None else item.zh
            assert row[2] == expected_zh and re.search(r"[\u4e00-\u9fff]", row[2])
            assert row[3]  # English meaning
            assert row[5]  # how to fill it in
    member = {r[1]: r for r in rows if r[0] == "党员"}
    assert "男" in member["性别"][5] and "女" in member["性别"][5]
    assert "2021-07-01" in member["出生日期"][5]
    assert member["姓名"][4] == "是"  # required
    assert "18位" in member["身份证号"][5]
    assert "文化程度" in member["学历"][7]  # aliases


def _validations(ws) -> dict[str, str]:
    """Column letter -> list formula of the sheet's drop-downs."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        for cell_range in dv.sqref.ranges:
            letter = re.match(r"[A-Z]+", cell_range.coord).group()
            assert cell_range.min_row == 2 and cell_range.max_row >= 1000
            out[letter] = dv.formula1
    return out


def _choices(book, formula: str) -> list[str]:
    match = re.fullmatch(r"'?(.+?)'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula)
    assert match, formula
    sheet, col, first, col2, last = match.groups()
    assert sheet == CHOICES_SHEET and col == col2
    return [book[sheet][f"{col}{r}"].value for r in range(int(first), int(last) + 1)]


@pytest.mark.parametrize("kind, sheet, header", [
    ("Member", "党员", "性别"), ("Member", "党员", "学历"), ("Member", "党员", "党员类别"),
    ("Household", "住户", "居住状态"), ("Household", "住户", "风险等级"),
])
def test_template_enum_columns_have_drop_downs_from_the_hidden_sheet(template_path, kind, sheet, header):
    from openpyxl.utils import get_column_letter

    book = openpyxl.load_workbook(template_path)
    mapping = mapping_for(kind)
    index = [c.header for c in mapping.all_columns].index(header) + 1
    formula = _validations(book[sheet])[get_column_letter(index)]
    labels = _choices(book, formula)
    prop = mapping.by_header[normalise_header(header)].prop
    assert labels == [m.zh for m in prop.type]
    convert = converter(prop)
    assert [convert(label) for label in labels] == [m.value for m in prop.type]  # what staff pick imports


def test_template_drop_downs_only_on_single_valued_enums_and_booleans(tmp_path):
    from openpyxl.utils import get_column_letter

    path = write_template(["Member", "Household", "PartyOrg"], tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    for kind in ("Member", "Household", "PartyOrg"):
        mapping = mapping_for(kind)
        validations = _validations(book[mapping.sheets[0]])
        expected = {get_column_letter(i) for i, c in enumerate(mapping.all_columns, start=1)
                    if c.prop is not None and ((c.prop.is_enum and not c.prop.many) or c.prop.type is bool)}
        assert set(validations) == expected
    # 困难类别 holds several values: a drop-down would refuse 低保户；残疾人
    household = mapping_for("Household")
    care = [c.name for c in household.all_columns].index("careCategories") + 1
    assert get_column_letter(care) not in _validations(book["住户"])
    org = mapping_for("PartyOrg")
    branch = [c.name for c in org.all_columns].index("hasBranchCommittee") + 1
    assert _validations(book[org.sheets[0]])[get_column_letter(branch)] == '"是,否"'


def test_template_text_columns_are_formatted_as_text(template_path):
    """An 18-digit ID number or a 19-digit building code typed into a General cell loses its last digits."""
    from openpyxl.utils import get_column_letter

    book = openpyxl.load_workbook(template_path)
    for kind, sheet in (("Member", "党员"), ("Household", "住户")):
        ws = book[sheet]
        for index, column in enumerate(mapping_for(kind).all_columns, start=1):
            fmt = ws.column_dimensions[get_column_letter(index)].number_format
            if column.name in ("id", "idNumber", "phone") or column.rel is not None:
                assert fmt == "@", (sheet, column.header)
            elif column.prop.type in (dt.date, int):
                assert fmt != "@", (sheet, column.header)


def test_filled_template_reads_back(tmp_path, template_path):
    path = tmp_path / "filled.xlsx"
    shutil.copy(template_path, path)
    book = openpyxl.load_workbook(path)
    ws = book["党员"]
    headers = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(headers, start=1)}
    for values in ({"党员编号": "M1", "姓名": "张三", "性别": "男", "出生日期": dt.datetime(1960, 5, 1),
                    "身份证号": "210905196005011232", "所在支部": "PO-1"},
                   {"党员编号": "M2", "姓名": "李四", "性别": "女", "学历": "本科"}):
        row = ws.max_row + 1
        for header, value in values.items():
            ws.cell(row=row, column=col[header], value=value)
    book.save(path)

    sheets = read_xlsx(path)
    # the notes and the hidden lists are not data: only the kinds' sheets come back
    assert [s.name for s in sheets] == ["住户", "党员"]
    households, members = sheets
    assert households.headers == [c.header for c in mapping_for("Household").all_columns]
    assert households.rows == []
    assert members.headers == headers and members.header_row == 1
    assert [n for n, _ in members.rows] == [2, 3]
    first = dict(zip(members.headers, members.rows[0][1]))
    assert first["姓名"] == "张三" and first["出生日期"] == dt.datetime(1960, 5, 1)
    assert first["身份证号"] == "210905196005011232" and first["学历"] is None
    assert recognise(members).kind.name == "Member"
    assert recognise(households).kind.name == "Household"
    assert all(recognise(s, "Member").kind.name == "Member" for s in sheets)


# --- GraphML -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def sample_store(tmp_path_factory):
    store = EmbeddedStore(tmp_path_factory.mktemp("graphml") / "g.sqlite3")
    await store.migrate()
    await store.load(read_sample(), replace=True)
    yield store
    await store.close()


async def _scope_counts(store, scope) -> dict[str, int]:
    counts = {}
    for kind in KINDS:
        page = await store.find_nodes(kind.name, [], [], 0, 1, scope)
        counts[kind.name] = page.total
    return counts


async def test_graphml_of_a_community(sample_store, tmp_path):
    scope = EVERYTHING.narrowed(community_id=COMMUNITY)
    kinds = [k.name for k in KINDS]
    out = tmp_path / "community.graphml"
    nodes, edges = await export_graphml(sample_store, kinds, out, scope)
    graph = nx.read_graphml(out)
    expected = await _scope_counts(sample_store, scope)
    assert graph.number_of_nodes() == nodes == sum(expected.values())
    assert graph.number_of_edges() == edges > 0
    by_kind = collections.Counter(d["nodeKind"] for _, d in graph.nodes(data=True))
    assert {k: n for k, n in by_kind.items()} == {k: n for k, n in expected.items() if n}
    assert expected["Household"] > 0 and expected["Member"] > 0
    everything = await _scope_counts(sample_store, EVERYTHING)
    assert sum(everything.values()) > sum(expected.values())  # the scope really narrows
    for node, data in graph.nodes(data=True):
        assert node == f"{data['nodeKind']}:{data['id']}"
        if KIND_BY_NAME[data["nodeKind"]].scoped and data.get("communityId") is not None:
            assert data["communityId"] == COMMUNITY
        assert not SENSITIVE & set(data), (node, SENSITIVE & set(data))
    types = relationship_types()
    for _, _, data in graph.edges(data=True):
        assert data["relType"] in types


async def test_graphml_node_values_match_the_store(sample_store, tmp_path):
    scope = EVERYTHING.narrowed(community_id=COMMUNITY)
    out = tmp_path / "g.graphml"
    await export_graphml(sample_store, ["Member", "Household", "StairwellUnit", "PartyOrg"], out, scope)
    graph = nx.read_graphml(out)
    page = await sample_store.find_nodes("Member", [], [], 0, 1, scope)
    member = page.records[0]
    data = graph.nodes[f"Member:{member['id']}"]
    assert data["name"] == member["name"] == data["label"]
    assert data["birthDate"] == member["birthDate"].isoformat()
    # a household's edge to its stairwell unit
    household = (await sample_store.find_nodes("Household", [], [], 0, 1, scope)).records[0]
    unit_rel = KIND_BY_NAME["Household"].rel("unit")
    units = (await sample_store.neighbours("Household", unit_rel, [household["id"]], EVERYTHING))[household["id"]]
    source = f"Household:{household['id']}"
    assert [(t, d["relType"]) for _, t, d in graph.out_edges(source, data=True)] == \
        [(f"StairwellUnit:{units[0]['id']}", unit_rel.type)]
    # kinds left out of the export leave no dangling edges
    assert {d["nodeKind"] for _, d in graph.nodes(data=True)} <= {"Member", "Household", "StairwellUnit", "PartyOrg"}


async def test_graphml_sensitive_properties_only_when_asked(sample_store, tmp_path):
    scope = EVERYTHING.narrowed(community_id=COMMUNITY)
    out = tmp_path / "sensitive.graphml"
    await export_graphml(sample_store, ["Member", "Household"], out, scope, include_sensitive=True)
    graph = nx.read_graphml(out)
    present = set().union(*(set(d) for _, d in graph.nodes(data=True)))
    assert {"phone", "idNumber", "careCategories"} <= present
    household = next(d for _, d in graph.nodes(data=True) if d.get("careCategories"))
    labels = household["careCategories"].split("；")
    assert labels and all(label in {m.value for m in KIND_BY_NAME["Household"].prop("careCategories").type}
                          for label in labels)
