"""The coverage checks over the in-memory graph: the embedded twins of
``queries/cypher/coverage/*.cypher``. Rules, thresholds and the shape of the output are in
:mod:`graph_api.domain.coverage`; a differential test holds the two backends together.

Only records inside the caller's scope are looked at (the same scope-key test every read of
this store applies), so a finding or a count never comes from outside it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any, Callable, Iterator

from graph_api.domain.coverage import KIND_LEVEL, CheckInput, CheckOutput
from graph_api.domain.model import GRID_CODE_SUFFIX, GRID_KINDS, GRID_PARENT, KIND_BY_NAME
from graph_api.store.base import Scope
from graph_api.store.embedded.semantics import in_scope

if TYPE_CHECKING:
    from graph_api.store.embedded.store import EmbeddedStore

Props = dict[str, Any]


class _Graph:
    """Small helpers over the store's MultiDiGraph (keys are (kind, id), edge keys the type)."""

    def __init__(self, store: "EmbeddedStore", scope: Scope):
        self.store = store
        self.nodes = store.by_kind
        self.succ = store.graph.succ
        self.pred = store.graph.pred
        self.scope = scope

    def scan(self, kind: str) -> Iterator[tuple[str, Props]]:
        visible = in_scope(KIND_BY_NAME[kind], self.scope)
        for node_id, props in self.nodes[kind].items():
            if visible is None or visible(node_id, props):
                yield node_id, props

    def out(self, kind: str, node_id: str, rel: str, target: str | None = None) -> list[tuple[str, str]]:
        adj = self.succ.get((kind, node_id))
        if not adj:
            return []
        return [k for k, edges in adj.items() if rel in edges and (target is None or k[0] == target)]

    def inc(self, kind: str, node_id: str, rel: str, source: str | None = None) -> list[tuple[str, str]]:
        adj = self.pred.get((kind, node_id))
        if not adj:
            return []
        return [k for k, edges in adj.items() if rel in edges and (source is None or k[0] == source)]

    def props(self, key: tuple[str, str]) -> Props:
        return self.nodes[key[0]][key[1]]


def _row(node_id: str, kind: str, props: Props, label: Any, grid_id: str | None, facts: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "label": label, "communityId": props.get("communityId"),
            "streetId": props.get("streetId"), "gridId": grid_id, "facts": facts}


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _within(day: dt.date | None, first: dt.date, last: dt.date) -> bool:
    return day is not None and first <= day <= last


def _days(a: dt.date, b: dt.date) -> int:
    return (b - a).days


# --- 1. buildings and stairwells ---------------------------------------------------------------

def _covered(g: _Graph, kinds: set[str], key: tuple[str, str]) -> bool:
    return any(g.props(o).get("kind") in kinds for o in g.inc(key[0], key[1], "COVERS", "PartyOrg"))


def _ancestor_covered(g: _Graph, kinds: set[str], building_id: str) -> bool:
    """The building, its complex or its area has a covering organisation of the given kinds."""
    frontier = [("Building", building_id)]
    for _ in range(3):
        nxt = []
        for key in frontier:
            if _covered(g, kinds, key):
                return True
            nxt.extend(g.out(key[0], key[1], "PART_OF"))
        frontier = [k for k in nxt if k[0] in ("Complex", "Area")]
    return False


def _building_coverage(g: _Graph, kinds: set[str]) -> Iterator[tuple[str, Props, list[str], list[str]]]:
    """(building id, props, unit ids, covered unit ids) of buildings not covered as a whole."""
    for bid, props in g.scan("Building"):
        if _ancestor_covered(g, kinds, bid):
            continue
        units = sorted(u for _, u in g.inc("Building", bid, "PART_OF", "StairwellUnit"))
        covered = [u for u in units if _covered(g, kinds, ("StairwellUnit", u))]
        if units and len(covered) == len(units):
            continue
        yield bid, props, units, covered


