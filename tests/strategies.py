"""Hypothesis strategies: small random, model-valid data sets and the store queries to ask of them.

:func:`raw_datasets` builds a data set in the sample file's raw shape
(``{"nodes": [{"kind", "id", "props"}], "edges": [[kind, id, TYPE, kind, id]]}``) and
:func:`datasets` passes it through :func:`graph_api.domain.dataset.validate`, so values are
coerced exactly as a real load coerces them (enum labels, ISO dates, dropped ``None`` and
``[]``). The shapes follow the sample: one district, streets, communities with grid trees
whose codes derive from their parents', households, Party organisations, members, pairings,
cadres, teams, joint units, projects, service carriers, activities, needs and resources.
Every scoped node carries ``streetId``/``communityId`` of its place, except a few that leave
them off on purpose. Values come from small pools so that sort ties and shared values happen.

The query strategies (:func:`conditions`, :func:`sort_keys`, :func:`scopes`, :func:`windows`)
draw their values from a data set and from outside it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from graph_api.domain import enums as e
from graph_api.domain.dataset import validate
from graph_api.domain.access import Role, masks_for
from graph_api.domain.model import GRID_CODE_SUFFIX, GRID_KINDS, Kind, Prop
from graph_api.store.base import OPS, Condition, GraphData, Scope, SortKey, StoreError, check_condition

DISTRICT_ID = "210905"
UNKNOWN_STREET = "210905999"
UNKNOWN_COMMUNITY = "210905999999"

# --- value pools (small, so that ties and shared values are common) -----------------------------
# Includes a character outside the BMP (𠮷) and full-width punctuation, whose relative order
# differs between UTF-16 and code-point comparison, and case variants of latin names.
NAMES = ["张某1", "张某10", "张某2", "王某", "李某", "𠮷某", "（某）", "Zhang", "zhang", "王某 "]
ORG_NAMES = ["中共乌龙社区委员会", "第一支部", "第二支部", "网格党小组", "大党委", "第一支部"]
TEXT_ALPHABET = "ab张王某（）1 𠮷"
ROOMS = ["101", "201", "1101", "B1", "101", "502"]
GRID_NAMES = {
    "Community": ["乌龙社区", "北山社区", "新街社区", "乌龙社区"],
    "Area": ["第一片区", "第二片区", "第一片区"],
    "Complex": ["华瑞小区", "和翠里", "华瑞小区"],
    "Building": ["1号楼", "10号楼", "2号楼"],
    "StairwellUnit": ["1单元", "2单元", "1单元"],
}
STREET_NAMES = ["新北街道", "河西街道", "新北街道"]
CERTIFICATES = ["助理社会工作者", "社会工作师", "会计"]
SPECIALTIES = ["理发", "维修", "法律咨询", "理发"]
OUTPUTS = ["太阳能照明灯", "便民公共设施", "健身器材", "党史宣传长廊", "文化广场", "图书角"]
OUTPUT_UNITS = ["盏", "组", "处"]
BRANDS = ["闪闪红星", "红色头雁", "绿色环保团", "闪闪红星", ""]
BENEFICIARIES = ["大凉山贫困儿童", "四川大凉山", "贫困儿童", "社区老人", ""]
TITLES = ["党史宣讲", "楼道清理", "助学", "义务劳动", "募捐衣物", "党史宣讲"]
TIE_DATES = [dt.date(2020, 1, 26), dt.date(2020, 2, 1), dt.date(2021, 7, 1), dt.date(2000, 2, 29),
             dt.date(1986, 5, 15), dt.date(2022, 6, 30)]
#: birth dates around the age-35 boundary of cadres elected on the dates below
BIRTH_DATES = [dt.date(1986, 5, 15), dt.date(1986, 5, 16), dt.date(1983, 5, 14), dt.date(1984, 2, 29),
               dt.date(1983, 3, 1), dt.date(1962, 12, 31)]
GRID_BUDGET = 36  # grid nodes per data set at most (keeps a Neo4j load fast)

GRID_CHILD = {"Community": "Area", "Area": "Complex", "Complex": "Building", "Building": "StairwellUnit"}
GRID_LEVEL = {"Community": e.GridLevel.COMMUNITY, "Area": e.GridLevel.AREA, "Complex": e.GridLevel.COMPLEX,
              "Building": e.GridLevel.BUILDING, "StairwellUnit": e.GridLevel.UNIT}


def _iso(day: dt.date) -> str:
    return day.isoformat()


DATES = st.one_of(st.sampled_from(TIE_DATES), st.dates(dt.date(1940, 1, 1), dt.date(2023, 12, 31))).map(_iso)


def enum_raw(enum_cls: type[e.LabelledEnum], members: Sequence[e.LabelledEnum] | None = None) -> st.SearchStrategy[str]:
    """A raw enum value as a file may give it: its name or its Chinese label (validate maps both)."""
    pool = list(members or enum_cls)
    return st.tuples(st.sampled_from(pool), st.booleans()).map(lambda t: t[0].zh if t[1] else t[0].value)


def texts(pool: Sequence[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(list(pool)), st.text(TEXT_ALPHABET, min_size=1, max_size=5))


class _Builder:
    """Collects raw nodes and edges; ``draw`` is the composite's draw."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]):
        self.draw = draw
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[list[str]] = []
        self.ids: dict[str, list[str]] = defaultdict(list)
        self.community_of: dict[tuple[str, str], str] = {}  # (kind, id) -> community id
        self.street_of: dict[str, str] = {}  # community id -> street id
        self.grids_by_community: dict[str, list[tuple[str, str]]] = defaultdict(list)

    # random helpers: each shrinks towards the plain, unsurprising case
    def rare(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def pick(self, seq: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(list(seq))) if seq else None

    def some(self, seq: Sequence[Any], max_size: int, min_size: int = 0) -> list[Any]:
        if not seq:
            return []
        return self.draw(st.lists(st.sampled_from(list(seq)), min_size=min_size, max_size=max_size, unique=True))

    def opt(self, props: dict[str, Any], name: str, strategy: st.SearchStrategy[Any]) -> None:
        """Set an optional prop: usually a value, sometimes missing, sometimes an explicit null."""
        choice = self.draw(st.integers(0, 9))
        if choice == 0:
            return
        props[name] = None if choice == 1 else self.draw(strategy)

    def opt_list(self, props: dict[str, Any], name: str, strategy: st.SearchStrategy[Any], max_size: int = 3) -> None:
        """An optional list prop: missing, null, empty, or 1..max_size items (duplicates allowed)."""
        choice = self.draw(st.integers(0, 9))
        if choice == 0:
            return
        if choice == 1:
            props[name] = None
        elif choice == 2:
            props[name] = []
        else:
            props[name] = self.draw(st.lists(strategy, min_size=1, max_size=max_size))

    def place(self, community: str | None, street: str | None = None) -> dict[str, Any]:
        """The scope keys of a node in this community (or street); a few nodes leave them off."""
        street = street or (self.street_of[community] if community else None)
        keys: dict[str, Any] = {}
        if street is not None and not self.rare(6):
            keys["streetId"] = street
        if community is not None and not self.rare(6):
            keys["communityId"] = community
        return keys

    def node(self, kind: str, node_id: str, props: dict[str, Any], community: str | None = None) -> str:
        self.nodes.append({"kind": kind, "id": node_id, "props": props})
        self.ids[kind].append(node_id)
        if community is not None:
            self.community_of[(kind, node_id)] = community
        return node_id

    def edge(self, src_kind: str, src_id: str, rel: str, dst_kind: str, dst_id: str) -> None:
        self.edges.append([src_kind, src_id, rel, dst_kind, dst_id])

    def in_community(self, kind: str, community: str) -> list[str]:
        return [i for i in self.ids[kind] if self.community_of.get((kind, i)) == community]

    def any_grid(self, community: str | None = None) -> tuple[str, str] | None:
        grids = self.grids_by_community[community] if community else \
            [g for gs in self.grids_by_community.values() for g in gs]
        return self.pick(grids)


def _grow(b: _Builder, parent_kind: str, parent_code: str, community: str) -> None:
    child = GRID_CHILD.get(parent_kind)
    if child is None:
        return
    for i in range(1, b.draw(st.integers(0, 2)) + 1):
        if sum(len(g) for g in b.grids_by_community.values()) >= GRID_BUDGET:
            return
        code = parent_code + str(i).zfill(GRID_CODE_SUFFIX[child])
        props = {**b.place(community), "code": code, "name": b.pick(GRID_NAMES[child]),
                 "level": b.draw(enum_raw(e.GridLevel, [GRID_LEVEL[child]]))}
        if child == "Building":
            b.opt(props, "floors", st.sampled_from([6, 7, 18]) | st.integers(1, 33))
            b.opt(props, "hazard", st.booleans())
        b.node(child, code, props, community)
        b.grids_by_community[community].append((child, code))
        b.edge(child, code, "PART_OF", parent_kind, parent_code)
        _grow(b, child, code, community)


@st.composite
def raw_datasets(draw: Callable[[st.SearchStrategy[Any]], Any], shape: str | None = None) -> dict[str, Any]:
    """A raw data set. ``shape``: "full" (default mostly), "bare" (no grids, no people, only the
    administrative tree) or "empty" (only the district); drawn when not given."""
    b = _Builder(draw)
    shape = shape or draw(st.sampled_from(["full", "full", "full", "full", "full", "bare", "empty"]))
    district = {"name": "清河门区", "code": DISTRICT_ID}
    b.opt(district, "asOfDate", st.just("2022-06-30"))
    b.node("District", DISTRICT_ID, district)
    if shape == "empty":
        return {"nodes": b.nodes, "edges": b.edges}

    # streets and communities
    street_ids = [f"{DISTRICT_ID}{i:03d}" for i in range(1, draw(st.integers(1, 2)) + 1)]
    streets = [b.node("Street", i, {"name": b.pick(STREET_NAMES), "code": i}) for i in street_ids]
    for street in streets:
        if not b.rare(5):  # now and then a street outside the district tree
            b.edge("Street", street, "PART_OF", "District", DISTRICT_ID)
    communities: list[str] = []
    per_street: dict[str, int] = defaultdict(int)
    for _ in range(draw(st.integers(1, 3))):
        street = b.pick(streets)
        per_street[street] += 1
        code = f"{street}{per_street[street]:03d}"
        b.street_of[code] = street
        props = {**b.place(code), "code": code, "name": b.pick(GRID_NAMES["Community"]),
                 "level": draw(enum_raw(e.GridLevel, [e.GridLevel.COMMUNITY]))}
        b.opt(props, "officeAreaSqm", st.sampled_from([400, 630, 399]) | st.integers(100, 900))
        b.opt(props, "serviceCenterAreaSqm", st.sampled_from([0, 399, 400, 510]))
        communities.append(b.node("Community", code, props, code))
        b.grids_by_community[code].append(("Community", code))
        b.edge("Community", code, "PART_OF", "Street", street)
    if shape == "bare":
        return {"nodes": b.nodes, "edges": b.edges}

    # grid trees (a community may have none)
    for community in communities:
        _grow(b, "Community", community, community)
    units = [(c, u) for c in communities for u in b.in_community("StairwellUnit", c)]

    # households in stairwell units
    for n in range(draw(st.integers(0, 10)) if units else 0):
        community, unit = b.pick(units)
        props = {**b.place(community), "room": b.pick(ROOMS)}
        b.opt(props, "floor", st.sampled_from([1, 2, 11]) | st.integers(-1, 30))
        b.opt(props, "occupancy", enum_raw(e.Occupancy))
        b.opt(props, "size", st.integers(0, 6))
        b.opt(props, "headName", st.sampled_from(NAMES))
        b.opt(props, "phone", st.sampled_from(["13900007259", "13900000001"]))
        b.opt(props, "idNumber", st.sampled_from(["210905195009289094", "21090519800101900X"]))
        b.opt_list(props, "careCategories", enum_raw(e.CareCategory, [
            e.CareCategory.NEEDY_FAMILY, e.CareCategory.STUDENT_AID, e.CareCategory.ELDERLY_ALONE,
            e.CareCategory.DISABLED, e.CareCategory.NEEDY_FAMILY]))
        b.opt(props, "riskTier", enum_raw(e.RiskTier))
        hid = b.node("Household", f"{unit}-{n:03d}", props, community)
        b.edge("Household", hid, "IN_UNIT", "StairwellUnit", unit)

    # Party organisations: district committee, street working committees, community committees,
    # branches, big committees and grid groups covering buildings and units
    def org(org_id: str, kind: e.OrgKind, keys: dict[str, Any], community: str | None) -> str:
        props = {**keys, "name": b.pick(ORG_NAMES), "kind": draw(enum_raw(e.OrgKind, [kind]))}
        b.opt(props, "foundedDate", DATES)
        b.opt(props, "starRating", st.integers(0, 5))
        b.opt(props, "starTarget", st.integers(0, 5))
        b.opt(props, "hasBranchCommittee", st.booleans())
        b.opt(props, "serviceBrand", st.sampled_from(BRANDS))
        return b.node("PartyOrg", org_id, props, community)

    top = org(f"PO{DISTRICT_ID}", e.OrgKind.DISTRICT_COMMITTEE, {}, None)
    street_org = {}
    for street in streets:
        street_org[street] = org(f"PO{street}", e.OrgKind.STREET_WORKING_COMMITTEE, b.place(None, street), None)
        b.edge("PartyOrg", street_org[street], "UNDER", "PartyOrg", top)
    big_committees = []
    for community in communities:
        committee = org(f"PO{community}", e.OrgKind.COMMUNITY_COMMITTEE, b.place(community), community)
        b.edge("PartyOrg", committee, "UNDER", "PartyOrg", street_org[b.street_of[community]])
        if not b.rare(15):
            b.edge("PartyOrg", committee, "COVERS", "Community", community)
        parents = [committee]
        for i in range(1, draw(st.integers(0, 1)) + 1):
            kind = draw(st.sampled_from([e.OrgKind.BRANCH, e.OrgKind.GENERAL_BRANCH]))
            parents.append(org(f"PO{community}B{i}", kind, b.place(community), community))
            b.edge("PartyOrg", parents[-1], "UNDER", "PartyOrg", committee)
        if draw(st.booleans()):
            big_committees.append(org(f"PO{community}D", e.OrgKind.BIG_COMMITTEE, b.place(community), community))
        covered = [g for g in b.grids_by_community[community] if g[0] in ("Building", "StairwellUnit", "Complex")]
        for i in range(1, draw(st.integers(0, 2)) + 1):
            group = org(f"PO{community}G{i}", e.OrgKind.GRID_GROUP, b.place(community), community)
            b.edge("PartyOrg", group, "UNDER", "PartyOrg", b.pick(parents))
            for grid_kind, grid_id in b.some(covered, 2):
                b.edge("PartyOrg", group, "COVERS", grid_kind, grid_id)
    orgs = b.ids["PartyOrg"]

    # members
    households = b.ids["Household"]
    for n in range(draw(st.integers(0, 10))):
        community = b.pick(communities)
        props = {**b.place(community), "name": b.pick(NAMES)}
        b.opt(props, "gender", enum_raw(e.Gender))
        b.opt(props, "birthDate", DATES)
        b.opt(props, "education", enum_raw(e.Education))
        b.opt(props, "joinedDate", DATES)
        b.opt(props, "category", enum_raw(e.MemberCategory))
        b.opt_list(props, "serviceItems", enum_raw(e.ServiceItem))
        b.opt_list(props, "specialties", texts(SPECIALTIES), 2)
        b.opt(props, "phone", st.sampled_from(["13900008917", "13900000002"]))
        b.opt(props, "lastContactDate", DATES)
        b.opt(props, "reportedDate", DATES)
        mid = b.node("Member", f"M{n}", props, community)
        local_orgs = b.in_community("PartyOrg", community)
        if local_orgs and not b.rare(15):
            b.edge("Member", mid, "MEMBER_OF", "PartyOrg", b.pick(local_orgs))
        if b.rare(20):
            b.edge("Member", mid, "SECRETARY_OF", "PartyOrg", b.pick(orgs))
        if big_committees and b.rare(25):
            b.edge("Member", mid, "PART_TIME_MEMBER_OF", "PartyOrg", b.pick(big_committees))
        if households and draw(st.booleans()):
            b.edge("Member", mid, "LIVES_IN", "Household", b.pick(households))
        if b.rare(30):
            b.edge("Member", mid, "REPORTED_TO", "Community", b.pick(communities))
        for grid_kind, grid_id in b.some(b.grids_by_community[community], 2):
            b.edge("Member", mid, "LEADS_GRID", grid_kind, grid_id)
    members = b.ids["Member"]

    # pairings of members with households
    for n in range(draw(st.integers(0, 5)) if members and households else 0):
        household = b.pick(households)
        community = b.community_of[("Household", household)]
        props = b.place(community)
        b.opt(props, "kind", enum_raw(e.ServiceItem, [e.ServiceItem.STUDY, e.ServiceItem.POVERTY,
                                                      e.ServiceItem.ELDERLY, e.ServiceItem.STUDY]))
        b.opt(props, "since", DATES)
        b.opt(props, "lastVisitDate", DATES)
        b.opt(props, "status", enum_raw(e.PairingStatus))
        pid = b.node("Pairing", f"PR{n:03d}", props, community)
        if not b.rare(10):
            b.edge("Pairing", pid, "BY_MEMBER", "Member", b.pick(members))
        if not b.rare(10):
            b.edge("Pairing", pid, "FOR_HOUSEHOLD", "Household", household)

    # cadres of the communities' two committees, two terms
    for n in range(draw(st.integers(0, 8))):
        community = b.pick(communities)
        term = draw(st.sampled_from([2021, 2018]))
        props = {**b.place(community), "name": b.pick(NAMES), "termYear": term}
        b.opt(props, "gender", enum_raw(e.Gender))
        b.opt(props, "birthDate", st.one_of(st.sampled_from(BIRTH_DATES),
                                            st.dates(dt.date(1950, 1, 1), dt.date(2000, 12, 31))).map(_iso))
        b.opt(props, "electedDate", st.one_of(
            st.sampled_from([dt.date(term, 5, 15), dt.date(term, 2, 28), dt.date(term, 3, 1)]),
            st.dates(dt.date(term, 1, 1), dt.date(term, 12, 31))).map(_iso))
        b.opt(props, "education", enum_raw(e.Education))
        b.opt_list(props, "positions", enum_raw(e.CadrePosition, [
            e.CadrePosition.SECRETARY, e.CadrePosition.DIRECTOR, e.CadrePosition.COMMITTEE_MEMBER]))
        b.opt_list(props, "certificates", st.sampled_from(CERTIFICATES), 2)
        b.opt(props, "partyMember", st.booleans())
        cid = b.node("Cadre", f"CD{term}-{n:02d}", props, community)
        if not b.rare(10):
            b.edge("Cadre", cid, "SERVES", "Community", community)

    # persons: grid workers, building heads, volunteers
    for n in range(draw(st.integers(0, 4))):
        community = b.pick(communities)
        props = {**b.place(community), "name": b.pick(NAMES)}
        b.opt(props, "gender", enum_raw(e.Gender))
        b.opt_list(props, "roles", enum_raw(e.PersonRole), 2)
        b.opt(props, "phone", st.just("13900008706"))
        pid = b.node("Person", f"PS{n:02d}", props, community)
        for grid_kind, grid_id in b.some(b.grids_by_community[community], 2):
            b.edge("Person", pid, "WORKS_GRID", grid_kind, grid_id)
        buildings = b.in_community("Building", community)
        if buildings and draw(st.booleans()):
            b.edge("Person", pid, "HEADS_BUILDING", "Building", b.pick(buildings))
    persons = b.ids["Person"]

    # teams formed by streets (assault teams mostly)
    for n in range(draw(st.integers(0, 3))):
        street = b.pick(streets)
        keys = b.place(None, street)
        if b.rare(15):
            keys["communityId"] = b.pick(communities)
        props = {**keys, "name": b.pick(["第1党员突击队", "第2党员突击队", "艺术团", "第1党员突击队"]),
                 "kind": draw(enum_raw(e.TeamKind, [e.TeamKind.ASSAULT, e.TeamKind.ASSAULT, e.TeamKind.SERVICE,
                                                    e.TeamKind.ART_TROUPE]))}
        b.opt(props, "formedDate", DATES)
        b.opt(props, "purpose", texts(["疫情防控", "创城"]))
        tid = b.node("Team", f"T{street}-{n}", props, keys.get("communityId"))
        if not b.rare(15):
            b.edge("Team", tid, "ORGANISED_BY", "Street", street)
        if b.rare(20):
            b.edge("Team", tid, "ORGANISED_BY", "PartyOrg", b.pick(orgs))
        for member in b.some(members, 4):
            b.edge("Member", member, "IN_TEAM", "Team", tid)
    teams = b.ids["Team"]

    # joint-building units of the big committees
    for n in range(draw(st.integers(0, 3))):
        street = b.pick(streets)
        props = {**b.place(None, street), "name": b.pick(["示例物业", "示例医院", "示例物业"])}
        b.opt(props, "kind", enum_raw(e.UnitKind))
        b.opt(props, "agreementDate", DATES)
        b.opt(props, "address", texts(["示例路1号"]))
        jid = b.node("JointUnit", f"JU{n:02d}", props)
        for committee in b.some(big_committees, 2):
            b.edge("JointUnit", jid, "JOINT_BUILDS_WITH", "PartyOrg", committee)
        if members and b.rare(30):
            b.edge("Member", b.pick(members), "REPRESENTS", "JointUnit", jid)
    joint_units = b.ids["JointUnit"]

    # needs and resources
    for n in range(draw(st.integers(0, 3))):
        community = b.pick(communities)
        props = {**b.place(community), "title": b.pick(TITLES), "category": draw(enum_raw(e.NeedCategory))}
        b.opt(props, "serviceItem", enum_raw(e.ServiceItem))
        b.opt(props, "quantity", st.integers(0, 20))
        b.opt(props, "urgency", enum_raw(e.Urgency))
        b.opt(props, "openedDate", DATES)
        b.opt(props, "status", enum_raw(e.NeedStatus))
        nid = b.node("Need", f"ND{n:02d}", props, community)
        local = [h for h in households if b.community_of[("Household", h)] == community]
        if local and draw(st.booleans()):
            b.edge("Need", nid, "RAISED_BY", "Household", b.pick(local))
        grid = b.any_grid(community)
        if grid and not b.rare(20):
            b.edge("Need", nid, "RAISED_IN", *grid)
    for n in range(draw(st.integers(0, 3))):
        community = b.pick(communities)
        props = {**b.place(community), "title": b.pick(TITLES), "category": draw(enum_raw(e.ResourceCategory))}
        b.opt_list(props, "serviceItems", enum_raw(e.ServiceItem), 2)
        b.opt(props, "capacity", st.integers(0, 20))
        b.opt(props, "claimed", st.integers(0, 20))
        b.opt(props, "validFrom", DATES)
        b.opt(props, "validTo", DATES)
        rid = b.node("Resource", f"RS{n:02d}", props, community)
        if joint_units and draw(st.booleans()):
            b.edge("Resource", rid, "OFFERED_BY", "JointUnit", b.pick(joint_units))
        elif members and draw(st.booleans()):
            b.edge("Resource", rid, "OFFERED_BY", "Member", b.pick(members))
        grid = b.any_grid(community)
        if grid and draw(st.booleans()):
            b.edge("Resource", rid, "BASED_IN", *grid)

    # projects, claimed by joint units, Party organisations or members (sometimes several)
    for n in range(draw(st.integers(0, 5))):
        community = b.pick(communities)
        props = {**b.place(community), "title": b.pick(TITLES)}
        b.opt(props, "brand", st.sampled_from(BRANDS))
        b.opt(props, "category", enum_raw(e.NeedCategory))
        b.opt(props, "status", enum_raw(e.ProjectStatus))
        b.opt(props, "claimedDate", DATES)
        b.opt(props, "completedDate", DATES)
        b.opt(props, "plannedCapacity", st.integers(0, 300))
        b.opt(props, "investmentYuan", st.sampled_from([0, 50_000, 126_800]) | st.integers(0, 500_000))
        b.opt(props, "output", st.sampled_from(OUTPUTS))
        b.opt(props, "outputQuantity", st.integers(0, 50))
        b.opt(props, "outputUnit", st.sampled_from(OUTPUT_UNITS))
        pid = b.node("Project", f"PJ{n:02d}", props, community)
        for unit in b.some(joint_units, 2):
            b.edge("Project", pid, "CLAIMED_BY", "JointUnit", unit)
        if draw(st.booleans()):
            b.edge("Project", pid, "CLAIMED_BY", "PartyOrg", b.pick(orgs))
        if members and b.rare(15):
            b.edge("Project", pid, "CLAIMED_BY", "Member", b.pick(members))
        grid = b.any_grid(community)
        if grid and draw(st.booleans()):
            b.edge("Project", pid, "LOCATED_IN", *grid)
        for need in b.some(b.ids["Need"], 2):
            b.edge("Project", pid, "MEETS", "Need", need)
        for resource in b.some(b.ids["Resource"], 2):
            b.edge("Project", pid, "USES", "Resource", resource)

    # service carriers
    for n in range(draw(st.integers(0, 3))):
        community = b.pick(communities)
        props = {**b.place(community), "name": b.pick(["红色驿站", "志愿服务站", "红色驿站"])}
        b.opt(props, "kind", enum_raw(e.CarrierKind))
        b.opt_list(props, "serviceCategories", enum_raw(e.ServiceCategory))
        b.opt(props, "openedDate", DATES)
        sid = b.node("ServiceCarrier", f"SC{n:02d}", props, community)
        grid = b.any_grid(community)
        if grid and not b.rare(15):
            b.edge("ServiceCarrier", sid, "LOCATED_IN", *grid)
        if not b.rare(15):
            b.edge("ServiceCarrier", sid, "RUN_BY", "PartyOrg", b.pick(orgs))

    # activities: donation drives (for 大凉山 or not), volunteer labour with participants
    for n in range(draw(st.integers(0, 4))):
        community = b.pick(communities)
        props = {**b.place(community), "title": b.pick(TITLES)}
        b.opt(props, "kind", enum_raw(e.ActivityKind, [e.ActivityKind.DONATION, e.ActivityKind.VOLUNTEER_LABOUR,
                                                       e.ActivityKind.PARTY_DAY, e.ActivityKind.DONATION,
                                                       e.ActivityKind.VOLUNTEER_LABOUR]))
        b.opt(props, "date", DATES)
        b.opt(props, "itemCount", st.sampled_from([0, 712, 1000]) | st.integers(0, 3000))
        b.opt(props, "beneficiary", st.sampled_from(BENEFICIARIES))
        aid = b.node("Activity", f"AC{n:02d}", props, community)
        grid = b.any_grid(community)
        if grid and not b.rare(15):
            b.edge("Activity", aid, "HELD_IN", *grid)
        if draw(st.booleans()):
            b.edge("Activity", aid, "ORGANISED_BY", "PartyOrg", b.pick(orgs))
        elif teams and draw(st.booleans()):
            b.edge("Activity", aid, "ORGANISED_BY", "Team", b.pick(teams))
        for member in b.some(members, 4):
            b.edge("Member", member, "TOOK_PART", "Activity", aid)
        for person in b.some(persons, 3):
            b.edge("Person", person, "TOOK_PART", "Activity", aid)

    return {"nodes": b.nodes, "edges": b.edges}


def datasets(shape: str | None = None) -> st.SearchStrategy[GraphData]:
    """Validated data sets: the raw ones coerced by ``validate`` as a real load coerces them."""
    return raw_datasets(shape).map(lambda raw: validate(raw, "hypothesis"))


# --- queries drawn from a data set ---------------------------------------------------------------

def present_values(data: GraphData, kind: str, prop: Prop) -> list[Any]:
    """The values of ``prop`` on nodes of ``kind`` (list items flattened), sorted for determinism."""
    values: set[Any] = set()
    for node_kind, node_id, props in data.nodes:
        if node_kind != kind:
            continue
        value = node_id if prop.name == "id" else props.get(prop.name)
        if value is None:
            continue
        values.update(value if isinstance(value, list) else [value])
    return sorted(values, key=repr)


def _outside(prop: Prop) -> st.SearchStrategy[Any]:
    """Values of the prop's type, mostly not in the data set."""
    if prop.is_enum:
        return st.sampled_from([m.value for m in prop.type] + ["NOT_A_VALUE"])
    if prop.type is int:
        return st.integers(-3, 600_000)
    if prop.type is dt.date:
        return st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31))
    if prop.type is bool:
        return st.booleans()
    return st.one_of(st.sampled_from(NAMES + CERTIFICATES + ["", "2109050", "M", "PO"]),
                     st.text(TEXT_ALPHABET + "0M", max_size=4))


