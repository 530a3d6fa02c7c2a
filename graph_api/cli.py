"""The ``graph-api`` command line."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, NoReturn, Optional

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from graph_api.settings import get_settings

app = typer.Typer(help="清河门区党建网格知识图谱 · Party-building grid knowledge graph service", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console(stderr=True)


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _with_store(action: Any) -> Any:
    from graph_api.store.factory import open_store

    store = await open_store(get_settings())
    try:
        return await action(store)
    finally:
        await store.close()


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


@app.command()
def serve(host: Optional[str] = typer.Option(None, help="listen address (GRAPH_API_HOST)"),
          port: Optional[int] = typer.Option(None, help="port (GRAPH_API_PORT)"),
          load_sample: bool = typer.Option(False, "--load-sample", help="load the sample data if the store is empty")) -> None:
    """Serve the GraphQL API with GraphiQL at /graphql."""
    import uvicorn

    from graph_api.app import create_app

    settings = get_settings()
    if load_sample:
        settings = settings.model_copy(update={"graph_api_load_sample": True})
    host = host or settings.graph_api_host
    port = port or settings.graph_api_port
    where = settings.neo4j_uri if settings.graph_api_store == "neo4j" else settings.graph_api_db
    console.print(f"GraphiQL: [bold]http://{host}:{port}/graphql[/bold]  store: {settings.graph_api_store} ({where})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def migrate() -> None:
    """Apply the constraints and indexes of schema/constraints.cypher (idempotent)."""
    statements = _run(_with_store(lambda s: s.migrate()))
    console.print(f"applied {len(statements)} constraint/index statements")


@app.command("load-sample")
def load_sample(keep: bool = typer.Option(False, "--keep", help="merge into the graph instead of replacing it")) -> None:
    """Load the 清河门区 sample data set (replaces the graph unless --keep)."""
    from graph_api.domain.dataset import read_sample
    from graph_api.domain.values import InvalidData
    from graph_api.store.base import StoreError

    async def action(store: Any) -> Any:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("reading and checking the sample", total=None)
            data = read_sample()
            progress.update(task, description="applying constraints")
            await store.migrate()
            progress.update(task, description=f"writing {len(data.nodes)} nodes and {len(data.edges)} edges")
            return await store.load(data, replace=not keep)

    try:
        report = _run(_with_store(action))
    except (InvalidData, StoreError) as exc:
        _fail(str(exc))
    console.print(f"loaded {report.nodes} nodes and {report.edges} edges in {report.seconds:.1f} s")


@app.command()
def figures(district: Optional[str] = typer.Option(None, help="district key (default: the only one)")) -> None:
    """Print the article's figures computed from the graph (JSON)."""
    from graph_api.graphql.schema import build_schema
    from graph_api.graphql.context import make_context

    query = Path(_example("ArticleFigures")).read_text(encoding="utf-8")

    async def action(store: Any) -> Any:
        schema = build_schema()
        return await schema.execute(query, variable_values={"districtKey": district} if district else None,
                                    context_value=make_context(store, get_settings()))

    result = _run(_with_store(action))
    if result.errors:
        _fail("; ".join(str(e) for e in result.errors))
    print(json.dumps(result.data, ensure_ascii=False, indent=2))


def _example(name: str) -> Path:
    from graph_api.resources import data_path

    return data_path(f"queries/examples/{name}.graphql")


