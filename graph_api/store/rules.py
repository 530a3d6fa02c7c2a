"""Rules both store backends apply alike, written once: masks of sensitive fields, the refusals
of a grid scope, and the encoding of audit entries and API key records.

The Neo4j backend turns the masks into Cypher (the same rule as :func:`access.mask_value`); the
embedded one applies :func:`mask_props`. Everything here is plain Python: no store is touched.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from graph_api.domain.access import GRID_LOCATORS, mask_value
from graph_api.domain.model import GRID_KINDS, KIND_BY_NAME, Kind, relationship_types
from graph_api.store.base import AuditEntry, AuditQuery, Condition, Record, Scope, SortKey, StoreError

MASK_MODES = ("phone", "name", "hide")
UTC = dt.timezone.utc


# --- masks -------------------------------------------------------------------------------------

def mask_plan(kind_name: str, scope: Scope) -> dict[str, str]:
    """prop -> mode ("phone", "name" or "hide") of the fields of ``kind_name`` the scope masks,
    checked against the model (the Neo4j backend puts the names into query text)."""
    plan = {}
    k = KIND_BY_NAME.get(kind_name)
    for prop_name, mode in sorted(scope.masks_of(kind_name).items()):
        if mode == "full":
            continue
        if mode not in MASK_MODES:
            raise StoreError(f"unknown mask mode {mode!r} for {kind_name}.{prop_name}")
        if k is None:
            raise StoreError(f"a mask names the unknown kind {kind_name!r}")
        try:
            prop = k.prop(prop_name)
        except KeyError:
            raise StoreError(f"a mask names {kind_name}.{prop_name}, which the model does not have") from None
        if mode != "hide" and (prop.type is not str or prop.many):
            raise StoreError(f"{kind_name}.{prop_name}: the {mode} mask applies to text only")
        plan[prop_name] = mode
    return plan


def mask_props(props: Mapping[str, Any], plan: Mapping[str, str]) -> dict[str, Any]:
    """The properties as the plan shows them: masked values, hidden ones left out."""
    out = dict(props)
    for name, mode in plan.items():
        if name not in out:
            continue
        if mode == "hide":
            del out[name]
        else:
            value = mask_value(mode, out[name])  # type: ignore[arg-type]
            if value is None:
                del out[name]
            else:
                out[name] = value
    return out


def refuse_masked_filters(k: Kind, scope: Scope, conditions: Sequence[Condition], sort: Sequence[SortKey]) -> None:
    """A condition or sort key on a masked or hidden field would reveal it: refused."""
    plan = mask_plan(k.name, scope)
    for name in [c.prop for c in conditions] + [s.prop for s in sort]:
        mode = plan.get(name)
        if mode is None:
            continue
        zh, en = ("隐藏", "hidden") if mode == "hide" else ("脱敏显示", "masked")
        raise StoreError(f"{k.name}.{name} 对当前用户{zh}，不能用于筛选或排序 · "
                         f"{k.name}.{name} is {en} for this caller and cannot be filtered or sorted on")


# --- grid scope ---------------------------------------------------------------------------------

#: hops of the grid ancestry a grid scope follows upwards (community to stairwell unit: 4)
GRID_DEPTH = 4


def refuse_grid_scope(scope: Scope, zh: str, en: str) -> None:
    """The named domain queries answer for streets and communities, not for grids."""
    if scope.grid_ids is not None:
        raise StoreError(f"{zh}不支持网格范围 · {en} not offered under a grid scope")


def grid_locators(kind_name: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The locator paths of a kind (empty: never inside a grid scope), checked against the model."""
    paths = GRID_LOCATORS.get(kind_name, ())
    types = relationship_types()
    for path in paths:
        for rel_type, direction in path:
            if rel_type not in types or direction not in ("out", "in"):
                raise StoreError(f"GRID_LOCATORS of {kind_name}: unknown hop {(rel_type, direction)!r}")
        if not path and kind_name not in GRID_KINDS:
            raise StoreError(f"GRID_LOCATORS of {kind_name}: only grids are located by the empty path")
    return paths


# --- writes ---------------------------------------------------------------------------------------

def missing_deletes(missing: Sequence[tuple[str, str]]) -> StoreError:
    shown = ", ".join(f"{k} {i}" for k, i in missing)
    return StoreError(f"要删除的记录不存在，未写入任何内容 · cannot delete records that do not exist, "
                      f"nothing was written: {shown}")