def item_values(data: GraphData, kind: str, prop: Prop) -> st.SearchStrategy[Any]:
    present = present_values(data, kind, prop)
    return st.one_of(st.sampled_from(present), _outside(prop)) if present else _outside(prop)


def _text_parts(data: GraphData, kind: str, prop: Prop) -> st.SearchStrategy[str]:
    """Prefixes and substrings of present text values, the empty string, or other text."""
    present = [v for v in present_values(data, kind, prop) if isinstance(v, str)]
    outside = st.one_of(st.just(""), st.text(TEXT_ALPHABET + "0M", max_size=3))
    if not present:
        return outside

    def cut(value: str) -> st.SearchStrategy[str]:
        return st.tuples(st.integers(0, len(value)), st.integers(0, len(value))).map(
            lambda ij: value[min(ij):max(ij)])

    prefix = st.sampled_from(present).flatmap(lambda v: st.integers(0, len(v)).map(lambda i: v[:i]))
    return st.one_of(prefix, st.sampled_from(present).flatmap(cut), outside)


def below_surrogates(text: str) -> str:
    """The text without characters from U+D800 up (surrogate range, U+E000-U+FFFF, beyond the BMP).

    A text range condition whose value holds such characters can order them differently in
    Neo4j's scans (UTF-16) and everywhere else (code points): see
    ``test_text_range_condition_beyond_the_bmp`` in test_differential.py. Stored texts keep them.
    """
    return "".join(ch for ch in text if ord(ch) < 0xD800)


