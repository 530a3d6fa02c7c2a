"""Authentication, scope, masks, mutations and the audit log through HTTP, on both backends.

The store is the real backend, loaded with the sample; mutations write to it (the module
reloads the sample before and after).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from graph_api.app import create_app
from graph_api.domain.access import mask_value
from graph_api.domain.dataset import read_sample
from graph_api.domain.model import KINDS
from graph_api.store.base import EVERYTHING, AuditQuery, GraphStore
from tests.conftest import BACKENDS, TEST_JWT_SECRET, bearer, writable_sample_store

COMMUNITY = "210905001001"  # 乌龙社区
OTHER_COMMUNITY = "210905002001"
STREET = "210905001"
AREA = "21090500100101"


@pytest.fixture(scope="module", params=BACKENDS)
async def sec_store(request: pytest.FixtureRequest, settings, tmp_path_factory) -> AsyncIterator[GraphStore]:
    async with writable_sample_store(request.param, settings, tmp_path_factory, "security") as store:
        yield store


@pytest.fixture
async def client(sec_store, settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, store=sec_store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


def headers(settings, role: str, scope: str, **kw: Any) -> dict[str, str]:
    return bearer(settings, role, scope, **kw)


async def gql(client: httpx.AsyncClient, hdrs: dict[str, str] | None, query: str,
              variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=hdrs or {})
    assert response.status_code == 200, response.text
    return response.json()


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body.get("errors")
    return body["data"]


SAMPLE = read_sample()


def sample_count(kind: str, community: str | None = None) -> int:
    return sum(1 for k, _, p in SAMPLE.nodes if k == kind and (community is None or p.get("communityId") == community))


# --- authentication -------------------------------------------------------------------------------

async def test_without_a_token_only_health_answers(client) -> None:
    for request in (client.post("/graphql", json={"query": "{ households(first: 1) { totalCount } }"}),
                    client.get("/graphql", params={"query": "{ __typename }"})):
        response = await request
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
        body = response.json()  # the shape GraphQL clients read: errors, no data
        assert "data" not in body and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "Bearer" in body["errors"][0]["message"]
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200


@pytest.mark.parametrize("tamper", ["signature", "payload", "alg-none", "audience", "issuer", "no-expiry", "garbage",
                                    "scheme", "role", "scope-kind"])
async def test_tampered_tokens_are_refused(client, settings, tamper: str) -> None:
    now = dt.datetime.now(dt.UTC)
    claims = {"iss": "graph-api", "aud": "graph-api", "sub": "x", "iat": int(now.timestamp()),
              "exp": int((now + dt.timedelta(hours=1)).timestamp()), "jti": "j1", "role": "COMMUNITY_STAFF",
              "scope": {"kind": "community", "ids": [COMMUNITY]}}
    good = jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")
    if tamper == "signature":
        token = jwt.encode(claims, "another-secret-that-is-long-enough-0123456789", algorithm="HS256")
    elif tamper == "payload":  # the same signature over a payload that widens the scope
        head, _, sig = good.split(".")
        forged = jwt.encode({**claims, "role": "DISTRICT_ADMIN", "scope": {"kind": "district", "ids": ["210905"]}},
                            TEST_JWT_SECRET, algorithm="HS256").split(".")[1]
        token = f"{head}.{forged}.{sig}"
    elif tamper == "alg-none":
        token = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    elif tamper == "audience":
        token = jwt.encode({**claims, "aud": "someone-else"}, TEST_JWT_SECRET, algorithm="HS256")
    elif tamper == "issuer":
        token = jwt.encode({**claims, "iss": "someone-else"}, TEST_JWT_SECRET, algorithm="HS256")
    elif tamper == "no-expiry":
        token = jwt.encode({k: v for k, v in claims.items() if k != "exp"}, TEST_JWT_SECRET, algorithm="HS256")
    elif tamper == "role":
        token = jwt.encode({**claims, "role": "SUPERUSER"}, TEST_JWT_SECRET, algorithm="HS256")
    elif tamper == "scope-kind":  # community staff claiming a district
        token = jwt.encode({**claims, "scope": {"kind": "district", "ids": ["210905"]}}, TEST_JWT_SECRET, algorithm="HS256")
    elif tamper == "scheme":
        response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Basic {good}"})
        assert response.status_code == 401
        return
    else:
        token = "not.a.token"
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, (tamper, response.text)
    # the untampered token works
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {good}"})
    assert response.status_code == 200


async def test_expired_and_revoked_tokens_are_refused(client, settings, sec_store) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    expired = headers(settings, "COMMUNITY_STAFF", f"community:{COMMUNITY}", hours=1, now=past)
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=expired)
    assert response.status_code == 401 and "expired" in response.text
    from graph_api.auth import TokenService
    from graph_api.domain.access import Role

    issued = TokenService(settings).create_jwt("revokee", Role.COMMUNITY_STAFF, "community", (COMMUNITY,))
    live = {"Authorization": f"Bearer {issued.token}"}
    assert (await client.post("/graphql", json={"query": "{ __typename }"}, headers=live)).status_code == 200
    await sec_store.revoke(issued.token_id, dt.datetime.now(dt.UTC))
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=live)
    assert response.status_code == 401 and "revoked" in response.text


async def test_api_keys_work_until_revoked_and_are_stored_hashed(client, settings, sec_store) -> None:
    from graph_api.auth import TokenService
    from graph_api.domain.access import Role

    tokens = TokenService(settings)
    issued = await tokens.create_api_key(sec_store, "nightly-audit", Role.AUDITOR, "community", (COMMUNITY,))
    key_id = issued.token_id
    stored = await sec_store.get_api_key(key_id)
    assert stored is not None and issued.token.split("_", 2)[2] not in str(stored)  # only a hash is kept
    auth = {"Authorization": f"Bearer {issued.token}"}
    body = ok(await gql(client, auth, "{ households { totalCount } }"))
    assert body["households"]["totalCount"] == sample_count("Household", COMMUNITY)
    wrong = {"Authorization": f"Bearer {issued.token[:-2]}xx"}
    assert (await client.post("/graphql", json={"query": "{ __typename }"}, headers=wrong)).status_code == 401
    unknown = {"Authorization": "Bearer gak_0000000000000000_secret"}
    assert (await client.post("/graphql", json={"query": "{ __typename }"}, headers=unknown)).status_code == 401
    await sec_store.revoke(key_id, dt.datetime.now(dt.UTC))
    assert (await client.post("/graphql", json={"query": "{ __typename }"}, headers=auth)).status_code == 401
    expired = await tokens.create_api_key(sec_store, "short", Role.AUDITOR, "community", (COMMUNITY,), days=-1)
    response = await client.post("/graphql", json={"query": "{ __typename }"},
                                 headers={"Authorization": f"Bearer {expired.token}"})
    assert response.status_code == 401 and "expired" in response.text


# --- scope: exactly one community --------------------------------------------------------------

async def test_community_staff_see_exactly_their_community(client, settings) -> None:
    auth = headers(settings, "COMMUNITY_STAFF", f"community:{COMMUNITY}")
    fields = " ".join(f"{k.list_field} {{ totalCount }}" for k in KINDS)
    data = ok(await gql(client, auth, f"{{ {fields} nodeCounts {{ kind count }} }}"))
    counts = {row["kind"]: row["count"] for row in data["nodeCounts"]}
    for k in KINDS:
        expected = sample_count(k.name, COMMUNITY) if k.scoped else sample_count(k.name)
        assert data[k.list_field]["totalCount"] == expected, k.name
        assert counts[k.name] == expected, k.name
    # nothing of another community, however it is asked for
    other = ok(await gql(client, auth, "query($c: String!) { households(scope: {communityKey: $c}) { totalCount } "
                                       "community(key: $c) { key } }", {"c": OTHER_COMMUNITY}))
    assert other == {"households": {"totalCount": 0}, "community": None}
    household = next(i for k, i, p in SAMPLE.nodes if k == "Household" and p.get("communityId") == OTHER_COMMUNITY)
    assert ok(await gql(client, auth, "query($id: ID!) { node(id: $id) { id } }",
                        {"id": f"Household:{household}"})) == {"node": None}


async def test_community_staff_coverage_report_is_their_community(client, settings) -> None:
    admin = ok(await gql(client, headers(settings, "DISTRICT_ADMIN", "district:210905"),
                         "{ coverage { totalFindings communities { communityKey findings } } }"))
    per_community = {c["communityKey"]: c["findings"] for c in admin["coverage"]["communities"]}
    assert len(per_community) == 13
    community = max(per_community, key=lambda c: (per_community[c], c))  # the one with most gaps
    auth = headers(settings, "COMMUNITY_STAFF", f"community:{community}")
    data = ok(await gql(client, auth, "{ coverage { totalFindings communities { communityKey } "
                                      "checks { name findings(first: 500) { nodes { communityKey } } } } }"))
    assert [c["communityKey"] for c in data["coverage"]["communities"]] == [community]
    seen = [n["communityKey"] for c in data["coverage"]["checks"] for n in c["findings"]["nodes"]]
    assert set(seen) == {community} and len(seen) == data["coverage"]["totalFindings"] == per_community[community] > 1


# --- masks ----------------------------------------------------------------------------------------

HOUSEHOLD_FIELDS = "key headName phone idNumber careCategories riskTier"


async def test_sensitive_fields_are_masked_by_role(client, settings) -> None:
    wanted = {i: p for k, i, p in SAMPLE.nodes if k == "Household" and p.get("communityId") == COMMUNITY}
    query = f"{{ households(first: 500, orderBy: [{{field: KEY}}]) {{ nodes {{ {HOUSEHOLD_FIELDS} }} }} }}"
    staff = ok(await gql(client, headers(settings, "COMMUNITY_STAFF", f"community:{COMMUNITY}"), query))
    admin = ok(await gql(client, headers(settings, "DISTRICT_ADMIN", "district:210905"), query.replace(
        "first: 500", f"first: 500, scope: {{communityKey: \"{COMMUNITY}\"}}")))
    assert len(staff["households"]["nodes"]) == len(wanted) == len(admin["households"]["nodes"])
    for full, masked in zip(staff["households"]["nodes"], admin["households"]["nodes"], strict=True):
        truth = wanted[full["key"]]
        assert full["phone"] == truth.get("phone") and full["idNumber"] == truth.get("idNumber")
        assert full["careCategories"] == (truth.get("careCategories") or None) or full["careCategories"] == truth.get("careCategories")
        assert masked["phone"] == mask_value("phone", truth.get("phone"))
        assert masked["headName"] == mask_value("name", truth.get("headName"))
        assert masked["idNumber"] is None and masked["careCategories"] is None and masked["riskTier"] is None
    assert any(n["phone"] and "****" in n["phone"] for n in admin["households"]["nodes"])
    # a hidden field cannot be filtered on either: that would reveal it
    body = await gql(client, headers(settings, "DISTRICT_ADMIN", "district:210905"),
                     "{ households(filter: {careCategories: {containsAny: [DISABLED]}}) { totalCount } }")
    assert body.get("errors") and "careCategories" in body["errors"][0]["message"]


async def test_reads_of_sensitive_fields_are_logged(client, settings, sec_store) -> None:
    auth = headers(settings, "COMMUNITY_STAFF", f"community:{COMMUNITY}", subject="reader-1")
    data = ok(await gql(client, auth, "query ReadPhones { households(first: 3, orderBy: [{field: KEY}]) "
                                      "{ nodes { key phone } } }"))
    keys = [n["key"] for n in data["households"]["nodes"]]
    page = await sec_store.audit_log(AuditQuery(actor="reader-1"), EVERYTHING, 0, 10)
    assert page.total == 1
    entry = page.records[0]
    assert entry["operation"] == "read:ReadPhones" and entry["kind"] == "Household"
    assert sorted(entry["recordIds"]) == sorted(keys) and entry["fields"] == ["phone"]
    # masked values are not sensitive reads; nor are queries without sensitive fields
    admin = headers(settings, "DISTRICT_ADMIN", "district:210905", subject="reader-2")
    ok(await gql(client, admin, "{ households(first: 3) { nodes { key phone room } } }"))
    ok(await gql(client, auth, "{ households(first: 3) { nodes { key room } } }"))
    assert (await sec_store.audit_log(AuditQuery(actor="reader-2"), EVERYTHING, 0, 10)).total == 0
    assert (await sec_store.audit_log(AuditQuery(actor="reader-1"), EVERYTHING, 0, 10)).total == 1


# --- mutations and the audit log --------------------------------------------------------------------

CREATE_HOUSEHOLD = """
mutation($key: String!, $input: HouseholdInput!) {
  createHousehold(key: $key, input: $input) { ok changed auditId errors { field code message } record { key phone room } }
}"""
UPDATE_HOUSEHOLD = """
mutation($key: String!, $input: HouseholdInput!) {
  updateHousehold(key: $key, input: $input) { ok changed auditId errors { field code message value } record { key phone floor } }
}"""


def a_unit(community: str) -> str:
    return next(i for k, i, p in SAMPLE.nodes if k == "StairwellUnit" and p.get("communityId") == community)


async def test_create_update_delete_are_logged_with_before_and_after(client, settings, sec_store) -> None:
    auth = headers(settings, "COMMUNITY_STAFF", f"community:{COMMUNITY}", subject="staff-a")
    unit = a_unit(COMMUNITY)
    key = f"{unit}-9901"
    made = ok(await gql(client, auth, CREATE_HOUSEHOLD, {"key": key, "input": {
        "room": "9901", "floor": 9, "unit": unit, "phone": "13912345678", "careCategories": ["ELDERLY_ALONE"]}}))
    result = made["createHousehold"]
    assert result["ok"] and result["errors"] == [] and result["record"]["phone"] == "13912345678"
    stored = (await sec_store.get_nodes("Household", [key], EVERYTHING))[key]
    assert stored["communityId"] == COMMUNITY and stored["streetId"] == STREET  # scope keys derived from the unit
    updated = ok(await gql(client, auth, UPDATE_HOUSEHOLD, {"key": key, "input": {"floor": 10, "phone": None}}))
    assert updated["updateHousehold"]["ok"] and updated["updateHousehold"]["record"]["floor"] == 10
    assert updated["updateHousehold"]["record"]["phone"] is None
    same = ok(await gql(client, auth, UPDATE_HOUSEHOLD, {"key": key, "input": {"floor": 10}}))
    assert same["updateHousehold"]["ok"] and not same["updateHousehold"]["changed"]
    deleted = ok(await gql(client, auth, "mutation($k: String!) { deleteHousehold(key: $k) { ok auditId errors { code } } }",
                           {"k": key}))
    assert deleted["deleteHousehold"]["ok"]
    assert not await sec_store.get_nodes("Household", [key], EVERYTHING)
    log = await sec_store.audit_log(AuditQuery(record_id=key), EVERYTHING, 0, 10)
    ops = [r["operation"] for r in log.records]
    # newest first; the no-op is not logged; reading the phone back (in full) is a logged read
    assert ops == ["deleteHousehold", "updateHousehold", "read:anonymous", "createHousehold"]
    delete, update, read, create = log.records
    assert read["fields"] == ["phone"] and read["recordIds"] == [key]
    assert create["before"] is None and create["after"]["phone"] == "13912345678" and create["after"]["unit"] == [unit]
    assert update["before"]["floor"] == 9 and update["after"]["floor"] == 10 and "phone" not in update["after"]
    assert delete["before"]["floor"] == 10 and delete["after"] is None
    assert {r["actor"] for r in log.records} == {"staff-a"} and {r["communityId"] for r in log.records} == {COMMUNITY}
    # administrators read the log through GraphQL, masked as they see records
    admin = headers(settings, "DISTRICT_ADMIN", "district:210905")
    entries = ok(await gql(client, admin, "query($k: String) { auditLog(filter: {recordKey: $k}) { totalCount "
                                          "nodes { operation actor before after } } }", {"k": key}))["auditLog"]
    assert entries["totalCount"] == 4
    created = entries["nodes"][3]
    assert created["after"]["phone"] == "139****5678" and "careCategories" not in created["after"]


async def test_refused_mutations_change_nothing(client, settings, sec_store) -> None:
    auth = headers(settings, "COMMUNITY_STAFF", f"community:{COMMUNITY}", subject="staff-b")
    before_counts = await sec_store.count_nodes()
    before_log = (await sec_store.audit_log(AuditQuery(), EVERYTHING, 0, 1)).total
    unit = a_unit(COMMUNITY)
    other_unit = a_unit(OTHER_COMMUNITY)
    cases = [
        ({"key": f"{unit}-9902", "input": {"room": "9902", "unit": unit, "phone": "12345"}}, "phone", "INVALID"),
        ({"key": f"{unit}-9903", "input": {"unit": unit}}, "room", "REQUIRED"),
        ({"key": f"{other_unit}-9904", "input": {"room": "9904", "unit": other_unit}}, "unit", "NOT_FOUND"),
        ({"key": f"{unit}-9905", "input": {"room": "9905", "unit": unit, "idNumber": "210905195009289095"}},
         "idNumber", "INVALID"),
    ]
    for variables, field, code in cases:
        result = ok(await gql(client, auth, CREATE_HOUSEHOLD, variables))["createHousehold"]
        assert not result["ok"] and result["record"] is None, variables
        assert any(e["field"] == field and e["code"] == code for e in result["errors"]), result["errors"]
    existing = next(i for k, i, p in SAMPLE.nodes if k == "Household" and p.get("communityId") == COMMUNITY)
    dup = ok(await gql(client, auth, CREATE_HOUSEHOLD, {"key": existing, "input": {"room": "1", "unit": unit}}))
    assert dup["createHousehold"]["errors"][0]["code"] == "DUPLICATE"
    outside = next(i for k, i, p in SAMPLE.nodes if k == "Household" and p.get("communityId") == OTHER_COMMUNITY)
    out = ok(await gql(client, auth, UPDATE_HOUSEHOLD, {"key": outside, "input": {"floor": 3}}))
    assert out["updateHousehold"]["errors"][0]["code"] == "NOT_FOUND"
    auditor = headers(settings, "AUDITOR", f"community:{COMMUNITY}")
    denied = ok(await gql(client, auditor, UPDATE_HOUSEHOLD, {"key": existing, "input": {"floor": 3}}))
    assert denied["updateHousehold"]["errors"][0]["code"] == "FORBIDDEN"
    held = ok(await gql(client, auth, "mutation($k: String!) { deleteStairwellUnit(key: $k) { ok errors { field code } } }",
                        {"k": unit}))["deleteStairwellUnit"]
    assert not held["ok"] and held["errors"][0] == {"field": "households", "code": "HAS_DEPENDENTS"}
    area = next(i for k, i, p in SAMPLE.nodes if k == "Area" and p.get("communityId") == COMMUNITY)
    code = ok(await gql(client, auth, "mutation($k: String!) { updateArea(key: $k, input: {code: \"' OR 1=1 //\"}) "
                                      "{ ok errors { field code } } }", {"k": area}))["updateArea"]
    assert not code["ok"] and code["errors"][0]["field"] == "code"  # checked against the parent's code
    for bad_key in ("x" * 129, "a b", "tab\there"):
        made = ok(await gql(client, auth, CREATE_HOUSEHOLD, {"key": bad_key, "input": {"room": "1", "unit": unit}}))
        assert made["createHousehold"]["errors"][0]["field"] == "key", bad_key
    assert await sec_store.count_nodes() == before_counts
    assert (await sec_store.audit_log(AuditQuery(), EVERYTHING, 0, 1)).total == before_log


async def test_connect_disconnect_and_record_visit(client, settings, sec_store) -> None:
    auth = headers(settings, "COMMUNITY_STAFF", f"community:{COMMUNITY}", subject="staff-c")
    member = next(i for k, i, p in SAMPLE.nodes if k == "Member" and p.get("communityId") == COMMUNITY)
    grid = a_unit(COMMUNITY)
    connect = """mutation($m: String!, $g: String!) { connectMember(key: $m, field: ledGrids, targetKey: $g) {
        ok errors { code } } }"""
    assert ok(await gql(client, auth, connect, {"m": member, "g": grid}))["connectMember"]["ok"]
    leaders = await sec_store.neighbours("StairwellUnit", next(r for r in KINDS if r.name == "StairwellUnit").rel("leaders"),
                                         [grid], EVERYTHING)
    assert member in [r["id"] for r in leaders.get(grid, [])]
    disconnect = connect.replace("connectMember", "disconnectMember")
    assert ok(await gql(client, auth, disconnect, {"m": member, "g": grid}))["disconnectMember"]["ok"]
    again = ok(await gql(client, auth, disconnect, {"m": member, "g": grid}))["disconnectMember"]
    assert again["errors"][0]["code"] == "NOT_FOUND"
    pairing = next(i for k, i, p in SAMPLE.nodes if k == "Pairing" and p.get("communityId") == COMMUNITY)
    visit = ok(await gql(client, auth, "mutation($p: String!) { recordVisit(pairingKey: $p, date: \"2025-06-01\") "
                                       "{ ok record { lastVisitDate } } }", {"p": pairing}))["recordVisit"]
    assert visit["ok"] and visit["record"]["lastVisitDate"] == "2025-06-01"
    log = await sec_store.audit_log(AuditQuery(actor="staff-c"), EVERYTHING, 0, 10)
    assert [r["operation"] for r in log.records] == ["updatePairing", "disconnectMember", "connectMember"]
    assert log.records[2]["before"]["ledGrids"] != log.records[2]["after"]["ledGrids"]


async def test_grid_worker_sees_and_changes_only_their_grids(client, settings, sec_store) -> None:
    auth = headers(settings, "GRID_WORKER", f"grid:{AREA}")
    data = ok(await gql(client, auth, "{ households { totalCount } cadres { totalCount } partyOrgs { totalCount } }"))
    under = [i for k, i, p in SAMPLE.nodes if k == "Household" and i.startswith(AREA)]
    assert data["households"]["totalCount"] == len(under) > 0
    assert data["cadres"]["totalCount"] == 0
    body = await gql(client, auth, "{ coverage { totalFindings } }")
    assert body["errors"] and "coverage" in body["errors"][0]["message"]
    outside = next(i for k, i, p in SAMPLE.nodes if k == "Household" and p.get("communityId") == COMMUNITY
                   and not i.startswith(AREA))
    out = ok(await gql(client, auth, UPDATE_HOUSEHOLD, {"key": outside, "input": {"floor": 3}}))
    assert out["updateHousehold"]["errors"][0]["code"] == "NOT_FOUND"
    mine = ok(await gql(client, auth, UPDATE_HOUSEHOLD, {"key": under[0], "input": {"floor": 7}}))
    assert mine["updateHousehold"]["ok"], mine
    forbidden = ok(await gql(client, auth, "mutation { deleteHousehold(key: \"x\") { errors { code } } }"))
    assert forbidden["deleteHousehold"]["errors"][0]["code"] == "FORBIDDEN"


async def test_read_only_roles_and_capabilities(client, settings) -> None:
    auditor = headers(settings, "AUDITOR", f"street:{STREET}")
    body = await gql(client, auditor, "{ proposeMatches { matched } }")
    assert body["errors"] and "match" in body["errors"][0]["message"]
    street = headers(settings, "STREET_STAFF", f"street:{STREET}")
    body = await gql(client, street, "{ auditLog { totalCount } }")
    assert body["errors"] and "auditLog" in body["errors"][0]["message"]
    body = await gql(client, street, "{ proposeMatches(options: {mode: PAIRINGS}) { matched } }")
    assert body["errors"] and "pairings" in body["errors"][0]["message"]
    counts = Counter(p.get("streetId") for k, _, p in SAMPLE.nodes if k == "Household")
    assert ok(await gql(client, street, "{ households { totalCount } }"))["households"]["totalCount"] == counts[STREET]
