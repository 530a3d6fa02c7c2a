"""Renderers of an audit result (:func:`graph_api.audit.engine.run_audit`): a terminal table,
JSON, CSV (one row per finding) and one self-contained HTML page for street staff.

Every renderer reads only the result dict (and, for HTML, the saved runs of
:mod:`graph_api.audit.history`), so a result saved as JSON can be rendered again later.
Grid paths are shown from the community down (社区 › 片区 › 小区 › 楼栋 › 单元); the result
stores them nearest first.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from graph_api.audit.history import split_runs
from graph_api.domain.coverage import CHECK_BY_NAME

FORMATS = ("table", "json", "csv", "html")
TREND_RUNS = 52  # saved runs drawn in the trend, besides the current one

Result = Mapping[str, Any]


# --- shared helpers --------------------------------------------------------------------------
def path_names(finding: Mapping[str, Any]) -> list[str]:
    """Names of the finding's grid path, community first."""
    return [str(p.get("name") or p.get("id") or "") for p in reversed(finding.get("path") or [])]


def percent(share: float | None) -> str:
    """A share as a percentage with one decimal; a check with findings never reads 100%."""
    if share is None:
        return "—"
    value = round(share * 100, 1)
    return f"{99.9 if value == 100 and share < 1 else value:.1f}%"


def community_label(finding: Mapping[str, Any]) -> str:
    if finding.get("communityName"):
        return str(finding["communityName"])
    if finding.get("communityId"):
        return str(finding["communityId"])
    return f"街道 {finding.get('streetId') or '?'}"


def scope_text(result: Result) -> tuple[str, str]:
    """The audited scope in Chinese and English."""
    scope = result.get("scope") or {}
    names = {c["id"]: c.get("name") for c in result.get("communities", [])}
    zh, en = [], []
    if scope.get("district"):
        zh.append(f"区 {scope['district']}")
        en.append(f"district {scope['district']}")
    if scope.get("street"):
        zh.append(f"街道 {scope['street']}")
        en.append(f"street {scope['street']}")
    if scope.get("community"):
        name = names.get(scope["community"])
        zh.append(f"社区 {name + ' ' if name else ''}{scope['community']}")
        en.append(f"community {scope['community']}")
    if not zh:
        return "全部", "everything"
    return " · ".join(zh), ", ".join(en)


def worst_checks(result: Result) -> list[Mapping[str, Any]]:
    """Checks with findings, most findings first."""
    return sorted((c for c in result["checks"] if c["count"]), key=lambda c: (-c["count"], c["question"], c["name"]))