def building_without_party_group(g: _Graph, p: CheckInput) -> CheckOutput:
    kinds = set(p["coveringKinds"])
    findings = [_row(bid, "Building", props, props.get("name"), bid, {"units": len(units)})
                for bid, props, units, covered in _building_coverage(g, kinds) if not covered]
    return CheckOutput(findings, _population(g, "Building"))


def stairwell_without_party_group(g: _Graph, p: CheckInput) -> CheckOutput:
    kinds = set(p["coveringKinds"])
    findings = []
    units_props = g.nodes["StairwellUnit"]
    visible = in_scope(KIND_BY_NAME["StairwellUnit"], g.scope)
    for bid, _props, units, covered in _building_coverage(g, kinds):
        if not covered:
            continue
        done = set(covered)
        for uid in units:
            props = units_props[uid]
            if uid in done or (visible is not None and not visible(uid, props)):
                continue
            findings.append(_row(uid, "StairwellUnit", props, props.get("name"), uid,
                                 {"building": bid, "coveredSiblings": len(covered)}))
    return CheckOutput(findings, _population(g, "StairwellUnit"))


def building_without_member(g: _Graph, p: CheckInput) -> CheckOutput:
    findings = []
    for bid, props in g.scan("Building"):
        if g.inc("Building", bid, "LEADS_GRID", "Member"):
            continue
        units = [u for _, u in g.inc("Building", bid, "PART_OF", "StairwellUnit")]
        households = 0
        served = False
        for uid in units:
            if g.inc("StairwellUnit", uid, "LEADS_GRID", "Member"):
                served = True
                break
            for _, hid in g.inc("StairwellUnit", uid, "IN_UNIT", "Household"):
                households += 1
                if g.inc("Household", hid, "LIVES_IN", "Member"):
                    served = True
                    break
            if served:
                break
        if not served:
            findings.append(_row(bid, "Building", props, props.get("name"), bid,
                                 {"units": len(units), "households": households}))
    return CheckOutput(findings, _population(g, "Building"))


# --- 2. grid staff -------------------------------------------------------------------------------

def _grid_staff(g: _Graph, p: CheckInput, rel: str, source: str) -> CheckOutput:
    findings = []
    population: Counter[str | None] = Counter()
    for kind in p["kinds"]:
        for gid, props in g.scan(kind):
            population[props.get("communityId")] += 1
            if not g.inc(kind, gid, rel, source):
                findings.append(_row(gid, kind, props, props.get("name"), gid, {"level": KIND_LEVEL[kind]}))
    return CheckOutput(findings, dict(population))


def grid_without_leader(g: _Graph, p: CheckInput) -> CheckOutput:
    return _grid_staff(g, p, "LEADS_GRID", "Member")


def grid_without_worker(g: _Graph, p: CheckInput) -> CheckOutput:
    return _grid_staff(g, p, "WORKS_GRID", "Person")


# --- 3. hierarchy ----------------------------------------------------------------------------------

def grid_hierarchy_broken(g: _Graph, p: CheckInput) -> CheckOutput:
    findings = []
    population: Counter[str | None] = Counter()
    for kind in GRID_KINDS:
        parent_kind = GRID_PARENT.get(kind, "Street")
        for gid, props in g.scan(kind):
            population[props.get("communityId")] += 1
            parents = g.out(kind, gid, "PART_OF", parent_kind)
            problems = []
            if not parents:
                problems.append("NO_PARENT")
            elif len(parents) > 1:
                problems.append("MANY_PARENTS")
            elif kind != "Community":
                parent = g.props(parents[0])
                code, parent_code = props.get("code"), parent.get("code")
                if (code is None or parent_code is None or not code.startswith(parent_code)
                        or len(code) != len(parent_code) + GRID_CODE_SUFFIX[kind]):
                    problems.append("CODE_NOT_DERIVED")
                if props.get("communityId") != parent.get("communityId") or props.get("streetId") != parent.get("streetId"):
                    problems.append("SCOPE_MISMATCH")
            elif props.get("streetId") != parents[0][1]:
                problems.append("SCOPE_MISMATCH")
            if problems:
                findings.append(_row(gid, kind, props, props.get("name"), gid,
                                     {"level": KIND_LEVEL[kind], "problems": problems, "parents": len(parents)}))
    return CheckOutput(findings, dict(population))


