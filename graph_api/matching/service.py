"""Propose and accept matches through the store interface (used by GraphQL and the CLI).

``propose`` reads the matching input of the scope and runs the engine; nothing is written.
``accept`` takes proposal ids (``<mode>|<demand>|<supply>``), checks each against a fresh read of
the scope, and writes the projects and pairings in one guarded transaction: every need must
still be open, every household still without an active pairing and every resource's claimed
count unchanged when the write commits, or nothing is written. Accepting the same proposals
again writes nothing (the records have deterministic ids and are reported as already accepted).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from graph_api.domain.graphdata import GraphData
from graph_api.domain.model import GRID_KINDS, KIND_BY_NAME
from graph_api.domain.matching import (
    CARE_ITEM,
    LEVEL_ZH,
    UNMATCHED_TEXT,
    Demand,
    MatchingInput,
    MatchOptions,
    MatchResult,
    Mode,
    Proposal,
    Supply,
    Unmatched,
    parse_proposal_id,
    proposal_id,
    terms,
)
from graph_api.matching.engine import match
from graph_api.changes.service import audit_entries
from graph_api.domain.access import OPERATOR, Principal
from graph_api.store.base import EVERYTHING, Change, Expect, GraphStore, NoActivePairing, Scope, StoreError

FIT_ZH = {"ITEM": "服务项目对口", "CATEGORY": "类别对口", "SECONDARY": "类别可用"}
FIT_EN = {"ITEM": "the service item matches", "CATEGORY": "the category matches", "SECONDARY": "the category can serve"}


class StaleProposal(StoreError):
    """A proposal that no longer holds (the need was met meanwhile, the capacity is gone...)."""


def project_id(need_id: str) -> str:
    return f"PJM-{need_id}"


def pairing_id(household_id: str, member_id: str) -> str:
    return f"PRM-{household_id}-{member_id}"


def explain(p: Proposal) -> tuple[str, str]:
    """Why this match: who, the fit, the distance and the cost terms."""
    t = p.terms
    load_zh = f" + 负荷{t.load_cost}" if t.load_cost else ""
    load_en = f" + load {t.load_cost}" if t.load_cost else ""
    who = p.supply.label
    zh = (f"{who}：{FIT_ZH[t.fit]}，{LEVEL_ZH[t.level]}；成本 = 距离{t.distance_cost} + 匹配{t.fit_cost} + "
          f"紧急程度{t.urgency_cost}{load_zh} = {t.total}")
    en = (f"{who}: {FIT_EN[t.fit]}, {t.level.lower().replace('_', ' ')} level; cost = distance {t.distance_cost} + "
          f"fit {t.fit_cost} + urgency {t.urgency_cost}{load_en} = {t.total}")
    return zh, en


def explain_unmatched(u: Unmatched) -> tuple[str, str]:
    zh, en = UNMATCHED_TEXT[u.reason]
    return f"{zh}（可满足的资源{u.candidates}个）", f"{en} ({u.candidates} that fit)"


async def default_as_of(store: GraphStore, scope: Scope) -> dt.date:
    from graph_api.audit.engine import default_as_of as audit_as_of

    return await audit_as_of(store, scope)


async def read_input(store: GraphStore, scope: Scope, options: MatchOptions) -> MatchingInput:
    """The store's matching input; a demand placed in no grid is placed at its community."""
    data = await store.matching_input(options, scope)
    data.demands = [replace(d, path=(d.community_id,)) if not d.path and d.community_id else d for d in data.demands]
    return data


async def propose(store: GraphStore, scope: Scope, options: MatchOptions) -> MatchResult:
    if options.as_of is None:
        options = replace(options, as_of=await default_as_of(store, scope))
    return match(await read_input(store, scope, options), options)


@dataclass
class AcceptReport:
    projects: list[str] = field(default_factory=list)  # ids of the projects created
    pairings: list[str] = field(default_factory=list)  # ids of the pairings created
    already: list[str] = field(default_factory=list)  # proposal ids accepted before

    def as_dict(self) -> dict[str, Any]:
        return {"projects": self.projects, "pairings": self.pairings, "alreadyAccepted": self.already}


