"""`graph-api audit` as a cron job or a secretary runs it, on the embedded store loaded with the
sample: findings, exit codes, formats, history and scope."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from graph_api.cli import app
from graph_api.domain.coverage import CHECK_NAMES
from graph_api.domain.dataset import read_sample
from graph_api.settings import get_settings

COMMUNITY = "210905001005"  # 南岭社区: three planted gaps


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    db = tmp_path_factory.mktemp("audit-cli") / "graph.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRAPH_API_STORE", "embedded")
        mp.setenv("GRAPH_API_DB", str(db))
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["load-sample"])
        assert result.exit_code == 0, result.output
    get_settings.cache_clear()
    yield db


@pytest.fixture
def audit(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Runs `graph-api audit ARGS` on the sample with a history folder of the test's own."""
    monkeypatch.setenv("GRAPH_API_STORE", "embedded")
    monkeypatch.setenv("GRAPH_API_DB", str(sample_db))
    monkeypatch.setenv("GRAPH_API_AUDIT_HISTORY", str(tmp_path / "history"))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, ["audit", *args])
    get_settings.cache_clear()


def planted() -> set[tuple[str, str]]:
    return {(g["check"], g["id"]) for g in read_sample().meta["plantedGaps"]}


def findings(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["name"], f["id"]) for c in result["checks"] for f in c["findings"]}


def test_json_lists_exactly_the_planted_gaps_and_exits_1(audit: Any) -> None:
    run = audit("--format", "json")
    assert run.exit_code == 1, run.output
    result = json.loads(run.stdout)
    assert result["format"] == "graph-api-audit/1" and result["asOf"] == "2022-06-30"
    assert findings(result) == planted()
    assert [c["name"] for c in result["checks"]] == list(CHECK_NAMES)
    summary = run.stderr.strip().splitlines()
    assert len(summary) == 1 and "audit over limits" in summary[0] and "open_need_overdue 2 > 0" in summary[0]


def test_limits_decide_the_exit_code(audit: Any) -> None:
    relaxed = audit("--format", "json", "--fail-on", "*=100")
    assert relaxed.exit_code == 0, relaxed.output
    assert relaxed.stderr == ""
    strict = audit("--format", "json", "--fail-on", "*=100", "--fail-on", "open_need_overdue=1")
    assert strict.exit_code == 1, strict.output
    assert strict.stderr.strip().endswith("open_need_overdue 2 > 1")
    assert "needy_household" not in strict.stderr
    assert audit("--format", "json", "--fail-on", "*=100", "--fail-on", "open_need_overdue=2").exit_code == 0


@pytest.mark.parametrize("args, named", [
    (["--check", "no_such_check"], "no_such_check"),
    (["--check", "open_need_overdue,nope"], "nope"),
    (["--threshold", "open_need_overdue.days=soon"], "soon"),
    (["--threshold", "open_need_overdue.weeks=3"], "weeks"),
    (["--threshold", "days=3"], "days=3"),
    (["--district", "999999"], "999999"),
    (["--street", "999999999"], "999999999"),
    (["--community", "nowhere"], "nowhere"),
    (["--as-of", "2022-02-30"], "2022-02-30"),
    (["--format", "pdf"], "pdf"),
    (["--fail-on", "open_need_overdue"], "open_need_overdue"),
    (["--fail-on", "*=many"], "many"),
    (["--out", "/no/such/folder/report.html"], "/no/such/folder/report.html"),
])
def test_errors_exit_2_with_one_line_naming_the_problem(audit: Any, args: list[str], named: str) -> None:
    run = audit(*args)
    assert run.exit_code == 2, run.output
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graph-api audit: ") and named in lines[0], run.stderr
    assert run.stdout == ""


def test_a_store_owned_by_a_running_server_exits_2(audit: Any, sample_db: Path) -> None:
    with open(sample_db.with_name(sample_db.name + ".lock"), "a+") as lock:  # as `graph-api serve` holds it
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        run = audit("--format", "json")
    assert run.exit_code == 2, run.output
    assert "open in another process" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_csv_has_a_bom_and_one_row_per_finding(audit: Any, tmp_path: Path) -> None:
    out = tmp_path / "缺口.csv"
    run = audit("--format", "csv", "--out", str(out))
    assert run.exit_code == 1, run.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][:2] == ["检查 check", "问题序号 question"]
    assert {(r[0], r[4]) for r in rows[1:]} == planted() and len(rows) - 1 == len(planted())
    stdout = audit("--format", "csv")
    assert stdout.stdout_bytes.startswith(b"\xef\xbb\xbf") and stdout.stdout_bytes.count(b"\n") == len(rows)


