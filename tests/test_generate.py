"""Generated tiers (graph_api.ledger.generate): deterministic, valid against the model, streamable
chunk by chunk, scope keys that agree with the relationships, realistic proportions, and
exactly the planted coverage gaps. No store is used: these tests need no Neo4j."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from typing import Any

import pytest

from graph_api.domain.dataset import validate
from graph_api.domain.graphdata import GraphData
from graph_api.domain.model import GRID_CODE_SUFFIX, GRID_PARENT, KIND_BY_NAME, KINDS
from graph_api.ledger.generate import (AS_OF, GAP_CHECKS, GAP_RATES, TIERS, VISIT_DEADLINE, generate_tier,
                                       planted_gaps, tier_households)

MOBILE = re.compile(r"^1[3-9]\d{9}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GRID_LEVEL = {"Community": "COMMUNITY", "Area": "AREA", "Complex": "COMPLEX", "Building": "BUILDING",
              "StairwellUnit": "UNIT"}


def _digest(chunks: list[GraphData]) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(repr((chunk.nodes, chunk.edges, chunk.meta)).encode())
    return h.hexdigest()


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class Graph:
    """Tier S in memory, indexed for the checks."""

    def __init__(self, chunks: list[GraphData]):
        self.chunks = chunks
        self.props: dict[tuple[str, str], dict[str, Any]] = {}
        self.by_kind: dict[str, list[str]] = defaultdict(list)
        self.out: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
        self.inc: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
        for chunk in chunks:
            for kind, node_id, props in chunk.nodes:
                self.props[(kind, node_id)] = props
                self.by_kind[kind].append(node_id)
            for sk, si, rel, dk, di in chunk.edges:
                self.out[(sk, si, rel)].append((dk, di))
                self.inc[(dk, di, rel)].append((sk, si))

    def scope(self, kind: str, node_id: str) -> tuple[str | None, str | None]:
        if kind == "Street":
            return node_id, None
        p = self.props[(kind, node_id)]
        return p.get("streetId"), p.get("communityId")

    def items(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(i, self.props[(kind, i)]) for i in self.by_kind[kind]]


@pytest.fixture(scope="module")
def chunks() -> list[GraphData]:
    return list(generate_tier("S"))


@pytest.fixture(scope="module")
def graph(chunks: list[GraphData]) -> Graph:
    return Graph(chunks)


def test_same_tier_and_seed_give_the_same_chunks(chunks: list[GraphData]) -> None:
    assert _digest(list(generate_tier("S"))) == _digest(chunks)
    assert _digest(list(generate_tier("S", seed=7))) != _digest(chunks)
    assert chunks[0].meta["plantedGaps"] == planted_gaps("S")


def test_tiers_are_described() -> None:
    assert list(TIERS) == ["S", "M", "L"]
    assert (TIERS["S"].streets, TIERS["M"].districts, TIERS["M"].streets) == (1, 1, 5)
    assert TIERS["L"].districts > 1 and TIERS["L"].communities >= 100
    for tier in TIERS.values():
        d = tier.as_dict()
        assert d["zh"] and d["en"] and d["households"] == tier.households
    with pytest.raises(ValueError):
        list(generate_tier("XL"))


def test_household_counts(graph: Graph, chunks: list[GraphData]) -> None:
    n = len(graph.by_kind["Household"])
    assert n == tier_households("S") == chunks[0].meta["households"]
    for name, expected in (("S", 20_000), ("M", 100_000), ("L", 1_000_000)):
        assert TIERS[name].households == expected
        assert abs(tier_households(name) - expected) <= expected * 0.05, name


def test_every_kind_is_present(graph: Graph) -> None:
    assert sorted(graph.by_kind) == sorted(k.name for k in KINDS)
    assert len(graph.by_kind["Community"]) == TIERS["S"].communities


def test_every_node_and_edge_validates(chunks: list[GraphData]) -> None:
    """The file shape (dates as ISO text, as in the sample) passes validate(), and the values
    validate() stores equal the generated ones: enums as value strings, ints, bools, lists."""
    originals = [n for c in chunks for n in c.nodes]
    raw = {"meta": chunks[0].meta,
           "nodes": [{"kind": k, "id": i, "props": p} for k, i, p in originals],
           "edges": [list(e) for c in chunks for e in c.edges]}
    raw = json.loads(json.dumps(raw, ensure_ascii=False, default=lambda v: v.isoformat()))
    data = validate(raw, "tier S")
    assert len(data.nodes) == len(originals)
    for (kind, node_id, props), (kind2, id2, stored) in zip(originals, data.nodes):
        assert (kind, node_id) == (kind2, id2)
        assert stored == props, (kind, node_id)
        for name, value in props.items():
            prop = KIND_BY_NAME[kind].prop(name)
            assert isinstance(value, list) == prop.many, (kind, node_id, name)


def test_chunks_stream(chunks: list[GraphData]) -> None:
    """Every edge sits in its source node's chunk and points at that chunk or an earlier one."""
    from graph_api.ledger.export import graphdata_rows

    seen: set[tuple[str, str]] = set()
    for chunk in chunks:
        here = {(k, i) for k, i, _ in chunk.nodes}
        assert len(here) == len(chunk.nodes) and not here & seen
        seen |= here
        for sk, si, rel, dk, di in chunk.edges:
            assert (sk, si) in here, (sk, si, rel, dk, di)
            assert (dk, di) in seen, (sk, si, rel, dk, di)
    levels = [c.meta.get("chunk", {}).get("level") for c in chunks]
    assert levels[0] is None and levels[1] == "street" and levels.count("community") == TIERS["S"].communities
    assert sum(1 for _ in graphdata_rows(chunks)) == len(seen)  # the exporter accepts the chunks