async def accept(store: GraphStore, scope: Scope, proposal_ids: Sequence[str], options: MatchOptions,
                 principal: Principal = OPERATOR) -> AcceptReport:
    """Write the proposals all-or-nothing; a StaleProposal names the first one that no longer holds."""
    parsed: list[tuple[str, Mode, tuple[str, str], tuple[str, str]]] = []
    for text in dict.fromkeys(proposal_ids):
        try:
            mode, demand, supply = parse_proposal_id(text)
        except ValueError:
            raise StaleProposal(f"无效的方案编号 {text!r} · not a proposal id: {text!r}") from None
        parsed.append((text, mode, demand, supply))
    if options.as_of is None:
        options = replace(options, as_of=await default_as_of(store, scope))
    report = AcceptReport()
    data = GraphData()
    guards: list[Any] = []
    for mode in ("projects", "pairings"):
        wanted = [p for p in parsed if p[1] == mode]
        if not wanted:
            continue
        mode_options = replace(options, mode=mode)
        fresh = await read_input(store, scope, mode_options)
        demands = {(d.kind, d.id): d for d in fresh.demands}
        supplies = {(s.kind, s.id): s for s in fresh.supplies}
        used: Counter[tuple[str, str]] = Counter()
        resources = [s[1] for _, _, _, s in wanted if s[0] == "Resource"]
        resource_records = (await store.get_nodes("Resource", resources, scope)) if resources else {}
        seen: set[tuple[str, str]] = set()
        for text, _, dref, sref in wanted:
            if dref in seen:
                raise StaleProposal(f"方案 {text}：同一{'需求' if mode == 'projects' else '住户'}在一次请求中只能接受一个方案 · "
                                    f"{dref[0]} {dref[1]} appears in more than one proposal of this request")
            seen.add(dref)
            record_id = project_id(dref[1]) if mode == "projects" else pairing_id(dref[1], sref[1])
            demand = demands.get(dref)
            if demand is None:
                if await _accepted_before(store, scope, mode, record_id, sref):
                    report.already.append(text)
                    continue
                what = ("该需求已不是待认领状态（可能已被认领）或不在范围内 · the need is no longer open (met meanwhile?) "
                        "or not in scope" if mode == "projects" else
                        "该住户已有结对帮扶或不在范围内 · the household already has a helper or is not in scope")
                raise StaleProposal(f"方案 {text} 已失效：{what}（接受时的范围和选项须与提出方案时相同 · accept with "
                                    "the scope and options used to propose）")
            if await store.get_nodes("Project" if mode == "projects" else "Pairing", [record_id], EVERYTHING):
                raise StaleProposal(f"方案 {text}：记录 {record_id} 已存在（此前的匹配已结束或被改动），请人工处理 · "
                                    f"{record_id} already exists from an earlier match (ended or changed): handle it by hand")
            supply = supplies.get(sref)
            if supply is None or used[sref] >= supply.capacity:
                raise StaleProposal(f"方案 {text} 已失效：{sref[1]} 已无剩余容量或不在范围内 · {sref[0]} {sref[1]} "
                                    "has no capacity left or is not in scope")
            if terms(demand, supply, mode_options) is None:
                raise StaleProposal(f"方案 {text} 不符合匹配规则（类别、距离或所属大党委）· the proposal breaks the "
                                    "matching rules (category, distance or big committee)")
            used[sref] += 1
            if mode == "projects":
                _project(data, demand, supply, options.as_of)
                guards.append(Expect("Need", demand.id, {"status": "OPEN"}))
                report.projects.append(record_id)
            else:
                _pairing(data, demand, supply, options.as_of)
                guards.append(NoActivePairing(demand.id))
                report.pairings.append(record_id)
        for (kind, rid), n in sorted(used.items()):
            if kind == "Resource":  # claimed grows by the projects of this batch, if nobody claimed meanwhile
                record = resource_records.get(rid, {})
                before = record.get("claimed")
                if (before or 0) + n > (record.get("capacity") or 0):
                    raise StaleProposal(f"资源 {rid} 剩余容量不足 · resource {rid} has no capacity left for "
                                        f"{n} more (claimed {before or 0} of {record.get('capacity') or 0})")
                guards.append(Expect("Resource", rid, {"claimed": before}))
                data.nodes.append(("Resource", rid, {"claimed": (before or 0) + n}))
        if mode == "projects":
            await _locate(store, data)
    if data.nodes or data.edges:
        audit = await audit_entries(store, data, principal, "acceptMatches")
        await store.apply_change(Change(data=data, guards=tuple(guards), audit=tuple(audit)))
    return report


def _scope_keys(demand: Demand) -> dict[str, Any]:
    return {"streetId": demand.street_id, "communityId": demand.community_id}


