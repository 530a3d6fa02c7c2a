"""Run coverage checks through the store interface and assemble the audit result.

The result is a plain, JSON-ready dict whose shape is documented in ``README.md`` (section
"Coverage audit") and versioned by its ``format`` key. The GraphQL ``coverage`` field, the
``graph-api audit`` command and the HTML report all read this one structure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph_api.domain.coverage import CHECK_BY_NAME, CHECK_NAMES, CheckError, CheckInput, check_input, reason
from graph_api.domain.model import KIND_BY_NAME
from graph_api.store.base import EVERYTHING, GraphStore, Scope

FORMAT = "graph-api-audit/1"


@dataclass(frozen=True)
class AuditScope:
    """What the caller asked to audit: a district, a street or a community (or everything)."""

    district: str | None = None
    street: str | None = None
    community: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"district": self.district, "street": self.street, "community": self.community}


async def check_scope_keys(store: GraphStore, asked: AuditScope, visible: Scope = EVERYTHING) -> None:
    """A CheckError naming the street or community asked for that the caller cannot see (or that
    does not exist); resolve_scope itself narrows quietly, so an unknown key would read as "no gaps"."""
    for kind_name, key in (("Street", asked.street), ("Community", asked.community)):
        if key is not None and not await store.get_nodes(kind_name, [key], visible):
            raise CheckError(f"没有编号为 {key!r} 的{'街道' if kind_name == 'Street' else '社区'} · "
                             f"no {kind_name.lower()} {key!r}" + ("" if visible.unrestricted else " in your scope"))


async def resolve_scope(store: GraphStore, asked: AuditScope, base: Scope = EVERYTHING) -> Scope:
    """The store scope for a district, street or community, inside the caller's own scope.
    A district becomes the set of its streets (nodes carry street and community keys only)."""
    scope = base.narrowed(asked.street, asked.community)
    if asked.district is not None:
        district = await store.get_nodes("District", [asked.district], EVERYTHING)
        if not district:
            raise CheckError(f"没有编号为 {asked.district!r} 的区 · no district {asked.district!r}")
        rel = KIND_BY_NAME["District"].rel("streets")
        streets = (await store.neighbours("District", rel, [asked.district], EVERYTHING)).get(asked.district, [])
        ids = frozenset(s["id"] for s in streets)
        scope = Scope(ids if scope.street_ids is None else scope.street_ids & ids, scope.community_ids)
    return scope


async def default_as_of(store: GraphStore, scope: Scope) -> dt.date:
    """The reference date (District.asOfDate) of the districts the scope lies in, or today when
    they have none; districts with different dates need an explicit as-of date."""
    districts = {d["id"]: d.get("asOfDate") for d in (await store.find_nodes("District", [], [], 0, 100_000, EVERYTHING)).records}
    if not scope.unrestricted:
        streets = scope.street_ids
        if streets is None:
            communities = await store.find_nodes("Community", [], [], 0, 1_000_000, scope)
            streets = frozenset(c["streetId"] for c in communities.records if c.get("streetId"))
        rel = KIND_BY_NAME["Street"].rel("district")
        parents = await store.neighbours("Street", rel, sorted(streets), EVERYTHING)
        wanted = {d["id"] for found in parents.values() for d in found}
        districts = {k: v for k, v in districts.items() if k in wanted}
    dates = sorted({d for d in districts.values() if d is not None})
    if len(dates) > 1:
        raise CheckError(f"范围内各区的数据基准日不同（{'、'.join(d.isoformat() for d in dates)}），请指定基准日 · the districts "
                         "in scope have different as-of dates: give one (--as-of / asOf)")
    return dates[0] if dates else dt.date.today()


def parse_thresholds(pairs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``check.name=value`` strings (value: a number, or names separated by commas) as a nested dict."""
    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        check, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise CheckError(f"阈值应写成 检查.名称=值 · a threshold is written check.name=value, got {pair!r}")
        spec = CHECK_BY_NAME.get(check)
        if spec is None:
            raise CheckError(f"没有名为 {check!r} 的检查 · no check named {check!r}")
        default = spec.defaults().get(name)
        value: Any
        if isinstance(default, list):
            value = [v.strip() for v in raw.split(",") if v.strip()]
        else:
            try:
                value = int(raw)
            except ValueError:
                raise CheckError(f"{key}: 应为整数 · must be a whole number, got {raw!r}") from None
        out.setdefault(check, {})[name] = value
    return out


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def _share(population: int, count: int) -> float | None:
    return None if population == 0 else round(max(population - count, 0) / population, 4)