def typed_ops(prop: Prop) -> list[str]:
    """The operators that make sense on the prop's type (what a caller would ask)."""
    if prop.many:
        return ["contains", "containsAny", "isNull"]
    if prop.type is bool:
        return ["eq", "ne", "in", "isNull"]
    if prop.type is str:
        return ["eq", "ne", "in", "startsWith", "contains", "containsAny", "gt", "gte", "lt", "lte", "isNull"]
    if prop.is_enum:
        return ["eq", "ne", "in", "startsWith", "gt", "gte", "lt", "lte", "isNull"]
    return ["eq", "ne", "in", "gt", "gte", "lt", "lte", "isNull"]  # int, date


def ops_for(kind: Kind, prop: Prop) -> tuple[list[str], list[str]]:
    """(accepted, refused): the typed operators the store's own ``check_condition`` accepts on
    this prop, and every operator it refuses (asked now and then: both backends must refuse)."""
    accepted, refused = [], []
    for op in sorted(OPS):
        try:
            check_condition(kind, Condition(prop.name, op, None))  # type: ignore[arg-type]
        except StoreError:
            refused.append(op)
        else:
            accepted.append(op)
    return [op for op in typed_ops(prop) if op in accepted], refused


def condition(data: GraphData, kind: Kind) -> st.SearchStrategy[Condition]:
    def for_prop(prop: Prop) -> st.SearchStrategy[Condition]:
        def for_op(op: str) -> st.SearchStrategy[Condition]:
            if op == "isNull":
                value: st.SearchStrategy[Any] = st.booleans()
            elif op in ("in", "containsAny"):
                value = st.lists(item_values(data, kind.name, prop), max_size=4)
            elif op in ("startsWith", "contains") and not prop.many:
                value = _text_parts(data, kind.name, prop)
            elif op in ("gt", "gte", "lt", "lte") and prop.type is str:
                value = item_values(data, kind.name, prop).map(below_surrogates)
            else:
                value = item_values(data, kind.name, prop)
            return value.map(lambda v: Condition(prop.name, op, v))  # type: ignore[arg-type]

        accepted, refused = ops_for(kind, prop)
        ops = st.sampled_from(accepted)
        if refused:  # about one condition in ten is one the store refuses
            ops = st.one_of(*[ops] * 9, st.sampled_from(refused))
        return ops.flatmap(for_op)

    return st.sampled_from(list(kind.all_props)).flatmap(for_prop)