# --- 4. needy households and pairings -----------------------------------------------------------------

def _active_pairings(g: _Graph, kind: str, node_id: str, rel: str) -> list[tuple[str, str]]:
    return [k for k in g.inc(kind, node_id, rel, "Pairing") if g.props(k).get("status") == "ACTIVE"]


def _unit_of(g: _Graph, household_id: str) -> str | None:
    units = g.out("Household", household_id, "IN_UNIT", "StairwellUnit")
    return min(u for _, u in units) if units else None


def needy_household_without_helper(g: _Graph, p: CheckInput) -> CheckOutput:
    categories = set(p["categories"])
    findings = []
    population: Counter[str | None] = Counter()
    for hid, props in g.scan("Household"):
        cats = props.get("careCategories")
        if not cats or categories.isdisjoint(cats):
            continue
        population[props.get("communityId")] += 1
        if not _active_pairings(g, "Household", hid, "FOR_HOUSEHOLD"):
            findings.append(_row(hid, "Household", props, hid, _unit_of(g, hid), {}))
    return CheckOutput(findings, dict(population))


def pairing_past_visit_deadline(g: _Graph, p: CheckInput) -> CheckOutput:
    cutoffs: dict[str, dt.date] = p["cutoffs"]
    deadline_days: dict[str, int] = p["deadlineDays"]
    findings = []
    population: Counter[str | None] = Counter()
    for pid, props in g.scan("Pairing"):
        if props.get("status") != "ACTIVE":
            continue
        population[props.get("communityId")] += 1
        households = sorted(h for _, h in g.out("Pairing", pid, "FOR_HOUSEHOLD", "Household"))
        household = households[0] if households else None
        tier = g.nodes["Household"][household].get("riskTier") if household else None
        if tier not in cutoffs:
            tier = "GENERAL"
        last = props.get("lastVisitDate") or props.get("since")
        if last is not None and last >= cutoffs[tier]:
            continue
        over = None if last is None else _days(last, p.as_of) - deadline_days[tier]
        findings.append(_row(pid, "Pairing", props, pid, _unit_of(g, household) if household else None,
                             {"household": household, "riskTier": tier, "deadlineDays": deadline_days[tier],
                              "lastVisitDate": _iso(props.get("lastVisitDate")), "since": _iso(props.get("since")),
                              "daysOver": over}))
    return CheckOutput(findings, dict(population))


# --- 5. household load ----------------------------------------------------------------------------------

def _home_unit(g: _Graph, member_id: str) -> str | None:
    homes = sorted(h for _, h in g.out("Member", member_id, "LIVES_IN", "Household"))
    return _unit_of(g, homes[0]) if homes else None


def _households_helped(g: _Graph, member_id: str) -> int:
    """Distinct households of the member's active pairings (two kinds of help to one family: one household)."""
    return len({h for k in _active_pairings(g, "Member", member_id, "BY_MEMBER")
                for h in g.out(k[0], k[1], "FOR_HOUSEHOLD", "Household")})


def member_under_household_load(g: _Graph, p: CheckInput) -> CheckOutput:
    minimum, born_by = p["minHouseholds"], p["exemptBornOnOrBefore"]
    findings = []
    population: Counter[str | None] = Counter()
    for mid, props in g.scan("Member"):
        pairings = g.inc("Member", mid, "BY_MEMBER", "Pairing")
        if not pairings:
            continue
        birth = props.get("birthDate")
        if birth is not None and birth <= born_by:
            continue  # exempt by age
        population[props.get("communityId")] += 1
        active = _households_helped(g, mid)
        if active < minimum:
            findings.append(_row(mid, "Member", props, props.get("name"), _home_unit(g, mid),
                                 {"households": active, "minimum": minimum}))
    return CheckOutput(findings, dict(population))


