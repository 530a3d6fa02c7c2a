"""The audit report renderers and history, and the HTML report in a real headless Chromium
(offline: every host name resolves to nothing). Runs on the embedded store only: the report
reads the result dict, whatever store produced it.

Chromium is required, never skipped: ``apt-get install -y chromium`` (``make chromium``).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from graph_api.audit.engine import run_audit
from graph_api.audit.history import HISTORY_FORMAT, load_history, save_snapshot, snapshot
from graph_api.audit.report import CSV_HEADER, render
from graph_api.domain.dataset import read_sample
from graph_api.store.base import EVERYTHING
from graph_api.store.embedded.store import EmbeddedStore
from tests.backends import load_sample_into

INSTALL_CHROMIUM = ("headless Chromium is needed to check the HTML audit report: install it with "
                    "`sudo apt-get install -y chromium` (Debian/Ubuntu; `make chromium` does it), or point "
                    "CHROMIUM at a Chromium/Chrome binary")
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
async def sample_audit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    store = EmbeddedStore(tmp_path_factory.mktemp("audit-report") / "g.sqlite3")
    try:
        await load_sample_into(store)
        return await run_audit(store, EVERYTHING)
    finally:
        await store.close()


def fake_history(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Two earlier runs of the same scope with more findings than now."""
    older = snapshot(result, dt.datetime(2022, 4, 30, 8, 0, tzinfo=UTC))
    older["checks"]["building_without_party_group"]["count"] = 6
    older["checks"]["open_need_overdue"]["count"] = 5
    newer = snapshot(result, dt.datetime(2022, 5, 31, 8, 0, tzinfo=UTC))
    newer["checks"]["building_without_party_group"]["count"] = 4
    return [older, newer]


def planted() -> list[dict[str, Any]]:
    return read_sample().meta["plantedGaps"]


# --- text formats ------------------------------------------------------------------------------
def test_json_is_the_result_itself(sample_audit: dict[str, Any]) -> None:
    text = render(sample_audit, "json")
    assert json.loads(text) == sample_audit
    assert "南岭社区" in text and "\\u" not in text
    assert list(json.loads(text)) == list(sample_audit)


def test_csv_one_row_per_finding_with_bom(sample_audit: dict[str, Any]) -> None:
    text = render(sample_audit, "csv")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == CSV_HEADER
    assert len(rows) - 1 == sample_audit["summary"]["findings"] == len(planted())
    by_id = {r[4]: r for r in rows[1:]}
    building = by_id["2109050010050101001"]
    assert building[:3] == ["building_without_party_group", "1", "楼栋未建网格党小组"]
    assert building[11] == "南岭社区 > 南岭社区第一片区 > 怡兴小区 > 怡兴小区1号楼"
    assert json.loads(building[12]) == {"units": 2}


def test_table_lists_every_check_and_finding(sample_audit: dict[str, Any]) -> None:
    text = render(sample_audit, "table", width=200)
    for check in sample_audit["checks"]:
        assert check["title"]["zh"] in text
    assert "南岭社区 › 南岭社区第一片区 › 怡兴小区 › 怡兴小区1号楼" in text


