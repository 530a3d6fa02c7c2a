"""The ledger commands as staff run them: `graph-api import / export / template / generate`
on the embedded store (their store-independent logic is tested on both backends elsewhere)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from graph_api.cli import app
from graph_api.settings import get_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("GRAPH_API_STORE", "embedded")
    monkeypatch.setenv("GRAPH_API_DB", str(tmp_path / "graph.sqlite3"))
    get_settings.cache_clear()
    runner = CliRunner()
    result = runner.invoke(app, ["load-sample"])
    assert result.exit_code == 0, result.output
    yield runner
    get_settings.cache_clear()


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_bad_file_exits_1_with_every_problem_and_writes_nothing(cli: CliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "党员.csv", [
        ["党员编号", "姓名", "性别", "出生日期", "所在支部"],
        ["MC1", "测某1", "男", "1980年2月30日", "PO210905001001B1"],
        ["MC2", "测某2", "不详", "1980-01-01", "PO210905001001B1"],
    ])
    errors = tmp_path / "problems.csv"
    result = cli.invoke(app, ["import", str(path), "--errors", str(errors)])
    assert result.exit_code == 1, result.output
    assert "import refused" in result.output and "2 problem(s)" in result.output
    with errors.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert [r[2:4] for r in rows[1:]] == [["2", "出生日期"], ["3", "性别"]]
    assert cli.invoke(app, ["export", "--kind", "Member", "--format", "csv", "--out", str(tmp_path / "out")]).exit_code == 0
    assert "MC1" not in (tmp_path / "out" / "Member.csv").read_text(encoding="utf-8-sig")


def test_dry_run_counts_then_import_then_nothing_to_do(cli: CliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "members.csv", [
        ["id", "name", "gender", "birthDate", "organisation"],
        ["MC1", "测某1", "MALE", "1980-02-03", "PO210905001001B1"],
        ["M00001", "汤某52", "女", "1982-08-05", "PO210905001001B1"],  # as stored: unchanged
    ])
    dry = cli.invoke(app, ["import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output
    assert _counts(dry.output, "Member") == ["1", "0", "1"]
    done = cli.invoke(app, ["import", str(path)])
    assert done.exit_code == 0 and _counts(done.output, "Member") == ["1", "0", "1"]
    again = cli.invoke(app, ["import", str(path)])
    assert _counts(again.output, "Member") == ["0", "0", "2"]


def test_export_template_and_generate_write_files_import_reads(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "ledger.xlsx"
    result = cli.invoke(app, ["export", "--kind", "Street", "--kind", "Community", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["街道", "社区"]
    assert [c.value for c in book["社区"][1]][:4] == ["网格编号", "所属街道编号", "所属社区编号", "网格编码"]
    again = cli.invoke(app, ["import", str(out)])
    assert again.exit_code == 0 and _counts(again.output, "Community") == ["0", "0", "13"]

    template = tmp_path / "template.xlsx"
    assert cli.invoke(app, ["template", "--kind", "Household", "--out", str(template)]).exit_code == 0
    assert "住户" in openpyxl.load_workbook(template).sheetnames

    graphml = tmp_path / "g.graphml"
    result = cli.invoke(app, ["export", "--format", "graphml", "--out", str(graphml), "--community", "210905001001"])
    assert result.exit_code == 0 and graphml.stat().st_size > 0

    generated = tmp_path / "tier-s"
    result = cli.invoke(app, ["generate", "--tier", "S", "--out", str(generated)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in generated.glob("*.csv")} >= {"Household.csv", "Member.csv", "Pairing.csv"}
    assert cli.invoke(app, ["import", "--kind", "Nothing", str(out)]).exit_code == 2


def _counts(output: str, kind: str) -> list[str]:
    for line in output.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│") if c.strip()]
        if cells and cells[0] == kind:
            return cells[1:4]
    raise AssertionError(f"no row for {kind} in:\n{output}")
