"""The store side of security (issue 7), on both backends: grid scopes, masked fields,
``count_nodes`` under a scope, ``apply_change``, the audit log, API keys and revocations.

Reads run on the session stores loaded with the sample (tests/conftest.py); what a grid scope
should show is worked out here from the sample file itself, by walking its edges upwards. Writes
run on a small part of the sample: a fresh embedded store, or the shared Neo4j wiped and loaded
with it, and given back the whole sample afterwards (other modules expect it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from graph_api.domain.access import GRID_LOCATORS, Role, mask_value, masks_for
from graph_api.domain.coverage import check_input
from graph_api.domain.dataset import read_sample
from graph_api.domain.matching import MatchOptions
from graph_api.domain.model import GRID_KINDS, KIND_BY_NAME, KINDS
from graph_api.store.base import (
    EVERYTHING,
    Absent,
    AuditEntry,
    AuditQuery,
    Change,
    Condition,
    Expect,
    GraphData,
    GraphStore,
    NoActivePairing,
    Scope,
    SortKey,
    StaleMatch,
    StoreError,
)
from graph_api.store.embedded.store import EmbeddedStore
from tests.backends import load_sample_into

SAMPLE = read_sample()
COMMUNITY = "210905001001"  # 乌龙社区, street 210905001
STREET = "210905001"
OTHER_STREET = "210905002"
UTC = dt.timezone.utc
BEIJING = dt.timezone(dt.timedelta(hours=8))
LOCATED = sorted(GRID_LOCATORS)
NOT_LOCATED = sorted(set(KIND_BY_NAME) - set(GRID_LOCATORS))


# --- the sample, read independently of the stores ---------------------------------------------------

class Truth:
    """The sample's nodes and edges, and what a grid scope holds, worked out upwards from each record."""

    def __init__(self, data: GraphData):
        self.props = {(k, i): p for k, i, p in data.nodes}
        self.out: dict[tuple[str, str], dict[str, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
        for sk, si, rt, dk, di in data.edges:
            self.out[(sk, si)][rt].add((dk, di))

    def ids(self, kind: str) -> list[str]:
        return sorted(i for k, i in self.props if k == kind)

    def targets(self, node: tuple[str, str], rel: str) -> set[tuple[str, str]]:
        return self.out.get(node, {}).get(rel, set())

    def grid_in(self, grid: tuple[str, str], scope_grids: set[str]) -> bool:
        """The grid or one of its ancestors (PART_OF, up to four steps) is one of the scope's grids."""
        chain, seen = [grid], 0
        while chain and seen <= 4:
            if any(g[0] in GRID_KINDS and g[1] in scope_grids for g in chain):
                return True
            chain = [p for g in chain for p in self.targets(g, "PART_OF")]
            seen += 1
        return False

    def under(self, scope_grids: set[str]) -> dict[str, set[str]]:
        """Ids per kind inside a grid scope, written out kind by kind."""
        def at(node: tuple[str, str], *rels: str) -> bool:
            return any(g[0] in GRID_KINDS and self.grid_in(g, scope_grids) for r in rels for g in self.targets(node, r))

        out: dict[str, set[str]] = {k: set() for k in KIND_BY_NAME}
        for name in GRID_KINDS:
            out[name] = {i for i in self.ids(name) if self.grid_in((name, i), scope_grids)}
        out["Household"] = {i for i in self.ids("Household") if at(("Household", i), "IN_UNIT")}
        homes = out["Household"]
        out["Member"] = {i for i in self.ids("Member")
                         if any(h[1] in homes for h in self.targets(("Member", i), "LIVES_IN"))}
        out["Pairing"] = {i for i in self.ids("Pairing")
                          if any(h[1] in homes for h in self.targets(("Pairing", i), "FOR_HOUSEHOLD"))}
        out["Need"] = {i for i in self.ids("Need") if at(("Need", i), "RAISED_IN")
                       or any(h[1] in homes for h in self.targets(("Need", i), "RAISED_BY"))}
        out["Resource"] = {i for i in self.ids("Resource") if at(("Resource", i), "BASED_IN")}
        out["Project"] = {i for i in self.ids("Project") if at(("Project", i), "LOCATED_IN")}
        out["ServiceCarrier"] = {i for i in self.ids("ServiceCarrier") if at(("ServiceCarrier", i), "LOCATED_IN")}
        out["Activity"] = {i for i in self.ids("Activity") if at(("Activity", i), "HELD_IN")}
        out["Person"] = {i for i in self.ids("Person") if at(("Person", i), "WORKS_GRID", "HEADS_BUILDING")}
        return out


TRUTH = Truth(SAMPLE)


def _busiest_area() -> str:
    """The area with the most pairings and needs under it (so that the test is not vacuous)."""
    def weight(area: str) -> tuple[int, int, str]:
        under = TRUTH.under({area})
        return (min(len(under["Pairing"]), len(under["Need"])), len(under["Household"]), area)
    return max(TRUTH.ids("Area"), key=weight)


AREA = _busiest_area()


async def _all(store: GraphStore, kind: str, scope: Scope) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async for batch in store.scan(kind, scope, batch=1000):
        out += batch
    return out


# --- grid scopes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("grids", [{AREA}, {COMMUNITY}, {"210905002003", AREA}], ids=["area", "community", "two"])
async def test_a_grid_scope_shows_exactly_the_records_under_its_grids(store: GraphStore, grids: set[str]) -> None:
    expected = TRUTH.under(grids)
    for name in ("Household", "Member", "Pairing", "Need", "Building", "StairwellUnit"):
        assert expected[name], f"vacuous: no {name} under {grids}"
    scope = Scope(grid_ids=frozenset(grids))
    counts = await store.count_nodes(scope)
    assert counts == {k: len(v) for k, v in expected.items()}
    for name in LOCATED:
        page = await store.find_nodes(name, [], [], 0, 10_000, scope)
        assert {r["id"] for r in page.records} == expected[name] and page.total == len(expected[name]), name
        scanned = await _all(store, name, scope)
        assert [r["id"] for r in scanned] == sorted(expected[name]), name
        got = await store.get_nodes(name, TRUTH.ids(name), scope)
        assert set(got) == expected[name], name
    if grids == {COMMUNITY}:  # the same rows as the community's scope key, for the located kinds
        by_key = Scope(community_ids=frozenset({COMMUNITY}))
        for name in ("Household", "StairwellUnit", "Building", "Complex", "Area"):
            assert counts[name] == (await store.count_nodes(by_key))[name], name


async def test_kinds_no_grid_locates_are_outside_every_grid_scope(store: GraphStore) -> None:
    scope = Scope(grid_ids=frozenset({COMMUNITY}))
    for name in NOT_LOCATED:
        assert TRUTH.ids(name), name
        assert (await store.find_nodes(name, [], [], 0, 10, scope)).total == 0, name
        assert await store.get_nodes(name, TRUTH.ids(name), scope) == {}, name
        assert await _all(store, name, scope) == [], name
    counts = await store.count_nodes(scope)
    assert all(counts[name] == 0 for name in NOT_LOCATED)
    # unknown grids and no grids at all: nothing of any kind
    for grids in (frozenset({"no-such-grid"}), frozenset()):
        assert sum((await store.count_nodes(Scope(grid_ids=grids))).values()) == 0


async def test_a_grid_scope_is_anded_with_the_scope_keys(store: GraphStore) -> None:
    area_street = TRUTH.props[("Area", AREA)]["streetId"]
    other = OTHER_STREET if area_street != OTHER_STREET else STREET
    same = await store.count_nodes(Scope(street_ids=frozenset({area_street}), grid_ids=frozenset({AREA})))
    assert same == await store.count_nodes(Scope(grid_ids=frozenset({AREA})))
    elsewhere = Scope(street_ids=frozenset({other}), grid_ids=frozenset({AREA}))
    assert sum((await store.count_nodes(elsewhere)).values()) == 0
    assert sum((await store.count_nodes(Scope(community_ids=frozenset(), grid_ids=frozenset({AREA})))).values()) == 0


async def test_neighbours_under_a_grid_scope(store: GraphStore) -> None:
    expected = TRUTH.under({AREA})
    scope = Scope(grid_ids=frozenset({AREA}))
    households = TRUTH.ids("Household")
    found = await store.neighbours("Household", KIND_BY_NAME["Household"].rel("pairings"), households, scope)
    assert {r["id"] for rs in found.values() for r in rs} == expected["Pairing"]
    # the abstract Grid target: only the led grids under the area, whatever their level
    members = TRUTH.ids("Member")
    led = await store.neighbours("Member", KIND_BY_NAME["Member"].rel("ledGrids"), members, scope)
    wanted = {(g[0], g[1]) for m in members for g in TRUTH.targets(("Member", m), "LEADS_GRID")
              if g[1] in expected[g[0]]}
    assert {(r["_kind"], r["id"]) for rs in led.values() for r in rs} == wanted and wanted
    # a kind no grid locates is never a neighbour
    orgs = await store.neighbours("Member", KIND_BY_NAME["Member"].rel("organisation"), members, scope)
    assert orgs == {}


async def test_counts_agree_with_finds_under_every_kind_of_scope(store: GraphStore) -> None:
    scopes = [EVERYTHING, Scope(street_ids=frozenset({STREET})), Scope(community_ids=frozenset({COMMUNITY})),
              Scope(street_ids=frozenset({STREET}), community_ids=frozenset({"210905002003"})),
              Scope(grid_ids=frozenset({AREA}), masks=masks_for(Role.GRID_WORKER))]
    for scope in scopes:
        counts = await store.count_nodes(scope)
        assert set(counts) == set(KIND_BY_NAME)
        for name in KIND_BY_NAME:
            assert counts[name] == (await store.find_nodes(name, [], [], 0, 0, scope)).total, (name, scope)
    everything = await store.count_nodes()
    assert everything == {k: sum(1 for kk, _ in TRUTH.props if kk == k) for k in KIND_BY_NAME}
    assert await store.count_nodes(Scope(masks=masks_for(Role.AUDITOR))) == everything  # masks hide no rows


async def test_the_named_domain_queries_refuse_a_grid_scope(store: GraphStore) -> None:
    scope = Scope(grid_ids=frozenset({AREA}))
    as_of = dt.date(2022, 6, 30)
    asks = [store.coverage_check(check_input("grid_without_leader", as_of), scope),
            store.grid_paths([AREA], scope),
            store.matching_input(MatchOptions(mode="pairings", as_of=as_of), scope),
            store.article_figures("210905", scope)]
    for ask in asks:
        with pytest.raises(StoreError, match="不支持网格范围 · .*not offered under a grid scope"):
            await ask
    assert (await store.grid_paths([AREA], EVERYTHING))[AREA]  # the same question without a grid scope


# --- masks ------------------------------------------------------------------------------------------

def _masked(record: dict[str, Any], masks: frozenset[tuple[str, str, str]]) -> dict[str, Any]:
    out = dict(record)
    for kind_name, prop, mode in masks:
        if kind_name == record["_kind"] and prop in out:
            if mode == "hide":
                del out[prop]
            else:
                out[prop] = mask_value(mode, out[prop])  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_masks_apply_to_every_read(store: GraphStore, role: Role) -> None:
    masks = masks_for(role)
    scope = Scope(masks=masks)
    for name in ("Household", "Member", "Person"):
        plain = await _all(store, name, EVERYTHING)
        expected = [_masked(r, masks) for r in plain]
        assert await _all(store, name, scope) == expected, name
        some = [r["id"] for r in plain[:50]]
        assert await store.get_nodes(name, some, scope) == {r["id"]: r for r in expected[:50]}
        page = await store.find_nodes(name, [Condition("communityId", "eq", COMMUNITY)], [SortKey("id")], 3, 40, scope)
        assert page.records == [r for r in expected if r.get("communityId") == COMMUNITY][3:43]
    households = TRUTH.ids("Household")[:400]
    residents = await store.neighbours("Household", KIND_BY_NAME["Household"].rel("residents"), households, scope)
    plain = await store.neighbours("Household", KIND_BY_NAME["Household"].rel("residents"), households, EVERYTHING)
    assert residents == {k: [_masked(r, masks) for r in rs] for k, rs in plain.items()} and plain
    if role is Role.STREET_STAFF:  # spot checks of the rule itself, on the sample's first household
        first = (await store.get_nodes("Household", [households[0]], scope))[households[0]]
        raw = TRUTH.props[("Household", households[0])]
        assert first["phone"] == raw["phone"][:3] + "****" + raw["phone"][-4:]
        assert first["headName"] == raw["headName"][0] + "*" * (len(raw["headName"]) - 1)
        assert "idNumber" not in first and "careCategories" not in first and "riskTier" not in first


async def test_neighbours_to_the_grid_label_mask_by_concrete_kind(store: GraphStore) -> None:
    masks = frozenset({("Building", "name", "name"), ("Area", "code", "hide")})
    members = TRUTH.ids("Member")
    rel = KIND_BY_NAME["Member"].rel("ledGrids")
    plain = await store.neighbours("Member", rel, members, EVERYTHING)
    masked = await store.neighbours("Member", rel, members, Scope(masks=masks))
    assert masked == {k: [_masked(r, masks) for r in rs] for k, rs in plain.items()}
    kinds = {r["_kind"] for rs in plain.values() for r in rs}
    assert {"Building", "Area", "Complex"} <= kinds


async def test_filters_and_sorts_on_masked_fields_are_refused(store: GraphStore) -> None:
    street = Scope(masks=masks_for(Role.STREET_STAFF))
    refused = [([Condition("phone", "eq", "13900007259")], []),
               ([Condition("idNumber", "isNull", False)], []),  # hidden: even whether it is there
               ([Condition("careCategories", "containsAny", ["NEEDY_FAMILY"])], []),
               ([], [SortKey("headName")]),
               ([Condition("communityId", "eq", COMMUNITY)], [SortKey("riskTier", True)])]
    for conditions, sort in refused:
        with pytest.raises(StoreError, match=r"Household\.\w+ .*cannot be filtered or sorted on"):
            await store.find_nodes("Household", conditions, sort, 0, 10, street)
    with pytest.raises(StoreError, match=r"Member\.phone"):
        await store.find_nodes("Member", [Condition("phone", "startsWith", "139")], [], 0, 10, street)
    # the staff who see them in full may filter and sort on them
    community = Scope(community_ids=frozenset({COMMUNITY}), masks=masks_for(Role.COMMUNITY_STAFF))
    page = await store.find_nodes("Household", [Condition("careCategories", "containsAny", ["NEEDY_FAMILY"])],
                                  [SortKey("headName")], 0, 5, community)
    assert page.total > 0 and all("NEEDY_FAMILY" in r["careCategories"] for r in page.records)


# --- writes: a small graph of one community ------------------------------------------------------

def small_graph() -> GraphData:
    """The sample's community 乌龙社区 (with the district and streets), and three households whose
    values test the edges of the masks: a short phone, a one-character name beyond the BMP, a
    phone of exactly seven characters, no phone at all."""
    kept = {(k, i) for k, i, p in SAMPLE.nodes if p.get("communityId") in (None, COMMUNITY)}
    data = GraphData(nodes=[n for n in SAMPLE.nodes if (n[0], n[1]) in kept],
                     edges=[e for e in SAMPLE.edges if (e[0], e[1]) in kept and (e[3], e[4]) in kept])
    unit = next(i for k, i, p in data.nodes if k == "StairwellUnit")
    place = {"streetId": STREET, "communityId": COMMUNITY}
    for node_id, extra in (("T-ODD-1", {"phone": "12345", "headName": "𠮷"}),
                           ("T-ODD-2", {"phone": "1234567", "headName": "王某某某"}),
                           ("T-ODD-3", {"headName": "李", "idNumber": "x"})):
        data.nodes.append(("Household", node_id, {**place, "room": node_id[-1], **extra}))
        data.edges.append(("Household", node_id, "IN_UNIT", "StairwellUnit", unit))
    return data


SMALL = small_graph()


@pytest.fixture
async def writable(store: GraphStore, tmp_path: Path) -> AsyncIterator[GraphStore]:
    """A store holding SMALL: a new embedded one, or the shared Neo4j (given the sample back after)."""
    if store.name == "embedded":
        fresh = EmbeddedStore(tmp_path / "writable.sqlite3")
        await fresh.migrate()
        await fresh.load(SMALL, replace=True)
        yield fresh
        await fresh.close()
        return
    await store.wipe()
    await store.migrate()
    await store.load(SMALL, replace=True)
    try:
        yield store
    finally:
        await load_sample_into(store)


async def snapshot(store: GraphStore) -> dict[str, Any]:
    """Every node, every relationship (by its outgoing fields) and the whole audit log."""
    nodes = {k.name: await _all(store, k.name, EVERYTHING) for k in KINDS}
    edges = set()
    for k in KINDS:
        ids = [r["id"] for r in nodes[k.name]]
        for rel in k.rels:
            if rel.direction == "out" and ids:
                found = await store.neighbours(k.name, rel, ids, EVERYTHING)
                edges |= {(k.name, i, rel.type, r["_kind"], r["id"]) for i, rs in found.items() for r in rs}
    audit = await store.audit_log(AuditQuery(), EVERYTHING, 0, 10_000)
    return {"nodes": nodes, "edges": edges, "audit": audit.records, "counts": await store.count_nodes()}


def entry(n: int, at: dt.datetime, **kw: Any) -> AuditEntry:
    return AuditEntry(id=kw.pop("id", f"A{n:03d}"), at=at, actor=kw.pop("actor", "alice"),
                      role=kw.pop("role", "COMMUNITY_STAFF"), operation=kw.pop("operation", "update"), **kw)


async def test_masks_at_the_edges_of_the_rule(writable: GraphStore) -> None:
    masks = masks_for(Role.DISTRICT_ADMIN)
    got = await writable.get_nodes("Household", ["T-ODD-1", "T-ODD-2", "T-ODD-3"], Scope(masks=masks))
    assert {k: {p: r.get(p) for p in ("phone", "headName", "idNumber")} for k, r in got.items()} == {
        "T-ODD-1": {"phone": "****", "headName": "𠮷*", "idNumber": None},
        "T-ODD-2": {"phone": "123****4567", "headName": "王***", "idNumber": None},
        "T-ODD-3": {"phone": None, "headName": "李*", "idNumber": None}}
    assert "phone" not in got["T-ODD-3"] and "idNumber" not in got["T-ODD-3"]  # absent, not None
    page = await writable.find_nodes("Household", [Condition("id", "startsWith", "T-ODD-")], [], 0, 10,
                                     Scope(masks=masks))
    assert page.records == [got["T-ODD-1"], got["T-ODD-2"], got["T-ODD-3"]]


async def test_a_failing_guard_writes_nothing(writable: GraphStore) -> None:
    store = writable
    household = next(h[1] for (k, i), p in sorted(TRUTH.props.items()) if k == "Pairing" and p.get("status") == "ACTIVE"
                     and p.get("communityId") == COMMUNITY for h in TRUTH.targets((k, i), "FOR_HOUSEHOLD"))
    phone = TRUTH.props[("Household", household)]["phone"]
    member = next(i for k, i, p in SMALL.nodes if k == "Member")
    before = await snapshot(store)
    now = dt.datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    write = GraphData(nodes=[("Household", household, {"phone": "13800000000"}), ("Need", "T-N1", {"title": "新"})],
                      edges=[("Need", "T-N1", "RAISED_BY", "Household", household)])
    cases = [
        ((Expect("Household", household, {"phone": "wrong"}),), [f"Household {household}: phone"]),
        ((Expect("Household", "no-such", {}),), ["Household no-such: 已不存在"]),
        ((Absent("Member", member),), [f"Member {member}: 编号已被占用 · the business key is already taken"]),
        ((NoActivePairing(household),), [f"Household {household}: 已有帮扶中的结对"]),
        ((Expect("Household", household, {"phone": phone}), Absent("Need", "T-N1"), Absent("Member", member)),
         [f"Member {member}: 编号已被占用"]),
    ]
    for guards, wanted in cases:
        change = Change(data=write, deletes=(("Member", member),), guards=guards,
                        audit=(entry(1, now, kind="Household", record_ids=(household,)),))
        with pytest.raises(StaleMatch) as caught:
            await store.apply_change(change)
        assert len(caught.value.failures) == len(wanted)
        for failure, text in zip(caught.value.failures, wanted):
            assert failure.startswith(text), failure
        assert await snapshot(store) == before, guards
    # deleting what does not exist, data a store refuses, an audit id already used: all refused whole
    refusals = [Change(data=write, deletes=(("Member", member), ("Member", "no-such")), audit=(entry(2, now),)),
                Change(data=GraphData(nodes=write.nodes, edges=[("Need", "T-N1", "RAISED_BY", "Household", "nope")]),
                       deletes=(("Member", member),), audit=(entry(3, now),)),
                Change(data=write, deletes=(("Spaceship", "x"),))]
    for change in refusals:
        with pytest.raises(StoreError) as caught:
            await store.apply_change(change)
        assert not isinstance(caught.value, StaleMatch)
        assert await snapshot(store) == before
    await store.append_audit([entry(4, now)])
    with pytest.raises(StoreError):
        await store.apply_change(Change(data=write, deletes=(("Member", member),), audit=(entry(4, now),)))
    after = await snapshot(store)
    assert after["nodes"] == before["nodes"] and after["edges"] == before["edges"]
    assert [r["id"] for r in after["audit"]] == ["A004"]


async def test_a_change_deletes_writes_and_audits_in_one_transaction(writable: GraphStore) -> None:
    store = writable
    member = next(i for k, i, p in SMALL.nodes if k == "Member"
                  and any(e[0] == "Member" and e[1] == i and e[2] == "LIVES_IN" for e in SMALL.edges))
    home = next(e[4] for e in SMALL.edges if e[:3] == ("Member", member, "LIVES_IN"))
    unit_id, unit = next((i, p) for k, i, p in SMALL.nodes if k == "StairwellUnit")
    building = next(e[4] for e in SMALL.edges if e[:3] == ("StairwellUnit", unit_id, "PART_OF"))
    before = await snapshot(store)
    touching = {e for e in before["edges"] if ("Member", member) in ((e[0], e[1]), (e[3], e[4]))}
    assert len(touching) >= 2
    at = dt.datetime(2024, 5, 1, 16, 30, 15, 123456, tzinfo=BEIJING)
    audit = (entry(10, at, kind="Member", record_ids=(member,), street_id=STREET, community_id=COMMUNITY,
                   operation="delete", before={"name": "某", "birthDate": dt.date(1980, 1, 2)}),
             entry(11, at, kind="Need", record_ids=("T-N1",), operation="create", after={"title": "新需求"}))
    data = GraphData(
        nodes=[("Need", "T-N1", {"streetId": STREET, "communityId": COMMUNITY, "title": "新需求", "category": "LIFE"}),
               # a unit deleted and another made with its code in the same change: the code is free again
               ("StairwellUnit", "T-U1", {**unit, "name": "新单元"}),
               ("Household", home, {"size": 9})],
        edges=[("Need", "T-N1", "RAISED_BY", "Household", home),
               ("StairwellUnit", "T-U1", "PART_OF", "Building", building)])
    await store.apply_change(Change(data=data, deletes=(("Member", member), ("StairwellUnit", unit_id)),
                                    guards=(Absent("Need", "T-N1"), Expect("Member", member, {})), audit=audit))
    after = await snapshot(store)
    assert member not in {r["id"] for r in after["nodes"]["Member"]}
    assert unit_id not in {r["id"] for r in after["nodes"]["StairwellUnit"]}
    gone = {e for e in before["edges"] if ("Member", member) in ((e[0], e[1]), (e[3], e[4]))
            or ("StairwellUnit", unit_id) in ((e[0], e[1]), (e[3], e[4]))}
    made = {("Need", "T-N1", "RAISED_BY", "Household", home),
            ("StairwellUnit", "T-U1", "PART_OF", "Building", building)}
    assert after["edges"] == (before["edges"] - gone) | made
    counts = dict(before["counts"], Member=before["counts"]["Member"] - 1, Need=before["counts"]["Need"] + 1)
    assert after["counts"] == counts
    assert (await store.get_nodes("StairwellUnit", ["T-U1"], EVERYTHING))["T-U1"]["code"] == unit["code"]
    assert (await store.get_nodes("Household", [home], EVERYTHING))[home]["size"] == 9
    log = after["audit"]
    assert [r["id"] for r in log] == ["A011", "A010"]  # the same instant: id descending
    assert log[1] == {**audit[0].as_record(), "at": at.astimezone(UTC),
                      "before": {"name": "某", "birthDate": "1980-01-02"}}
    assert log[1]["at"].tzinfo is not None and log[1]["at"].utcoffset() == dt.timedelta(0)
    # the deleted node can be made again (Absent holds now), and once it exists Absent fails
    again = Change(data=GraphData(nodes=[("Member", member, {"name": "新"})]), guards=(Absent("Member", member),))
    await store.apply_change(again)
    assert (await store.get_nodes("Member", [member], EVERYTHING))[member] == {"id": member, "name": "新",
                                                                               "_kind": "Member"}
    with pytest.raises(StaleMatch):
        await store.apply_change(again)
    # apply_matches is apply_change with guards only
    await store.apply_matches(GraphData(nodes=[("Need", "T-N1", {"status": "MATCHED"})]),
                              [Expect("Need", "T-N1", {"status": None})])
    with pytest.raises(StaleMatch):
        await store.apply_matches(GraphData(nodes=[("Need", "T-N1", {"status": "OPEN"})]),
                                  [Expect("Need", "T-N1", {"status": None})])


# --- the audit log ------------------------------------------------------------------------------------

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
PHONE, NAME = "13912345678", "张三丰"
AUDIT = [
    entry(1, T0, kind="Household", record_ids=("H1",), street_id=STREET, community_id=COMMUNITY,
          before={"phone": PHONE, "headName": NAME, "idNumber": "2109", "careCategories": ["NEEDY_FAMILY"],
                  "size": 3}, after={"phone": "13800000000", "headName": NAME, "size": 4}),
    entry(2, T0 + dt.timedelta(hours=1), actor="bob", operation="create", kind="Need", record_ids=("N1", "H1"),
          street_id=STREET, community_id="210905001002", after={"title": "助餐", "phone": PHONE}),
    entry(3, T0 + dt.timedelta(hours=2), actor="bob", operation="read", kind="Household", record_ids=("H2",),
          street_id=OTHER_STREET, community_id="210905002003", fields=("phone", "idNumber")),
    entry(4, T0 + dt.timedelta(hours=2), role="DISTRICT_ADMIN", operation="apiKeyCreate"),  # placed nowhere
    entry(5, (T0 + dt.timedelta(hours=3)).astimezone(BEIJING), actor="carol", operation="delete", kind="Member",
          record_ids=("M1",), street_id=STREET, community_id=COMMUNITY,
          before={"name": "李四", "phone": "1234", "birthDate": "1980-01-02"}),
    entry(6, T0 - dt.timedelta(days=1), operation="update", kind="Household", record_ids=("H1",),
          street_id=STREET, community_id=None),
]
NEWEST_FIRST = ["A005", "A004", "A003", "A002", "A001", "A006"]


def _expected(e: AuditEntry, masks: frozenset[tuple[str, str, str]] = frozenset()) -> dict[str, Any]:
    record = {**e.as_record(), "at": e.at.astimezone(UTC)}
    for side in ("before", "after"):
        if record[side] is not None:
            values = dict(record[side])
            for kind_name, prop, mode in masks:
                if kind_name == e.kind and prop in values:
                    if mode == "hide":
                        del values[prop]
                    else:
                        values[prop] = mask_value(mode, values[prop])  # type: ignore[arg-type]
            record[side] = values
    return record


async def _log(store: GraphStore, query: AuditQuery = AuditQuery(), scope: Scope = EVERYTHING) -> list[str]:
    page = await store.audit_log(query, scope, 0, 100)
    assert page.total == len(page.records)
    return [r["id"] for r in page.records]


async def test_audit_log_order_filters_scope_and_pages(writable: GraphStore) -> None:
    store = writable
    counts = await store.count_nodes()
    shuffled = AUDIT[:]
    random.Random(7).shuffle(shuffled)
    await store.append_audit(shuffled[:3])
    await store.append_audit(shuffled[3:])
    assert await store.count_nodes() == counts  # entries are not nodes of the model
    page = await store.audit_log(AuditQuery(), EVERYTHING, 0, 100)
    by_id = {e.id: e for e in AUDIT}
    assert page.total == 6 and page.records == [_expected(by_id[i]) for i in NEWEST_FIRST]
    # pages: consecutive windows make up the whole, the total stays
    pages = [await store.audit_log(AuditQuery(), EVERYTHING, offset, 4) for offset in (0, 4, 8)]
    assert [p.total for p in pages] == [6, 6, 6]
    assert [r["id"] for p in pages for r in p.records] == NEWEST_FIRST
    assert (await store.audit_log(AuditQuery(), EVERYTHING, 2, 0)).records == []
    # filters
    assert await _log(store, AuditQuery(actor="bob")) == ["A003", "A002"]
    assert await _log(store, AuditQuery(operation="update")) == ["A001", "A006"]
    assert await _log(store, AuditQuery(kind="Household")) == ["A003", "A001", "A006"]
    assert await _log(store, AuditQuery(record_id="H1")) == ["A002", "A001", "A006"]
    assert await _log(store, AuditQuery(record_id="H")) == []
    since, until = T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=3)
    assert await _log(store, AuditQuery(since=since, until=until)) == ["A004", "A003", "A002"]  # since <= at < until
    assert await _log(store, AuditQuery(since=until.astimezone(BEIJING))) == ["A005"]
    assert await _log(store, AuditQuery(actor="bob", kind="Household", until=until)) == ["A003"]
    # scope: street and community keys; entries placed nowhere only without a restriction; grids see none
    assert await _log(store, scope=Scope(street_ids=frozenset({STREET}))) == ["A005", "A002", "A001", "A006"]
    assert await _log(store, scope=Scope(community_ids=frozenset({COMMUNITY}))) == ["A005", "A001"]
    assert await _log(store, scope=Scope(street_ids=frozenset({STREET}),
                                         community_ids=frozenset({"210905001002", "210905002003"}))) == ["A002"]
    assert await _log(store, scope=Scope(street_ids=frozenset())) == []
    assert await _log(store, scope=Scope(grid_ids=frozenset({COMMUNITY}))) == []
    # masks on before/after, by the entry's kind
    for role in Role:
        masks = masks_for(role)
        page = await store.audit_log(AuditQuery(), Scope(masks=masks), 0, 100)
        assert page.records == [_expected(by_id[i], masks) for i in NEWEST_FIRST], role
    street = (await store.audit_log(AuditQuery(), Scope(masks=masks_for(Role.STREET_STAFF)), 0, 100)).records
    first = next(r for r in street if r["id"] == "A001")
    assert first["before"] == {"phone": "139****5678", "headName": "张**", "size": 3}
    assert next(r for r in street if r["id"] == "A005")["before"]["phone"] == "****"
    assert next(r for r in street if r["id"] == "A002")["after"]["phone"] == PHONE  # a Need has no masked phone
    # a batch with an id already used is refused whole
    with pytest.raises(StoreError):
        await store.append_audit([entry(7, T0), entry(1, T0)])
    assert await _log(store) == NEWEST_FIRST


async def test_audit_log_and_keys_outlive_a_replacing_load_but_not_a_wipe(writable: GraphStore) -> None:
    store = writable
    await store.append_audit(AUDIT)
    await store.put_api_key(_key("K1"))
    await store.revoke("jti-1", T0)
    await store.load(SMALL, replace=True)
    assert await _log(store) == NEWEST_FIRST
    assert (await store.get_api_key("K1"))["hash"] == "h-K1"  # type: ignore[index]
    assert await store.is_revoked("jti-1")
    await store.wipe()
    assert await _log(store) == []
    assert await store.get_api_key("K1") is None and not await store.is_revoked("jti-1")
    assert sum((await store.count_nodes()).values()) == 0
    await store.append_audit(AUDIT[:1])  # the log works again after a wipe
    assert await _log(store) == ["A001"]


async def test_the_embedded_audit_log_is_append_only(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "append-only.sqlite3")
    try:
        for round_ in range(2):  # the triggers are back after a wipe
            await store.append_audit(AUDIT[:2])
            conn = store.file.conn
            for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log WHERE id = 'A001'",
                              "UPDATE audit_log SET before = NULL WHERE id = 'A001'"):
                with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                    conn.execute(statement)
            assert await _log(store) == ["A002", "A001"]
            assert (await store.audit_log(AuditQuery(), EVERYTHING, 0, 10)).records[1]["actor"] == "alice"
            await store.wipe()
    finally:
        await store.close()
    reopened = EmbeddedStore(tmp_path / "append-only.sqlite3")  # the schema applies to an existing file
    try:
        await reopened.append_audit(AUDIT[:1])
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            reopened.file.conn.execute("DELETE FROM audit_log")
    finally:
        await reopened.close()