# --- history -----------------------------------------------------------------------------------
def test_history_keeps_counts_only_and_reads_back_the_same_scope(sample_audit: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "history"
    assert load_history(folder, sample_audit["scope"]) == []  # no folder yet
    first = save_snapshot(sample_audit, folder, dt.datetime(2022, 6, 1, 9, 0, tzinfo=UTC))
    second = save_snapshot(sample_audit, folder, dt.datetime(2022, 6, 1, 9, 0, tzinfo=UTC))  # same second
    assert first.name == "audit-20220601T090000Z.json" and second.name == "audit-20220601T090000Z-2.json"
    other = dict(sample_audit, scope={"district": None, "street": "210905001", "community": None})
    save_snapshot(other, folder, dt.datetime(2022, 5, 1, tzinfo=UTC))
    earlier = save_snapshot(sample_audit, folder, dt.datetime(2022, 5, 2, tzinfo=UTC))
    (folder / "audit-broken.json").write_text("{not json", encoding="utf-8")
    (folder / "audit-foreign.json").write_text('{"format": "something else"}', encoding="utf-8")
    (folder / "audit-binary.json").write_bytes(b"\xff\xfe\x00garbage")
    warnings: list[str] = []
    runs = load_history(folder, sample_audit["scope"], warn=warnings.append)
    assert [r["savedAt"] for r in runs] == ["2022-05-02T00:00:00+00:00", "2022-06-01T09:00:00+00:00",
                                            "2022-06-01T09:00:00+00:00"]
    assert len(warnings) == 3 and all("skipped" in w for w in warnings)
    assert len(load_history(folder, other["scope"], warn=warnings.append)) == 1
    text = earlier.read_text(encoding="utf-8")
    assert json.loads(text)["format"] == HISTORY_FORMAT
    assert json.loads(text)["checks"]["needy_household_without_helper"] == {
        "population": 98, "count": 3, "thresholds": {"categories": ["NEEDY_FAMILY"]}}
    for gap in planted():  # privacy: no record ids of findings, households above all
        assert gap["id"] not in text
    (tmp_path / "a-file").write_text("x")
    assert load_history(tmp_path / "a-file", None, warn=warnings.append) == []


def test_table_shows_rich_markup_in_data_as_typed(sample_audit: dict[str, Any]) -> None:
    evil = copy.deepcopy(sample_audit)
    check = next(c for c in evil["checks"] if c["findings"])
    check["title"]["zh"] = "[bold]标题[/bold]"
    finding = check["findings"][0]
    finding["label"] = "[b]粗体[/b]楼"
    finding["reason"]["zh"] = "原因 [/x] 未闭合"  # a closing tag rich cannot match: MarkupError before
    finding["communityName"] = "[link=http://x]社区[/link]"
    finding["path"][-1]["name"] = "[/]片区"
    evil["scope"] = {"district": None, "street": "[red]", "community": None}
    text = render(evil, "table", width=250)
    for typed in ("[bold]标题[/bold]", "[b]粗体[/b]楼", "原因 [/x] 未闭合", "[link=http://x]社区[/link]", "[/]片区",
                  "街道 [red]"):
        assert typed in text, typed


def test_csv_cells_cannot_start_a_formula(sample_audit: dict[str, Any]) -> None:
    evil = copy.deepcopy(sample_audit)
    finding = next(c for c in evil["checks"] if c["findings"])["findings"][0]
    finding["label"] = '=HYPERLINK("http://x","点我")'
    finding["reason"]["zh"] = "+1+1"
    finding["reason"]["en"] = "-2+3"
    finding["communityName"] = "@SUM(A1)"
    finding["path"][-1]["name"] = "\t=1"  # the path starts with the community
    finding["path"][0]["name"] = "\r=2"
    finding["streetId"] = "-5"  # a plain number is not a formula: left as it is
    rows = list(csv.reader(io.StringIO(render(evil, "csv")[1:])))
    row = next(r for r in rows[1:] if r[4] == finding["id"])
    assert row[5] == '\'=HYPERLINK("http://x","点我")'
    assert (row[9], row[10], row[7], row[8]) == ("\'+1+1", "\'-2+3", "\'@SUM(A1)", "-5")
    assert row[11].startswith("\'\t=1 > ") and row[11].endswith(" > \r=2")
    assert row[1].isdigit() and json.loads(row[12]) == finding["facts"]
    clean = {r[4]: r for r in rows[1:] if r[4] != finding["id"]}
    assert not any(cell.startswith("\'") for r in clean.values() for cell in r)


# --- html --------------------------------------------------------------------------------------
def test_html_escapes_every_text_and_needs_no_network(sample_audit: dict[str, Any]) -> None:
    evil = copy.deepcopy(sample_audit)
    finding = evil["checks"][0]["findings"][0]
    finding["label"] = '<script>alert("x")</script>'
    finding["reason"]["zh"] = "<img src=x onerror=alert(1)>"
    evil["communities"][0]["name"] = "</svg><b>社区</b>"
    page = render(evil, "html")
    assert "<script" not in page and "<img" not in page and "</svg><b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    for forbidden in ("http://", "https://", "<link", "@import", "url(", "<iframe", "fetch("):
        assert forbidden not in page, forbidden
    assert "尚无历史记录" in page and "No history yet" in page


def only(result: dict[str, Any], *names: str) -> dict[str, Any]:
    """The result as if only these checks had been run."""
    checks = [c for c in result["checks"] if c["name"] in names]
    return dict(result, checks=checks, summary={"checks": len(checks), "findings": sum(c["count"] for c in checks),
                                                "checksWithFindings": sum(1 for c in checks if c["count"])})


def trend_points(page: str) -> int:
    chart = re.search(r'<svg class="chart trend-chart".*?</svg>', page)
    return chart.group(0).count("<circle") if chart else 0


def headline_delta(page: str) -> str:
    cards = page.split('<div class="cards">', 1)[1].split("</div></div>", 1)[0]
    found = re.search(r'<span class="delta-[a-z]+">[^<]*</span>', cards)
    return found.group(0) if found else ""


def test_trend_and_headline_compare_only_runs_with_the_same_checks_and_thresholds(
        sample_audit: dict[str, Any]) -> None:
    now = sample_audit["summary"]["findings"]
    full = snapshot(sample_audit, dt.datetime(2022, 4, 30, tzinfo=UTC))
    full["checks"]["open_need_overdue"]["count"] += 3  # three more findings than now
    one_check = only(sample_audit, "open_need_overdue")
    partial = snapshot(one_check, dt.datetime(2022, 5, 31, tzinfo=UTC))  # later, one check only
    other_threshold = snapshot(sample_audit, dt.datetime(2022, 6, 15, tzinfo=UTC))
    other_threshold["checks"]["open_need_overdue"]["thresholds"] = {"days": 30}
    other_threshold["checks"]["open_need_overdue"]["count"] = 40
    other_scope = snapshot(dict(sample_audit, scope={"district": None, "street": "210905001", "community": None}),
                           dt.datetime(2022, 6, 20, tzinfo=UTC))
    page = render(sample_audit, "html", [full, partial, other_threshold, other_scope])
    assert trend_points(page) == 2  # the full run with the same thresholds, and this one
    assert headline_delta(page) == '<span class="delta-down">▼ 3</span>'  # not ▲ (the one-check run as 0s)
    assert "2 saved runs of this scope with other checks or thresholds are left out" in page
    spark = page.split("需求超期未认领</div>", 1)[1].split("</div></div>", 1)[0]
    assert f"before</span> {2 + 3} → " in spark

    # a run of one check compares with the one-check run only; list thresholds compare as sets
    page = render(one_check, "html", [full, partial, other_threshold])
    assert trend_points(page) == 2 and headline_delta(page) == '<span class="delta-same">＝</span>'
    levels = copy.deepcopy(sample_audit)
    next(c for c in levels["checks"] if c["name"] == "grid_without_leader")["thresholds"]["levels"].reverse()
    assert trend_points(render(levels, "html", [full])) == 2

    # nothing comparable: no chart, no delta, a note
    page = render(sample_audit, "html", [partial, other_threshold])
    assert trend_points(page) == 0 and headline_delta(page) == ""
    assert "No comparable history yet" in page


def test_snapshots_without_check_names(sample_audit: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "history"
    full = save_snapshot(sample_audit, folder, dt.datetime(2022, 5, 1, tzinfo=UTC))
    one_check = only(sample_audit, "open_need_overdue")
    partial = save_snapshot(one_check, folder, dt.datetime(2022, 5, 2, tzinfo=UTC))
    for path in (full, partial):  # as saved before "checkNames" was kept
        snap = json.loads(path.read_text(encoding="utf-8"))
        assert snap["checkNames"] == list(snap["checks"])
        del snap["checkNames"]
        path.write_text(json.dumps(snap, ensure_ascii=False), encoding="utf-8")
    bad = save_snapshot(sample_audit, folder, dt.datetime(2022, 5, 3, tzinfo=UTC))
    snap = json.loads(bad.read_text(encoding="utf-8"))
    snap["checkNames"] = snap["checkNames"][:-1]  # names that do not match the counts
    bad.write_text(json.dumps(snap, ensure_ascii=False), encoding="utf-8")
    warnings: list[str] = []
    runs = load_history(folder, sample_audit["scope"], warn=warnings.append)
    assert [r["savedAt"] for r in runs] == ["2022-05-01T00:00:00+00:00"]  # the full catalogue of its time
    assert runs[0]["checkNames"] == [c["name"] for c in sample_audit["checks"]]
    assert len(warnings) == 2
    assert partial.name in warnings[0] and "saved without its list of checks" in warnings[0]
    assert "with 1 of the 21 checks" in warnings[0]
    assert bad.name in warnings[1] and "unreadable" in warnings[1]
    assert trend_points(render(sample_audit, "html", runs)) == 2

    # two runs within one second: the second saved is the later one
    again = save_snapshot(one_check, folder, dt.datetime(2022, 6, 1, tzinfo=UTC))
    last = save_snapshot(sample_audit, folder, dt.datetime(2022, 6, 1, tzinfo=UTC))
    assert again.name == "audit-20220601T000000Z.json" and last.name == "audit-20220601T000000Z-2.json"
    runs = load_history(folder, sample_audit["scope"], warn=warnings.append)
    assert runs[-1]["checkNames"] == [c["name"] for c in sample_audit["checks"]]


def test_html_report_in_headless_chromium(sample_audit: dict[str, Any], tmp_path: Path) -> None:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail(INSTALL_CHROMIUM, pytrace=False)
    page = render(sample_audit, "html", fake_history(sample_audit))

    assert page.count('class="chart coverage-chart"') == 1
    assert page.count('class="chart trend-chart"') == 1
    assert page.count('<svg class="spark"') == len(sample_audit["checks"]) == 21
    assert "尚无历史记录" not in page
    trend = re.search(r'<svg class="chart trend-chart".*?</svg>', page).group(0)
    assert trend.count("<circle") == 3  # two saved runs and this one
    for gap in planted():
        assert f'id="check-{gap["check"]}"' in page, gap
        assert gap["id"] in page, gap
    for community in sample_audit["communities"]:
        assert community["name"] in page
    assert "@media print" in page and "size: A4" in page

    html_file = tmp_path / "报告 audit.html"
    html_file.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    netlog = tmp_path / "netlog.json"
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-breakpad", "--disable-domain-reliability", "--no-pings",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr", "--v=0", f"--log-net-log={netlog}", f"--screenshot={shot}",
            "--window-size=1280,2000", html_file.as_uri()]
    try:
        done = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=120)
    except FileNotFoundError:
        pytest.fail(f"{chromium} cannot be run. {INSTALL_CHROMIUM}", pytrace=False)
    log = done.stderr
    assert shot.is_file() and shot.stat().st_size > 0, f"no screenshot (exit {done.returncode}):\n{log[-3000:]}"

    console = [line for line in log.splitlines() if "CONSOLE" in line]
    errors = [line for line in console if re.search(r"Uncaught|Error|error|Failed|failed", line)]
    assert not errors, "console errors:\n" + "\n".join(errors)
    assert not page_requests(netlog), page_requests(netlog)

    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    colours: set[tuple[int, ...]] = set()
    non_white = 0
    for row in pixels:
        triples = list(zip(row[0::3], row[1::3], row[2::3]))
        colours.update(triples)
        non_white += len(triples) - triples.count((255, 255, 255))
    assert non_white > 0.05 * width * height, f"the page looks blank: {non_white} non-white pixels"
    assert len(colours) > 100, f"only {len(colours)} colours"
    for name, rgb in (("covered green", (0x2e, 0x7d, 0x32)), ("uncovered red", (0xc6, 0x28, 0x28)),
                      ("helped blue", (0x15, 0x65, 0xc0)), ("unhelped orange", (0xef, 0x6c, 0x00)),
                      ("header red", (0xb7, 0x1c, 0x1c))):
        assert any(max(abs(a - b) for a, b in zip(c, rgb)) <= 4 for c in colours), f"no {name} pixels: chart not drawn?"