# --- audit entries ---------------------------------------------------------------------------------

def utc(value: Any, what: str) -> dt.datetime:
    """A datetime in UTC (a naive one is taken as UTC)."""
    if not isinstance(value, dt.datetime):
        raise StoreError(f"{what} must be a datetime, not {value!r}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: dt.datetime) -> str:
    """Fixed-width ISO text in UTC: sorts as the instants do."""
    return utc(value, "a time").isoformat(timespec="microseconds")


def from_iso(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text).astimezone(UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def to_json(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return json.dumps(dict(value), ensure_ascii=False, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"an audit entry's before/after must be JSON values: {exc}") from None


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    """An entry as stored: ``at`` in UTC, ``before``/``after`` as JSON text, lists as lists."""
    if not isinstance(entry, AuditEntry):
        raise StoreError(f"not an audit entry: {entry!r}")
    for name in ("id", "actor", "role", "operation"):
        if not isinstance(getattr(entry, name), str) or not getattr(entry, name):
            raise StoreError(f"an audit entry needs a {name} (text)")
    return {"id": entry.id, "at": utc(entry.at, "an audit entry's at"), "actor": entry.actor, "role": entry.role,
            "operation": entry.operation, "kind": entry.kind, "recordIds": [str(i) for i in entry.record_ids],
            "streetId": entry.street_id, "communityId": entry.community_id,
            "before": to_json(entry.before), "after": to_json(entry.after),
            "fields": [str(f) for f in entry.fields]}


def audit_record(row: Mapping[str, Any], scope: Scope) -> Record:
    """A stored entry (``at`` a datetime, before/after JSON text) as :meth:`AuditEntry.as_record`
    gives it, with the scope's masks applied to before/after."""
    rules = scope.masks_of(row["kind"]) if row.get("kind") else {}
    out: Record = {"id": row["id"], "at": utc(row["at"], "at"), "actor": row["actor"], "role": row["role"],
                   "operation": row["operation"], "kind": row.get("kind"),
                   "recordIds": list(row.get("recordIds") or []), "streetId": row.get("streetId"),
                   "communityId": row.get("communityId"), "before": None, "after": None,
                   "fields": list(row.get("fields") or [])}
    for side in ("before", "after"):
        text = row.get(side)
        if text is None:
            continue
        values = json.loads(text)
        for prop, mode in rules.items():
            if prop not in values or mode == "full":
                continue
            if mode == "hide":
                del values[prop]
            else:
                values[prop] = mask_value(mode, values[prop])  # type: ignore[arg-type]
        out[side] = values
    return out


def audit_filters(query: AuditQuery) -> dict[str, Any]:
    """The query's filters, the times in UTC (None: no filter)."""
    return {"actor": query.actor, "operation": query.operation, "kind": query.kind, "recordId": query.record_id,
            "since": None if query.since is None else utc(query.since, "since"),
            "until": None if query.until is None else utc(query.until, "until")}


def check_page(offset: int, limit: int) -> None:
    if offset < 0 or limit < 0:
        raise StoreError("offset and limit must not be negative")


# --- API keys -----------------------------------------------------------------------------------

API_KEY_FIELDS = ("id", "hash", "role", "scopeKind", "scopeIds", "name", "createdAt", "expiresAt")


def api_key_row(key: Mapping[str, Any]) -> dict[str, Any]:
    """An API key record checked: the fields of :data:`API_KEY_FIELDS`, times in UTC."""
    missing = [f for f in API_KEY_FIELDS if f != "expiresAt" and key.get(f) is None]
    if missing:
        raise StoreError(f"an API key record needs {', '.join(missing)}")
    for name in ("id", "hash", "role", "scopeKind", "name"):
        if not isinstance(key[name], str):
            raise StoreError(f"an API key's {name} must be text")
    if isinstance(key["scopeIds"], str) or not all(isinstance(i, str) for i in key["scopeIds"]):
        raise StoreError("an API key's scopeIds must be a list of text")
    return {"id": key["id"], "hash": key["hash"], "role": key["role"], "scopeKind": key["scopeKind"],
            "scopeIds": list(key["scopeIds"]), "name": key["name"], "createdAt": utc(key["createdAt"], "createdAt"),
            "expiresAt": None if key.get("expiresAt") is None else utc(key["expiresAt"], "expiresAt")}