def communities_by_findings(check: Mapping[str, Any]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for f in check["findings"]:
        label = community_label(f)
        counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def render(result: Result, fmt: str, history: Sequence[Mapping[str, Any]] = (), width: int = 160) -> str:
    """The result in one of :data:`FORMATS` as text (``table``: plain text without colours)."""
    if fmt == "json":
        return render_json(result)
    if fmt == "csv":
        return render_csv(result)
    if fmt == "html":
        return render_html(result, history)
    if fmt == "table":
        buffer = io.StringIO()
        print_tables(result, Console(file=buffer, width=width, no_color=True, highlight=False))
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


# --- table -----------------------------------------------------------------------------------
def print_tables(result: Result, console: Console) -> None:
    """A summary per check, then the findings of each check with findings, worst first.

    Every title and cell is a :class:`rich.text.Text`, never markup: labels, reasons and names are
    typed by residents and staff, and ``[b]`` or ``[/x]`` in them must show as typed."""
    zh, en = scope_text(result)
    summary = Table(title=Text(f"覆盖检查 · coverage audit — {zh} ({en}), 基准日 as of {result['asOf']}"),
                    title_justify="left")
    summary.add_column("问题 Q", justify="right")
    summary.add_column("检查 check")
    summary.add_column("name", style="dim")
    summary.add_column("对象 population", justify="right")
    summary.add_column("问题 findings", justify="right")
    summary.add_column("达标率 share OK", justify="right")
    for c in result["checks"]:
        count = Text(f"{c['count']:,}", style="bold red" if c["count"] else "green")
        summary.add_row(Text(str(c["question"])), Text(str(c["title"]["zh"])), Text(str(c["name"])),
                        Text(f"{c['population']:,}"), count, Text(percent(c["shareOk"])))
    s = result["summary"]
    summary.caption = Text(f"{s['findings']:,} 个问题，{s['checksWithFindings']}/{s['checks']} 项检查有问题 · "
                           f"{s['findings']:,} findings in {s['checksWithFindings']} of {s['checks']} checks")
    console.print(summary)
    for c in worst_checks(result):
        table = Table(title=Text(f"问题 {c['question']} · {c['title']['zh']} ({c['name']}): {c['count']:,}"),
                      title_justify="left", show_lines=False)
        table.add_column("社区 community", no_wrap=True)
        table.add_column("名称 label", overflow="fold")
        table.add_column("原因 reason", overflow="fold")
        table.add_column("网格路径 path", overflow="fold", style="dim")
        for f in c["findings"]:
            table.add_row(Text(community_label(f)), Text(str(f["label"])), Text(str(f["reason"]["zh"])),
                          Text(" › ".join(path_names(f))))
        console.print(table)
    if not s["findings"]:
        console.print(Text("没有发现问题 · no findings", style="green"))


# --- json ------------------------------------------------------------------------------------
def render_json(result: Result) -> str:
    """The result as JSON (UTF-8, not ASCII-escaped, indented by 2, keys in the engine's order).

    Format ``graph-api-audit/1``::

        {
          "format": "graph-api-audit/1",
          "generatedAt": "2022-06-30T08:15:00+00:00",   # UTC time of the run
          "asOf": "2022-06-30",          # reference date of the rules (--as-of, else District.asOfDate)
          "scope": {"district": null, "street": "210905001", "community": null},   # as asked
          "store": "embedded",           # or "neo4j"
          "summary": {"checks": 21, "findings": 25, "checksWithFindings": 15},
          "checks": [                    # in catalogue order (question 1 to 11)
            {
              "name": "building_without_party_group",
              "question": 1,             # question number in the domain primer
              "kind": "Building",        # kind of the offending records
              "title": {"zh": "楼栋未建网格党小组", "en": "building without a grid Party group"},
              "rule": {"zh": "...", "en": "..."},
              "populationLabel": {"zh": "楼栋", "en": "buildings"},
              "thresholds": {"coveringKinds": ["GRID_GROUP"]},   # the values used (defaults or --threshold)
              "population": 195,         # records looked at
              "count": 2,                # findings
              "shareOk": 0.9897,         # (population - count) / population, 4 decimals; null when population is 0
              "seconds": 0.0043,
              "findings": [              # sorted by id
                {
                  "id": "2109050010050101001", "kind": "Building", "label": "怡兴小区1号楼",
                  "communityId": "210905001005", "communityName": "南岭社区", "streetId": "210905001",
                  "reason": {"zh": "怡兴小区1号楼（含全部2个单元）未建立网格党小组", "en": "..."},
                  "facts": {"units": 2},   # check-specific values behind the reason
                  "path": [                # the grid up to the community, nearest first
                    {"kind": "Building", "id": "2109050010050101001", "name": "怡兴小区1号楼"},
                    {"kind": "Complex", "id": "2109050010050101", "name": "怡兴小区"},
                    {"kind": "Area", "id": "21090500100501", "name": "南岭社区第一片区"},
                    {"kind": "Community", "id": "210905001005", "name": "南岭社区"}
                  ]
                }
              ]
            }
          ],
          "communities": [               # every community in scope, by id
            {
              "id": "210905001005", "name": "南岭社区", "streetId": "210905001",
              "checks": {"building_without_party_group": {"population": 19, "count": 1, "shareOk": 0.9474}},
              "totals": {"findings": 3, "buildings": 19, "buildingsUncovered": 1,
                         "needyHouseholds": 8, "needyUnhelped": 0}   # null when that check was not run
            }
          ],
          "seconds": 0.035               # wall time of the whole audit
        }
    """
    return json.dumps(result, ensure_ascii=False, indent=2) + "\n"


# --- csv -------------------------------------------------------------------------------------
CSV_HEADER = ["检查 check", "问题序号 question", "检查名称 check_zh", "类型 kind", "编号 id", "名称 label",
              "社区编号 community_id", "社区 community", "街道编号 street_id", "原因 reason_zh", "reason_en",
              "网格路径 path", "依据 facts"]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def csv_cell(value: Any) -> str:
    """A text cell that Excel or LibreOffice will not run as a formula: one starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (plain numbers such as
    ``-3`` are left alone: they are read as numbers, not formulas)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def render_csv(result: Result) -> str:
    """One row per finding, with a BOM (``\\ufeff``) so that Excel reads the Chinese as UTF-8.
    Every text cell goes through :func:`csv_cell` (no formula injection); the question number and
    the facts (JSON, starting with ``{``) are written as they are."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for c in result["checks"]:
        for f in c["findings"]:
            text = [c["name"], c["title"]["zh"], f["kind"], f["id"], f["label"], f.get("communityId"),
                    f.get("communityName"), f.get("streetId"), f["reason"]["zh"], f["reason"]["en"],
                    " > ".join(path_names(f))]
            name, title, kind, ident, label, cid, cname, sid, zh, en, path = map(csv_cell, text)
            writer.writerow([name, c["question"], title, kind, ident, label, cid, cname, sid, zh, en, path,
                             json.dumps(f.get("facts") or {}, ensure_ascii=False)])
    return buffer.getvalue()


# --- html ------------------------------------------------------------------------------------
def e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def bi(zh: Any, en: Any) -> str:
    """Chinese first, English after it in smaller text."""
    return f'{e(zh)} <span class="en">{e(en)}</span>'


COLOURS = {"covered": "#2e7d32", "uncovered": "#c62828", "helped": "#1565c0", "unhelped": "#ef6c00",
           "empty": "#e0e0e0", "line": "#b71c1c", "grid": "#d7d7d7", "text": "#222", "muted": "#666"}

CSS = """
:root { --red: #b71c1c; --ink: #222; --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
    "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif; font-size: 14px; }
main { max-width: 1040px; margin: 0 auto; padding: 0 24px 40px; }
header.top { background: var(--red); color: #fff; padding: 20px 24px; }
header.top .inner { max-width: 1040px; margin: 0 auto; }
header.top h1 { margin: 0 0 6px; font-size: 24px; }
header.top .en { color: #ffe0e0; }
header.top p { margin: 2px 0; }
h2 { font-size: 19px; border-left: 5px solid var(--red); padding-left: 10px; margin: 32px 0 12px; }
h3 { font-size: 16px; margin: 0 0 6px; }
.en { color: var(--muted); font-size: 0.82em; font-weight: normal; }
header.top .en { color: #ffe0e0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; margin-top: 20px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.card .num { font-size: 28px; font-weight: bold; }
.card .num.bad { color: #c62828; } .card .num.good { color: #2e7d32; }
.card .label { font-size: 13px; }
.delta-up { color: #c62828; } .delta-down { color: #2e7d32; } .delta-same { color: var(--muted); }
svg.chart { width: 100%; height: auto; display: block; }
svg text { font-family: inherit; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 7px; text-align: left; vertical-align: top; }
th { background: #f6f2f2; font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.path { color: #444; font-size: 12px; }
.ok { color: #2e7d32; }
.bad { color: #c62828; }
.spark-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 10px; }
.spark-card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.spark-card .t { font-size: 13px; font-weight: 600; }
.spark-card .v { font-size: 12px; color: var(--muted); }
.check { border-top: 1px solid var(--line); padding-top: 12px; margin-top: 18px; }
.check .rule { margin: 4px 0; }
.badge { display: inline-block; min-width: 1.8em; padding: 0 6px; border-radius: 9px; text-align: center;
  font-size: 13px; color: #fff; background: #c62828; }
.badge.zero { background: #2e7d32; }
.note { color: var(--muted); }
a { color: inherit; }
footer { color: var(--muted); font-size: 12px; margin-top: 30px; border-top: 1px solid var(--line); padding-top: 8px; }
@page { size: A4; margin: 12mm; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 9.5pt; }
  main { max-width: none; padding: 0; }
  header.top { padding: 8px 0; background: #fff; color: var(--ink); border-bottom: 2px solid var(--red); }
  header.top .inner { max-width: none; }
  header.top .en { color: var(--muted); }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 18px; }
  h3 { break-after: avoid; page-break-after: avoid; }
  .card, .spark-card, svg.chart, tr, .check > p { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { text-decoration: none; }
}
"""


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 12, fill: str = "#222",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
            f'font-weight="{weight}">{content}</text>')


def _rect(x: float, y: float, w: float, h: float, fill: str, title: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}">'
            f'<title>{e(title)}</title></rect>')