def test_scope_keys_agree_with_relationships(graph: Graph, chunks: list[GraphData]) -> None:
    for chunk in chunks:
        info = chunk.meta.get("chunk")
        for kind, node_id, props in chunk.nodes:
            if not KIND_BY_NAME[kind].scoped:
                assert "streetId" not in props and "communityId" not in props
                continue
            if info is None:  # the district committee
                assert (props.get("streetId"), props.get("communityId")) == (None, None), (kind, node_id)
            elif info["level"] == "street":
                assert (props.get("streetId"), props.get("communityId")) == (info["streetId"], None), (kind, node_id)
            elif kind == "JointUnit" and "communityId" not in props:  # the street-level joint unit
                assert props["streetId"] == info["streetId"]
            else:
                assert (props.get("streetId"), props.get("communityId")) == (info["streetId"], info["communityId"]), \
                    (kind, node_id)

    def one(kind: str, node_id: str, rel: str) -> tuple[str, str]:
        targets = graph.out[(kind, node_id, rel)]
        assert len(targets) == 1, (kind, node_id, rel, targets)
        return targets[0]

    for cid in graph.by_kind["Community"]:
        assert graph.scope("Community", cid) == (one("Community", cid, "PART_OF")[1], cid)
    for kind in ("Area", "Complex", "Building", "StairwellUnit"):
        for node_id in graph.by_kind[kind]:
            parent = one(kind, node_id, "PART_OF")
            assert parent[0] == GRID_PARENT[kind]
            assert graph.scope(kind, node_id) == graph.scope(*parent), (kind, node_id)
    for kind, rel in (("Household", "IN_UNIT"), ("Cadre", "SERVES"), ("Pairing", "FOR_HOUSEHOLD"),
                      ("Member", "MEMBER_OF")):
        for node_id in graph.by_kind[kind]:
            assert graph.scope(kind, node_id) == graph.scope(*one(kind, node_id, rel)), (kind, node_id)
    for node_id in graph.by_kind["Need"]:
        owner = graph.out[("Need", node_id, "RAISED_BY")] or graph.out[("Need", node_id, "RAISED_IN")]
        assert owner and graph.scope("Need", node_id) == graph.scope(*owner[0]), node_id


def test_codes_and_ids(graph: Graph) -> None:
    for kind in GRID_LEVEL:
        for node_id, p in graph.items(kind):
            assert p["code"] == node_id and p["level"] == GRID_LEVEL[kind] and p["name"]
            parent_kind, parent = graph.out[(kind, node_id, "PART_OF")][0]
            digits = 3 if kind == "Community" else GRID_CODE_SUFFIX[kind]
            assert node_id.startswith(parent) and len(node_id) == len(parent) + digits, (kind, node_id)
            assert node_id[len(parent):].isdigit()
    for street in graph.by_kind["Street"]:
        assert len(street) == 9 and street.startswith(graph.out[("Street", street, "PART_OF")][0][1])
    for district in graph.by_kind["District"]:
        assert len(district) == 6 and district.isdigit()
    for hid, p in graph.items("Household"):
        (_, unit), = graph.out[("Household", hid, "IN_UNIT")]
        assert hid == f"{unit}-{p['room']}"