# --- API keys and revocations ---------------------------------------------------------------------

def _key(key_id: str, **kw: Any) -> dict[str, Any]:
    return {"id": key_id, "hash": f"h-{key_id}", "role": "STREET_STAFF", "scopeKind": "street",
            "scopeIds": [STREET], "name": f"街道 {key_id}", "createdAt": dt.datetime(2024, 1, 2, 11, 0, tzinfo=BEIJING),
            "expiresAt": None, **kw}


async def test_api_keys_and_revocations(writable: GraphStore) -> None:
    store = writable
    expires = dt.datetime(2025, 1, 1, 0, 0, 0, 500, tzinfo=UTC)
    await store.put_api_key(_key("K1"))
    await store.put_api_key(_key("K2", expiresAt=expires, scopeIds=["a", "b"], role="GRID_WORKER", scopeKind="grid"))
    assert await store.get_api_key("K1") == {**_key("K1"), "createdAt": dt.datetime(2024, 1, 2, 3, 0, tzinfo=UTC),
                                             "revoked": False}
    k2 = await store.get_api_key("K2")
    assert k2 == {**_key("K2", expiresAt=expires, scopeIds=["a", "b"], role="GRID_WORKER", scopeKind="grid"),
                  "createdAt": dt.datetime(2024, 1, 2, 3, 0, tzinfo=UTC), "revoked": False}
    assert k2 is not None and k2["createdAt"].utcoffset() == dt.timedelta(0)
    assert await store.get_api_key("K3") is None
    assert not await store.is_revoked("K1")
    await store.revoke("K1", T0)
    await store.revoke("K1", T0 + dt.timedelta(days=1))  # idempotent
    assert (await store.get_api_key("K1"))["revoked"] is True  # type: ignore[index]
    assert await store.is_revoked("K1") and not await store.is_revoked("K2")
    assert (await store.get_api_key("K2"))["revoked"] is False  # type: ignore[index]
    await store.revoke("jti-x", T0)  # a token id with no key: recorded all the same
    assert await store.is_revoked("jti-x") and await store.get_api_key("jti-x") is None
    await store.put_api_key(_key("K1", name="改名"))  # a key stored again stays revoked
    again = await store.get_api_key("K1")
    assert again is not None and again["name"] == "改名" and again["revoked"] is True
    await store.put_api_key(_key("K2", expiresAt=None))
    assert (await store.get_api_key("K2"))["expiresAt"] is None  # type: ignore[index]
    with pytest.raises(StoreError, match="hash"):
        await store.put_api_key({k: v for k, v in _key("K4").items() if k != "hash"})
    assert await store.get_api_key("K4") is None
    assert sum((await store.count_nodes()).values()) == sum(1 for _ in SMALL.nodes)