def member_over_household_cap(g: _Graph, p: CheckInput) -> CheckOutput:
    maximum = p["maxHouseholds"]
    findings = []
    population: Counter[str | None] = Counter()
    for mid, props in g.scan("Member"):
        active = _households_helped(g, mid)
        if not active:
            continue
        population[props.get("communityId")] += 1
        if active > maximum:
            findings.append(_row(mid, "Member", props, props.get("name"), _home_unit(g, mid),
                                 {"households": active, "maximum": maximum}))
    return CheckOutput(findings, dict(population))


# --- 6. 双报到 --------------------------------------------------------------------------------------------

def employed_member_not_reported(g: _Graph, p: CheckInput) -> CheckOutput:
    findings = []
    population: Counter[str | None] = Counter()
    for mid, props in g.scan("Member"):
        if props.get("category") != "EMPLOYED":
            continue
        population[props.get("communityId")] += 1
        if not g.out("Member", mid, "REPORTED_TO", "Community"):
            findings.append(_row(mid, "Member", props, props.get("name"), _home_unit(g, mid), {}))
    return CheckOutput(findings, dict(population))


def reported_member_inactive(g: _Graph, p: CheckInput) -> CheckOutput:
    since: dt.date = p["since"]
    findings = []
    population: Counter[str | None] = Counter()
    for mid, props in g.scan("Member"):
        if not g.out("Member", mid, "REPORTED_TO", "Community"):
            continue
        reported = props.get("reportedDate")
        if reported is not None and reported > since:
            continue  # reported less than a period ago
        population[props.get("communityId")] += 1
        if props.get("serviceItems"):
            continue
        if g.inc("Member", mid, "OFFERED_BY", "Resource"):
            continue
        if _active_pairings(g, "Member", mid, "BY_MEMBER"):
            continue
        if any(_within(g.props(k).get("claimedDate"), since, p.as_of) for k in g.inc("Member", mid, "CLAIMED_BY", "Project")):
            continue
        if any(_within(g.props(k).get("date"), since, p.as_of) for k in g.out("Member", mid, "TOOK_PART", "Activity")):
            continue
        findings.append(_row(mid, "Member", props, props.get("name"), _home_unit(g, mid),
                             {"reportedDate": _iso(reported), "days": p["days"]}))
    return CheckOutput(findings, dict(population))


# --- 7. big committee -----------------------------------------------------------------------------------

def joint_unit_resources_no_project(g: _Graph, p: CheckInput) -> CheckOutput:
    year_start: dt.date = p["yearStart"]
    findings = []
    population: Counter[str | None] = Counter()
    for jid, props in g.scan("JointUnit"):
        resources = g.inc("JointUnit", jid, "OFFERED_BY", "Resource")
        if not resources:
            continue
        population[props.get("communityId")] += 1
        claimed = [k for k in g.inc("JointUnit", jid, "CLAIMED_BY", "Project")
                   if _within(g.props(k).get("claimedDate"), year_start, p.as_of)]
        if not claimed:
            findings.append(_row(jid, "JointUnit", props, props.get("name"), None,
                                 {"resources": len(resources), "year": p["year"]}))
    return CheckOutput(findings, dict(population))


def _orgs(g: _Graph, kind: str) -> Iterator[tuple[str, Props]]:
    return ((oid, props) for oid, props in g.scan("PartyOrg") if props.get("kind") == kind)


