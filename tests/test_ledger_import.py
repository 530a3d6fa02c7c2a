"""Importing staff ledgers on both backends: refused with every problem and nothing written,
all-or-nothing under an injected failure, idempotent, and a faithful export round trip.

The stores here are this module's own (the sample loaded afresh); on Neo4j the sample is
restored at the end so later modules find the state they expect.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from graph_api.domain.values import id_check_digit
from graph_api.ledger.export import export_kinds
from graph_api.ledger.importer import ImportRefused, apply_plan, import_files, plan_import
from graph_api.store.base import EVERYTHING, GraphStore
from tests.backends import load_sample_into
from tests.conftest import BACKENDS, writable_sample_store

BRANCH = "PO210905001001B1"  # a branch of 乌龙社区 in the sample
BUILDING = "2109050010010101001"  # 华瑞小区1号楼, units ...01 to ...03
COMPLEX = "2109050010010101"


@pytest.fixture(scope="module", params=BACKENDS)
async def ledger_store(request: pytest.FixtureRequest, settings, tmp_path_factory) -> AsyncIterator[GraphStore]:
    async with writable_sample_store(request.param, settings, tmp_path_factory, "ledger") as store:
        yield store


@pytest.fixture
async def fresh(ledger_store: GraphStore) -> GraphStore:
    """The module's store, back to the sample before each test."""
    await load_sample_into(ledger_store)
    return ledger_store


def id_number(birth: dt.date, seq: int = 123) -> str:
    body = f"210905{birth:%Y%m%d}{seq:03d}"
    return body + id_check_digit(body)


async def snapshot(store: GraphStore, tmp_path: Path) -> str:
    """Every record and relationship of the store, as the JSON export writes them."""
    from graph_api.domain.model import KIND_BY_NAME

    out = tmp_path / f"snapshot-{dt.datetime.now().timestamp()}.json"
    await export_kinds(store, list(KIND_BY_NAME), out, "json", EVERYTHING)
    return out.read_text(encoding="utf-8")