def test_save_twice_then_the_html_report_shows_a_trend(audit: Any, tmp_path: Path) -> None:
    first = tmp_path / "first.html"
    assert audit("--format", "html", "--out", str(first)).exit_code == 1
    assert "尚无历史记录" in first.read_text(encoding="utf-8")
    for _ in range(2):
        saved = audit("--format", "json", "--save", "--fail-on", "*=100")
        assert saved.exit_code == 0, saved.output
    files = sorted((tmp_path / "history").glob("audit-*.json"))
    assert len(files) == 2
    for gap_check, gap_id in planted():
        assert gap_id not in files[0].read_text(encoding="utf-8")
    (tmp_path / "history" / "audit-garbage.json").write_text("[1, 2", encoding="utf-8")
    report = tmp_path / "report.html"
    run = audit("--format", "html", "--out", str(report))
    assert run.exit_code == 1, run.output
    assert "skipped unreadable history file" in run.stderr and "audit-garbage.json" in run.stderr
    page = report.read_text(encoding="utf-8")
    assert "尚无历史记录" not in page
    trend = re.search(r'<svg class="chart trend-chart".*?</svg>', page).group(0)
    assert trend.count("<circle") == 3
    assert page.count('<svg class="spark"') == len(CHECK_NAMES)
    other = audit("--format", "html", "--out", str(report), "--street", "210905001")  # another scope
    assert other.exit_code == 1 and "尚无历史记录" in report.read_text(encoding="utf-8")


def test_community_limits_the_findings(audit: Any) -> None:
    everything = json.loads(audit("--format", "json").stdout)
    run = audit("--format", "json", "--community", COMMUNITY)
    assert run.exit_code == 1, run.output
    result = json.loads(run.stdout)
    assert result["scope"] == {"district": None, "street": None, "community": COMMUNITY}
    assert [c["id"] for c in result["communities"]] == [COMMUNITY]
    expected = {(c["name"], f["id"]) for c in everything["checks"] for f in c["findings"]
                if f["communityId"] == COMMUNITY}
    assert findings(result) == expected and len(expected) == 3
    street = json.loads(audit("--format", "json", "--street", "210905002").stdout)
    assert {c["streetId"] for c in street["communities"]} == {"210905002"}
    assert all(f["streetId"] == "210905002" for c in street["checks"] for f in c["findings"])
    district = json.loads(audit("--format", "json", "--district", "210905").stdout)
    assert findings(district) == planted()


def test_checks_thresholds_and_as_of(audit: Any) -> None:
    run = audit("--format", "json", "--check", "open_need_overdue", "--check", "branch_without_committee,"
                "member_out_of_contact", "--threshold", "open_need_overdue.days=120", "--as-of", "2022-07-31")
    result = json.loads(run.stdout)
    assert [c["name"] for c in result["checks"]] == ["open_need_overdue", "branch_without_committee",
                                                     "member_out_of_contact"]
    assert result["asOf"] == "2022-07-31"
    need = result["checks"][0]
    assert need["thresholds"] == {"days": 120}
    assert [f["id"] for f in need["findings"]] == ["ND057"]  # open 149 days on 2022-07-31; ND052 only 106


def test_table_is_the_default(audit: Any) -> None:
    run = audit("--fail-on", "*=100")
    assert run.exit_code == 0, run.output
    assert "楼栋未建网格党小组" in run.stdout and "怡兴小区1号楼" in run.stdout
    assert "南岭社区 › 南岭社区第一片区 › 怡兴小区 › 怡兴小区1号楼" in run.stdout


def test_list_checks(audit: Any) -> None:
    run = audit("--list-checks")
    assert run.exit_code == 0, run.output
    for name in CHECK_NAMES:
        assert name in run.stdout
    assert "楼栋未建网格党小组" in run.stdout and "highDays = 7" in run.stdout
    catalogue = json.loads(audit("--list-checks", "--format", "json").stdout)
    assert [c["name"] for c in catalogue] == list(CHECK_NAMES)
    need = next(c for c in catalogue if c["name"] == "open_need_overdue")
    assert need["thresholds"] == [{"name": "days", "default": 60, "zh": "最长待认领天数",
                                   "en": "longest a need may stay open (days)"}]


# --- review fixes: markup, empty scopes, comparable history, stderr ------------------------------
OVER_LIMITS = "覆盖检查超出限值 · audit over limits: "


def tamper(monkeypatch: pytest.MonkeyPatch, edit: Any) -> None:
    """Let `edit` change the audit result before the command renders it (as odd data would)."""
    import graph_api.audit.engine as engine

    real = engine.run_audit

    async def run_audit(*args: Any, **kwargs: Any) -> dict[str, Any]:
        result = await real(*args, **kwargs)
        edit(result)
        return result

    monkeypatch.setattr(engine, "run_audit", run_audit)


def markup_in_data(result: dict[str, Any]) -> None:
    check = next(c for c in result["checks"] if c["findings"])
    check["title"]["zh"] = "[i]标题[/i]"
    finding = check["findings"][0]
    finding["label"] = "[b]粗体[/b]楼"
    finding["reason"]["zh"] = "居民填写 [/x] 的原因"
    finding["communityName"] = "[red]社区[/]"