def _segments(total: int, bad: int, scale: float) -> tuple[float, float]:
    """Widths of the good and bad parts of a bar; a non-empty part is always visible."""
    good_w = (total - bad) * scale
    bad_w = bad * scale
    if bad and bad_w < 3:
        bad_w = 3.0
    if total - bad and good_w < 3:
        good_w = 3.0
    return good_w, bad_w


def coverage_chart(result: Result) -> str:
    """Per community, stacked bars: buildings covered / uncovered and needy households helped / unhelped."""
    rows = [c for c in result.get("communities", []) if c.get("totals")]
    panels = []
    if any(c["totals"].get("buildings") is not None for c in rows):
        panels.append(("buildings", "buildingsUncovered", "楼栋", "buildings", "covered", "uncovered",
                       "已建网格党小组", "covered", "未建网格党小组", "uncovered"))
    if any(c["totals"].get("needyHouseholds") is not None for c in rows):
        panels.append(("needyHouseholds", "needyUnhelped", "困难户", "needy households", "helped", "unhelped",
                       "已结对帮扶", "helped", "未结对帮扶", "unhelped"))
    if not rows or not panels:
        return ('<p class="note">本次检查未包含楼栋党小组或困难户结对检查，无覆盖图。'
                '<span class="en">The building and needy-household checks were not run: no coverage chart.</span></p>')

    def gaps(c: Mapping[str, Any]) -> int:
        t = c["totals"]
        return (t.get("buildingsUncovered") or 0) + (t.get("needyUnhelped") or 0)

    rows.sort(key=lambda c: (-gaps(c), -(c["totals"].get("findings") or 0), c["id"]))
    name_w, panel_w, gap, row_h, top = 170, 380, 40, 26, 44
    width = name_w + len(panels) * panel_w + (len(panels) - 1) * gap + 10
    height = top + len(rows) * row_h + 50
    parts = [f'<svg class="chart coverage-chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="各社区覆盖情况 coverage per community">']
    for p, (total_key, bad_key, zh, en, good_c, bad_c, *_labels) in enumerate(panels):
        x0 = name_w + p * (panel_w + gap)
        biggest = max((c["totals"].get(total_key) or 0) for c in rows) or 1
        scale = (panel_w - 70) / biggest
        parts.append(_text(x0, 18, f'{e(zh)} <tspan font-size="11" fill="#666">{e(en)}</tspan>',
                           weight="bold", size=13))
        parts.append(f'<line x1="{x0:.1f}" y1="{top - 8}" x2="{x0:.1f}" y2="{top + len(rows) * row_h - 4}" '
                     f'stroke="{COLOURS["grid"]}"/>')
        for i, c in enumerate(rows):
            y = top + i * row_h
            total, bad = c["totals"].get(total_key), c["totals"].get(bad_key) or 0
            name = c.get("name") or c["id"]
            if total is None or total == 0:
                parts.append(_rect(x0, y, 24, 16, COLOURS["empty"], f"{name}: 无 none"))
                parts.append(_text(x0 + 30, y + 12.5, "—", fill=COLOURS["muted"]))
                continue
            good_w, bad_w = _segments(total, bad, scale)
            parts.append(_rect(x0, y, good_w, 16, COLOURS[good_c], f"{name}: {total - bad}/{total} {zh} {en} ok"))
            if bad:
                parts.append(_rect(x0 + good_w, y, bad_w, 16, COLOURS[bad_c], f"{name}: {bad} {zh} {en} gap"))
            label = f"{total - bad}/{total}"
            parts.append(_text(x0 + good_w + bad_w + 6, y + 12.5, e(label)
                               + (f' <tspan fill="{COLOURS[bad_c]}" font-weight="bold">缺{bad}</tspan>' if bad else "")))
    for i, c in enumerate(rows):
        y = top + i * row_h
        parts.append(_text(name_w - 10, y + 12.5, e(c.get("name") or c["id"]), anchor="end",
                           weight="bold" if gaps(c) else "normal"))
    legend_y = top + len(rows) * row_h + 22
    x = 10.0
    for _total_key, _bad_key, _zh, _en, good_c, bad_c, good_zh, good_en, bad_zh, bad_en in panels:
        for colour, lzh, len_ in ((good_c, good_zh, good_en), (bad_c, bad_zh, bad_en)):
            parts.append(f'<rect x="{x:.1f}" y="{legend_y - 11}" width="14" height="14" fill="{COLOURS[colour]}"/>')
            parts.append(_text(x + 20, legend_y, f'{e(lzh)} <tspan font-size="11" fill="#666">{e(len_)}</tspan>'))
            x += 40 + 13 * len(lzh) + 6.5 * len(len_)
    parts.append("</svg>")
    return "".join(parts)


