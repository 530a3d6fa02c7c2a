"""The article figures over the in-memory graph: the embedded twin of
queries/cypher/article_figures.cypher, with the same semantics (a differential test holds
them together)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from graph_api.store.base import Scope, StoreError, age_on

if TYPE_CHECKING:
    from graph_api.store.embedded.store import EmbeddedStore

ASSOCIATE_OR_HIGHER = ("ASSOCIATE", "BACHELOR", "POSTGRADUATE")


def _out(store: "EmbeddedStore", kind: str, node_id: str, rel_type: str, target: str) -> list[str]:
    key = (kind, node_id)
    if key not in store.graph:
        return []
    return [oi for (ok, oi), edges in store.graph.succ[key].items() if ok == target and rel_type in edges]


def _in(store: "EmbeddedStore", kind: str, node_id: str, rel_type: str, source: str | None) -> list[tuple[str, str]]:
    key = (kind, node_id)
    if key not in store.graph:
        return []
    return [(sk, si) for (sk, si), edges in store.graph.pred[key].items()
            if (source is None or sk == source) and rel_type in edges]


def _mean(values: list[int | None]) -> float | None:
    if not values or any(v is None for v in values):  # null in a Cypher sum makes it null
        return None if values else None
    return sum(v for v in values if v is not None) / len(values)


def _age(cadre: dict[str, Any]) -> int | None:
    """Whole years as Cypher's duration.inMonths(birth, elected).years: truncated towards zero."""
    birth, elected = cadre.get("birthDate"), cadre.get("electedDate")
    if birth is None or elected is None:
        return None
    return age_on(birth, elected) if elected >= birth else -age_on(elected, birth)