@app.command("export-schema")
def export_schema(out: Path = typer.Option(None, help="file to write (default: stdout)")) -> None:
    """Print the GraphQL SDL (the copy in schema/schema.graphql is checked by a test)."""
    from graph_api.graphql.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if out:
        out.write_text(sdl, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        sys.stdout.write(sdl)


@app.command("model-doc")
def model_doc(out: Path = typer.Option(None, help="file to write (default: stdout)")) -> None:
    """Render the model document (schema/model.md) from the registry."""
    from graph_api.domain.modeldoc import render

    text = render()
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        sys.stdout.write(text)


@app.command()
def ping() -> None:
    """Check that the store answers."""
    facts = _run(_with_store(lambda s: s.ping()))
    table = Table(show_header=False)
    for k, v in facts.items():
        table.add_row(k, str(v))
    Console().print(table)


@app.command()
def bench(requests: int = typer.Option(200, help="requests per query"),
          concurrency: list[int] = typer.Option([1, 4], help="requests in flight at once (repeatable)"),
          warmup: int = typer.Option(20, help="requests per query before measuring")) -> None:
    """Benchmark three staff queries against the loaded graph: p50/p95 latency, req/s, round trips."""
    from graph_api.bench import run_bench

    _run(run_bench(requests=requests, concurrencies=concurrency, warmup=warmup, console=Console(width=120)))


@app.command("bench-backends")
def bench_backends(neo4j_uri: str = typer.Option(None, help="Neo4j to compare with (NEO4J_URI); it is WIPED"),
                   requests: int = typer.Option(200, help="requests per query and backend"),
                   warmup: int = typer.Option(20, help="requests per query before measuring"),
                   households: int = typer.Option(1_000_000, help="households of the generated graph (0: skip)"),
                   writer: str = typer.Option("load", help="load | batched | direct"),
                   json_out: Optional[Path] = typer.Option(None, "--json", help="also write the figures here")) -> None:
    """Embedded vs Neo4j latency side by side, embedded start time and memory (sample and generated graph)."""
    from graph_api.bench_backends import run_backend_bench

    uri = neo4j_uri or get_settings().neo4j_uri
    figures_ = _run(run_backend_bench(uri, requests, warmup, households, Console(width=120), writer=writer))
    if json_out:
        json_out.write_text(json.dumps(figures_, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


@app.command("bench-import")
def bench_import(tiers: list[str] = typer.Option(["M", "L"], "--tiers",
                                                 help="tiers to measure: S, M, L (repeatable or comma-separated)"),
                 neo4j_uri: str = typer.Option(None, help="Neo4j for the Neo4j part (NEO4J_URI); it is WIPED"),
                 backends: list[str] = typer.Option(["embedded", "neo4j"], "--backends",
                                                    help="embedded, neo4j (repeatable or comma-separated)"),
                 cache_dir: Path = typer.Option(Path(".bench/tiers"), help="generated tier files, reused when present"),
                 seed: int = typer.Option(20220630, help="random seed of the generated tiers"),
                 json_out: Optional[Path] = typer.Option(None, "--json", help="also write the figures here")) -> None:
    """Ledger import speed and memory on generated tiers: embedded, and Neo4j ours vs a raw-driver baseline."""
    from graph_api.ledger.bench_import import run_import_bench

    def split(values: list[str]) -> list[str]:
        return [v.strip() for value in values for v in value.replace(",", " ").split() if v.strip()]

    uri = neo4j_uri or get_settings().neo4j_uri
    run_import_bench(split(tiers), uri, backends=split(backends), cache_dir=cache_dir, seed=seed,
                     console=Console(width=140), json_out=json_out)


@app.command("bench-audit")
def bench_audit(tiers: list[str] = typer.Option(["S", "M", "L"], "--tiers",
                                                help="tiers to measure: S, M, L (repeatable or comma-separated)"),
                neo4j_uri: Optional[str] = typer.Option(None, help="Neo4j for the Neo4j part (NEO4J_URI); it is WIPED"),
                embedded_only: bool = typer.Option(False, "--embedded-only", help="skip Neo4j"),
                runs: int = typer.Option(3, min=2, help="audits per tier and backend (the first is the cold one)"),
                json_out: Optional[Path] = typer.Option(None, "--json", help="also write the figures here")) -> None:
    """Full coverage audit time (all 21 checks, whole graph) on generated tiers, on both backends."""
    from graph_api.audit.bench import run_audit_bench

    chosen = [v.strip().upper() for value in tiers for v in value.replace(",", " ").split() if v.strip()]
    uri = None if embedded_only else (neo4j_uri or get_settings().neo4j_uri)
    run_audit_bench(chosen, uri, runs=runs, out=json_out)


@app.command("bench-match")
def bench_match(demands: int = typer.Option(10_000, help="needs of the synthetic city"),
                supplies: int = typer.Option(5_000, help="resources and members of the synthetic city"),
                runs: int = typer.Option(3, min=1, help="engine runs (each printed)"),
                tier: Optional[str] = typer.Option("L", help="also pair every needy household of this generated "
                                                             "tier (S, M, L; empty to skip)"),
                json_out: Optional[Path] = typer.Option(None, "--json", help="also write the figures here")) -> None:
    """Matching engine speed and memory: 10,000 needs x 5,000 resources, and help pairing on a tier."""
    from graph_api.matching.bench import run_engine_bench, run_tier_pairing_bench

    figures: dict[str, Any] = {"engine": [run_engine_bench(demands, supplies) for _ in range(runs)]}
    if tier:
        figures["tier"] = run_tier_pairing_bench(tier.upper())
    if json_out:
        json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


# --- ledgers: import, export, templates, generated data ----------------------------------------------
class RowsPerSecond(ProgressColumn):
    """Rows per second of a task (rich's speed columns speak in bytes)."""

    def render(self, task: Any) -> Text:
        if not task.fields.get("rows", True):
            return Text("")
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s", style="progress.data.speed")


def _row_progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RowsPerSecond(),
                    TimeElapsedColumn(), console=console, transient=False)


STAGES = {"parse": "读取与校验 parse and check", "check": "核对引用与库中记录 cross-check",
          "write": "写入 write"}
PROGRESS_FROM_ROWS = 3000  # smaller files finish before a bar is worth drawing


def _scope(street: Optional[str], community: Optional[str]) -> Any:
    from graph_api.store.base import EVERYTHING

    return EVERYTHING.narrowed(street, community)


def _kinds(kind: Optional[list[str]]) -> list[str]:
    from graph_api.domain.model import KIND_BY_NAME

    if not kind:
        return list(KIND_BY_NAME)
    for name in kind:
        if name not in KIND_BY_NAME:
            _fail(f"unknown kind {name!r}; kinds: {', '.join(KIND_BY_NAME)}")
    return list(kind)


@app.command("import")
def import_(files: list[Path] = typer.Argument(..., help="ledgers: .xlsx, .csv (UTF-8 or GB18030), .json, .ndjson"),
            kind: Optional[str] = typer.Option(None, help="the kind every sheet holds (default: recognised)"),
            sheet: Optional[str] = typer.Option(None, help="only this worksheet of a workbook"),
            dry_run: bool = typer.Option(False, "--dry-run", help="check and count, write nothing"),
            errors: Optional[Path] = typer.Option(None, help="also write every problem to this CSV file")) -> None:
    """Import staff ledgers: every row checked first, then one all-or-nothing write.

    Exit code 1 with the list of problems (file, sheet, row, column, value, reason) if any;
    nothing is written then."""
    from graph_api.ledger.importer import ImportRefused, apply_plan, plan_import
    from graph_api.store.base import StoreError

    if kind is not None:
        _kinds([kind])

    async def action(store: Any) -> Any:
        with _row_progress() as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if total < PROGRESS_FROM_ROWS and stage != "check":
                    return
                if stage not in tasks:  # the cross-check counts steps, not rows
                    tasks[stage] = bar.add_task(STAGES[stage], total=total, rows=stage != "check")
                bar.update(tasks[stage], completed=done, total=total)

            await store.migrate()
            plan = await plan_import(files, store, kind=kind, sheet=sheet, progress=progress)
            for stage, task in tasks.items():
                if stage == "parse":
                    bar.update(task, completed=plan.row_count)
            if not dry_run:
                await apply_plan(plan, store, progress)
            return plan

    try:
        plan = _run(_with_store(action))
    except ImportRefused as exc:
        _print_problems(exc.problems, exc.more, errors)
        raise typer.Exit(1) from None
    except StoreError as exc:
        _fail(str(exc), 1)
    _print_plan(plan, dry_run)


def _print_problems(problems: list[Any], more: int, errors: Optional[Path]) -> None:
    import csv

    total = len(problems) + more
    table = Table(title=f"导入被拒绝，未写入任何数据 · import refused, nothing written: {total} problem(s)",
                  show_lines=False)
    for name in ("文件 file", "工作表 sheet", "行 row", "列 column", "值 value", "原因", "reason"):
        table.add_column(name, overflow="fold")
    for p in problems[:200]:
        table.add_row(p.file, p.sheet, "" if p.row is None else str(p.row), p.column,
                      "" if p.value is None else str(p.value), p.reason_zh, p.reason_en)
    Console(stderr=True, width=200).print(table)
    if total > 200:
        console.print(f"... and {total - 200} more" + ("" if errors else " (--errors FILE writes them all)"))
    if errors:
        with errors.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["文件 file", "工作表 sheet", "行 row", "列 column", "值 value", "原因 reason_zh", "reason_en"])
            for p in problems:
                d = p.as_dict()
                writer.writerow([d["file"], d["sheet"], d["row"], d["column"], d["value"], d["reason_zh"], d["reason_en"]])
        console.print(f"every problem written to {errors}")


def _print_plan(plan: Any, dry_run: bool) -> None:
    table = Table(title=("试运行，未写入 · dry run, nothing written" if dry_run else "已导入 · imported"))
    for name in ("类型 kind", "新建 created", "更新 updated", "未变 unchanged"):
        table.add_column(name, justify="right" if name != "类型 kind" else "left")
    for kind, c in plan.counts.items():
        table.add_row(kind, f"{c.created:,}", f"{c.updated:,}", f"{c.unchanged:,}")
    t = plan.totals()
    table.add_row("total", f"{t.created:,}", f"{t.updated:,}", f"{t.unchanged:,}", style="bold")
    Console(stderr=True).print(table)
    for info in plan.sheets:
        if info.ignored:
            console.print(f"[yellow]{info.sheet.file} {info.sheet.name}: ignored columns {', '.join(info.ignored)}[/yellow]")
    for file, name in plan.skipped_sheets:
        console.print(f"[yellow]{file} {name}: sheet not recognised, skipped[/yellow]")
    rows = plan.row_count
    checked = plan.seconds.get("parse", 0) + plan.seconds.get("check", 0)
    console.print(f"{rows:,} rows read in {plan.seconds.get('read', 0):.2f} s, parsed and checked in {checked:.2f} s "
                  f"({rows / checked if checked else 0:,.0f} rows/s)"
                  + ("" if dry_run else f", written in {plan.seconds.get('write', 0):.2f} s"))


@app.command()
def export(kind: Optional[list[str]] = typer.Option(None, help="kinds to export (repeatable; default: all)"),
           fmt: str = typer.Option("xlsx", "--format", help="xlsx | csv | json | graphml"),
           out: Path = typer.Option(..., help="file to write (a folder for csv: one file per kind)"),
           street: Optional[str] = typer.Option(None, help="only this street's records"),
           community: Optional[str] = typer.Option(None, help="only this community's records"),
           include_sensitive: bool = typer.Option(False, "--include-sensitive",
                                                  help="graphml: keep phones, ID numbers and care categories")) -> None:
    """Export ledgers with the columns and Chinese headers import reads (or GraphML for analysts)."""
    from graph_api.ledger.export import FORMATS, export_kinds
    from graph_api.ledger.template import export_graphml

    kinds = _kinds(kind)
    scope = _scope(street, community)
    from graph_api.domain.access import SENSITIVE_FIELDS

    # an export of sensitive fields is a read of them: logged like one (who, which kinds and fields)
    sensitive = sorted(f"{k}.{p}" for k, p in SENSITIVE_FIELDS if k in kinds and (fmt != "graphml" or include_sensitive))

    async def log_export(store: Any) -> None:
        if sensitive:
            await _audit_cli_event(store, "export", str(out), {
                "format": fmt, "kinds": kinds, "fields": sensitive, "street": street, "community": community})

    if fmt == "graphml":
        async def graphml(store: Any) -> Any:
            result = await export_graphml(store, kinds, out, scope, include_sensitive)
            await log_export(store)
            return result

        nodes, edges = _run(_with_store(graphml))
        console.print(f"wrote {out}: {nodes:,} nodes, {edges:,} edges")
        return
    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join((*FORMATS, 'graphml'))}")

    async def action(store: Any) -> Any:
        counts = await store.count_nodes()
        with _row_progress() as bar:
            task = bar.add_task("导出 export", total=sum(counts.get(k, 0) for k in kinds))
            written = await export_kinds(store, kinds, out, fmt, scope, lambda k, n: bar.advance(task, n))
        await log_export(store)
        return written

    written = _run(_with_store(action))
    console.print(f"wrote {out}: " + ", ".join(f"{k} {n:,}" for k, n in written.items()))