def page_requests(netlog: Path) -> list[str]:
    """URLs the page itself asked for (browser-internal requests have no page initiator)."""
    if not netlog.is_file():
        return []
    text = netlog.read_text(encoding="utf-8", errors="replace").rstrip()
    if not text.endswith("}"):  # Chromium may leave the last event list open
        text = text.rstrip(",") + "]}"
    log = json.loads(text)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    out = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        if names.get(event["type"]) == "URL_REQUEST_START_JOB" and params.get("url"):
            initiator = params.get("initiator") or ""
            if initiator == "null" or initiator.startswith("file"):
                out.append(params["url"])
    return out


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """An 8-bit RGB(A) PNG as rows of RGB bytes (pure Python: no imaging library needed)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks = 8, []
    width = height = colour = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    low7 = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind_ = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind_ == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind_ == 2:  # bytewise addition of two whole rows at once
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = bytearray((((a & low7) + (b & low7)) ^ ((a ^ b) & high)).to_bytes(stride, "big"))
        elif kind_ == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind_ == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind_ == 0, f"bad PNG filter {kind_}"
        if bpp == 3:
            rows.append(bytes(line))
        else:
            rgb = bytearray(width * 3)
            rgb[0::3], rgb[1::3], rgb[2::3] = line[0::4], line[1::4], line[2::4]
            rows.append(bytes(rgb))
        prev = line
    return width, height, rows