async def test_concurrent_creates_of_one_key_under_absent_guards(writable: GraphStore) -> None:
    """Only one of several writes creating the same record at once gets through; the others are
    told the key is taken and write nothing, their audit entries included."""
    async def create(n: int) -> None:
        data = GraphData(nodes=[("Need", "T-RACE", {"title": f"第{n}个", "streetId": STREET, "communityId": COMMUNITY})])
        await writable.apply_change(Change(data=data, guards=(Absent("Need", "T-RACE"),),
                                           audit=(entry(100 + n, T0, kind="Need", record_ids=("T-RACE",)),)))

    outcomes = await asyncio.gather(*(create(n) for n in range(6)), return_exceptions=True)
    winners = [n for n, outcome in enumerate(outcomes) if outcome is None]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, StaleMatch) for n, o in enumerate(outcomes) if n != winners[0]), outcomes
    stored = (await writable.get_nodes("Need", ["T-RACE"], EVERYTHING))["T-RACE"]
    assert stored["title"] == f"第{winners[0]}个"
    assert await _log(writable) == [f"A{100 + winners[0]:03d}"]  # the losers' entries went with them
    # an Absent guard on a record the change does not create leaves nothing behind
    await writable.apply_change(Change(guards=(Absent("Need", "T-GHOST"),)))
    assert await writable.get_nodes("Need", ["T-GHOST"], EVERYTHING) == {}
