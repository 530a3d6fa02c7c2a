"""Saved audit runs (``graph-api audit --save``), read back for the trend in reports.

One JSON file per run in the history folder (``GRAPH_API_AUDIT_HISTORY``), named by the UTC
time of saving (``audit-20220630T081500Z.json``). A snapshot keeps counts only: per check its
population, count and thresholds, per community and check the same two numbers, plus the
scope, the store (``embedded`` or ``neo4j``) and ``checkNames``, the checks run in their order.
No finding details, so no household, member or room ids ever reach the history.

Runs are compared only like with like (:func:`split_runs`): the same scope, the same set of
checks and the same thresholds of every check. Snapshots saved before ``checkNames`` was kept
count as a run of the whole catalogue of that time when they hold all its
:data:`LEGACY_CATALOGUE_SIZE` checks; the others are skipped with a warning, since a run of a
few checks cannot be told from one whose other checks found nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from graph_api.audit.engine import AuditScope

HISTORY_FORMAT = "graph-api-audit-history/1"
PREFIX = "audit-"
LEGACY_CATALOGUE_SIZE = 21  # checks in the catalogue while snapshots had no "checkNames"
log = logging.getLogger(__name__)

Warn = Callable[[str], None]


def snapshot(result: Mapping[str, Any], saved_at: dt.datetime | None = None) -> dict[str, Any]:
    """The counts of an audit result, without findings."""
    saved_at = (saved_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    return {
        "format": HISTORY_FORMAT,
        "savedAt": saved_at.isoformat(),
        "generatedAt": result.get("generatedAt"),
        "asOf": result.get("asOf"),
        "scope": _scope_dict(result.get("scope") or {}),
        "store": result.get("store"),
        "checkNames": [c["name"] for c in result.get("checks", [])],
        "checks": {c["name"]: {"population": c["population"], "count": c["count"],
                               "thresholds": c.get("thresholds", {})} for c in result.get("checks", [])},
        "communities": {c["id"]: {"name": c.get("name"), "streetId": c.get("streetId"),
                                  "checks": {name: {"population": v["population"], "count": v["count"]}
                                             for name, v in c.get("checks", {}).items()}}
                        for c in result.get("communities", [])},
    }


def save_snapshot(result: Mapping[str, Any], folder: str | Path, saved_at: dt.datetime | None = None) -> Path:
    """Write the snapshot of ``result`` as a new file in ``folder`` (created if needed); its path.
    Raises OSError when the folder cannot be written."""
    snap = snapshot(result, saved_at)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.fromisoformat(snap["savedAt"]).strftime("%Y%m%dT%H%M%SZ")
    path, n = folder / f"{PREFIX}{stamp}.json", 1
    while path.exists():  # two runs within one second
        n += 1
        path = folder / f"{PREFIX}{stamp}-{n}.json"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(snap, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_history(folder: str | Path, scope: AuditScope | Mapping[str, Any] | None = None,
                 warn: Warn | None = None) -> list[dict[str, Any]]:
    """The saved runs of the same scope (all runs when ``scope`` is None), oldest first, each with
    its ``checkNames``. A missing folder gives no runs; unreadable or foreign files, and snapshots
    without ``checkNames`` that lack some check of the catalogue of their time, are skipped with a
    warning. Use :func:`split_runs` to keep the runs comparable with a result."""
    warn = warn or log.warning
    folder = Path(folder)
    wanted = None if scope is None else _scope_dict(scope.as_dict() if isinstance(scope, AuditScope) else scope)
    try:
        if not folder.exists():
            return []
        files = sorted(p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.suffix == ".json")
    except OSError as exc:
        warn(f"无法读取审计历史 · cannot read the audit history {folder}: {exc.strerror or exc}")
        return []
    runs = []
    for path in files:
        try:
            snap = json.loads(path.read_text(encoding="utf-8"))
            if not _looks_valid(snap):
                raise ValueError(f"not a {HISTORY_FORMAT} snapshot")
            saved = dt.datetime.fromisoformat(snap["savedAt"])
        except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
            warn(f"跳过无法读取的历史文件 · skipped unreadable history file {path}: {exc}")
            continue
        if wanted is not None and _scope_dict(snap["scope"]) != wanted:
            continue
        if "checkNames" not in snap:
            if len(snap["checks"]) != LEGACY_CATALOGUE_SIZE:
                warn(f"跳过无法比较的历史文件 · skipped history file {path}: saved without its list of checks and "
                     f"with {len(snap['checks'])} of the {LEGACY_CATALOGUE_SIZE} checks of its time, so it "
                     f"cannot be compared with other runs")
                continue
            snap = {**snap, "checkNames": list(snap["checks"])}
        runs.append((saved.astimezone(dt.timezone.utc) if saved.tzinfo else saved.replace(tzinfo=dt.timezone.utc),
                     _sequence(path.name), path.name, snap))
    runs.sort(key=lambda r: r[:3])
    return [snap for *_, snap in runs]


def _sequence(name: str) -> int:
    """The number of a run within its second: ``audit-…Z.json`` 1, ``audit-…Z-2.json`` 2 (by name
    alone ``-2`` would sort first, as ``-`` comes before ``.``)."""
    match = re.fullmatch(rf"{PREFIX}\d{{8}}T\d{{6}}Z(?:-(\d+))?\.json", name)
    return int(match.group(1) or 1) if match else 0


def result_signature(result: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What makes two runs comparable: each check run with its thresholds (lists as sets)."""
    return {c["name"]: _thresholds(c.get("thresholds")) for c in result.get("checks", [])}


def snapshot_signature(snap: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    checks = snap.get("checks") or {}
    names = snap.get("checkNames")
    if names is None:  # not read through load_history: a legacy snapshot is a full run
        names = list(checks) if len(checks) == LEGACY_CATALOGUE_SIZE else []
    return {n: _thresholds((checks.get(n) or {}).get("thresholds")) for n in names}


def split_runs(result: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]
               ) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The saved runs comparable with ``result`` (same scope, same set of checks, same thresholds),
    and those of the same scope that ran other checks or thresholds; runs of other scopes are
    dropped. Order is kept."""
    scope = _scope_dict(result.get("scope") or {})
    wanted = result_signature(result)
    same, other = [], []
    for run in runs:
        if _scope_dict(run.get("scope") or {}) != scope:
            continue
        signature = snapshot_signature(run)
        (same if signature and signature == wanted else other).append(run)
    return same, other


def _thresholds(values: Any) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        return {}
    return {k: (tuple(sorted({str(x) for x in v})) if isinstance(v, (list, tuple)) else v) for k, v in values.items()}


def _scope_dict(scope: Mapping[str, Any]) -> dict[str, str | None]:
    return {k: (None if scope.get(k) is None else str(scope.get(k))) for k in ("district", "street", "community")}


def _looks_valid(snap: Any) -> bool:
    if not isinstance(snap, dict) or snap.get("format") != HISTORY_FORMAT:
        return False
    if not isinstance(snap.get("savedAt"), str) or not isinstance(snap.get("scope"), dict):
        return False
    checks = snap.get("checks")
    if not isinstance(checks, dict):
        return False
    names = snap.get("checkNames", list(checks))
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return False
    if len(set(names)) != len(names) or set(names) != set(checks):  # the checks run, each with its counts
        return False
    return all(isinstance(v, dict) and isinstance(v.get("count"), int) and isinstance(v.get("population"), int)
               for v in checks.values())


__all__ = ["HISTORY_FORMAT", "LEGACY_CATALOGUE_SIZE", "load_history", "result_signature", "save_snapshot",
           "snapshot", "snapshot_signature", "split_runs"]