def _bar_svg(value: int, biggest: int, colour: str = COLOURS["uncovered"], width: int = 160) -> str:
    w = max(value / biggest * width, 2 if value else 0) if biggest else 0
    return (f'<svg class="bar" width="{width}" height="12" viewBox="0 0 {width} 12" aria-hidden="true">'
            f'<rect x="0" y="1" width="{w:.1f}" height="10" fill="{colour}"/></svg>')


def worst_gaps(result: Result) -> str:
    worst = worst_checks(result)
    if not worst:
        return '<p class="ok">所有检查均未发现问题。<span class="en">No check found anything.</span></p>'
    biggest = worst[0]["count"]
    rows = []
    for c in worst:
        where = "、".join(f"{e(name)} {n}" for name, n in communities_by_findings(c))
        rows.append(f'<tr><td class="n">{c["question"]}</td><td><a href="#check-{e(c["name"])}">'
                    f'{bi(c["title"]["zh"], c["title"]["en"])}</a></td>'
                    f'<td class="n">{c["count"]:,} {_bar_svg(c["count"], biggest)}</td>'
                    f'<td class="n">{e(percent(c["shareOk"]))}</td><td>{where}</td></tr>')
    clean = [c for c in result["checks"] if not c["count"]]
    out = ['<table class="worst"><thead><tr><th class="n">问题 <span class="en">Q</span></th>'
           '<th>检查 <span class="en">check</span></th><th class="n">问题数 <span class="en">findings</span></th>'
           '<th class="n">达标率 <span class="en">share OK</span></th>'
           '<th>涉及社区 <span class="en">communities</span></th></tr></thead><tbody>', *rows, "</tbody></table>"]
    if clean:
        out.append('<p class="note">未发现问题的检查 <span class="en">checks without findings</span>：'
                   + "、".join(e(c["title"]["zh"]) for c in clean) + "</p>")
    communities = sorted((c for c in result.get("communities", []) if (c.get("totals") or {}).get("findings")),
                         key=lambda c: (-c["totals"]["findings"], c["id"]))
    if communities:
        most = communities[0]["totals"]["findings"]
        out.append('<h3>各社区问题数 <span class="en">findings per community</span></h3>'
                   '<table class="by-community"><thead><tr><th>社区 <span class="en">community</span></th>'
                   '<th class="n">问题数 <span class="en">findings</span></th>'
                   '<th>主要问题 <span class="en">checks</span></th></tr></thead><tbody>')
        titles = {c["name"]: c["title"]["zh"] for c in result["checks"]}
        for c in communities:
            per = sorted(((n, v["count"]) for n, v in c["checks"].items() if v["count"]),
                         key=lambda kv: (-kv[1], kv[0]))
            which = "、".join(f"{e(titles.get(n, n))} {k}" for n, k in per)
            out.append(f'<tr><td>{e(c.get("name") or c["id"])}</td><td class="n">{c["totals"]["findings"]:,} '
                       f'{_bar_svg(c["totals"]["findings"], most, COLOURS["line"], 120)}</td><td>{which}</td></tr>')
        out.append("</tbody></table>")
    return "".join(out)


