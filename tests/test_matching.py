"""Matching on the sample, on both backends: proposals for the needy households without a helper
and for the open needs, each explained; nothing written by proposing; accepting writes projects
and pairings once, refuses stale proposals whole, and a second run proposes nothing new.
Through the service, GraphQL and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from graph_api.domain.dataset import read_sample
from graph_api.domain.graphdata import GraphData
from graph_api.domain.matching import MatchOptions, parse_proposal_id
from graph_api.graphql.context import make_context
from graph_api.matching.service import StaleProposal, accept, pairing_id, project_id, propose, result_as_dict
from graph_api.store.base import EVERYTHING, GraphStore, Scope
from graph_api.store.embedded.store import EmbeddedStore
from tests.backends import load_sample_into
from tests.conftest import BACKENDS, open_backend

PROJECTS = MatchOptions(mode="projects")
PAIRINGS = MatchOptions(mode="pairings")


def planted_households() -> set[str]:
    return {g["id"] for g in read_sample().meta["plantedGaps"] if g["check"] == "needy_household_without_helper"}


def open_needs() -> set[str]:
    return {i for k, i, p in read_sample().nodes if k == "Need" and p.get("status") == "OPEN"}


@pytest.fixture(scope="module", params=BACKENDS)
async def matching_store(request: pytest.FixtureRequest, settings, tmp_path_factory) -> AsyncIterator[GraphStore]:
    store = await open_backend(request.param, settings, tmp_path_factory.mktemp(f"matching-{request.param}"))
    yield store
    await load_sample_into(store)  # leave Neo4j as the other modules expect it
    await store.close()


@pytest.fixture
async def fresh(matching_store: GraphStore) -> GraphStore:
    await load_sample_into(matching_store)
    return matching_store


async def counts(store: GraphStore) -> dict[str, int]:
    return await store.count_nodes()


async def test_proposals_cover_every_open_need_and_needy_household(fresh: GraphStore) -> None:
    before = await counts(fresh)
    projects = await propose(fresh, EVERYTHING, PROJECTS)
    pairings = await propose(fresh, EVERYTHING, PAIRINGS)
    assert await counts(fresh) == before  # proposing writes nothing
    assert {p.demand.id for p in pairings.proposals} == planted_households()
    assert not pairings.unmatched
    assert {p.demand.id for p in projects.proposals} | {u.demand.id for u in projects.unmatched} == open_needs()
    assert not {p.demand.id for p in projects.proposals} & {u.demand.id for u in projects.unmatched}
    assert projects.proposals, "the sample has open needs that its units and members can meet"
    for result in (projects, pairings):
        data = result_as_dict(result)
        for p in data["proposals"]:
            assert p["reason"]["zh"] and "成本" in p["reason"]["zh"] and p["cost"]["total"] == sum(
                v for k, v in p["cost"].items() if k != "total")
        for u in data["unmatched"]:
            assert u["reason"] in ("NO_RESOURCE_OF_CATEGORY", "BEYOND_DISTANCE_LIMIT", "CAPACITY_EXHAUSTED")
            assert u["explanation"]["zh"]
    # the two backends propose the same matches
    other = EmbeddedStore(Path(os.environ.get("TMPDIR", "/tmp")) / f"matching-ref-{os.getpid()}.sqlite3")
    try:
        await load_sample_into(other)
        for options, mine in ((PROJECTS, projects), (PAIRINGS, pairings)):
            ref = await propose(other, EVERYTHING, options)
            assert result_as_dict(ref) == result_as_dict(mine)
    finally:
        await other.close()
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{other.path}{suffix}").unlink(missing_ok=True)


async def test_accept_writes_once_and_a_second_run_proposes_nothing_new(fresh: GraphStore) -> None:
    projects = await propose(fresh, EVERYTHING, PROJECTS)
    pairings = await propose(fresh, EVERYTHING, PAIRINGS)
    ids = [p.id for p in projects.proposals + pairings.proposals]
    report = await accept(fresh, EVERYTHING, ids, MatchOptions())
    assert sorted(report.projects) == sorted(project_id(p.demand.id) for p in projects.proposals)
    assert sorted(report.pairings) == sorted(pairing_id(p.demand.id, p.supply.id) for p in pairings.proposals)
    needs = await fresh.get_nodes("Need", [p.demand.id for p in projects.proposals], EVERYTHING)
    assert {n["status"] for n in needs.values()} == {"MATCHED"}
    made = await fresh.get_nodes("Project", report.projects, EVERYTHING)
    assert len(made) == len(report.projects) and all(m["status"] == "CLAIMED" for m in made.values())
    for p in projects.proposals:
        if p.supply.kind == "Resource":
            used = sum(1 for q in projects.proposals if q.supply.id == p.supply.id)
            resource = (await fresh.get_nodes("Resource", [p.supply.id], EVERYTHING))[p.supply.id]
            original = next(r for k, i, r in read_sample().nodes if k == "Resource" and i == p.supply.id)
            assert resource["claimed"] == (original.get("claimed") or 0) + used
    snapshot = await counts(fresh)
    again = await accept(fresh, EVERYTHING, ids, MatchOptions())
    assert sorted(again.already) == sorted(ids) and not again.projects and not again.pairings
    assert await counts(fresh) == snapshot
    assert not (await propose(fresh, EVERYTHING, PAIRINGS)).proposals
    second = await propose(fresh, EVERYTHING, PROJECTS)
    assert not second.proposals  # what could be met is met; the rest stays unmatched, with its reason
    assert {u.demand.id for u in second.unmatched} == {u.demand.id for u in projects.unmatched}


async def test_a_stale_proposal_refuses_the_whole_request(fresh: GraphStore) -> None:
    projects = await propose(fresh, EVERYTHING, PROJECTS)
    pairings = await propose(fresh, EVERYTHING, PAIRINGS)
    first, rest = projects.proposals[0], projects.proposals[1:]
    # the need was met meanwhile, by someone else
    await fresh.load(GraphData(nodes=[("Need", first.demand.id, {"status": "MET"})]))
    before = await counts(fresh)
    with pytest.raises(StaleProposal, match=first.demand.id):
        await accept(fresh, EVERYTHING, [p.id for p in rest + [first] + pairings.proposals], MatchOptions())
    assert await counts(fresh) == before
    for p in rest:
        assert (await fresh.get_nodes("Need", [p.demand.id], EVERYTHING))[p.demand.id]["status"] == "OPEN"
    with pytest.raises(StaleProposal, match="not a proposal id"):
        await accept(fresh, EVERYTHING, ["nonsense"], MatchOptions())
    # a household outside the caller's scope cannot be paired by that caller
    household = pairings.proposals[0]
    elsewhere = Scope(community_ids=frozenset({"210905001001"}))
    assert household.demand.community_id != "210905001001"
    with pytest.raises(StaleProposal):
        await accept(fresh, elsewhere, [household.id], MatchOptions())


async def test_proposal_ids_name_what_they_match(fresh: GraphStore) -> None:
    for p in (await propose(fresh, EVERYTHING, PAIRINGS)).proposals:
        mode, demand, supply = parse_proposal_id(p.id)
        assert (mode, demand, supply) == ("pairings", ("Household", p.demand.id), ("Member", p.supply.id))


PROPOSE = """query($mode: MatchMode!) { proposeMatches(options: {mode: $mode}) {
  matched totalCost proposals { id demandKey supplyKey level totalCost reason demand { id } }
  unmatched { demandKey reason explanation } } }"""
ACCEPT = """mutation($ids: [String!]!) { acceptMatches(proposalIds: $ids) { projects pairings alreadyAccepted } }"""


async def test_graphql_propose_then_accept(fresh: GraphStore, schema, settings) -> None:
    async def run(query: str, variables: dict[str, Any]) -> Any:
        result = await schema.execute(query, variable_values=variables, context_value=make_context(fresh, settings))
        return result

    proposed = await run(PROPOSE, {"mode": "PAIRINGS"})
    assert not proposed.errors, proposed.errors
    data = proposed.data["proposeMatches"]
    assert {p["demandKey"] for p in data["proposals"]} == planted_households()
    assert all(p["demand"]["id"] == f"Household:{p['demandKey']}" for p in data["proposals"])
    ids = [p["id"] for p in data["proposals"]]
    accepted = await run(ACCEPT, {"ids": ids})
    assert not accepted.errors and len(accepted.data["acceptMatches"]["pairings"]) == len(ids)
    again = await run(ACCEPT, {"ids": ids})
    assert again.data["acceptMatches"] == {"projects": [], "pairings": [], "alreadyAccepted": ids}
    projects = (await run(PROPOSE, {"mode": "PROJECTS"})).data["proposeMatches"]["proposals"]
    await fresh.load(GraphData(nodes=[("Need", projects[0]["demandKey"], {"status": "MET"})]))
    stale = await run(ACCEPT, {"ids": [p["id"] for p in projects]})
    assert stale.errors and projects[0]["demandKey"] in stale.errors[0].message  # shown, not masked
    assert "Unexpected" not in stale.errors[0].message


def test_cli_match_accept_and_rerun(tmp_path: Path) -> None:
    env = {**os.environ, "GRAPH_API_STORE": "embedded", "GRAPH_API_DB": str(tmp_path / "graph.sqlite3")}
    cli = [sys.executable, "-m", "graph_api.cli"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], env=env, capture_output=True, text=True, timeout=300)

    assert run("load-sample").returncode == 0
    first = run("match", "--format", "json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["format"] == "graph-api-match/1" and doc["accepted"] is None
    modes = {m["mode"]: m for m in doc["modes"]}
    assert {p["demand"]["id"] for p in modes["pairings"]["proposals"]} == planted_households()
    assert modes["projects"]["proposals"] and all(p["reason"]["zh"] for p in modes["projects"]["proposals"])
    accepted = run("match", "--format", "json", "--accept")
    assert accepted.returncode == 0, accepted.stderr
    written = json.loads(accepted.stdout)["accepted"]
    assert len(written["pairings"]) == len(planted_households()) and written["projects"]
    rerun = json.loads(run("match", "--format", "json").stdout)
    assert all(not m["proposals"] for m in rerun["modes"])
    table = run("match")
    assert table.returncode == 0 and "结对帮扶" in table.stdout
    bad = run("match", "--mode", "everything")
    assert bad.returncode == 2


async def test_accept_refuses_doubles_and_old_records(fresh: GraphStore) -> None:
    pairings = await propose(fresh, EVERYTHING, PAIRINGS)
    first = pairings.proposals[0]
    other_member = next(s for s in (await fresh.matching_input(
        MatchOptions(mode="pairings", as_of=pairings.as_of), EVERYTHING)).supplies if s.id != first.supply.id)
    twice = f"pairings|Household:{first.demand.id}|Member:{other_member.id}"
    before = await counts(fresh)
    with pytest.raises(StaleProposal, match="more than one proposal"):
        await accept(fresh, EVERYTHING, [first.id, twice], MatchOptions())
    assert await counts(fresh) == before
    # an earlier pairing of the same two, ended since: its record is not overwritten
    old = pairing_id(first.demand.id, first.supply.id)
    await fresh.load(GraphData(nodes=[("Pairing", old, {"status": "ENDED", "kind": "POVERTY",
                                                        "streetId": first.demand.street_id,
                                                        "communityId": first.demand.community_id})],
                               edges=[("Pairing", old, "BY_MEMBER", "Member", first.supply.id),
                                      ("Pairing", old, "FOR_HOUSEHOLD", "Household", first.demand.id)]))
    with pytest.raises(StaleProposal, match="already exists"):
        await accept(fresh, EVERYTHING, [first.id], MatchOptions())
    # a project accepted with one resource does not make a proposal with another "already accepted"
    projects = await propose(fresh, EVERYTHING, PROJECTS)
    done = next(p for p in projects.proposals if p.supply.kind == "Resource")
    await accept(fresh, EVERYTHING, [done.id], MatchOptions())
    with pytest.raises(StaleProposal, match="no longer open"):
        await accept(fresh, EVERYTHING, [f"projects|Need:{done.demand.id}|Resource:NOT-{done.supply.id}"], MatchOptions())
    assert (await accept(fresh, EVERYTHING, [done.id], MatchOptions())).already == [done.id]


async def test_graphql_guards_of_matching(fresh: GraphStore, schema, settings) -> None:
    async def run(query: str, context_settings: Any = settings) -> Any:
        return await schema.execute(query, context_value=make_context(fresh, context_settings))

    three = await run("{ a: proposeMatches { matched } b: proposeMatches { matched } c: proposeMatches { matched } }")
    assert three.errors and "at most 2 matching runs" in three.errors[0].message
    unknown = await run('{ proposeMatches(scope: {communityKey: "999"}) { matched } }')
    assert unknown.errors and "999" in unknown.errors[0].message
    bad = await run("{ proposeMatches(options: {mode: PAIRINGS, minHouseholds: 9, maxHouseholds: 3}) { matched } }")
    assert bad.errors and "minHouseholds" in bad.errors[0].message
    read_only = await run('mutation { acceptMatches(proposalIds: []) { projects } }',
                          settings.model_copy(update={"graph_api_read_only": True}))
    assert read_only.errors and "read-only" in read_only.errors[0].message