def test_value_rules(graph: Graph) -> None:
    for (kind, node_id), props in graph.props.items():
        if "phone" in props:
            assert MOBILE.match(props["phone"]), (kind, node_id)
        if "idNumber" in props:
            n = props["idNumber"]
            assert len(n) == 18 and n[:17].isdigit(), n
            dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
            assert "10X98765432"[sum(int(d) * w for d, w in zip(n, ID_WEIGHTS)) % 11] == n[17], n
        for name, value in props.items():
            if isinstance(value, int) and not isinstance(value, bool):
                assert value >= 0, (kind, node_id, name)
            if isinstance(value, dt.date) and name != "validTo":
                assert value <= AS_OF, (kind, node_id, name)
    for _, m in graph.items("Member"):
        assert m["idNumber"][6:14] == m["birthDate"].strftime("%Y%m%d")
        assert (int(m["idNumber"][16]) % 2 == 1) == (m["gender"] == "MALE")
        assert _age(m["birthDate"], m["joinedDate"]) >= 18 and m["joinedDate"] < AS_OF
    for _, c in graph.items("Cadre"):
        assert c["electedDate"] > c["birthDate"] and c["termYear"] == c["electedDate"].year
    for _, r in graph.items("Resource"):
        assert r["validTo"] >= r["validFrom"] and 0 <= r["claimed"] <= r["capacity"]
    for _, p in graph.items("PartyOrg"):
        for name in ("starRating", "starTarget"):
            assert 0 <= p.get(name, 0) <= 5
    for _, p in graph.items("Pairing"):
        assert p["since"] <= p["lastVisitDate"]
    for _, p in graph.items("Project"):
        assert "completedDate" not in p or p["completedDate"] >= p["claimedDate"]
    numbers = [p["idNumber"] for _, p in graph.items("Member")]
    assert len(set(numbers)) == len(numbers)


def test_proportions_follow_the_sample(graph: Graph) -> None:
    households = len(graph.by_kind["Household"])
    communities = graph.by_kind["Community"]
    assert 0.2 <= len(graph.by_kind["Member"]) / households <= 0.3
    occupied = [p for _, p in graph.items("Household") if p["occupancy"] in ("RESIDENT", "RENTED")]
    care = [p for p in occupied if p.get("careCategories")]
    assert 0.03 <= len(care) / len(occupied) <= 0.08
    assert 0.7 <= len(graph.by_kind["Pairing"]) / len(care) <= 1.1
    for cid in communities:
        cadres = [graph.props[("Cadre", i)] for _, i in graph.inc[("Community", cid, "SERVES")]]
        current = [c for c in cadres if c["termYear"] == 2021]
        assert 6 <= len(current) <= 7 and 6 <= len(cadres) - len(current) <= 7
        assert sum(1 for c in current if {"SECRETARY", "DIRECTOR"} <= set(c["positions"])) == 1
        assert graph.inc[("PartyOrg", f"PO{cid}D", "JOINT_BUILDS_WITH")]
    members_of_pairings = defaultdict(int)
    for pid in graph.by_kind["Pairing"]:
        members_of_pairings[graph.out[("Pairing", pid, "BY_MEMBER")][0][1]] += 1
    assert max(members_of_pairings.values()) <= 20
    for mid, n in members_of_pairings.items():
        assert _age(graph.props[("Member", mid)]["birthDate"], AS_OF) < 70