def test_table_shows_rich_markup_in_data_as_typed(audit: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    tamper(monkeypatch, markup_in_data)
    run = audit()
    assert run.exit_code == 1, run.output  # over limits, as the sample is: no MarkupError, no traceback
    for typed in ("[i]标题[/i]", "[b]粗体[/b]楼", "居民填写 [/x] 的原因", "[red]社区[/]"):
        assert typed in run.stdout, typed
    assert run.stderr.strip().splitlines()[-1].startswith(OVER_LIMITS)


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "html"])
def test_a_failing_renderer_exits_2_with_one_line(audit: Any, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    import graph_api.audit.report as report

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("renderer bug\nsecond line")

    monkeypatch.setattr(report, "render", broken)
    monkeypatch.setattr(report, "print_tables", broken)
    run = audit("--format", fmt, "--save")
    assert run.exit_code == 2, run.output
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graph-api audit: ") and "renderer bug" in lines[0], run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize("args", [
    ["--street", "210905002", "--community", COMMUNITY],  # the community is in street 210905001
    ["--community", COMMUNITY, "--street", "210905002", "--format", "json"],
])
def test_a_scope_without_communities_exits_2(audit: Any, tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "report.html"
    run = audit(*args, "--save", "--out", str(out), "--fail-on", "*=100")
    assert run.exit_code == 2, run.output
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graph-api audit: ") and "no community in scope" in lines[0]
    assert "street 210905002" in lines[0] and COMMUNITY in lines[0]
    assert not out.exists() and not (tmp_path / "history").exists()


def test_an_empty_store_exits_2_and_names_it(audit: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = tmp_path / "typo" / "graph.sqlite3"  # GRAPH_API_DB pointing at the wrong place
    wrong.parent.mkdir()
    monkeypatch.setenv("GRAPH_API_DB", str(wrong))
    get_settings.cache_clear()
    run = audit("--save", "--fail-on", "*=100")
    assert run.exit_code == 2, run.output
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no community in scope (everything)" in lines[0] and str(wrong) in lines[0]
    assert run.stdout == "" and not (tmp_path / "history").exists()


def test_the_trend_compares_only_runs_with_the_same_checks_and_thresholds(audit: Any, tmp_path: Path) -> None:
    relaxed = ("--format", "json", "--save", "--fail-on", "*=100")
    assert audit(*relaxed).exit_code == 0  # every check, default thresholds
    assert audit(*relaxed, "--check", "open_need_overdue").exit_code == 0  # one check
    assert audit(*relaxed, "--threshold", "open_need_overdue.days=30").exit_code == 0  # other threshold
    files = sorted((tmp_path / "history").glob("audit-*.json"))
    saved = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert sorted(len(s["checkNames"]) for s in saved) == [1, len(CHECK_NAMES), len(CHECK_NAMES)]
    assert all(s["store"] == "embedded" for s in saved)

    def trend_points(*args: str) -> tuple[int, str]:
        report = tmp_path / "report.html"
        run = audit("--format", "html", "--out", str(report), "--fail-on", "*=100", *args)
        assert run.exit_code == 0, run.output
        page = report.read_text(encoding="utf-8")
        chart = re.search(r'<svg class="chart trend-chart".*?</svg>', page)
        return (chart.group(0).count("<circle") if chart else 0), page

    points, page = trend_points()
    assert points == 2  # the one comparable run and this one
    assert "2 saved runs of this scope with other checks or thresholds are left out" in page
    assert '<span class="delta-same">' in page.split('class="cards"')[1].split("</div></div>")[0]
    assert trend_points("--check", "open_need_overdue")[0] == 2
    assert trend_points("--threshold", "open_need_overdue.days=30")[0] == 2
    points, page = trend_points("--check", "open_need_overdue,member_out_of_contact")
    assert points == 0 and "No comparable history yet" in page and "3 saved runs of this scope" in page


def test_stderr_on_exit_1_ends_with_the_over_limits_line(audit: Any, tmp_path: Path) -> None:
    out = tmp_path / "报告 [b]夜间.html"  # a name rich would take for markup
    run = audit("--format", "html", "--out", str(out), "--save")
    assert run.exit_code == 1, run.output
    lines = run.stderr.splitlines()
    saved = next((tmp_path / "history").glob("audit-*.json"))
    assert lines[:2] == [f"wrote {out}: {len(planted())} findings", f"saved {saved}"]
    assert len(lines) == 3 and lines[-1].startswith(OVER_LIMITS)
    assert lines[-1] == OVER_LIMITS + "building_without_party_group 2 > 0, " + lines[-1].split(", ", 1)[1]
    assert run.stdout == ""
