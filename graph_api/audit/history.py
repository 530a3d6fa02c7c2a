"""Saved audit runs (``graph-api audit --save``), read back for the trend in reports.

One JSON file per run in the history folder (``GRAPH_API_AUDIT_HISTORY``), named by the UTC
time of saving (``audit-20220630T081500Z.json``). A snapshot keeps counts only: per check its
population and count, per community and check the same two numbers. No finding details, so
no household, member or room ids ever reach the history.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from graph_api.audit.engine import AuditScope

HISTORY_FORMAT = "graph-api-audit-history/1"
PREFIX = "audit-"
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
    """The saved runs of the same scope (all runs when ``scope`` is None), oldest first.
    A missing folder gives no runs; unreadable or foreign files are skipped with a warning."""
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
        if wanted is None or _scope_dict(snap["scope"]) == wanted:
            runs.append((saved.astimezone(dt.timezone.utc) if saved.tzinfo else saved.replace(tzinfo=dt.timezone.utc),
                         path.name, snap))
    runs.sort(key=lambda r: (r[0], r[1]))
    return [snap for _, _, snap in runs]


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
    return all(isinstance(v, dict) and isinstance(v.get("count"), int) and isinstance(v.get("population"), int)
               for v in checks.values())


__all__ = ["HISTORY_FORMAT", "load_history", "save_snapshot", "snapshot"]