def big_committee_without_part_time_member(g: _Graph, p: CheckInput) -> CheckOutput:
    findings = []
    population: Counter[str | None] = Counter()
    for oid, props in _orgs(g, "BIG_COMMITTEE"):
        population[props.get("communityId")] += 1
        if not any(g.out("Member", m, "REPRESENTS", "JointUnit") for _, m in g.inc("PartyOrg", oid, "PART_TIME_MEMBER_OF", "Member")):
            findings.append(_row(oid, "PartyOrg", props, props.get("name"), None, {}))
    return CheckOutput(findings, dict(population))


# --- 8. needs and projects -------------------------------------------------------------------------------

def _need_grid(g: _Graph, nid: str) -> str | None:
    grids = sorted(i for k, i in g.out("Need", nid, "RAISED_IN") if k in GRID_KINDS)
    if grids:
        return grids[0]
    households = sorted(h for _, h in g.out("Need", nid, "RAISED_BY", "Household"))
    return _unit_of(g, households[0]) if households else None


def open_need_overdue(g: _Graph, p: CheckInput) -> CheckOutput:
    before: dt.date = p["openedBefore"]
    findings = []
    population: Counter[str | None] = Counter()
    for nid, props in g.scan("Need"):
        if props.get("status") != "OPEN":
            continue
        population[props.get("communityId")] += 1
        opened = props.get("openedDate")
        if opened is not None and opened < before:
            findings.append(_row(nid, "Need", props, props.get("title"), _need_grid(g, nid),
                                 {"openedDate": _iso(opened), "daysOpen": _days(opened, p.as_of), "limit": p["days"]}))
    return CheckOutput(findings, dict(population))


def project_capacity_unused(g: _Graph, p: CheckInput) -> CheckOutput:
    before: dt.date = p["claimedBefore"]
    findings = []
    population: Counter[str | None] = Counter()
    for pid, props in g.scan("Project"):
        capacity = props.get("plannedCapacity")
        if props.get("status") not in ("CLAIMED", "IN_PROGRESS") or not capacity or capacity <= 0:
            continue
        population[props.get("communityId")] += 1
        claimed = props.get("claimedDate")
        if claimed is None or claimed >= before or g.out("Project", pid, "MEETS", "Need"):
            continue
        grids = sorted(i for k, i in g.out("Project", pid, "LOCATED_IN") if k in GRID_KINDS)
        findings.append(_row(pid, "Project", props, props.get("title"), grids[0] if grids else None,
                             {"claimedDate": _iso(claimed), "plannedCapacity": capacity,
                              "daysClaimed": _days(claimed, p.as_of)}))
    return CheckOutput(findings, dict(population))


# --- 9. branches --------------------------------------------------------------------------------------------

def branch_without_committee(g: _Graph, p: CheckInput) -> CheckOutput:
    threshold = p["committeeFrom"]
    findings = []
    population: Counter[str | None] = Counter()
    for oid, props in _orgs(g, "BRANCH"):
        population[props.get("communityId")] += 1
        size = len(g.inc("PartyOrg", oid, "MEMBER_OF", "Member"))
        if size >= threshold and props.get("hasBranchCommittee") is not True:
            findings.append(_row(oid, "PartyOrg", props, props.get("name"), None, {"members": size}))
    return CheckOutput(findings, dict(population))


def branch_size_out_of_range(g: _Graph, p: CheckInput) -> CheckOutput:
    low, high = p["minMembers"], p["maxMembers"]
    findings = []
    population: Counter[str | None] = Counter()
    for oid, props in _orgs(g, "BRANCH"):
        population[props.get("communityId")] += 1
        size = len(g.inc("PartyOrg", oid, "MEMBER_OF", "Member"))
        if size < low or size > high:
            findings.append(_row(oid, "PartyOrg", props, props.get("name"), None,
                                 {"members": size, "minimum": low, "maximum": high}))
    return CheckOutput(findings, dict(population))


# --- 10. contact -----------------------------------------------------------------------------------------------