def _run_time(run: Mapping[str, Any]) -> str:
    raw = run.get("savedAt") or run.get("generatedAt") or ""
    try:
        return dt.datetime.fromisoformat(raw).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(raw)


def _saved_count(run: Mapping[str, Any], name: str) -> int | None:
    saved = (run.get("checks") or {}).get(name)
    ok = isinstance(saved, Mapping) and isinstance(saved.get("count"), int) and not isinstance(saved["count"], bool)
    return saved["count"] if ok else None


def comparable_history(result: Result, history: Sequence[Mapping[str, Any]]
                       ) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The saved runs that can be compared with ``result`` (same scope, same checks, same
    thresholds, a count for every check), and the runs of the same scope left out."""
    same, other = split_runs(result, history)
    names = [c["name"] for c in result["checks"]]
    kept: list[Mapping[str, Any]] = []
    for run in same:
        (kept if all(_saved_count(run, n) is not None for n in names) else other).append(run)
    return kept, other


def _series(result: Result, runs: Sequence[Mapping[str, Any]]) -> tuple[list[str], dict[str, list[int]]]:
    """Counts per check over comparable runs (see :func:`comparable_history`) and this one."""
    runs = list(runs)[-TREND_RUNS:]
    times = [_run_time(r) for r in runs] + [_run_time({"generatedAt": result.get("generatedAt")})]
    series: dict[str, list[int]] = {}
    for c in result["checks"]:
        series[c["name"]] = [*(r["checks"][c["name"]]["count"] for r in runs), c["count"]]  # each has it
    return times, series


def _polyline(points: list[tuple[float, float]], colour: str, width: float) -> str:
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="{width}" stroke-linejoin="round"/>'


def total_chart(times: list[str], totals: list[int]) -> str:
    width, height, left, right, top, bottom = 900, 230, 50, 20, 30, 46
    biggest = max(max(totals), 1)
    step = (width - left - right) / max(len(totals) - 1, 1)
    y_of = lambda v: top + (height - top - bottom) * (1 - v / biggest)  # noqa: E731
    parts = [f'<svg class="chart trend-chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="问题总数趋势 findings over time">']
    for tick in sorted({0, biggest // 2, biggest}):
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>')
        parts.append(_text(left - 8, y + 4, str(tick), anchor="end", fill=COLOURS["muted"], size=11))
    points = [(left + i * step, y_of(v)) for i, v in enumerate(totals)]
    parts.append(_polyline(points, COLOURS["line"], 2.5))
    every = max(1, math.ceil(len(points) / 8))
    for i, ((x, y), v) in enumerate(zip(points, totals)):
        last = i == len(points) - 1
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{5 if last else 3.5}" fill="{COLOURS["line"]}">'
                     f'<title>{e(times[i])}: {v}</title></circle>')
        if last or i % every == 0:
            parts.append(_text(x, y - 9, str(v), anchor="middle", size=11, weight="bold" if last else "normal"))
            label = "本次 now" if last else times[i]
            parts.append(_text(x, height - bottom + 18, e(label), anchor="middle", size=10, fill=COLOURS["muted"]))
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: list[int | None], times: list[str]) -> str:
    width, height, pad = 220, 44, 5
    present = [v for v in values if v is not None]
    biggest = max(max(present, default=0), 1)
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = [(pad + i * step, pad + (height - 2 * pad) * (1 - v / biggest), v, times[i])
              for i, v in enumerate(values) if v is not None]
    parts = [f'<svg class="spark" viewBox="0 0 {width} {height}" width="100%" role="img">',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
             f'stroke="{COLOURS["grid"]}"/>']
    if len(points) > 1:
        parts.append(_polyline([(x, y) for x, y, _v, _t in points], COLOURS["line"], 1.8))
    for i, (x, y, v, t) in enumerate(points):
        last = i == len(points) - 1
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3.2 if last else 2}" '
                     f'fill="{COLOURS["line"] if last else "#e57373"}"><title>{e(t)}: {v}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _delta(now: int, before: int | None) -> str:
    if before is None:
        return ""
    diff = now - before
    if diff > 0:
        return f'<span class="delta-up">▲ {diff}</span>'
    if diff < 0:
        return f'<span class="delta-down">▼ {-diff}</span>'
    return '<span class="delta-same">＝</span>'


def trend(result: Result, history: Sequence[Mapping[str, Any]]) -> str:
    """Counts over the saved runs comparable with this one: the same scope, the same set of checks
    and the same thresholds (other runs of the scope are counted in a note, never drawn)."""
    runs, other = comparable_history(result, history)
    left_out = ""
    if other:
        left_out = (f'<p class="note left-out">另有 {len(other)} 次保存的检查所用检查项或阈值与本次不同，未计入趋势。'
                    f'<span class="en">{len(other)} saved run{"s" if len(other) > 1 else ""} of this scope with other '
                    f'checks or thresholds {"are" if len(other) > 1 else "is"} left out of the trend.</span></p>')
    if not runs:
        if other:
            return ('<p class="note no-history">尚无可比较的历史记录：以后用同样的检查项和阈值运行 '
                    '<code>graph-api audit --save</code>，报告将显示变化趋势。<span class="en">No comparable history yet: '
                    'save runs with the same checks and thresholds (<code>graph-api audit --save</code>) to see the '
                    'trend.</span></p>' + left_out)
        return ('<p class="note no-history">尚无历史记录：运行 <code>graph-api audit --save</code> 保存每次检查的结果，'
                '以后的报告将显示各项检查的变化趋势。<span class="en">No history yet: run '
                '<code>graph-api audit --save</code> to keep each run; later reports show the trend of every check.'
                '</span></p>')
    times, series = _series(result, runs)
    totals = [sum(v[i] for v in series.values()) for i in range(len(times))]
    out = [f'<p class="note">最近 {len(times) - 1} 次同范围、同检查项与阈值的保存记录与本次（最后一点）。'
           f'<span class="en">The last {len(times) - 1} saved runs of this scope with the same checks and '
           f'thresholds, and this run (the last point).</span></p>', left_out,
           '<h3>问题总数 <span class="en">all findings</span></h3>', total_chart(times, totals),
           '<h3>各项检查 <span class="en">per check</span></h3><div class="spark-grid">']
    for c in result["checks"]:
        values = series[c["name"]]
        before = values[-2]
        out.append(f'<div class="spark-card"><div class="t">{e(c["question"])}. {e(c["title"]["zh"])}</div>'
                   f'<div class="en">{e(c["title"]["en"])}</div>{sparkline(list(values), times)}'
                   f'<div class="v">上次 <span class="en">before</span> {before} → '
                   f'本次 <span class="en">now</span> <b>{c["count"]}</b> {_delta(c["count"], before)}</div></div>')
    out.append("</div>")
    return "".join(out)


def _threshold_rows(check: Mapping[str, Any]) -> str:
    spec = CHECK_BY_NAME.get(check["name"])
    described = {t.name: (t.zh, t.en, t.default) for t in spec.thresholds} if spec else {}
    rows = []
    for name, value in (check.get("thresholds") or {}).items():
        zh, en, default = described.get(name, ("", "", None))
        shown = "、".join(map(str, value)) if isinstance(value, list) else str(value)
        changed = default is not None and value != default
        rows.append(f'<tr><td><code>{e(name)}</code></td><td>{bi(zh, en)}</td><td class="n">{e(shown)}'
                    + (f' <span class="en">(默认 default {e(default)})</span>' if changed else "") + "</td></tr>")
    if not rows:
        return '<p class="note">无阈值 <span class="en">no thresholds</span></p>'
    return ('<table class="thresholds"><thead><tr><th>阈值 <span class="en">threshold</span></th>'
            '<th>含义 <span class="en">meaning</span></th><th class="n">取值 <span class="en">value</span></th></tr>'
            '</thead><tbody>' + "".join(rows) + "</tbody></table>")


def check_section(check: Mapping[str, Any]) -> str:
    badge = f'<span class="badge{" zero" if not check["count"] else ""}">{check["count"]:,}</span>'
    pop = check.get("populationLabel") or {"zh": "", "en": ""}
    out = [f'<section class="check" id="check-{e(check["name"])}">'
           f'<h3>问题 {e(check["question"])} · {bi(check["title"]["zh"], check["title"]["en"])} {badge}</h3>'
           f'<p class="rule"><b>规则</b> <span class="en">rule</span>：{bi(check["rule"]["zh"], check["rule"]["en"])}</p>'
           f'<p>检查对象 <span class="en">looked at</span>：{check["population"]:,} {bi(pop["zh"], pop["en"])}；'
           f'问题 <span class="en">findings</span>：{check["count"]:,}；达标率 <span class="en">share OK</span>：'
           f'{e(percent(check["shareOk"]))} · <code>{e(check["name"])}</code></p>',
           _threshold_rows(check)]
    if not check["findings"]:
        out.append('<p class="ok">未发现问题 <span class="en">no findings</span></p>')
    else:
        out.append('<table class="findings"><thead><tr><th>社区 <span class="en">community</span></th>'
                   '<th>名称 <span class="en">label</span></th><th>原因 <span class="en">reason</span></th>'
                   '<th>网格路径 <span class="en">grid path</span></th></tr></thead><tbody>')
        for f in check["findings"]:
            ident = "" if str(f["id"]) == str(f["label"]) else f'<br><span class="en">{e(f["id"])}</span>'
            out.append(f'<tr><td>{e(community_label(f))}</td><td>{e(f["label"])}{ident}'
                       f'</td><td>{bi(f["reason"]["zh"], f["reason"]["en"])}</td>'
                       f'<td class="path">{" › ".join(e(n) for n in path_names(f))}</td></tr>')
        out.append("</tbody></table>")
    out.append("</section>")
    return "".join(out)


def headline(result: Result, history: Sequence[Mapping[str, Any]]) -> str:
    s = result["summary"]
    communities = result.get("communities", [])
    with_findings = sum(1 for c in communities if (c.get("totals") or {}).get("findings"))
    runs, _other = comparable_history(result, history)  # the same checks and thresholds
    before = sum(runs[-1]["checks"][c["name"]]["count"] for c in result["checks"]) if runs else None
    cards = [(f'<div class="num {"bad" if s["findings"] else "good"}">{s["findings"]:,}</div>'
              f'<div class="label">{bi("发现问题", "findings")} {_delta(s["findings"], before)}</div>'),
             (f'<div class="num">{s["checksWithFindings"]}/{s["checks"]}</div>'
              f'<div class="label">{bi("项检查有问题", "checks with findings")}</div>'),
             (f'<div class="num">{with_findings}/{len(communities)}</div>'
              f'<div class="label">{bi("个社区有问题", "communities with findings")}</div>')]
    for total_key, bad_key, zh, en in (("buildings", "buildingsUncovered", "楼栋建有网格党小组", "buildings covered"),
                                       ("needyHouseholds", "needyUnhelped", "困难户已结对帮扶", "needy households helped")):
        values = [(c.get("totals") or {}).get(total_key) for c in communities]
        if all(v is None for v in values):
            continue
        total = sum(v or 0 for v in values)
        bad = sum((c.get("totals") or {}).get(bad_key) or 0 for c in communities)
        share = None if total == 0 else (total - bad) / total
        cards.append(f'<div class="num {"bad" if bad else "good"}">{e(percent(share))}</div>'
                     f'<div class="label">{bi(zh, en)}：{total - bad:,}/{total:,}</div>')
    return '<div class="cards">' + "".join(f'<div class="card">{c}</div>' for c in cards) + "</div>"


def render_html(result: Result, history: Sequence[Mapping[str, Any]] = ()) -> str:
    """One self-contained page (inline CSS and SVG, no script, no network) for street staff."""
    zh, en = scope_text(result)
    generated = _run_time({"generatedAt": result.get("generatedAt")})
    title = f"党建网格全覆盖检查报告 · {zh} · 基准日 {result['asOf']}"
    body = [
        '<header class="top"><div class="inner">',
        f'<h1>党建网格全覆盖检查报告 <span class="en">Party-building grid coverage audit</span></h1>',
        f'<p>范围 <span class="en">scope</span>：{bi(zh, en)}　基准日 <span class="en">as of</span>：'
        f'<b>{e(result["asOf"])}</b></p>',
        f'<p class="en">生成于 generated {e(generated)} UTC · 数据库 store {e(result.get("store"))} · '
        f'{e(result.get("format"))}</p>',
        "</div></header><main>",
        headline(result, history),
        '<h2 id="coverage">各社区覆盖情况 <span class="en">coverage per community</span></h2>',
        '<p class="note">缺口多的社区在前。<span class="en">Communities with the most gaps first.</span></p>',
        coverage_chart(result),
        '<h2 id="gaps">主要问题 <span class="en">worst gaps first</span></h2>',
        worst_gaps(result),
        '<h2 id="trend">变化趋势 <span class="en">trend</span></h2>',
        trend(result, history),
        '<h2 id="details">各项检查明细 <span class="en">every check in detail</span></h2>',
        *(check_section(c) for c in result["checks"]),
        f'<footer>本报告为单一文件，不访问网络。<span class="en">A single self-contained file; it makes no network '
        f'request.</span> {e(result.get("format"))} · {e(result.get("seconds"))} s</footer>',
        "</main>",
    ]
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="color-scheme" content="light">'
            f"<title>{e(title)}</title><style>{CSS}</style></head><body>" + "".join(body) + "</body></html>\n")


__all__ = ["FORMATS", "CSV_HEADER", "comparable_history", "csv_cell", "render", "render_csv", "render_html",
           "render_json", "print_tables", "path_names", "scope_text"]