def conditions(data: GraphData, kind: Kind) -> st.SearchStrategy[list[Condition]]:
    return st.lists(condition(data, kind), max_size=3)


def sort_keys(kind: Kind) -> st.SearchStrategy[list[SortKey]]:
    sortable = [p.name for p in kind.all_props if p.sortable and not p.many]
    key = st.builds(SortKey, st.sampled_from(sortable), st.booleans())
    return st.lists(key, max_size=2, unique_by=lambda k: k.prop)


def scopes(data: GraphData, reads: bool = False) -> st.SearchStrategy[Scope]:
    """Unrestricted, or limited to sets of known and unknown streets/communities (possibly empty).
    ``reads``: the scopes of the record reads also, which may limit to grids too (any level, known
    and unknown) and carry a role's masks; the named domain queries refuse a grid scope."""
    streets = sorted(i for k, i, _ in data.nodes if k == "Street") + [UNKNOWN_STREET]
    communities = sorted(i for k, i, _ in data.nodes if k == "Community") + [UNKNOWN_COMMUNITY]
    part = lambda ids: st.one_of(st.none(), st.frozensets(st.sampled_from(ids), max_size=3))  # noqa: E731
    rows = st.one_of(st.just(Scope()), st.builds(Scope, part(streets), part(communities)))
    if not reads:
        return rows
    grids = sorted({i for k, i, _ in data.nodes if k in GRID_KINDS}) + [UNKNOWN_COMMUNITY + "01"]
    rows = st.one_of(rows, st.builds(Scope, part(streets), part(communities),
                                     st.frozensets(st.sampled_from(grids), max_size=3)))
    masks = st.one_of(st.just(frozenset()), st.sampled_from(list(Role)).map(masks_for))
    return st.builds(lambda scope, m: replace(scope, masks=m), rows, masks)


