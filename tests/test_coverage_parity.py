"""Parity of the coverage checks: the Neo4j queries (queries/cypher/coverage/) and the embedded
twins (graph_api/store/embedded/coverage.py) return the same ``CheckOutput`` (findings with
their facts, and the population per community) and the same grid paths.

The data: the sample, under several scopes, non-default thresholds and reference dates; random
model-valid graphs from tests/strategies.py (missing properties and values), all 21 checks with
drawn scopes, thresholds and reference dates; a hand-made graph of shapes those never make
(broken grid trees, an id shared by two grid kinds, several parents, homes and units); and the
generated tier S (29,000 records).

Like test_differential.py, the tests are synchronous and run the coroutines on an event loop of
their own, and the module wipes the shared Neo4j, reloading the sample when it ends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_api.domain import enums as e
from graph_api.domain.coverage import CHECK_BY_NAME, CHECK_NAMES, LEVEL_KIND, CheckInput, CheckOutput, check_input
from graph_api.domain.dataset import read_sample
from graph_api.domain.model import GRID_KINDS
from graph_api.settings import Settings
from graph_api.store.base import EVERYTHING, GraphData, GraphStore, Scope
from tests import strategies as s
from tests.backends import Backends, both_backends
from tests.test_differential import DIFF_SETTINGS, differences

#: random graphs per run (about 1 s each); COVERAGE_EXAMPLES=300 for a deeper run
EXAMPLES = int(os.environ.get("COVERAGE_EXAMPLES", "20"))
AS_OF = dt.date(2022, 6, 30)  # the sample's and the generated tiers' reference date
STREET = Scope(street_ids=frozenset({"210905001"}))
COMMUNITY = Scope(community_ids=frozenset({"210905002003"}))
SAMPLE_SCOPES = {"everything": EVERYTHING, "street": STREET, "community": COMMUNITY}

#: thresholds other than the defaults, per check (each set is asked under every sample scope)
OTHER_THRESHOLDS: dict[str, list[dict[str, Any]]] = {
    "building_without_party_group": [{"coveringKinds": ["GRID_GROUP", "BRANCH"]}, {"coveringKinds": ["BRANCH"]},
                                     {"coveringKinds": ["UNIT_ORG"]}],
    "stairwell_without_party_group": [{"coveringKinds": ["GRID_GROUP", "BRANCH"]}, {"coveringKinds": ["BRANCH"]}],
    "grid_without_leader": [{"levels": ["BUILDING", "STAIRWELL_UNIT"]}, {"levels": list(LEVEL_KIND)}],
    "grid_without_worker": [{"levels": ["COMMUNITY", "BUILDING", "STAIRWELL_UNIT"]}, {"levels": ["STAIRWELL_UNIT"]}],
    "needy_household_without_helper": [{"categories": ["NEEDY_FAMILY", "ELDERLY_ALONE"]},
                                       {"categories": ["STUDENT_AID", "DISABLED", "MINIMUM_LIVELIHOOD"]}],
    "pairing_past_visit_deadline": [{"highDays": 3, "keyDays": 10, "generalDays": 30},
                                    {"highDays": 0, "keyDays": 400, "generalDays": 1}],
    "member_under_household_load": [{"minHouseholds": 2, "exemptAge": 60}, {"minHouseholds": 30, "exemptAge": 0}],
    "member_over_household_cap": [{"maxHouseholds": 1}, {"maxHouseholds": 0}],
    "reported_member_inactive": [{"days": 30}, {"days": 3000}],
    "open_need_overdue": [{"days": 10}, {"days": 0}],
    "project_capacity_unused": [{"days": 10}, {"days": 0}],
    "branch_without_committee": [{"committeeFrom": 3}, {"committeeFrom": 0}],
    "branch_size_out_of_range": [{"minMembers": 5, "maxMembers": 10}, {"minMembers": 0, "maxMembers": 0}],
    "member_out_of_contact": [{"months": 1}, {"months": 36}],
    "community_without_service_center": [{"minAreaSqm": 600}, {"minAreaSqm": 0}],
}
OTHER_DAYS = [dt.date(2023, 8, 15), dt.date(2021, 2, 28), dt.date(2024, 2, 29)]


# --- the two backends on one event loop ----------------------------------------------------------

@pytest.fixture(scope="module")
def backends(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    with both_backends(settings, Path(tmp_path_factory.mktemp("coverage-parity"))) as pair:
        yield pair


# --- comparing ------------------------------------------------------------------------------------

def _plain(out: CheckOutput) -> dict[str, Any]:
    return {"findings": out.findings, "population": out.population}


def assert_same_outputs(b: Backends, asked: list[tuple[CheckInput, Scope]]) -> dict[str, list[CheckOutput]]:
    """Every (check, scope) asked of both stores; the Neo4j queries run eight at a time."""
    gate = asyncio.Semaphore(8)

    async def on_neo4j(ci: CheckInput, scope: Scope) -> CheckOutput:
        async with gate:
            return await b.neo4j.coverage_check(ci, scope)

    async def all_neo4j() -> list[CheckOutput]:
        return list(await asyncio.gather(*(on_neo4j(ci, scope) for ci, scope in asked)))

    neo = b.run(all_neo4j())
    emb = [b.run(b.embedded.coverage_check(ci, scope)) for ci, scope in asked]
    failures = []
    for (ci, scope), n, m in zip(asked, neo, emb):
        found = differences(_plain(n), _plain(m))
        if found:
            failures.append(f"{ci.check} {dict(ci.values)} as of {ci.as_of} in {scope}:\n    "
                            + "\n    ".join(found[:6]))
    assert not failures, f"{len(failures)} of {len(asked)} outputs differ:\n" + "\n".join(failures[:5])
    by_check: dict[str, list[CheckOutput]] = {}
    for (ci, _), n in zip(asked, neo):
        by_check.setdefault(ci.check, []).append(n)
    return by_check


def assert_same_paths(b: Backends, grid_ids: list[str], scopes: list[Scope]) -> None:
    for scope in scopes:
        neo = b.run(b.neo4j.grid_paths(grid_ids, scope))
        emb = b.run(b.embedded.grid_paths(grid_ids, scope))
        found = differences(neo, emb)
        assert not found, f"grid_paths in {scope}:\n    " + "\n    ".join(found[:6])


def grid_ids_of(chunks: list[GraphData]) -> list[str]:
    return sorted({i for chunk in chunks for k, i, _ in chunk.nodes if k in GRID_KINDS})


def finding_grids(outputs: dict[str, list[CheckOutput]]) -> list[str]:
    return sorted({f["gridId"] for outs in outputs.values() for out in outs for f in out.findings if f["gridId"]})


# --- the sample ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample() -> list[GraphData]:
    return [read_sample()]


@pytest.mark.parametrize("scope_name", list(SAMPLE_SCOPES))
def test_sample_defaults(backends: Backends, sample: list[GraphData], scope_name: str) -> None:
    backends.load("sample", sample)
    scope = SAMPLE_SCOPES[scope_name]
    outputs = assert_same_outputs(backends, [(check_input(name, AS_OF), scope) for name in CHECK_NAMES])
    assert sum(len(out.findings) for outs in outputs.values() for out in outs) > 0
    assert_same_paths(backends, finding_grids(outputs), [scope])


def test_sample_other_thresholds_and_dates(backends: Backends, sample: list[GraphData]) -> None:
    backends.load("sample", sample)
    asked = [(check_input(name, AS_OF, values), scope)
             for name, sets in OTHER_THRESHOLDS.items() for values in sets for scope in SAMPLE_SCOPES.values()]
    asked += [(check_input(name, day), scope)
              for name in CHECK_NAMES for day in OTHER_DAYS for scope in (EVERYTHING, STREET)]
    assert set(OTHER_THRESHOLDS) == {c.name for c in CHECK_BY_NAME.values() if c.thresholds}
    outputs = assert_same_outputs(backends, asked)
    everything_found = {f["id"] for outs in outputs.values() for out in outs for f in out.findings}
    assert len(everything_found) > 100


def test_sample_grid_paths(backends: Backends, sample: list[GraphData]) -> None:
    """Every grid of the sample (so most are outside a narrow scope), and ids that are no grid."""
    backends.load("sample", sample)
    ids = grid_ids_of(sample) + ["no-such-grid", "210905", "PO210905001001B1", "210905001"]
    scopes = [*SAMPLE_SCOPES.values(), Scope(community_ids=frozenset()),
              Scope(street_ids=frozenset({"210905001"}), community_ids=frozenset({"210905002003"}))]
    assert_same_paths(backends, ids, scopes)
    paths = backends.run(backends.neo4j.grid_paths(ids, COMMUNITY))
    assert paths and all(p[-1]["id"] == "210905002003" for p in paths.values())


# --- random graphs -----------------------------------------------------------------------------------

#: values a list threshold is drawn from (the thresholds accept only known names, at least one)
LIST_VALUES = {
    "coveringKinds": [k.value for k in e.OrgKind],
    "levels": list(LEVEL_KIND),
    "categories": [c.value for c in e.CareCategory],
}


def thresholds(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Drawn thresholds of a check: lists from LIST_VALUES, numbers from 0 to twice the default."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for t in CHECK_BY_NAME[name].thresholds:
        if isinstance(t.default, list):
            parts[t.name] = st.lists(st.sampled_from(LIST_VALUES[t.name]), min_size=1, max_size=4, unique=True)
        else:
            parts[t.name] = st.integers(0, 2 * t.default + 2)
    drawn = st.fixed_dictionaries(parts)
    if name == "branch_size_out_of_range":
        drawn = drawn.map(lambda d: {"minMembers": min(d.values()), "maxMembers": max(d.values())})
    return drawn


DAYS = st.one_of(st.sampled_from([AS_OF, dt.date(2020, 2, 29), dt.date(2021, 7, 1), dt.date(2023, 12, 31)]),
                 st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)))


@settings(max_examples=EXAMPLES, **DIFF_SETTINGS)
@given(data=s.datasets(), drawer=st.data())
def test_random_graphs(backends: Backends, data: GraphData, drawer: st.DataObject) -> None:
    backends.loaded = ""
    for store in (backends.neo4j, backends.embedded):
        backends.run(store.load(data, replace=True))
    asked: list[tuple[CheckInput, Scope]] = []
    for name in CHECK_NAMES:
        asked.append((check_input(name, AS_OF), EVERYTHING))
        scope = drawer.draw(s.scopes(data), label=f"{name} scope")
        values = drawer.draw(thresholds(name), label=f"{name} thresholds")
        asked.append((check_input(name, drawer.draw(DAYS, label=f"{name} as of"), values), scope))
    outputs = assert_same_outputs(backends, asked)
    grids = grid_ids_of([data])
    assert_same_paths(backends, sorted(set(grids + finding_grids(outputs) + ["no-such-grid"])),
                      [EVERYTHING, drawer.draw(s.scopes(data), label="paths scope")])


# --- shapes the random graphs do not make ----------------------------------------------------------------

def odd_shapes() -> GraphData:
    """Broken grid trees, repeated ids across kinds, several parents, homes, units and households,
    missing codes and scope keys: written as GraphData directly (no validation)."""
    d = GraphData()

    def node(kind_: str, id_: str, street: str | None = "S1", community: str | None = "C1", **props: Any) -> None:
        keys = {"streetId": street, "communityId": community}
        d.nodes.append((kind_, id_, {**{k: v for k, v in keys.items() if v is not None}, **props}))

    def edge(a: str, ai: str, rel: str, b: str, bi: str) -> None:
        d.edges.append((a, ai, rel, b, bi))

    d.nodes += [("Street", "S1", {"name": "一街", "code": "S1"}), ("Street", "S2", {"name": "二街", "code": "S2"})]
    for cid, street, parents in (("C1", "S1", ["S1"]), ("C2", "S1", ["S1", "S2"]), ("C3", "S2", ["S1"]),
                                 ("C4", None, [])):
        node("Community", cid, street, cid, code=cid, name=f"社区{cid}", level="COMMUNITY")
        for p in parents:
            edge("Community", cid, "PART_OF", "Street", p)
    grids = [  # kind, id, code, community, parents
        ("Area", "C101", "C101", "C1", ["C1"]), ("Area", "A-bad", "X01", "C2", ["C1"]),
        ("Area", "A-nocode", None, "C1", ["C1"]), ("Area", "A-two", "C102", "C1", ["C1", "C2"]),
        ("Area", "A-orphan", "C103", "C1", []), ("Area", "A-long", "C1044", "C1", ["C1"]),
        ("Area", "A-nokeys", "C105", None, ["C1"]),
        ("Complex", "C10101", "C10101", "C1", ["C101"]), ("Complex", "X", "C10102", "C2", ["C101"]),
        ("Building", "C10101001", "C10101001", "C1", ["C10101"]),
        ("Building", "C10101002", "C10101002", "C1", ["C10101"]),
        ("Building", "X-b", "C10101003", "C1", ["C10101", "X"]), ("Building", "X", "C10101004", "C1", ["C10101"]),
        ("StairwellUnit", "U1", "C1010100101", "C1", ["C10101001"]),
        ("StairwellUnit", "U2", "C1010100102", "C1", ["C10101001"]),
        ("StairwellUnit", "U3", "C1010100201", "C2", ["C10101002"]),
        ("StairwellUnit", "U4", "C1010100202", "C1", ["C10101002"]),
    ]
    for kind, gid, code, community, parents in grids:
        props = {"name": f"网格{gid}", "level": kind.upper()}
        if code is not None:
            props["code"] = code
        node(kind, gid, "S1", community, **props)
        for p in parents:
            edge(kind, gid, "PART_OF", {"Area": "Community", "Complex": "Area", "Building": "Complex",
                                        "StairwellUnit": "Building"}[kind], p)
    edge("Building", "C10101002", "PART_OF", "Area", "C101")  # a second parent, of the wrong level
    node("PartyOrg", "G1", kind="GRID_GROUP", name="小组1")
    edge("PartyOrg", "G1", "COVERS", "StairwellUnit", "U1")
    node("PartyOrg", "G2", kind="BRANCH", name="支部")
    edge("PartyOrg", "G2", "COVERS", "Area", "C101")
    node("PartyOrg", "G3", kind="GRID_GROUP", name="小组3")
    edge("PartyOrg", "G3", "COVERS", "StairwellUnit", "U3")
    for hid, units in (("H1", ["U2", "U1"]), ("H2", ["U4"]), ("H3", [])):
        node("Household", hid, room="101", careCategories=["NEEDY_FAMILY", "ELDERLY_ALONE"], riskTier="HIGH")
        for u in units:
            edge("Household", hid, "IN_UNIT", "StairwellUnit", u)
    for mid, homes in (("M1", ["H2", "H1"]), ("M2", ["H3"]), ("M3", [])):
        node("Member", mid, name=f"党员{mid}", category="EMPLOYED")
        for h in homes:
            edge("Member", mid, "LIVES_IN", "Household", h)
    edge("Member", "M1", "LEADS_GRID", "Area", "C101")
    node("Pairing", "P1", status="ACTIVE", since=dt.date(2020, 1, 1))
    edge("Pairing", "P1", "FOR_HOUSEHOLD", "Household", "H2")
    edge("Pairing", "P1", "FOR_HOUSEHOLD", "Household", "H1")
    edge("Pairing", "P1", "BY_MEMBER", "Member", "M2")
    edge("Pairing", "P1", "BY_MEMBER", "Member", "M1")
    node("Pairing", "P2", status="ACTIVE")
    edge("Pairing", "P2", "BY_MEMBER", "Member", "M1")
    node("Need", "N1", title="需求1", status="OPEN", openedDate=dt.date(2020, 1, 1))
    edge("Need", "N1", "RAISED_IN", "StairwellUnit", "U2")
    edge("Need", "N1", "RAISED_IN", "Building", "C10101001")
    node("Need", "N2", title="需求2", status="OPEN", openedDate=dt.date(2020, 1, 1))
    edge("Need", "N2", "RAISED_BY", "Household", "H1")
    node("Project", "J1", title="项目", status="CLAIMED", plannedCapacity=3, claimedDate=dt.date(2020, 1, 1))
    edge("Project", "J1", "LOCATED_IN", "Complex", "X")
    edge("Project", "J1", "LOCATED_IN", "Area", "C101")
    return d


def test_odd_shapes(backends: Backends) -> None:
    data = odd_shapes()
    backends.load("odd shapes", [data])
    overrides: list[dict[str, dict[str, Any]]] = [{}, {
        "grid_without_leader": {"levels": ["AREA", "AREA", "STAIRWELL_UNIT"]},
        "building_without_party_group": {"coveringKinds": ["GRID_GROUP", "BRANCH"]},
        "stairwell_without_party_group": {"coveringKinds": ["GRID_GROUP", "BRANCH"]},
        "needy_household_without_helper": {"categories": ["ORPHAN"]}}]
    scopes = [EVERYTHING, Scope(community_ids=frozenset({"C1"})), Scope(street_ids=frozenset({"S2"}))]
    asked = [(check_input(name, AS_OF, o.get(name)), scope)
             for o in overrides for name in CHECK_NAMES for scope in scopes]
    outputs = assert_same_outputs(backends, asked)
    problems = {p for out in outputs["grid_hierarchy_broken"] for f in out.findings for p in f["facts"]["problems"]}
    assert problems == {"NO_PARENT", "MANY_PARENTS", "CODE_NOT_DERIVED", "SCOPE_MISMATCH"}
    assert outputs["stairwell_without_party_group"][0].findings
    assert_same_paths(backends, grid_ids_of([data]) + ["X", "X-b"], scopes)


# --- the generated tier S ------------------------------------------------------------------------------

def test_tier_s(backends: Backends, tier_s: list[GraphData]) -> None:
    backends.load("tier S", tier_s)
    communities = sorted(i for chunk in tier_s for k, i, _ in chunk.nodes if k == "Community")
    one = Scope(community_ids=frozenset(communities[-1:]))
    asked = [(check_input(name, AS_OF), scope) for name in CHECK_NAMES for scope in (EVERYTHING, one)]
    asked += [(check_input(name, AS_OF, values[0]), EVERYTHING) for name, values in OTHER_THRESHOLDS.items()]
    outputs = assert_same_outputs(backends, asked)
    found = {name for name, outs in outputs.items() if outs[0].findings}
    planted = {g["check"] for g in tier_s[0].meta["plantedGaps"]}
    assert planted <= found
    grids = finding_grids(outputs)
    assert_same_paths(backends, grids, [EVERYTHING, one])