def _failing(graph: Graph) -> dict[str, list[str]]:
    """The twelve checks of the sample's plantedGaps, run on the graph."""
    found: dict[str, list[str]] = {check: [] for check in GAP_CHECKS}

    def group_covers(kind: str, node_id: str) -> bool:
        return any(graph.props[s].get("kind") == "GRID_GROUP" for s in graph.inc[(kind, node_id, "COVERS")])

    for bid in graph.by_kind["Building"]:
        units = [u for k, u in graph.inc[("Building", bid, "PART_OF")] if k == "StairwellUnit"]
        if group_covers("Building", bid) or all(group_covers("StairwellUnit", u) for u in units):
            continue
        assert not any(group_covers("StairwellUnit", u) for u in units), f"{bid} is partly covered"
        found["building_without_party_group"].append(bid)
    found["grid_without_leader"] = [a for a in graph.by_kind["Area"] if not graph.inc[("Area", a, "LEADS_GRID")]]
    found["grid_without_worker"] = [x for x in graph.by_kind["Complex"]
                                            if not graph.inc[("Complex", x, "WORKS_GRID")]]
    for hid, p in graph.items("Household"):
        if "NEEDY_FAMILY" in p.get("careCategories", []) and not graph.inc[("Household", hid, "FOR_HOUSEHOLD")]:
            found["needy_household_without_helper"].append(hid)
    for pid, p in graph.items("Pairing"):
        household = graph.props[graph.out[("Pairing", pid, "FOR_HOUSEHOLD")][0]]
        if p["status"] == "ACTIVE" and (AS_OF - p["lastVisitDate"]).days > VISIT_DEADLINE[household["riskTier"]]:
            found["pairing_past_visit_deadline"].append(pid)
    for mid, p in graph.items("Member"):
        reported = bool(graph.out[("Member", mid, "REPORTED_TO")])
        assert reported == ("reportedDate" in p), mid
        if p["category"] == "EMPLOYED" and not reported:
            found["employed_member_not_reported"].append(mid)
        if p["lastContactDate"] < dt.date(2021, 12, 30):
            found["member_out_of_contact"].append(mid)
    for jid in graph.by_kind["JointUnit"]:
        offers = [s for s in graph.inc[("JointUnit", jid, "OFFERED_BY")] if s[0] == "Resource"]
        claimed_2022 = [s for s in graph.inc[("JointUnit", jid, "CLAIMED_BY")]
                        if s[0] == "Project" and graph.props[s]["claimedDate"].year == 2022]
        if offers and not claimed_2022:
            found["joint_unit_resources_no_project"].append(jid)
    for oid, p in graph.items("PartyOrg"):
        if p["kind"] == "BIG_COMMITTEE" and not graph.inc[("PartyOrg", oid, "PART_TIME_MEMBER_OF")]:
            found["big_committee_without_part_time_member"].append(oid)
        if p["kind"] == "BRANCH":
            size = len(graph.inc[("PartyOrg", oid, "MEMBER_OF")])
            assert 3 <= size <= 50, (oid, size)
            if size >= 7 and not p["hasBranchCommittee"]:
                found["branch_without_committee"].append(oid)
            assert p["hasBranchCommittee"] is False or size >= 7
        if p["kind"] == "COMMUNITY_COMMITTEE" and p["starRating"] < p["starTarget"]:
            found["community_below_star_target"].append(oid)
    for nid, p in graph.items("Need"):
        if p["status"] == "OPEN" and (AS_OF - p["openedDate"]).days > 60:
            found["open_need_overdue"].append(nid)
    return found


def test_exactly_the_planted_gaps_fail_their_checks(graph: Graph, chunks: list[GraphData]) -> None:
    gaps = chunks[0].meta["plantedGaps"]
    for g in gaps:
        assert set(g) == {"check", "kind", "id", "zh", "en"} and g["zh"] and g["en"]
        assert (g["kind"], g["id"]) in graph.props, g
    planted = {check: sorted(g["id"] for g in gaps if g["check"] == check) for check in GAP_CHECKS}
    failing = {check: sorted(ids) for check, ids in _failing(graph).items()}
    assert failing == planted
    assert chunks[0].meta["plantedGapCounts"] == {check: len(ids) for check, ids in planted.items()}


async def test_the_audit_finds_exactly_the_planted_gaps(chunks: list[GraphData], tmp_path) -> None:
    """All 21 checks of the audit, not only the twelve planted ones, on the embedded store."""
    from graph_api.audit.engine import run_audit
    from graph_api.store.base import EVERYTHING
    from graph_api.store.embedded.store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "graph.sqlite3")
    for chunk in chunks:
        await store.load(chunk)
    result = await run_audit(store, EVERYTHING, paths=False)
    await store.close()
    found = {(c["name"], f["id"]) for c in result["checks"] for f in c["findings"]}
    assert found == {(g["check"], g["id"]) for g in chunks[0].meta["plantedGaps"]}


@pytest.mark.parametrize("tier", list(TIERS))
def test_planted_gap_counts_per_tier(tier: str) -> None:
    gaps = planted_gaps(tier)
    communities = TIERS[tier].communities
    for check, kind, num, den in GAP_RATES:
        mine = [g for g in gaps if g["check"] == check]
        assert len(mine) == max(1, (num * communities + den // 2) // den), (tier, check)
        assert all(g["kind"] == kind for g in mine)
    assert len({(g["check"], g["id"]) for g in gaps}) == len(gaps)