def windows(total: int) -> st.SearchStrategy[tuple[int, int]]:
    """(offset, limit) pages around the boundaries of ``total`` matches: the start, the exact end,
    beyond the end, limit 0, a limit running exactly to the end, and random ones."""
    offsets = st.one_of(st.just(0), st.just(total), st.just(total + 1), st.integers(0, total + 2))

    def limits(offset: int) -> st.SearchStrategy[tuple[int, int]]:
        return st.one_of(st.just(0), st.just(max(total - offset, 0)), st.integers(1, total + 2),
                         st.just(500)).map(lambda limit: (offset, limit))

    return offsets.flatmap(limits)


def ids_to_ask(data: GraphData, kind: str) -> st.SearchStrategy[list[str]]:
    """Ids of ``kind`` present in the data set and absent from it, in random order, maybe repeated."""
    present = sorted(i for k, i, _ in data.nodes if k == kind)
    absent = ["no-such-id", "M999", UNKNOWN_COMMUNITY] + [i for k, i, _ in data.nodes if k != kind][:3]
    pool = present + absent
    return st.lists(st.sampled_from(pool), max_size=6)  # a repeated id must be answered once


__all__ = [
    "DISTRICT_ID", "raw_datasets", "datasets", "present_values", "condition", "conditions", "sort_keys",
    "scopes", "windows", "ids_to_ask", "ops_for",
]