def member_out_of_contact(g: _Graph, p: CheckInput) -> CheckOutput:
    before: dt.date = p["contactBefore"]
    findings = []
    population: Counter[str | None] = Counter()
    for mid, props in g.scan("Member"):
        population[props.get("communityId")] += 1
        last = props.get("lastContactDate")
        if last is None or last < before:
            findings.append(_row(mid, "Member", props, props.get("name"), _home_unit(g, mid),
                                 {"lastContactDate": _iso(last), "months": p["months"]}))
    return CheckOutput(findings, dict(population))


# --- 11. communities ----------------------------------------------------------------------------------------------

def community_below_star_target(g: _Graph, p: CheckInput) -> CheckOutput:
    findings = []
    population: Counter[str | None] = Counter()
    for oid, props in _orgs(g, "COMMUNITY_COMMITTEE"):
        population[props.get("communityId")] += 1
        rating, target = props.get("starRating"), props.get("starTarget")
        if rating is not None and target is not None and rating < target:
            findings.append(_row(oid, "PartyOrg", props, props.get("name"), props.get("communityId"),
                                 {"starRating": rating, "starTarget": target}))
    return CheckOutput(findings, dict(population))


def community_without_service_center(g: _Graph, p: CheckInput) -> CheckOutput:
    minimum = p["minAreaSqm"]
    findings = []
    population: Counter[str | None] = Counter()
    for cid, props in g.scan("Community"):
        population[props.get("communityId")] += 1
        area = props.get("serviceCenterAreaSqm")
        if area is None or area < minimum:
            findings.append(_row(cid, "Community", props, props.get("name"), cid, {"areaSqm": area, "minimum": minimum}))
    return CheckOutput(findings, dict(population))


# --- shared ------------------------------------------------------------------------------------------------------

def _population(g: _Graph, kind: str) -> dict[str | None, int]:
    return dict(Counter(props.get("communityId") for _, props in g.scan(kind)))


RUNNERS: dict[str, Callable[[_Graph, CheckInput], CheckOutput]] = {fn.__name__: fn for fn in (
    building_without_party_group, stairwell_without_party_group, building_without_member, grid_without_leader,
    grid_without_worker, grid_hierarchy_broken, needy_household_without_helper, pairing_past_visit_deadline,
    member_under_household_load, member_over_household_cap, employed_member_not_reported, reported_member_inactive,
    joint_unit_resources_no_project, big_committee_without_part_time_member, open_need_overdue,
    project_capacity_unused, branch_without_committee, branch_size_out_of_range, member_out_of_contact,
    community_below_star_target, community_without_service_center)}


def run_check(store: "EmbeddedStore", scope: Scope, check: CheckInput) -> CheckOutput:
    out = RUNNERS[check.check](_Graph(store, scope), check)
    out.findings.sort(key=lambda r: (r["id"], r["kind"]))
    return out


def grid_paths(store: "EmbeddedStore", grid_ids: list[str], scope: Scope) -> dict[str, list[dict[str, Any]]]:
    """Each grid and its ancestors up to the community ({"kind", "id", "name"}), inside the scope."""
    g = _Graph(store, scope)
    by_id: dict[str, str] = {}
    for kind in GRID_KINDS:
        for gid in grid_ids:
            if gid in g.nodes[kind]:
                by_id.setdefault(gid, kind)
    out: dict[str, list[dict[str, Any]]] = {}
    for gid, kind in by_id.items():
        path = []
        key: tuple[str, str] | None = (kind, gid)
        while key is not None:
            props = g.props(key)
            visible = in_scope(KIND_BY_NAME[key[0]], scope)
            if visible is not None and not visible(key[1], props):
                break
            path.append({"kind": key[0], "id": key[1], "name": props.get("name")})
            if key[0] == "Community":
                break
            parents = sorted(g.out(key[0], key[1], "PART_OF", GRID_PARENT[key[0]]))
            key = parents[0] if parents else None
        if path:
            out[gid] = path
    return out