@app.command()
def template(kind: Optional[list[str]] = typer.Option(None, help="kinds (repeatable; default: all)"),
             out: Path = typer.Option(Path("ledger-template.xlsx"), help="workbook to write")) -> None:
    """Write an empty workbook to fill in: header rows, a notes sheet, drop-down lists for enum columns."""
    from graph_api.ledger.template import write_template

    write_template(_kinds(kind), out)
    console.print(f"wrote {out}")


@app.command()
def generate(tier: str = typer.Option("S", help="S: a street (~20,000 households), M: a district (~100,000), "
                                                "L: a city (~1,000,000)"),
             out: Path = typer.Option(..., help="folder for the files (csv: one per kind) or the .xlsx/.json file"),
             fmt: str = typer.Option("csv", "--format", help="csv | xlsx | json"),
             seed: int = typer.Option(20220630, help="random seed (same seed, same data)")) -> None:
    """Write deterministic generated data of a tier as import files."""
    from graph_api.ledger.export import write_generated
    from graph_api.ledger.generate import TIERS, generate_tier

    if tier not in TIERS:
        _fail(f"--tier must be one of {', '.join(TIERS)}")
    with _row_progress() as bar:
        task = bar.add_task(f"生成 generate tier {tier}", total=None)
        counts = write_generated(generate_tier(tier, seed), out, fmt, lambda n: bar.advance(task, n))
    console.print(f"wrote {out}: {sum(counts.values()):,} rows (" + ", ".join(f"{k} {n:,}" for k, n in counts.items()) + ")")