def hand_filled_workbook(path: Path, with_errors: bool) -> Path:
    """A workbook as staff fill it in: a title row, Chinese headers, a 序号 column, labels
    instead of codes, dates typed several ways, Excel date cells and numbers."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "党员"
    ws.append(["乌龙社区党员台账（2022年6月）"])
    ws.append(["序号", "党员编号", "姓名", "性别", "出生日期", "学历", "入党时间", "党员类别", "联系电话", "身份证号", "所在支部", "备注"])
    good = [1, "MX001", "测某甲", "女", "1985/3/12", "本科", "2010年7月1日", "在职党员", "139 0000 1234",
            id_number(dt.date(1985, 3, 12)), BRANCH, ""]
    ws.append(good)
    ws.append([2, "MX002", "测某乙", "男", dt.datetime(1979, 11, 2), "大专", "2001-06-30", "退休党员", "0418-1234567",
               id_number(dt.date(1979, 11, 2), 7), BRANCH, "Excel 日期单元格"])
    if with_errors:
        ws.append([3, "MX003", "测某丙", "男", "1990-02-30", "高中", "2015-07-01", "在职党员", "", "", BRANCH, ""])  # row 5
        ws.append([4, "MX004", "测某丁", "未知", "1988-01-01", "本科", "2015-07-01", "在职党员", "", "", BRANCH, ""])  # row 6
        bad_id = id_number(dt.date(1987, 5, 5))
        bad_id = bad_id[:17] + ("0" if bad_id[17] != "0" else "1")
        ws.append([5, "MX005", "测某戊", "女", "1987-05-05", "本科", "2012-07-01", "在职党员", "", bad_id, BRANCH, ""])  # row 7
        ws.append([6, "MX006", "测某己", "女", "1986-05-05", "本科", "2012-07-01", "在职党员", "", "", "PO-NOT-THERE", ""])  # row 8
        ws.append([7, "MX001", "测某庚", "女", "1986-05-05", "本科", "2012-07-01", "在职党员", "", "", BRANCH, "重复"])  # row 9
        ws.append([8, "MX008", "", "女", "1986-05-05", "本科", "2012-07-01", "在职党员", "", "", BRANCH, ""])  # row 10
        ws.append([9, "MX009", "测某辛", "男", "2001-05-05", "本科", "2012-07-01", "在职党员", "", "", BRANCH, ""])  # row 11
    homes = book.create_sheet("住户")
    homes.append(["楼栋", "单元", "房号", "楼层", "户主姓名", "联系电话", "困难类别", "风险等级"])
    homes.append([BUILDING, 1, 9901, 9, "测某壬", "13900001111", "独居老人、低保户", "高风险"])
    if with_errors:
        homes.append(["2109050019999999999", 1, 9902, 9, "测某癸", "13900001112", "", ""])  # row 3: no such unit
        homes.append([BUILDING, 2, 9903, 9, "测某子", "12345", "", ""])  # row 4: bad phone
    pairs = book.create_sheet("结对帮扶")
    pairs.append(["结对编号", "帮扶党员", "帮扶住户", "帮扶类型", "结对日期", "状态"])
    pairs.append(["PRX1", "MX001", f"{BUILDING}01-9901", "助老", 44378, "帮扶中"])  # 44378: 2021-07-01
    if with_errors:
        grids = book.create_sheet("楼栋")
        grids.append(["网格编码", "网格名称", "上级网格", "楼层数"])
        grids.append(["2109050010010102999", "测试楼", COMPLEX, 6])  # row 2: code not under its parent
    book.save(path)
    return path


async def test_a_hand_filled_workbook_with_errors_is_refused_whole(fresh: GraphStore, tmp_path: Path) -> None:
    before = await snapshot(fresh, tmp_path)
    path = hand_filled_workbook(tmp_path / "台账.xlsx", with_errors=True)
    with pytest.raises(ImportRefused) as caught:
        await import_files([path], fresh)
    found = {(p.sheet, p.row, p.column): p for p in caught.value.problems}
    expected = {
        ("党员", 5, "出生日期"): "日期不存在",
        ("党员", 6, "性别"): "不是允许的取值",
        ("党员", 7, "身份证号"): "校验码",
        ("党员", 8, "所在支部"): "不存在",
        ("党员", 9, "党员编号"): "编号重复",
        ("党员", 10, "姓名"): "必填",
        ("党员", 11, "入党时间"): "未满18周岁",
        ("住户", 3, "楼栋+单元"): "不存在",
        ("住户", 4, "联系电话"): "电话号码格式不对",
        ("楼栋", 2, "网格编码"): "上级编码",
    }
    for where, reason in expected.items():
        assert where in found, f"no problem reported at {where}; got {sorted(found)}"
        problem = found[where]
        assert reason in problem.reason_zh, (where, problem)
        assert problem.file == "台账.xlsx" and problem.reason_en, problem
    assert len(caught.value.problems) == len(expected), [str(p) for p in caught.value.problems]
    text = str(caught.value)
    assert "台账.xlsx · 党员 · 第5行 row 5 · 出生日期 = '1990-02-30'" in text
    assert await snapshot(fresh, tmp_path) == before, "a refused import changed the store"


async def test_the_corrected_workbook_imports_then_changes_nothing(fresh: GraphStore, tmp_path: Path) -> None:
    path = hand_filled_workbook(tmp_path / "台账.xlsx", with_errors=False)
    plan = await import_files([path], fresh)
    assert {k: (c.created, c.updated, c.unchanged) for k, c in plan.counts.items()} == {
        "Household": (1, 0, 0), "Member": (2, 0, 0), "Pairing": (1, 0, 0)}
    household_id = f"{BUILDING}01-9901"
    home = (await fresh.get_nodes("Household", [household_id], EVERYTHING))[household_id]
    assert home["careCategories"] == ["ELDERLY_ALONE", "MINIMUM_LIVELIHOOD"]
    assert home["riskTier"] == "HIGH" and home["room"] == "9901" and home["floor"] == 9
    # scope keys come from the grid tree when the sheet has none
    assert (home["streetId"], home["communityId"]) == ("210905001", "210905001001")
    member = (await fresh.get_nodes("Member", ["MX002"], EVERYTHING))["MX002"]
    assert member["birthDate"] == dt.date(1979, 11, 2) and member["category"] == "RETIRED"
    assert member["phone"] == "0418-1234567" and member["communityId"] == "210905001001"
    pairing = (await fresh.get_nodes("Pairing", ["PRX1"], EVERYTHING))["PRX1"]
    assert pairing["since"] == dt.date(2021, 7, 1) and pairing["kind"] == "ELDERLY"
    helpers = await fresh.neighbours("Pairing", _rel("Pairing", "member"), ["PRX1"], EVERYTHING)
    assert [m["id"] for m in helpers["PRX1"]] == ["MX001"]

    after = await snapshot(fresh, tmp_path)
    again = await import_files([path], fresh)
    assert again.totals().created == again.totals().updated == 0 and again.totals().unchanged == 4
    assert again.data.size == 0, "an unchanged import must write nothing"
    assert await snapshot(fresh, tmp_path) == after


async def test_a_changed_row_updates_exactly_that_record(fresh: GraphStore, tmp_path: Path) -> None:
    path = hand_filled_workbook(tmp_path / "台账.xlsx", with_errors=False)
    await import_files([path], fresh)
    book = openpyxl.load_workbook(path)
    ws = book["党员"]
    ws["F4"] = "研究生"  # MX002's education
    ws["K3"] = "PO210905001001B2"  # MX001 moves to another branch
    ws["I3"] = None  # and clears the phone
    book.save(path)
    dry = await plan_import([path], fresh)
    assert dry.counts["Member"].updated == 2 and dry.counts["Member"].unchanged == 0
    assert dry.counts["Household"].unchanged == 1 and dry.counts["Pairing"].unchanged == 1
    before = await snapshot(fresh, tmp_path)
    assert await snapshot(fresh, tmp_path) == before, "planning wrote something"
    await apply_plan(dry, fresh)
    members = await fresh.get_nodes("Member", ["MX001", "MX002"], EVERYTHING)
    assert members["MX002"]["education"] == "POSTGRADUATE"
    assert "phone" not in members["MX001"] or members["MX001"]["phone"] is None
    orgs = await fresh.neighbours("Member", _rel("Member", "organisation"), ["MX001"], EVERYTHING)
    assert [o["id"] for o in orgs["MX001"]] == ["PO210905001001B2"], "the old MEMBER_OF edge must go"
    after = json.loads(await snapshot(fresh, tmp_path))
    earlier = json.loads(before)
    changed = [(sheet, row["党员编号"]) for sheet, rows in after.items() for row in rows
               if "党员编号" in row and row not in earlier[sheet]]
    assert sorted(changed) == [("党员", "MX001"), ("党员", "MX002")]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
async def test_export_then_reimport_changes_nothing(fresh: GraphStore, tmp_path: Path, fmt: str) -> None:
    from graph_api.domain.model import KIND_BY_NAME

    out = tmp_path / ("export" if fmt == "csv" else f"export.{fmt}")
    written = await export_kinds(fresh, list(KIND_BY_NAME), out, fmt, EVERYTHING)
    assert sum(written.values()) == sum((await fresh.count_nodes()).values())
    files = sorted(out.glob("*.csv")) if fmt == "csv" else [out]
    plan = await plan_import(files, fresh)
    totals = plan.totals()
    assert (totals.created, totals.updated) == (0, 0) and totals.unchanged == sum(written.values())
    assert plan.data.size == 0


async def test_an_export_imports_into_an_empty_store_as_the_same_graph(fresh: GraphStore, tmp_path: Path) -> None:
    from graph_api.domain.model import KIND_BY_NAME
    from graph_api.store.embedded.store import EmbeddedStore

    out = tmp_path / "export"
    await export_kinds(fresh, list(KIND_BY_NAME), out, "csv", EVERYTHING)
    empty = EmbeddedStore(tmp_path / "empty.sqlite3")
    try:
        await empty.migrate()
        plan = await import_files(sorted(out.glob("*.csv")), empty)
        assert plan.totals().created == sum((await fresh.count_nodes()).values())
        assert await snapshot(empty, tmp_path) == await snapshot(fresh, tmp_path)
    finally:
        await empty.close()


async def test_a_failure_mid_write_leaves_nothing_behind(fresh: GraphStore, tmp_path: Path) -> None:
    """The write is several UNWIND batches on Neo4j (and chunks on the embedded store); a
    failure after some of them (here: the progress callback raising, as Ctrl-C would) must
    roll back every one."""
    from graph_api.domain.model import KIND_BY_NAME

    out = tmp_path / "export"
    await export_kinds(fresh, list(KIND_BY_NAME), out, "csv", EVERYTHING)
    households = (out / "Household.csv").read_text(encoding="utf-8-sig").splitlines()
    header, rows = households[0], households[1:]
    # 12,000 new households in existing units: more than two write batches of 5,000
    new_rows = []
    for i in range(12_000):
        cells = rows[i % len(rows)].split(",")
        cells[0] = f"{cells[0]}-X{i}"
        cells[3] = f"X{i}"  # 房号
        new_rows.append(",".join(cells))
    extra = tmp_path / "住户.csv"
    extra.write_text("\n".join([header, *new_rows]) + "\n", encoding="utf-8")
    before = await snapshot(fresh, tmp_path)
    plan = await plan_import([extra], fresh)
    assert plan.counts["Household"].created == 12_000

    class Injected(RuntimeError):
        pass

    calls = []

    def fail_after_first_batches(stage: str, done: int, total: int) -> None:
        calls.append(done)
        if done > 6_000:
            raise Injected(f"injected failure after {done} of {total} rows")

    with pytest.raises(Injected):
        await apply_plan(plan, fresh, progress=fail_after_first_batches)
    assert len(calls) >= 2, "the failure must come after some batches were written"
    assert await snapshot(fresh, tmp_path) == before, "rows of the failed import were left behind"
    await apply_plan(plan, fresh)  # and the same plan then goes through whole
    assert (await fresh.count_nodes())["Household"] == 4908 + 12_000


async def test_gb18030_csv_with_chinese_labels_and_scope_checks(fresh: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "单元.csv"
    text = ("网格编码,网格名称,上级网格,所属社区编号\n"
            f"{BUILDING}07,华瑞小区1号楼7单元,{BUILDING},210905001001\n"
            f"{BUILDING}08,华瑞小区1号楼8单元,{BUILDING},210905001002\n")
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(ImportRefused) as caught:
        await import_files([path], fresh)
    assert len(caught.value.problems) == 1, [str(p) for p in caught.value.problems]
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "所属社区编号", "210905001002")
    assert "不一致" in problem.reason_zh
    path.write_bytes(text.replace("210905001002", "").encode("gb18030"))
    plan = await import_files([path], fresh, dry_run=True)
    assert plan.counts["StairwellUnit"].created == 2
    assert not await fresh.get_nodes("StairwellUnit", [f"{BUILDING}07"], EVERYTHING), "a dry run wrote"
    await import_files([path], fresh)
    units = await fresh.get_nodes("StairwellUnit", [f"{BUILDING}07", f"{BUILDING}08"], EVERYTHING)
    assert {u["communityId"] for u in units.values()} == {"210905001001"}
    assert {u["level"] for u in units.values()} == {"UNIT"}


async def test_grid_codes_must_stay_unique_against_the_store(fresh: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "楼栋.json"
    # a new building claiming the code of an existing one
    path.write_text(json.dumps({"楼栋": [
        {"网格编号": "B-NEW", "网格编码": BUILDING, "网格名称": "重复编码楼", "上级网格": COMPLEX}]},
        ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ImportRefused) as caught:
        await import_files([path], fresh)
    reasons = " ".join(p.reason_en for p in caught.value.problems)
    assert f"already belongs to Building {BUILDING}" in reasons


def _rel(kind: str, name: str) -> Any:
    from graph_api.domain.model import KIND_BY_NAME

    return KIND_BY_NAME[kind].rel(name)
