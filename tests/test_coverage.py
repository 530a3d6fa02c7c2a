"""The coverage audit on both backends: exactly the planted gaps on the sample, a planted
violation for every check that the sample passes, thresholds, scopes, and the GraphQL field
(summary, pages of findings, grid paths, drill-down, round trips, the caller's scope)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from graph_api.audit.engine import AuditScope, exceeded, parse_limits, parse_thresholds, resolve_scope, run_audit
from graph_api.domain.coverage import CHECK_NAMES, CHECKS, CheckError, add_months, check_input
from graph_api.domain.dataset import read_sample
from graph_api.domain.graphdata import GraphData
from graph_api.store.base import EVERYTHING, GraphStore, Scope
from tests.backends import load_sample_into
from tests.conftest import BACKENDS, GraphQLRunner, open_backend

AS_OF = dt.date(2022, 6, 30)
STREET = "210905001"  # 新北街道
EXTRA = "210905001099"  # a community added by the tests, in 新北街道
SCOPE_KEYS = {"streetId": STREET, "communityId": EXTRA}


def planted() -> set[tuple[str, str]]:
    return {(g["check"], g["id"]) for g in read_sample().meta["plantedGaps"]}


def found(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["name"], f["id"]) for c in result["checks"] for f in c["findings"]}


def extras() -> tuple[GraphData, set[tuple[str, str]]]:
    """A community of violations of the checks the sample passes, and what the audit must find."""
    d = GraphData()

    def node(kind_name: str, id_: str, /, **props: Any) -> None:
        d.nodes.append((kind_name, id_, {**SCOPE_KEYS, **props}))

    def edge(a: str, ai: str, rel: str, b: str, bi: str) -> None:
        d.edges.append((a, ai, rel, b, bi))

    # a community with a small service centre and no grid leader
    node("Community", EXTRA, code=EXTRA, name="测试社区", level="COMMUNITY", officeAreaSqm=420, serviceCenterAreaSqm=300)
    edge("Community", EXTRA, "PART_OF", "Street", STREET)
    area, cx, bld = EXTRA + "01", EXTRA + "0101", EXTRA + "0101001"
    node("Area", area, code=area, name="测试第一片区", level="AREA")
    edge("Area", area, "PART_OF", "Community", EXTRA)
    node("Complex", cx, code=cx, name="测试小区", level="COMPLEX")
    edge("Complex", cx, "PART_OF", "Area", area)
    node("Building", bld, code=bld, name="测试小区1号楼", level="BUILDING")
    edge("Building", bld, "PART_OF", "Complex", cx)
    units = [bld + "01", bld + "02"]
    for i, u in enumerate(units, start=1):
        node("StairwellUnit", u, code=u, name=f"测试小区1号楼{i}单元", level="STAIRWELL_UNIT")
        edge("StairwellUnit", u, "PART_OF", "Building", bld)
    # a grid group covers unit 1 only: unit 2 is the finding, not the building
    node("PartyOrg", "POTEST-G1", name="测试1单元网格党小组", kind="GRID_GROUP")
    edge("PartyOrg", "POTEST-G1", "COVERS", "StairwellUnit", units[0])
    # an area with no parent, and a complex whose code is not derived from its parent's
    node("Area", EXTRA + "02", code=EXTRA + "02", name="测试孤立片区", level="AREA")
    node("Complex", "210905001099019", code="210905001099019", name="测试错码小区", level="COMPLEX")
    edge("Complex", "210905001099019", "PART_OF", "Area", area)
    # a branch of two members
    node("PartyOrg", "POTEST-B1", name="测试支部", kind="BRANCH", hasBranchCommittee=False)
    # one member helping 1 household, another 21
    for m in ("MTEST1", "MTEST2"):
        node("Member", m, name=f"测试{m}", birthDate=dt.date(1980, 1, 1), category="RETIRED", lastContactDate=AS_OF)
    edge("Member", "MTEST1", "MEMBER_OF", "PartyOrg", "POTEST-B1")
    edge("Member", "MTEST2", "MEMBER_OF", "PartyOrg", "POTEST-B1")
    for i in range(22):
        hid = f"{units[1]}-{101 + i}"
        node("Household", hid, room=str(101 + i), occupancy="RESIDENT")
        edge("Household", hid, "IN_UNIT", "StairwellUnit", units[1])
        pid = f"PRTEST{i:02d}"
        node("Pairing", pid, kind="ELDERLY", since=dt.date(2022, 1, 1), lastVisitDate=AS_OF, status="ACTIVE")
        edge("Pairing", pid, "BY_MEMBER", "Member", "MTEST1" if i == 0 else "MTEST2")
        edge("Pairing", pid, "FOR_HOUSEHOLD", "Household", hid)
    # a pairing never visited since it began, for a household MTEST1 already helps (still one household)
    node("Pairing", "PRTEST-NV", kind="STUDY", since=dt.date(2022, 1, 1), status="ACTIVE")
    edge("Pairing", "PRTEST-NV", "BY_MEMBER", "Member", "MTEST1")
    edge("Pairing", "PRTEST-NV", "FOR_HOUSEHOLD", "Household", f"{units[1]}-101")
    expected = {
        ("pairing_past_visit_deadline", "PRTEST-NV"),
        ("community_without_service_center", EXTRA),
        ("grid_without_leader", EXTRA), ("grid_without_leader", area), ("grid_without_leader", cx),
        ("grid_without_leader", EXTRA + "02"), ("grid_without_leader", "210905001099019"),
        ("grid_without_worker", area), ("grid_without_worker", cx), ("grid_without_worker", EXTRA + "02"),
        ("grid_without_worker", "210905001099019"),
        ("stairwell_without_party_group", units[1]),
        ("building_without_member", bld),
        ("grid_hierarchy_broken", EXTRA + "02"), ("grid_hierarchy_broken", "210905001099019"),
        ("branch_size_out_of_range", "POTEST-B1"),
        ("member_under_household_load", "MTEST1"), ("member_over_household_cap", "MTEST2"),
    }
    return d, expected


@pytest.fixture(scope="module", params=BACKENDS)
async def audited(request: pytest.FixtureRequest, settings, tmp_path_factory) -> AsyncIterator[GraphStore]:
    """The sample plus the extra community of violations."""
    store = await open_backend(request.param, settings, tmp_path_factory.mktemp(f"coverage-{request.param}"))
    await load_sample_into(store)
    await store.load(extras()[0])
    yield store
    await load_sample_into(store)  # leave Neo4j as the other modules expect it
    await store.close()


# --- the sample -------------------------------------------------------------------------------------

async def test_the_sample_has_exactly_the_planted_gaps(store: GraphStore) -> None:
    result = await run_audit(store, EVERYTHING)
    assert result["asOf"] == AS_OF.isoformat()
    assert found(result) == planted()
    assert result["summary"]["findings"] == len(planted())
    assert {c["name"] for c in result["checks"]} == set(CHECK_NAMES)
    for c in result["checks"]:
        assert c["population"] >= c["count"]
        for f in c["findings"]:
            assert f["reason"]["zh"] and f["reason"]["en"] and "?" not in f["reason"]["zh"], f


async def test_every_check_is_covered_by_the_sample_or_the_extras() -> None:
    checks_with_findings = {c for c, _ in planted()} | {c for c, _ in extras()[1]}
    assert checks_with_findings == set(CHECK_NAMES)


async def test_findings_explain_themselves(store: GraphStore) -> None:
    result = await run_audit(store, EVERYTHING)
    by_name = {c["name"]: c for c in result["checks"]}
    building = by_name["building_without_party_group"]["findings"][0]
    assert [s["kind"] for s in building["path"]] == ["Building", "Complex", "Area", "Community"]
    assert building["path"][0]["id"] == building["id"]
    assert building["communityName"] == building["path"][-1]["name"]
    household = by_name["needy_household_without_helper"]["findings"][0]
    assert [s["kind"] for s in household["path"]] == ["StairwellUnit", "Building", "Complex", "Area", "Community"]
    assert "phone" not in household["facts"] and "careCategories" not in household["facts"]
    late = by_name["pairing_past_visit_deadline"]["findings"]
    assert all(f["facts"]["daysOver"] > 0 for f in late)
    assert {f["facts"]["riskTier"] for f in late} == {"HIGH", "KEY"}
    need = by_name["open_need_overdue"]["findings"][0]
    assert need["facts"]["daysOpen"] > 60 and "天未认领" in need["reason"]["zh"]
    branch = by_name["branch_without_committee"]["findings"][0]
    assert branch["facts"]["members"] >= 7 and branch["path"][-1]["kind"] == "Community"


async def test_thresholds_change_the_findings(store: GraphStore) -> None:
    loose = await run_audit(store, EVERYTHING, checks=["open_need_overdue", "member_out_of_contact"],
                            thresholds={"open_need_overdue": {"days": 400}, "member_out_of_contact": {"months": 12}})
    assert loose["summary"]["findings"] == 0
    strict = await run_audit(store, EVERYTHING, checks=["grid_without_leader", "needy_household_without_helper"],
                             thresholds={"grid_without_leader": {"levels": ["BUILDING"]},
                                         "needy_household_without_helper": {"categories": ["ELDERLY_ALONE"]}})
    by_name = {c["name"]: c for c in strict["checks"]}
    assert by_name["grid_without_leader"]["population"] == 195
    assert 0 < by_name["grid_without_leader"]["count"] < 195
    assert {f["kind"] for f in by_name["grid_without_leader"]["findings"]} == {"Building"}
    assert by_name["needy_household_without_helper"]["count"] > 0
    later = await run_audit(store, EVERYTHING, checks=["open_need_overdue"], as_of=dt.date(2023, 6, 30))
    assert later["checks"][0]["count"] > 2  # a year on, every open need is overdue


async def test_scopes_limit_what_is_looked_at(store: GraphStore) -> None:
    everything = await run_audit(store, EVERYTHING)
    street = await run_audit(store, await resolve_scope(store, AuditScope(street=STREET)))
    district = await run_audit(store, await resolve_scope(store, AuditScope(district="210905")))
    assert found(district) == found(everything)
    assert found(street) and found(street) < found(everything)
    assert all(f["streetId"] == STREET for c in street["checks"] for f in c["findings"])
    assert all(c["streetId"] == STREET for c in street["communities"])
    community = "210905002003"  # 西园社区: a needy household, an area without a leader
    one = await run_audit(store, await resolve_scope(store, AuditScope(community=community)))
    assert found(one) == {(c, i) for c, i in found(everything)
                          if any(f["id"] == i and f["communityId"] == community
                                 for ch in everything["checks"] for f in ch["findings"])}
    assert [c["id"] for c in one["communities"]] == [community]
    # a caller confined to one community sees nothing of another, whatever it asks for
    confined = Scope(community_ids=frozenset({community}))
    other = await run_audit(store, await resolve_scope(store, AuditScope(community="210905001003"), confined))
    assert other["summary"]["findings"] == 0 and other["communities"] == []
    assert all(c["population"] == 0 for c in other["checks"])
    with pytest.raises(CheckError):
        await resolve_scope(store, AuditScope(district="999999"))


# --- violations of every other check ------------------------------------------------------------------

async def test_the_extras_are_found_and_nothing_else(audited: GraphStore) -> None:
    data, expected = extras()
    result = await run_audit(audited, EVERYTHING)
    assert found(result) == planted() | expected
    hierarchy = {f["id"]: f["facts"] for c in result["checks"] if c["name"] == "grid_hierarchy_broken"
                 for f in c["findings"]}
    assert hierarchy == {EXTRA + "02": {"level": "AREA", "problems": ["NO_PARENT"], "parents": 0},
                         "210905001099019": {"level": "COMPLEX", "problems": ["CODE_NOT_DERIVED"], "parents": 1}}
    loads = {f["id"]: f["facts"]["households"] for c in result["checks"] for f in c["findings"]
             if c["name"] in ("member_under_household_load", "member_over_household_cap")}
    assert loads == {"MTEST1": 1, "MTEST2": 21}
    never = next(f for c in result["checks"] if c["name"] == "pairing_past_visit_deadline" for f in c["findings"]
                 if f["id"] == "PRTEST-NV")
    assert never["facts"]["lastVisitDate"] is None and never["facts"]["since"] == "2022-01-01"
    assert "从未走访" in never["reason"]["zh"] and never["facts"]["daysOver"] == 180 - 92
    extra_community = next(c for c in result["communities"] if c["id"] == EXTRA)
    assert extra_community["totals"]["buildingsUncovered"] == 1  # partly covered counts as not covered
    assert extra_community["checks"]["building_without_party_group"]["count"] == 0
    unit = next(f for c in result["checks"] if c["name"] == "stairwell_without_party_group" for f in c["findings"])
    assert unit["facts"] == {"building": EXTRA + "0101001", "coveredSiblings": 1}
    assert [s["name"] for s in unit["path"]] == ["测试小区1号楼2单元", "测试小区1号楼", "测试小区", "测试第一片区", "测试社区"]
    # the unit covered, the building is whole again and nothing is said about it
    await audited.load(GraphData(edges=[("PartyOrg", "POTEST-G1", "COVERS", "StairwellUnit", EXTRA + "010100102")]))
    covered = await run_audit(audited, EVERYTHING, checks=["stairwell_without_party_group", "building_without_party_group"])
    assert found(covered) == {p for p in planted() if p[0] == "building_without_party_group"}


# --- helpers of the command line ------------------------------------------------------------------------

def test_limits_and_thresholds_parse_with_clear_errors() -> None:
    assert parse_limits(["*=3", "open_need_overdue=0"]) == {"*": 3, "open_need_overdue": 0}
    assert parse_thresholds(["open_need_overdue.days=30", "grid_without_leader.levels=AREA,COMPLEX"]) == {
        "open_need_overdue": {"days": 30}, "grid_without_leader": {"levels": ["AREA", "COMPLEX"]}}
    for bad in (["nope=1"], ["open_need_overdue=-1"], ["open_need_overdue=x"], ["open_need_overdue"]):
        with pytest.raises(CheckError):
            parse_limits(bad)
    for bad in (["open_need_overdue.days=x"], ["nope.days=1"], ["open_need_overdue=1"]):
        with pytest.raises(CheckError):
            parse_thresholds(bad)
    with pytest.raises(CheckError, match="no threshold"):
        check_input("open_need_overdue", AS_OF, {"weeks": 3})
    with pytest.raises(CheckError, match="non-empty list"):
        check_input("grid_without_leader", AS_OF, {"levels": ["TOWER"]})
    with pytest.raises(CheckError, match="whole number"):
        check_input("open_need_overdue", AS_OF, {"days": -2})
    for name, values in (("member_under_household_load", {"exemptAge": 3000}), ("open_need_overdue", {"days": 10**6}),
                         ("needy_household_without_helper", {"categories": ["NEEDY"]}),
                         ("building_without_party_group", {"coveringKinds": ["GRID_GRUOP"]}),
                         ("branch_size_out_of_range", {"minMembers": 9, "maxMembers": 3})):
        with pytest.raises(CheckError):
            check_input(name, AS_OF, values)
    for name in ("member_out_of_contact", "open_need_overdue", "member_under_household_load"):
        with pytest.raises(CheckError, match="out of range"):
            check_input(name, dt.date(1, 1, 1))
    result = {"checks": [{"name": "a", "count": 2}, {"name": "b", "count": 0}]}
    assert exceeded(result, {}) == [{"check": "a", "count": 2, "limit": 0}]
    assert exceeded(result, {"*": 5}) == []
    assert exceeded(result, {"*": 5, "b": 0, "a": 1}) == [{"check": "a", "count": 2, "limit": 1}]


def test_months_are_calendar_months_clamped_like_cypher() -> None:
    assert add_months(AS_OF, -6) == dt.date(2021, 12, 30)
    assert add_months(dt.date(2022, 8, 31), -6) == dt.date(2022, 2, 28)
    assert add_months(dt.date(2024, 2, 29), -12) == dt.date(2023, 2, 28)
    assert add_months(dt.date(2022, 1, 15), 13) == dt.date(2023, 2, 15)


def test_every_check_has_its_rule_and_thresholds_described() -> None:
    for c in CHECKS:
        assert 1 <= c.question <= 11 and c.zh and c.en and c.rule_zh and c.rule_en
        for t in c.thresholds:
            assert t.zh and t.en
    assert {c.question for c in CHECKS} == set(range(1, 12))


# --- GraphQL -----------------------------------------------------------------------------------------------

COVERAGE = """
query Coverage($scope: CoverageScopeInput, $first: Int, $after: String) {
  coverage(scope: $scope) {
    asOf totalFindings checksWithFindings
    checks { name question title population count shareCovered }
    communities { communityKey name buildings buildingsUncovered needyHouseholds needyUnhelped findings }
    check(name: BUILDING_WITHOUT_PARTY_GROUP) {
      findings(first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { key kind label communityName reason reasonEn facts path { kind key name }
                record { ... on Building { key name parent { key name } } } }
      }
    }
  }
}"""


async def test_graphql_coverage_summary_pages_and_paths(gql: GraphQLRunner) -> None:
    data = (await gql(COVERAGE, {"first": 1}))["coverage"]
    assert data["asOf"] == AS_OF.isoformat()
    assert data["totalFindings"] == len(planted())
    counts = {c["name"]: c["count"] for c in data["checks"]}
    assert counts == {name.upper(): sum(1 for c, _ in planted() if c == name) for name in CHECK_NAMES}
    assert len(data["communities"]) == 13
    assert sum(c["buildingsUncovered"] for c in data["communities"]) == 2
    assert sum(c["buildings"] for c in data["communities"]) == 195
    page = data["check"]["findings"]
    assert page["totalCount"] == 2 and page["pageInfo"]["hasNextPage"]
    first = page["nodes"][0]
    assert [s["kind"] for s in first["path"]] == ["Building", "Complex", "Area", "Community"]
    assert first["record"]["key"] == first["key"] and first["record"]["parent"]["key"] == first["path"][1]["key"]
    assert first["facts"]["units"] >= 2 and "网格党小组" in first["reason"]
    second = (await gql(COVERAGE, {"first": 1, "after": page["pageInfo"]["endCursor"]}))["coverage"]["check"]["findings"]
    assert not second["pageInfo"]["hasNextPage"] and second["nodes"][0]["key"] != first["key"]


async def test_graphql_round_trips_do_not_grow_with_the_page(gql: GraphQLRunner) -> None:
    await gql(COVERAGE, {"first": 1})
    one = gql.round_trips
    await gql(COVERAGE, {"first": 50})
    assert gql.round_trips == one
    # 21 checks, the as-of date, the communities, the grid paths, then records and parents by kind
    assert one == len(CHECK_NAMES) + 3 + 2


async def test_graphql_caller_scope_is_enforced_in_the_store(gql: GraphQLRunner) -> None:
    community = "210905002003"
    confined = Scope(community_ids=frozenset({community}))
    data = (await gql(COVERAGE, {"first": 50}, scope=confined))["coverage"]
    assert [c["communityKey"] for c in data["communities"]] == [community]
    alone = await run_audit(gql.store, confined)
    assert data["totalFindings"] == alone["summary"]["findings"] == 2  # a needy household, an area without a leader
    assert {(c["name"], f["id"]) for c in alone["checks"] for f in c["findings"]} <= planted()
    asked_other = (await gql(COVERAGE, {"scope": {"communityKey": "210905001005"}}, scope=confined))["coverage"]
    assert asked_other["totalFindings"] == 0 and asked_other["communities"] == []


async def test_graphql_runs_at_most_two_audits_per_request(gql: GraphQLRunner) -> None:
    two = await gql("{ a: coverage(checks: [OPEN_NEED_OVERDUE]) { totalFindings } "
                    "b: coverage(checks: [MEMBER_OUT_OF_CONTACT]) { totalFindings } }")
    assert two == {"a": {"totalFindings": 2}, "b": {"totalFindings": 2}}
    three = await gql("{ a: coverage { totalFindings } b: coverage { totalFindings } c: coverage { totalFindings } }",
                      expect_errors=True)
    assert "at most 2 coverage audits" in three.errors[0].message


async def test_the_default_as_of_date_is_that_of_the_districts_in_scope(tmp_path) -> None:
    from graph_api.store.embedded.store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "graph.sqlite3")
    data = GraphData()
    for district, street, day in (("100001", "100001001", dt.date(2022, 6, 30)), ("100002", "100002001", dt.date(2023, 3, 31))):
        data.nodes.append(("District", district, {"name": f"区{district}", "code": district, "asOfDate": day}))
        data.nodes.append(("Street", street, {"name": f"街道{street}", "code": street}))
        data.edges.append(("Street", street, "PART_OF", "District", district))
        community = street + "001"
        data.nodes.append(("Community", community, {"name": f"社区{community}", "code": community, "level": "COMMUNITY",
                                                    "streetId": street, "communityId": community}))
        data.edges.append(("Community", community, "PART_OF", "Street", street))
    await store.load(data)
    try:
        second = await run_audit(store, await resolve_scope(store, AuditScope(street="100002001")))
        assert second["asOf"] == "2023-03-31"
        first = await run_audit(store, await resolve_scope(store, AuditScope(community="100001001001")))
        assert first["asOf"] == "2022-06-30"
        with pytest.raises(CheckError, match="different as-of dates"):
            await run_audit(store, EVERYTHING)
        assert (await run_audit(store, EVERYTHING, as_of=dt.date(2023, 1, 1)))["asOf"] == "2023-01-01"
        with pytest.raises(CheckError, match="no threshold"):  # thresholds of checks not run are checked too
            await run_audit(store, EVERYTHING, as_of=AS_OF, checks=["open_need_overdue"],
                            thresholds={"member_out_of_contact": {"weeks": 2}})
    finally:
        await store.close()


async def test_graphql_bad_requests_are_explained(gql: GraphQLRunner) -> None:
    bad = await gql('{ coverage(thresholds: [{check: OPEN_NEED_OVERDUE, name: "weeks", value: 2}]) { totalFindings } }',
                    expect_errors=True)
    assert "weeks" in bad.errors[0].message
    bad = await gql('{ coverage(scope: {districtKey: "999999"}) { totalFindings } }', expect_errors=True)
    assert "999999" in bad.errors[0].message
    fine = await gql('{ coverage(checks: [OPEN_NEED_OVERDUE], thresholds: [{check: OPEN_NEED_OVERDUE, name: "days", '
                     'value: 400}]) { totalFindings checks { name thresholds } } }')
    assert fine["coverage"]["totalFindings"] == 0
    assert fine["coverage"]["checks"] == [{"name": "OPEN_NEED_OVERDUE", "thresholds": {"days": 400}}]
    catalogue = await gql("{ coverageChecks { name question thresholds { name default } } }")
    assert len(catalogue["coverageChecks"]) == len(CHECK_NAMES)


async def test_the_example_operations_run(gql: GraphQLRunner) -> None:
    from graph_api.resources import data_path

    audit = (await gql(data_path("queries/examples/CoverageAudit.graphql").read_text(encoding="utf-8")))["coverage"]
    assert audit["totalFindings"] > 0 and len(audit["checks"]) == len(CHECK_NAMES)
    assert 0 < len(audit["communities"]) < 13  # one street of the two
    gaps = (await gql(data_path("queries/examples/CoverageGaps.graphql").read_text(encoding="utf-8")))["coverage"]
    nodes = gaps["check"]["findings"]["nodes"]
    assert len(nodes) == 2 and all(n["record"]["units"] for n in nodes)
    assert all(not u["coveringOrgs"] for n in nodes for u in n["record"]["units"])