# --- coverage audit --------------------------------------------------------------------------------
def _audit_error(message: str) -> NoReturn:
    typer.echo("graph-api audit: " + " ".join(message.split()), err=True)
    raise typer.Exit(2)


def _audit_note(message: str) -> None:
    """An informational line on stderr (``wrote …``, ``saved …``, warnings), plain text."""
    typer.echo(" ".join(message.splitlines()), err=True)


OVER_LIMITS = "覆盖检查超出限值 · audit over limits: "  # stable prefix of the exit-1 line on stderr


def _store_where(settings: Any) -> str:
    if settings.graph_api_store == "neo4j":
        uri = re.sub(r"//[^/@]*@", "//", settings.neo4j_uri)  # no user or password in messages
        return f"neo4j store {uri} (database {settings.neo4j_database})"
    return f"{settings.graph_api_store} store {Path(settings.graph_api_db).resolve()}"


def _split_names(values: Optional[list[str]]) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _print_check_catalogue(fmt: str) -> None:
    from graph_api.domain.coverage import CHECKS

    if fmt == "json":
        rows = [{"name": c.name, "question": c.question, "kind": c.kind, "title": {"zh": c.zh, "en": c.en},
                 "rule": {"zh": c.rule_zh, "en": c.rule_en},
                 "thresholds": [{"name": t.name, "default": t.default, "zh": t.zh, "en": t.en} for t in c.thresholds]}
                for c in CHECKS]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="覆盖检查 · coverage checks (--check NAME, --threshold NAME.threshold=value)",
                  title_justify="left", show_lines=True)
    table.add_column("问题 Q", justify="right")
    table.add_column("检查 check", no_wrap=True)
    table.add_column("名称 title", overflow="fold")
    table.add_column("阈值 thresholds (default)", overflow="fold")
    for c in CHECKS:
        thresholds = "\n".join(f"{t.name} = {','.join(t.default) if isinstance(t.default, list) else t.default}"
                               f"  {t.zh} · {t.en}" for t in c.thresholds) or "—"
        table.add_row(str(c.question), c.name, f"{c.zh}\n{c.en}", thresholds)
    Console(width=None if sys.stdout.isatty() else 160).print(table)