async def run_audit(store: GraphStore, scope: Scope, *, asked: AuditScope = AuditScope(),
                    checks: Sequence[str] | None = None, thresholds: Mapping[str, Mapping[str, Any]] | None = None,
                    as_of: dt.date | None = None, paths: bool = True) -> dict[str, Any]:
    """Run the checks (all by default) over the scope and return the audit result."""
    started = time.perf_counter()
    asked_names = set(checks or CHECK_NAMES)
    names = [n for n in CHECK_NAMES if n in asked_names]  # catalogue order
    thresholds = thresholds or {}
    for name in [*asked_names, *thresholds]:
        if name not in CHECK_BY_NAME:
            raise CheckError(f"没有名为 {name!r} 的检查 · no check named {name!r} (known: {', '.join(CHECK_NAMES)})")
    day = as_of or await default_as_of(store, scope)
    for name, values in thresholds.items():  # thresholds of checks not run are checked too
        if name not in asked_names:
            check_input(name, day, values)
    inputs: list[CheckInput] = [check_input(n, day, thresholds.get(n)) for n in names]

    async def timed(ci: CheckInput) -> tuple[Any, float]:
        t = time.perf_counter()
        out = await store.coverage_check(ci, scope)
        return out, time.perf_counter() - t

    outputs = await asyncio.gather(*(timed(ci) for ci in inputs))
    communities: dict[str, dict[str, Any]] = {}
    for c in (await store.find_nodes("Community", [], [], 0, 1_000_000, scope)).records:
        communities[c["id"]] = {"id": c["id"], "name": c.get("name"), "streetId": c.get("streetId"), "checks": {}}
    grid_ids = sorted({f["gridId"] for out, _ in outputs for f in out.findings if f.get("gridId")})
    grid_paths = await store.grid_paths(grid_ids, scope) if paths and grid_ids else {}

    def community_name(cid: str | None) -> str | None:
        return communities.get(cid, {}).get("name") if cid else None

    result_checks = []
    for ci, (out, seconds) in zip(inputs, outputs):
        spec = CHECK_BY_NAME[ci.check]
        findings = []
        per_community: dict[str | None, int] = {}
        for f in out.findings:
            facts = dict(f["facts"])
            zh, en = reason(ci.check, {**facts, "label": f["label"]})
            path = list(grid_paths.get(f.get("gridId") or "", []))
            if not path and f.get("communityId") in communities:
                path = [{"kind": "Community", "id": f["communityId"], "name": community_name(f["communityId"])}]
            findings.append({"id": f["id"], "kind": f["kind"], "label": f["label"], "communityId": f["communityId"],
                             "communityName": community_name(f["communityId"]), "streetId": f["streetId"],
                             "reason": {"zh": zh, "en": en}, "facts": _json_value(facts), "path": path})
            per_community[f["communityId"]] = per_community.get(f["communityId"], 0) + 1
        population = sum(out.population.values())
        for cid, entry in communities.items():
            pop, cnt = out.population.get(cid, 0), per_community.get(cid, 0)
            entry["checks"][ci.check] = {"population": pop, "count": cnt, "shareOk": _share(pop, cnt)}
        result_checks.append({
            "name": ci.check, "question": spec.question, "kind": spec.kind, "title": {"zh": spec.zh, "en": spec.en},
            "rule": {"zh": spec.rule_zh, "en": spec.rule_en},
            "populationLabel": {"zh": spec.population_zh, "en": spec.population_en},
            "thresholds": {t.name: _json_value(ci.values[t.name]) for t in spec.thresholds},
            "population": population, "count": len(findings), "shareOk": _share(population, len(findings)),
            "seconds": round(seconds, 4), "findings": findings})
    community_list = []
    # buildings not wholly covered: none of their units (a building finding) or some (unit findings)
    partly: dict[str | None, set[str]] = {}
    for c in result_checks:
        if c["name"] == "stairwell_without_party_group":
            for f in c["findings"]:
                partly.setdefault(f["communityId"], set()).add(f["facts"].get("building"))
    for entry in sorted(communities.values(), key=lambda c: c["id"]):
        b = entry["checks"].get("building_without_party_group")
        n = entry["checks"].get("needy_household_without_helper")
        uncovered = None if b is None else b["count"] + len(partly.get(entry["id"], ()))
        entry["totals"] = {
            "findings": sum(v["count"] for v in entry["checks"].values()),
            "buildings": b["population"] if b else None, "buildingsUncovered": uncovered,
            "needyHouseholds": n["population"] if n else None, "needyUnhelped": n["count"] if n else None,
        }
        community_list.append(entry)
    return {
        "format": FORMAT,
        "generatedAt": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "asOf": day.isoformat(),
        "scope": asked.as_dict(),
        "store": getattr(store, "name", type(store).__name__),
        "summary": {"checks": len(result_checks), "findings": sum(c["count"] for c in result_checks),
                    "checksWithFindings": sum(1 for c in result_checks if c["count"])},
        "checks": result_checks,
        "communities": community_list,
        "seconds": round(time.perf_counter() - started, 4),
    }


def exceeded(result: Mapping[str, Any], limits: Mapping[str, int], default: int = 0) -> list[dict[str, Any]]:
    """Checks whose count is above their limit (``limits``: check → N, ``"*"`` for all others)."""
    fallback = limits.get("*", default)
    out = []
    for c in result["checks"]:
        limit = limits.get(c["name"], fallback)
        if c["count"] > limit:
            out.append({"check": c["name"], "count": c["count"], "limit": limit})
    return out


def parse_limits(pairs: Sequence[str]) -> dict[str, int]:
    """``CHECK=N`` (or ``*=N``) strings as a dict."""
    out: dict[str, int] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or (name != "*" and name not in CHECK_BY_NAME):
            raise CheckError(f"--fail-on 应写成 检查=N 或 *=N · --fail-on takes CHECK=N or *=N, got {pair!r}")
        try:
            limit = int(raw)
        except ValueError:
            raise CheckError(f"--fail-on {name}: 应为整数 · must be a whole number, got {raw!r}") from None
        if limit < 0:
            raise CheckError(f"--fail-on {name}: 不能为负 · must not be negative")
        out[name] = limit
    return out