def _project(data: GraphData, need: Demand, supply: Supply, day: dt.date | None) -> None:
    pid = project_id(need.id)
    data.nodes.append(("Project", pid, {**_scope_keys(need), "title": f"{need.label}（{supply.label}认领）",
                                        "category": need.category, "status": "CLAIMED", "claimedDate": day,
                                        "plannedCapacity": need.quantity or 1}))
    data.nodes.append(("Need", need.id, {"status": "MATCHED"}))
    data.edges.append(("Project", pid, "MEETS", "Need", need.id))
    if need.path:
        data.edges.append(("Project", pid, "LOCATED_IN", "Grid", need.path[0]))  # kind found by _locate
    if supply.kind == "Resource":
        data.edges.append(("Project", pid, "USES", "Resource", supply.id))
    if supply.offered_by is not None:
        data.edges.append(("Project", pid, "CLAIMED_BY", supply.offered_by[0], supply.offered_by[1]))


def _pairing(data: GraphData, household: Demand, member: Supply, day: dt.date | None) -> None:
    pid = pairing_id(household.id, member.id)
    wanted = [CARE_ITEM[c] for c in household.care if c in CARE_ITEM]
    kind = next((i for i in wanted if i in member.items), wanted[0] if wanted else "POVERTY")  # what they matched on
    data.nodes.append(("Pairing", pid, {**_scope_keys(household), "kind": kind, "since": day, "status": "ACTIVE"}))
    data.edges.append(("Pairing", pid, "BY_MEMBER", "Member", member.id))
    data.edges.append(("Pairing", pid, "FOR_HOUSEHOLD", "Household", household.id))


async def _locate(store: GraphStore, data: GraphData) -> None:
    """Give each LOCATED_IN edge its grid's kind (one read per grid level)."""
    grids = sorted({e[4] for e in data.edges if e[2] == "LOCATED_IN" and e[3] == "Grid"})
    kinds: dict[str, str] = {}
    for kind in GRID_KINDS:
        for gid in await store.get_nodes(kind, grids, EVERYTHING) if grids else {}:
            kinds.setdefault(gid, kind)
    data.edges = [e for e in data.edges if not (e[2] == "LOCATED_IN" and e[3] == "Grid" and e[4] not in kinds)]
    data.edges = [(a, ai, r, kinds[bi], bi) if (r == "LOCATED_IN" and b == "Grid") else (a, ai, r, b, bi)
                  for a, ai, r, b, bi in data.edges]


async def _accepted_before(store: GraphStore, scope: Scope, mode: Mode, record_id: str, supply: tuple[str, str]) -> bool:
    """The record of this very proposal exists (a project using that supply, an active pairing with that member)."""
    kind = "Project" if mode == "projects" else "Pairing"
    found = await store.get_nodes(kind, [record_id], scope)
    if not found:
        return False
    k = KIND_BY_NAME[kind]
    if mode == "pairings":
        if found[record_id].get("status") != "ACTIVE":
            return False
        rels = ["member"]
    else:
        rels = ["resources"] if supply[0] == "Resource" else ["claimedByMember"]
    for rel in rels:
        linked = (await store.neighbours(kind, k.rel(rel), [record_id], EVERYTHING)).get(record_id, [])
        if any(r["id"] == supply[1] for r in linked):
            return True
    return False


def result_as_dict(result: MatchResult) -> dict[str, Any]:
    """A mode's proposals and unmatched demands as plain data (the CLI's JSON, the tests)."""
    def demand(d: Demand) -> dict[str, Any]:
        return {"kind": d.kind, "id": d.id, "label": d.label, "communityId": d.community_id,
                "category": d.category, "item": d.item, "urgency": d.urgency}

    proposals = []
    for p in result.proposals:
        zh, en = explain(p)
        t = p.terms
        proposals.append({
            "id": p.id, "demand": demand(p.demand),
            "supply": {"kind": p.supply.kind, "id": p.supply.id, "label": p.supply.label,
                       "communityId": p.supply.community_id,
                       "offeredBy": list(p.supply.offered_by) if p.supply.offered_by else None},
            "level": t.level, "fit": t.fit,
            "cost": {"distance": t.distance_cost, "fit": t.fit_cost, "urgency": t.urgency_cost, "load": t.load_cost,
                     "total": t.total},
            "reason": {"zh": zh, "en": en}})
    unmatched = []
    for u in result.unmatched:
        zh, en = explain_unmatched(u)
        unmatched.append({"demand": demand(u.demand), "reason": u.reason, "candidates": u.candidates,
                          "explanation": {"zh": zh, "en": en}})
    return {"mode": result.mode, "asOf": result.as_of.isoformat(), "proposals": proposals, "unmatched": unmatched,
            "matched": len(proposals), "totalCost": result.total_cost}


__all__ = ["AcceptReport", "StaleProposal", "accept", "explain", "explain_unmatched", "pairing_id", "project_id",
           "propose", "proposal_id", "result_as_dict", "EVERYTHING"]