AUDIT_HELP = ("Coverage audit (全覆盖、无死角): run the checks and report the gaps found.\n\n"
              "Exit code 0 when no check has more findings than its limit (--fail-on, default 0), 1 when some do "
              "(the last line on stderr starts with '覆盖检查超出限值 · audit over limits: ' and names them), 2 on "
              "any error (bad check, threshold, scope or date, no community in scope, store not reachable or locked "
              "by a running `graph-api serve`, file not writable, report not rendered), with one line on stderr "
              "starting 'graph-api audit: '.")


@app.command(help=AUDIT_HELP)
def audit(district: Optional[str] = typer.Option(None, help="only this district's streets"),
          street: Optional[str] = typer.Option(None, help="only this street"),
          community: Optional[str] = typer.Option(None, help="only this community"),
          check: Optional[list[str]] = typer.Option(None, "--check", metavar="NAME",
                                                    help="checks to run (repeatable or comma-separated; default: all)"),
          threshold: Optional[list[str]] = typer.Option(None, "--threshold", metavar="CHECK.NAME=VALUE",
                                                        help="override a threshold (repeatable), e.g. "
                                                             "open_need_overdue.days=30"),
          as_of: Optional[str] = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                                              help="reference date (default: the district's asOfDate)"),
          fmt: str = typer.Option("table", "--format", help="table | json | csv | html"),
          out: Optional[Path] = typer.Option(None, "--out", help="file to write (default: stdout, for html too)"),
          fail_on: Optional[list[str]] = typer.Option(None, "--fail-on", metavar="CHECK=N",
                                                      help="findings allowed before exit code 1 (default 0 for every "
                                                           "check; '*=N' for all checks not named; repeatable)"),
          save: bool = typer.Option(False, "--save", help="keep the counts of this run in GRAPH_API_AUDIT_HISTORY "
                                                          "(the trend of the html report)"),
          list_checks: bool = typer.Option(False, "--list-checks", help="print the checks and thresholds, then stop"),
          ) -> None:
    """Coverage audit: see AUDIT_HELP."""
    import datetime as dt

    from graph_api.audit.engine import (
        AuditScope,
        check_scope_keys,
        exceeded,
        parse_limits,
        parse_thresholds,
        resolve_scope,
        run_audit,
    )
    from graph_api.audit.history import load_history, save_snapshot
    from graph_api.audit.report import FORMATS, print_tables, render, scope_text
    from graph_api.domain.coverage import CHECK_BY_NAME, CheckError
    from graph_api.store.base import StoreError

    if fmt not in FORMATS:
        _audit_error(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if list_checks:
        _print_check_catalogue(fmt)
        return
    checks = _split_names(check)
    try:
        unknown = [name for name in checks if name not in CHECK_BY_NAME]
        if unknown:
            raise CheckError(f"没有名为 {unknown[0]!r} 的检查 · no check named {unknown[0]!r} "
                             f"(graph-api audit --list-checks shows them)")
        thresholds = parse_thresholds(threshold or [])
        limits = parse_limits(fail_on or [])
        day = dt.date.fromisoformat(as_of) if as_of else None
    except CheckError as exc:
        _audit_error(str(exc))
    except ValueError:
        _audit_error(f"--as-of 应为 YYYY-MM-DD · --as-of takes a date YYYY-MM-DD, got {as_of!r}")
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        _audit_error(f"cannot write --out {out}: " + ("it is a folder" if out.is_dir() else "no such folder"))
    asked = AuditScope(district, street, community)
    settings = get_settings()

    async def action(store: Any) -> Any:
        await store.ping()  # fails fast: Neo4j's driver would retry the first query for a minute
        await check_scope_keys(store, asked)
        scope = await resolve_scope(store, asked)
        return await run_audit(store, scope, asked=asked, checks=checks or None, thresholds=thresholds, as_of=day)

    try:
        if console.is_terminal:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                          transient=True) as progress:
                progress.add_task("运行覆盖检查 running the coverage checks", total=None)
                result = _run(_with_store(action))
        else:
            result = _run(_with_store(action))
    except (CheckError, StoreError) as exc:
        _audit_error(str(exc))
    except NotImplementedError:
        _audit_error(f"the {settings.graph_api_store} store does not run coverage checks yet")
    except Exception as exc:  # noqa: BLE001  (exit code 2 with the reason, whatever it is)
        _audit_error(f"{type(exc).__name__}: {exc}")

    if not result["communities"]:  # nothing audited: cron must not read this as "no gaps"
        _audit_error(f"范围内没有社区，未检查任何内容 · no community in scope ({scope_text(result)[1]}) in the "
                     f"{_store_where(settings)}: nothing was audited (wrong scope or GRAPH_API_DB? "
                     f"an empty store is filled by graph-api load-sample)")
    doing = f"write the {fmt} report"
    try:
        history: list[dict[str, Any]] = []
        if fmt == "html":  # the runs of this scope; the report keeps those with the same checks and thresholds
            history = load_history(settings.graph_api_audit_history, asked,
                                   warn=lambda m: _audit_note(f"graph-api audit: warning: {m}"))
        if fmt == "table" and out is None:
            tty = sys.stdout.isatty()
            buffer = io.StringIO()  # the whole table first: an error never leaves half of it on stdout
            print_tables(result, Console(file=buffer, force_terminal=tty, highlight=False,
                                         width=shutil.get_terminal_size().columns if tty else 160))
            sys.stdout.write(buffer.getvalue())
            sys.stdout.flush()
        else:
            text = render(result, fmt, history)
            if out is not None:
                out.write_text(text, encoding="utf-8", newline="" if fmt == "csv" else None)
                _audit_note(f"wrote {out}: {result['summary']['findings']} findings")
            else:
                data = text.encode("utf-8")
                sys.stdout.flush()
                stdout = getattr(sys.stdout, "buffer", None)
                if stdout is not None:
                    stdout.write(data)
                    stdout.flush()
                else:
                    sys.stdout.write(text)
                    sys.stdout.flush()
        if save:
            doing = "save the snapshot"
            saved = save_snapshot(result, settings.graph_api_audit_history)
            _audit_note(f"saved {saved}")
    except OSError as exc:
        _audit_error(f"cannot write {exc.filename or out or 'stdout'}: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001  (a bug in a renderer must not read as "over limits" to cron)
        _audit_error(f"cannot {doing}: {type(exc).__name__}: {exc}")

    over = exceeded(result, limits)
    if over:  # the last line on stderr, always with this prefix
        typer.echo(OVER_LIMITS + ", ".join(f"{o['check']} {o['count']} > {o['limit']}" for o in over), err=True)
        raise typer.Exit(1)


# --- resource matching (三张清单) and help pairing (结对帮扶) --------------------------------------------
@app.command()
def match(district: Optional[str] = typer.Option(None, help="only this district's streets"),
          street: Optional[str] = typer.Option(None, help="only this street"),
          community: Optional[str] = typer.Option(None, help="only this community"),
          mode: str = typer.Option("both", help="projects (needs with resources and members' skills), pairings "
                                                "(needy households with members) or both"),
          cross_community: bool = typer.Option(False, "--cross-community", help="allow help across communities of the street"),
          max_distance: str = typer.Option("STREET", help="farthest: STAIRWELL_UNIT, BUILDING, COMPLEX, AREA, COMMUNITY, STREET"),
          as_of: Optional[str] = typer.Option(None, metavar="YYYY-MM-DD", help="reference date (default: the data's)"),
          fmt: str = typer.Option("table", "--format", help="table | json"),
          accept_all: bool = typer.Option(False, "--accept", help="write every proposal (projects and pairings) "
                                                                  "in one transaction")) -> None:
    """Propose who should take each open need and which member should pair with each needy household,
    each explained; --accept writes them (all or nothing; a second run proposes nothing new)."""
    import datetime as dt
    from dataclasses import replace

    from graph_api.audit.engine import AuditScope, check_scope_keys, resolve_scope
    from graph_api.domain.coverage import CheckError
    from graph_api.domain.matching import LEVELS, MatchOptions
    from graph_api.matching.service import accept, propose, result_as_dict
    from graph_api.store.base import StoreError

    modes = {"both": ["projects", "pairings"], "projects": ["projects"], "pairings": ["pairings"]}.get(mode)
    if modes is None or fmt not in ("table", "json") or max_distance not in LEVELS:
        _fail(f"graph-api match: --mode projects|pairings|both, --format table|json, --max-distance one of "
              f"{', '.join(LEVELS)}")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(f"graph-api match: --as-of takes a date YYYY-MM-DD, got {as_of!r}")
    base = MatchOptions(cross_community=cross_community, max_distance=max_distance, as_of=day)

    async def action(store: Any) -> Any:
        await store.ping()
        asked = AuditScope(district, street, community)
        await check_scope_keys(store, asked)
        scope = await resolve_scope(store, asked)
        results = [await propose(store, scope, replace(base, mode=m)) for m in modes]
        accepted = None
        if accept_all:
            ids = [p.id for r in results for p in r.proposals]
            accepted = (await accept(store, scope, ids, replace(base, as_of=results[0].as_of),
                                     principal=cli_principal())).as_dict()
        return results, accepted

    try:
        results, accepted = _run(_with_store(action))
    except (CheckError, StoreError) as exc:
        _fail(f"graph-api match: {exc}")
    if fmt == "json":
        doc = {"format": "graph-api-match/1", "scope": {"district": district, "street": street, "community": community},
               "options": {"crossCommunity": cross_community, "maxDistance": max_distance},
               "modes": [result_as_dict(r) for r in results], "accepted": accepted}
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    from rich.markup import escape

    out = Console(highlight=False)  # the tables are the result: standard output
    for r in results:
        data = result_as_dict(r)
        title = "项目匹配 · projects" if r.mode == "projects" else "结对帮扶 · pairings"
        table = Table(title=f"{title}（基准日 as of {data['asOf']}）: {data['matched']} matched, "
                            f"{len(data['unmatched'])} unmatched, total cost {data['totalCost']}")
        for col in ("需求 demand", "提供方 supply", "距离 level", "成本 cost", "理由 reason"):
            table.add_column(col)
        for p in data["proposals"]:
            table.add_row(escape(f"{p['demand']['label']} ({p['demand']['id']})"),
                          escape(f"{p['supply']['label']} ({p['supply']['id']})"), p["level"],
                          str(p["cost"]["total"]), escape(p["reason"]["zh"]))
        for u in data["unmatched"]:
            table.add_row(escape(f"{u['demand']['label']} ({u['demand']['id']})"), "—", "—", "—",
                          escape(u["explanation"]["zh"]))
        out.print(table)
    if accepted is not None:
        out.print(f"accepted: {len(accepted['projects'])} projects, {len(accepted['pairings'])} pairings "
                      f"written; {len(accepted['alreadyAccepted'])} accepted before")


token_app = typer.Typer(help="令牌与 API 密钥 · bearer tokens and API keys", no_args_is_help=True)
app.add_typer(token_app, name="token")

ROLE_HELP = "district_admin, street_staff, community_staff, auditor or grid_worker"


def cli_principal() -> Any:
    """The local operator, named after the OS user in the audit log."""
    import getpass

    from graph_api.domain.access import Principal

    return Principal(subject=f"cli:{getpass.getuser()}", role=None)


def _audit_cli_event(store: Any, operation: str, token_id: str, detail: dict[str, Any]) -> Any:
    import datetime as dt
    import uuid

    from graph_api.store.base import AuditEntry

    who = cli_principal()
    return store.append_audit([AuditEntry(id=uuid.uuid4().hex, at=dt.datetime.now(dt.UTC), actor=who.subject,
                                          role="OPERATOR", operation=operation, kind=None, record_ids=(token_id,),
                                          after=detail)])


@token_app.command("create")
def token_create(
    role: str = typer.Option(..., help=ROLE_HELP),
    scope: str = typer.Option(..., help="KIND:ID[,ID...]: district:210905, street:210905001, community:210905001001, "
                                        "grid:<grid codes> (a grid worker)"),
    subject: str = typer.Option(None, help="who the token is for (default: role@scope)"),
    hours: float = typer.Option(None, help="lifetime of a bearer token (GRAPH_API_TOKEN_HOURS, default 12)"),
    api_key: bool = typer.Option(False, "--api-key", help="a long-lived API key for scripts, stored hashed in the store"),
    name: str = typer.Option(None, help="the API key's name (e.g. nightly-audit)"),
    days: float = typer.Option(None, help="the API key's lifetime in days (default: until revoked)"),
    check: bool = typer.Option(True, "--check/--no-check", help="check that the scope names records in the store"),
) -> None:
    """Make a bearer token (JWT) or an API key for a role and scope; prints it on stdout."""
    from graph_api.auth import TokenConfigError, TokenService, check_scope_exists, parse_scope
    from graph_api.domain.access import Role
    from graph_api.store.base import StoreError

    settings = get_settings()
    try:
        role_ = Role(role.upper())
    except ValueError:
        _fail(f"未知角色 {role!r} · unknown role {role!r} (one of {ROLE_HELP})")
    try:
        scope_kind, ids = parse_scope(scope)
        from graph_api.auth import check_role_scope

        check_role_scope(role_, scope_kind)
        tokens = TokenService(settings)
    except (ValueError, TokenConfigError) as exc:
        _fail(str(exc))
    who = subject or f"{role_.value.lower()}@{scope_kind}:{','.join(ids)}"

    async def action(store: Any) -> Any:
        if check:
            missing = await check_scope_exists(store, scope_kind, ids)
            if missing:
                _fail(f"范围中的编号不存在 · no such {scope_kind} in the store: {', '.join(missing)} "
                      f"(--no-check to make the token anyway)")
        if api_key:
            issued = await tokens.create_api_key(store, name or who, role_, scope_kind, ids, days)
        else:
            issued = tokens.create_jwt(who, role_, scope_kind, ids, hours)
        await _audit_cli_event(store, "token.create", issued.token_id, {
            "role": role_.value, "scope": f"{scope_kind}:{','.join(ids)}", "subject": who, "apiKey": api_key,
            "expires": issued.expires.isoformat() if issued.expires else None})
        return issued

    try:
        issued = _run(_with_store(action))
    except StoreError as exc:
        if api_key:
            _fail(f"{exc}")
        # a bearer token needs no store: made anyway when the store is busy (the embedded store is
        # owned by a running server), without the scope check or the log entry
        console.print(f"[yellow]store not available ({exc}); token made without checking the scope[/yellow]")
        issued = tokens.create_jwt(who, role_, scope_kind, ids, hours)
    until = f"until {issued.expires:%Y-%m-%d %H:%M} UTC" if issued.expires else "until revoked"
    console.print(f"{'API key' if api_key else 'bearer token'} {issued.token_id} for {who} ({role_.zh} · {role_.en}), "
                  f"{until}; send it as the header  Authorization: Bearer <token>")
    print(issued.token)


@token_app.command("revoke")
def token_revoke(token_id: str = typer.Argument(..., help="the token's id (jti, printed by token create) or the "
                                                          "API key's id (gak_<id>_...)")) -> None:
    """Revoke a bearer token or an API key: refused from the next request on."""
    import datetime as dt

    from graph_api.store.base import StoreError

    key = token_id.removeprefix("gak_").split("_")[0] if token_id.startswith("gak_") else token_id

    async def action(store: Any) -> None:
        await store.revoke(key, dt.datetime.now(dt.UTC))
        await _audit_cli_event(store, "token.revoke", key, {"revoked": True})

    try:
        _run(_with_store(action))
    except StoreError as exc:
        _fail(str(exc))
    console.print(f"revoked {key}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
