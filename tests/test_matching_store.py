"""The store side of matching (issue 6): ``matching_input`` gathers the same demands and supplies
on both backends (queries/cypher/matching/*.cypher and graph_api/store/embedded/matching.py), and
``apply_matches`` writes accepted matches all-or-nothing, only while every guard still holds.

Parity data: the sample under three scopes and several option sets, random model-valid graphs
from tests/strategies.py, and the generated tier S. Like test_coverage_parity.py, the tests are
synchronous and run the coroutines on an event loop of their own; the module wipes the shared
Neo4j and reloads the sample when it ends.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_api.domain import enums as e
from graph_api.domain.dataset import read_sample
from graph_api.domain.matching import MEMBER_ITEMS, MatchingInput, MatchOptions
from graph_api.domain.model import KIND_BY_NAME
from graph_api.settings import Settings
from graph_api.store.base import (
    EVERYTHING,
    Expect,
    GraphData,
    GraphStore,
    Guard,
    NoActivePairing,
    Scope,
    StaleMatch,
    StoreError,
)
from graph_api.store.embedded.store import EmbeddedStore
from graph_api.store.neo4j_store import Neo4jStore
from tests import strategies as s
from tests.backends import Backends, both_backends
from tests.test_differential import DIFF_SETTINGS, differences

#: random graphs per run (about 0.5 s each); MATCHING_EXAMPLES=300 for a deeper run
EXAMPLES = int(os.environ.get("MATCHING_EXAMPLES", "15"))
AS_OF = dt.date(2022, 6, 30)  # the sample's and the generated tiers' reference date
STREET = Scope(street_ids=frozenset({"210905001"}))
COMMUNITY = Scope(community_ids=frozenset({"210905002003"}))
SAMPLE_SCOPES = {"everything": EVERYTHING, "street": STREET, "community": COMMUNITY}
SAMPLE_OPTIONS = [
    MatchOptions(mode="projects", as_of=AS_OF),
    MatchOptions(mode="projects", as_of=dt.date(2021, 6, 30), exempt_age=60, member_capacity=1),
    MatchOptions(mode="projects", as_of=dt.date(2024, 2, 29), exempt_age=75, member_capacity=5),
    MatchOptions(mode="pairings", as_of=AS_OF),
    MatchOptions(mode="pairings", as_of=AS_OF, categories=("NEEDY_FAMILY", "ELDERLY_ALONE", "MINIMUM_LIVELIHOOD"),
                 max_households=3, exempt_age=65),
    MatchOptions(mode="pairings", as_of=dt.date(2023, 8, 15), categories=tuple(c.value for c in e.CareCategory),
                 max_households=1),
]


# --- the two backends on one event loop ----------------------------------------------------------

@pytest.fixture(scope="module")
def backends(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    with both_backends(settings, Path(tmp_path_factory.mktemp("matching-store"))) as pair:
        yield pair


@pytest.fixture(scope="module")
def sample() -> list[GraphData]:
    return [read_sample()]


# --- comparing ------------------------------------------------------------------------------------

def assert_well_formed(mi: MatchingInput, options: MatchOptions) -> None:
    """Sorted by id, tuples not lists, dates as dates, the kinds of the mode."""
    assert mi.as_of == options.as_of
    assert [d.id for d in mi.demands] == sorted(d.id for d in mi.demands)
    assert [x.id for x in mi.supplies] == sorted(x.id for x in mi.supplies)
    demand_kinds = {"Need"} if options.mode == "projects" else {"Household"}
    supply_kinds = {"Resource", "Member"} if options.mode == "projects" else {"Member"}
    for d in mi.demands:
        assert d.kind in demand_kinds
        assert type(d.path) is tuple and type(d.care) is tuple
        assert d.opened is None or type(d.opened) is dt.date
    for x in mi.supplies:
        assert x.kind in supply_kinds
        assert type(x.path) is tuple and type(x.items) is tuple and type(x.serves_communities) is tuple
        assert x.offered_by is None or type(x.offered_by) is tuple
        assert x.capacity > 0
        if x.kind == "Member":
            assert x.offered_by == ("Member", x.id)
            if options.mode == "projects":
                assert x.items and set(x.items) <= set(MEMBER_ITEMS)


def assert_same_input(b: Backends, options: MatchOptions, scope: Scope) -> MatchingInput:
    neo = b.run(b.neo4j.matching_input(options, scope))
    emb = b.run(b.embedded.matching_input(options, scope))
    found = differences(dataclasses.asdict(neo), dataclasses.asdict(emb))
    assert not found, f"{options} in {scope}:\n    " + "\n    ".join(found[:8])
    assert neo == emb
    assert_well_formed(neo, options)
    return neo


# --- the sample --------------------------------------------------------------------------------------

@pytest.mark.parametrize("scope_name", list(SAMPLE_SCOPES))
def test_sample_parity(backends: Backends, sample: list[GraphData], scope_name: str) -> None:
    backends.load("sample", sample)
    scope = SAMPLE_SCOPES[scope_name]
    for options in SAMPLE_OPTIONS:
        mi = assert_same_input(backends, options, scope)
        assert mi.supplies, f"no supplies for {options} in {scope_name}"
        for record in [*mi.demands, *mi.supplies]:
            if scope.street_ids is not None:
                assert record.street_id in scope.street_ids
            if scope.community_ids is not None:
                assert record.community_id in scope.community_ids
                assert all(g.startswith(record.community_id) for g in record.path)  # type: ignore[arg-type]


def test_sample_demands(backends: Backends, sample: list[GraphData]) -> None:
    """Pairings with the defaults: exactly the planted needy households without a helper; projects:
    every OPEN need, each placed in the grid tree up to its community."""
    backends.load("sample", sample)
    pairings = assert_same_input(backends, MatchOptions(mode="pairings", as_of=AS_OF), EVERYTHING)
    planted = sorted(g["id"] for g in sample[0].meta["plantedGaps"] if g["check"] == "needy_household_without_helper")
    assert planted and [d.id for d in pairings.demands] == planted
    assert all(len(d.path) == 5 and d.path[-1] == d.community_id and "NEEDY_FAMILY" in d.care for d in pairings.demands)

    projects = assert_same_input(backends, MatchOptions(mode="projects", as_of=AS_OF), EVERYTHING)
    open_needs = sorted(i for k, i, p in sample[0].nodes if k == "Need" and p.get("status") == "OPEN")
    assert open_needs and [d.id for d in projects.demands] == open_needs
    assert all(d.path and d.path[-1] == d.community_id for d in projects.demands)
    by_id = {x.id: x for x in projects.supplies}
    unit_resources = [x for x in by_id.values() if x.offered_by and x.offered_by[0] == "JointUnit"]
    assert unit_resources and all(x.serves_communities for x in unit_resources)
    assert any(x.kind == "Member" for x in by_id.values()) and any(x.kind == "Resource" for x in by_id.values())


def test_options_change_the_input(backends: Backends, sample: list[GraphData]) -> None:
    """Exempt age, member capacity, the household cap and the as-of date each decide who is listed."""
    backends.load("sample", sample)

    def supplies(**kw: Any) -> set[str]:
        return {x.id for x in assert_same_input(backends, MatchOptions(**kw), EVERYTHING).supplies}

    assert supplies(mode="pairings", as_of=AS_OF, exempt_age=0) == set()
    assert supplies(mode="pairings", as_of=AS_OF, max_households=0) == set()
    assert supplies(mode="pairings", as_of=AS_OF, exempt_age=60) < supplies(mode="pairings", as_of=AS_OF)
    members = {i for i in supplies(mode="projects", as_of=AS_OF) if i.startswith("M")}
    assert members and not {i for i in supplies(mode="projects", as_of=AS_OF, member_capacity=0) if i.startswith("M")}
    resources_then = {i for i in supplies(mode="projects", as_of=dt.date(2030, 1, 1)) if i.startswith("RS")}
    assert resources_then < {i for i in supplies(mode="projects", as_of=AS_OF) if i.startswith("RS")}
    with pytest.raises(StoreError, match="as-of"):
        backends.run(backends.neo4j.matching_input(MatchOptions(), EVERYTHING))
    with pytest.raises(StoreError, match="as-of"):
        backends.run(backends.embedded.matching_input(MatchOptions(), EVERYTHING))


# --- random graphs -----------------------------------------------------------------------------------

DAYS = st.one_of(st.sampled_from([AS_OF, dt.date(2020, 2, 29), dt.date(2021, 7, 1), dt.date(2023, 12, 31)]),
                 st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)))
OPTIONS = st.builds(
    MatchOptions,
    mode=st.sampled_from(["projects", "pairings"]),
    categories=st.lists(st.sampled_from([c.value for c in e.CareCategory]), min_size=1, max_size=3,
                        unique=True).map(tuple),
    max_households=st.integers(0, 4),
    exempt_age=st.integers(0, 90),
    member_capacity=st.integers(0, 3),
    as_of=DAYS,
)


@settings(max_examples=EXAMPLES, **DIFF_SETTINGS)
@given(data=s.datasets(), drawer=st.data())
def test_random_graphs(backends: Backends, data: GraphData, drawer: st.DataObject) -> None:
    backends.loaded = ""
    for store in (backends.neo4j, backends.embedded):
        backends.run(store.load(data, replace=True))
    for mode in ("projects", "pairings"):
        assert_same_input(backends, MatchOptions(mode=mode, as_of=AS_OF), EVERYTHING)  # type: ignore[arg-type]
    for i in range(3):
        options = drawer.draw(OPTIONS, label=f"options {i}")
        assert_same_input(backends, options, drawer.draw(s.scopes(data), label=f"scope {i}"))


# --- the generated tier S ------------------------------------------------------------------------------

def test_tier_s(backends: Backends, tier_s: list[GraphData]) -> None:
    backends.load("tier S", tier_s)
    communities = sorted(i for chunk in tier_s for k, i, _ in chunk.nodes if k == "Community")
    one = Scope(community_ids=frozenset(communities[-1:]))
    for scope in (EVERYTHING, one):
        for mode in ("projects", "pairings"):
            mi = assert_same_input(backends, MatchOptions(mode=mode, as_of=AS_OF), scope)  # type: ignore[arg-type]
            assert mi.supplies
            if mode == "pairings" and scope is EVERYTHING:
                planted = sorted(g["id"] for g in tier_s[0].meta["plantedGaps"]
                                 if g["check"] == "needy_household_without_helper")
                assert [d.id for d in mi.demands] == planted
    assert_same_input(backends, MatchOptions(mode="pairings", as_of=AS_OF, max_households=2, exempt_age=60,
                                             categories=tuple(c.value for c in e.CareCategory)), EVERYTHING)


# --- apply_matches -------------------------------------------------------------------------------------

def snapshot(b: Backends, store: GraphStore) -> dict[str, Any]:
    """Every node with its properties and every edge of the store."""
    async def nodes() -> dict[tuple[str, str], dict[str, Any]]:
        out = {}
        for kind_name in KIND_BY_NAME:
            async for batch in store.scan(kind_name, EVERYTHING):
                out.update({(kind_name, r["id"]): r for r in batch})
        return out

    if isinstance(store, Neo4jStore):
        rows = b.run(store._read("MATCH (a)-[r]->(c) RETURN a.id AS a, type(r) AS t, c.id AS c"))
        edges = sorted((row["a"], row["t"], row["c"]) for row in rows)
    else:
        assert isinstance(store, EmbeddedStore)
        edges = sorted((a[1], t, c[1]) for a, c, t in store.graph.edges(keys=True))
    return {"nodes": b.run(nodes()), "edges": edges}


def a_match(need: str, unit: str, project: str) -> GraphData:
    """An accepted project match: the need MATCHED, a project meeting it, claimed by the unit."""
    return GraphData(
        nodes=[("Need", need, {"status": "MATCHED"}),
               ("Project", project, {"title": "匹配项目", "status": "CLAIMED", "claimedDate": AS_OF,
                                     "streetId": "210905001", "communityId": "210905001001"})],
        edges=[("Project", project, "MEETS", "Need", need), ("Project", project, "CLAIMED_BY", "JointUnit", unit)])


def a_pairing(household: str, member: str, pairing: str) -> GraphData:
    return GraphData(
        nodes=[("Pairing", pairing, {"status": "ACTIVE", "since": AS_OF, "kind": "POVERTY"})],
        edges=[("Pairing", pairing, "FOR_HOUSEHOLD", "Household", household),
               ("Pairing", pairing, "BY_MEMBER", "Member", member)])


FRESH = iter(range(1_000_000))


@pytest.fixture
def fresh(backends: Backends, sample: list[GraphData]) -> Backends:
    """Both stores with the sample, loaded anew (the tests below write): Neo4j wiped, the embedded
    store in a new file."""
    backends.load(f"written sample {next(FRESH)}", sample)
    backends.loaded = ""  # written to: never reused
    return backends


def _picks(b: Backends) -> tuple[str, str, str, str]:
    """An OPEN need, a joint unit, a planted needy household and a helper that can take it."""
    projects = b.run(b.embedded.matching_input(MatchOptions(mode="projects", as_of=AS_OF), EVERYTHING))
    pairings = b.run(b.embedded.matching_input(MatchOptions(mode="pairings", as_of=AS_OF), EVERYTHING))
    need = projects.demands[0].id
    unit = next(x.offered_by[1] for x in projects.supplies if x.offered_by and x.offered_by[0] == "JointUnit")
    household = pairings.demands[0].id
    member = next(x.id for x in pairings.supplies if x.community_id == pairings.demands[0].community_id)
    return need, unit, household, member


@pytest.mark.parametrize("backend", ["neo4j", "embedded"])
def test_apply_matches_writes_when_the_guards_hold(fresh: Backends, backend: str) -> None:
    store: GraphStore = getattr(fresh, backend)
    need, unit, household, member = _picks(fresh)
    data = a_match(need, unit, "PJ-M1")
    paired = a_pairing(household, member, "PR-M1")
    data.nodes += paired.nodes
    data.edges += paired.edges
    guards: list[Guard] = [Expect("Need", need, {"status": "OPEN", "noSuchProp": None}),
                           Expect("JointUnit", unit, {}), NoActivePairing(household)]
    fresh.run(store.apply_matches(data, guards))
    assert fresh.run(store.get_nodes("Need", [need], EVERYTHING))[need]["status"] == "MATCHED"
    project = fresh.run(store.get_nodes("Project", ["PJ-M1"], EVERYTHING))["PJ-M1"]
    assert project["claimedDate"] == AS_OF and "_matchGuard" not in project
    assert "_matchGuard" not in fresh.run(store.get_nodes("Household", [household], EVERYTHING))[household]
    rel = KIND_BY_NAME["Project"].rel("claimedByUnit")
    assert [r["id"] for r in fresh.run(store.neighbours("Project", rel, ["PJ-M1"], EVERYTHING))["PJ-M1"]] == [unit]
    after = fresh.run(store.matching_input(MatchOptions(mode="pairings", as_of=AS_OF), EVERYTHING))
    assert household not in {d.id for d in after.demands}
    helper = next(x for x in after.supplies if x.id == member)
    assert helper.households == 1
    projects = fresh.run(store.matching_input(MatchOptions(mode="projects", as_of=AS_OF), EVERYTHING))
    assert need not in {d.id for d in projects.demands}


@pytest.mark.parametrize("backend", ["neo4j", "embedded"])
def test_stale_guards_write_nothing(fresh: Backends, backend: str) -> None:
    store: GraphStore = getattr(fresh, backend)
    need, unit, household, member = _picks(fresh)
    # meanwhile, someone matched the need and paired the household
    fresh.run(store.load(GraphData(nodes=[("Need", need, {"status": "MATCHED"})])))
    fresh.run(store.load(a_pairing(household, "M00001", "PR-OTHER")))
    before = snapshot(fresh, store)

    data = a_match(need, unit, "PJ-M2")
    with pytest.raises(StaleMatch) as raised:
        fresh.run(store.apply_matches(data, [Expect("Need", need, {"status": "OPEN"})]))
    message = str(raised.value)
    assert need in message and "'MATCHED'" in message and "'OPEN'" in message and "nothing was written" in message
    assert isinstance(raised.value, StoreError) and len(raised.value.failures) == 1

    with pytest.raises(StaleMatch, match=f"{household}.*PR-OTHER"):
        fresh.run(store.apply_matches(a_pairing(household, member, "PR-M2"), [NoActivePairing(household)]))

    # every failing guard is named; a guard that holds is not
    guards: list[Guard] = [Expect("Need", need, {"status": "OPEN", "category": "NO_SUCH"}),
                           Expect("JointUnit", unit, {}), Expect("Member", "no-such-member", {}),
                           NoActivePairing(household), NoActivePairing("no-such-household")]
    with pytest.raises(StaleMatch) as raised:
        fresh.run(store.apply_matches(data, guards))
    failures = raised.value.failures
    assert len(failures) == 5, failures
    assert any("no-such-member" in f and "no longer exists" in f for f in failures)
    assert any("no-such-household" in f and "no longer exists" in f for f in failures)
    assert not any(unit in f for f in failures)

    # a write that fails on its own (an edge to a node that does not exist) also writes nothing
    broken = a_match(need, unit, "PJ-M3")
    broken.edges.append(("Project", "PJ-M3", "CLAIMED_BY", "Member", "no-such-member"))
    with pytest.raises(StoreError, match="do not exist"):
        fresh.run(store.apply_matches(broken, []))
    assert snapshot(fresh, store) == before


@pytest.mark.parametrize("backend", ["neo4j", "embedded"])
def test_concurrent_accepts_of_one_need(fresh: Backends, backend: str) -> None:
    """Two accepts of the same open need at once: one writes, the other finds it stale."""
    store: GraphStore = getattr(fresh, backend)
    need, unit, _, _ = _picks(fresh)

    async def both() -> list[Any]:
        return await asyncio.gather(
            *(store.apply_matches(a_match(need, unit, f"PJ-C{i}"), [Expect("Need", need, {"status": "OPEN"})])
              for i in range(2)), return_exceptions=True)

    outcomes = fresh.run(both())
    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "StaleMatch"], outcomes
    written = fresh.run(store.get_nodes("Project", ["PJ-C0", "PJ-C1"], EVERYTHING))
    assert len(written) == 1


def test_stale_match_says_the_same_on_both_backends(fresh: Backends) -> None:
    need, unit, household, member = _picks(fresh)
    guards: list[Guard] = [NoActivePairing(household), Expect("Need", need, {"status": "OPEN", "quantity": 99}),
                           Expect("Member", member, {"serviceItems": ["NO_SUCH"], "birthDate": None}),
                           Expect("Resource", "no-such-resource", {"title": "x"})]
    said = []
    for store in (fresh.neo4j, fresh.embedded):
        fresh.run(store.load(GraphData(nodes=[("Need", need, {"status": "MATCHED"})])))
        fresh.run(store.load(a_pairing(household, member, "PR-OTHER")))
        with pytest.raises(StaleMatch) as raised:
            fresh.run(store.apply_matches(a_match(need, unit, "PJ-S"), guards))
        said.append(raised.value.failures)
    assert said[0] == said[1]
    assert len(said[0]) == 6 and said[0][0].startswith(f"Household {household}: ")