def article_figures(store: "EmbeddedStore", district_id: str, scope: Scope) -> dict[str, Any]:
    nodes = store.by_kind
    district = nodes["District"].get(district_id)
    if district is None:
        raise StoreError(f"no district {district_id!r}")
    streets_in_district = set()
    for street_id in nodes["Street"]:
        if district_id in _out(store, "Street", street_id, "PART_OF", "District"):
            if scope.street_ids is None or street_id in scope.street_ids:
                streets_in_district.add(street_id)
    communities: list[tuple[str, dict[str, Any]]] = []
    street_ids: set[str] = set()
    for community_id, props in nodes["Community"].items():
        if scope.community_ids is not None and community_id not in scope.community_ids:
            continue
        for street_id in _out(store, "Community", community_id, "PART_OF", "Street"):
            if street_id in streets_in_district:
                communities.append((community_id, props))
                street_ids.add(street_id)
    community_ids = {c for c, _ in communities}

    def in_communities(props: dict[str, Any]) -> bool:
        return props.get("communityId") in community_ids

    # cadres: current term = latest termYear, previous = the one before
    cadres = [p for p in nodes["Cadre"].values() if in_communities(p)]
    terms = [p["termYear"] for p in cadres if p.get("termYear") is not None]
    current_term = max(terms) if terms else None
    older_terms = [t for t in terms if current_term is not None and t < current_term]
    previous_term = max(older_terms) if older_terms else None
    current = [p for p in cadres if current_term is not None and p.get("termYear") == current_term]
    previous = [p for p in cadres if previous_term is not None and p.get("termYear") == previous_term]
    ages = [_age(p) for p in current]
    previous_ages = [_age(p) for p in previous]
    one_shoulder = [p.get("communityId") for p in current
                    if {"SECRETARY", "DIRECTOR"} <= set(p.get("positions") or [])]
    one_shoulder_count = len({c for c in one_shoulder if c is not None}) + sum(1 for c in one_shoulder if c is None)

    grids = [p for kind in ("Community", "Area", "Complex", "Building", "StairwellUnit")
             for p in nodes[kind].values() if in_communities(p)]
    levels = len({p.get("level") for p in grids if p.get("level") is not None})
    grid_groups = set()
    for org_id, org in nodes["PartyOrg"].items():
        if org.get("kind") == "GRID_GROUP" and in_communities(org):
            key = ("PartyOrg", org_id)
            if any(gk in ("Building", "StairwellUnit") and "COVERS" in edges
                   for (gk, _gi), edges in store.graph.succ[key].items()):
                grid_groups.add(org_id)

    # assault teams per street and year
    groups: dict[tuple[str, Any], tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for team_id, team in nodes["Team"].items():
        if team.get("kind") != "ASSAULT":
            continue
        for street_id in _out(store, "Team", team_id, "ORGANISED_BY", "Street"):
            if street_id not in street_ids or district_id not in _out(store, "Street", street_id, "PART_OF", "District"):
                continue
            formed = team.get("formedDate")
            teams, members = groups[(street_id, formed.year if formed is not None else None)]
            teams.add(team_id)
            members.update(i for _, i in _in(store, "Team", team_id, "IN_TEAM", "Member"))
    assault = [{"streetId": s, "streetName": nodes["Street"][s].get("name"), "year": y,
                "teams": len(t), "members": len(m)} for (s, y), (t, m) in groups.items()]
    assault.sort(key=lambda a: (a["year"] is None, a["year"] or 0))
    assault.sort(key=lambda a: (-a["members"], a["streetId"]))

    carriers = [p for p in nodes["ServiceCarrier"].values() if in_communities(p)]
    categories = sorted({c for p in carriers for c in (p.get("serviceCategories") or [])})

    def helped(household_id: str, kind: str | None = None) -> bool:
        return any(kind is None or nodes["Pairing"][pid].get("kind") == kind
                   for _, pid in _in(store, "Household", household_id, "FOR_HOUSEHOLD", "Pairing"))

    needy = [h for h, p in nodes["Household"].items()
             if in_communities(p) and "NEEDY_FAMILY" in (p.get("careCategories") or [])]
    students = [h for h, p in nodes["Household"].items()
                if in_communities(p) and "STUDENT_AID" in (p.get("careCategories") or [])]

    # projects claimed by joint units: one row per (project, unit) as the Cypher match gives
    investment = solar = facilities = fitness = 0
    outputs = set()
    for project_id, project in nodes["Project"].items():
        if not in_communities(project):
            continue
        for _unit in _out(store, "Project", project_id, "CLAIMED_BY", "JointUnit"):
            investment += project.get("investmentYuan") or 0
            quantity = project.get("outputQuantity") or 0
            output = project.get("output")
            solar += quantity if output == "太阳能照明灯" else 0
            facilities += quantity if output == "便民公共设施" else 0
            fitness += quantity if output == "健身器材" else 0
            if output in ("党史宣传长廊", "文化广场"):
                outputs.add(output)
    claimed = []
    for project_id, project in nodes["Project"].items():
        if project.get("brand") is None or not in_communities(project):
            continue
        community = nodes["Community"].get(project["communityId"])
        for org_id in _out(store, "Project", project_id, "CLAIMED_BY", "PartyOrg"):
            claimed.append(((project["communityId"], project.get("brand"), project.get("title"), org_id),
                            {"community": community.get("name") if community else None,
                             "organisation": nodes["PartyOrg"][org_id].get("name"),
                             "brand": project.get("brand"), "title": project.get("title")}))
    claimed.sort(key=lambda c: tuple((v is None, v or "") for v in c[0]))

    donated = sum(p.get("itemCount") or 0 for p in nodes["Activity"].values()
                  if p.get("kind") == "DONATION" and in_communities(p) and "大凉山" in (p.get("beneficiary") or ""))
    person_times = sum(len(_in(store, "Activity", a, "TOOK_PART", None)) for a, p in nodes["Activity"].items()
                       if p.get("kind") == "VOLUNTEER_LABOUR" and in_communities(p))

    areas = [p.get("officeAreaSqm") for _, p in communities if p.get("officeAreaSqm") is not None]
    return {
        "districtName": district.get("name"),
        "communityCount": len(communities),
        "minOfficeAreaSqm": min(areas) if areas else None,
        "communitiesWithServiceCenter": sum(1 for _, p in communities if (p.get("serviceCenterAreaSqm") or 0) >= 400),
        "gridLevels": levels,
        "gridPartyGroups": len(grid_groups),
        "assaultTeams": assault,
        "serviceCarriers": len(carriers),
        "serviceCategories": categories,
        "needyFamilies": len(needy),
        "needyFamiliesHelped": sum(1 for h in needy if helped(h)),
        "studentAidHouseholds": len(students),
        "studentsAided": sum(1 for h in students if helped(h, "STUDY")),
        "jointInvestmentYuan": investment,
        "solarLights": solar,
        "convenienceFacilities": facilities,
        "fitnessEquipment": fitness,
        "repairedSites": sorted(outputs),
        "claimedProjects": [c for _, c in claimed],
        "donatedItems": donated,
        "volunteerPersonTimes": person_times,
        "currentTerm": current_term,
        "previousTerm": previous_term,
        "cadreCount": len(current),
        "cadreAverageAge": _mean(ages),
        "previousTermCadreCount": len(previous),
        "previousTermAverageAge": _mean(previous_ages),
        "cadresUnder35": sum(1 for a in ages if a is not None and a < 35),
        "cadresAssociateOrHigher": sum(1 for p in current if p.get("education") in ASSOCIATE_OR_HIGHER),
        "cadresBachelor": sum(1 for p in current if p.get("education") == "BACHELOR"),
        "cadresPostgraduate": sum(1 for p in current if p.get("education") == "POSTGRADUATE"),
        "certifiedSocialWorkers": sum(1 for p in current if "助理社会工作者" in (p.get("certificates") or [])),
        "oneShoulderCommunities": one_shoulder_count,
    }
