"""The read API: filters, scope, sorting, pagination, guards and error handling."""

from __future__ import annotations

import datetime as dt

import pytest
from graphql import GraphQLError

from graph_api.graphql.errors import UserError, should_mask
from graph_api.store.base import StoreError
from tests.sample_truth import Truth


@pytest.fixture(scope="module")
def truth(sample_data) -> Truth:
    return Truth(sample_data)


async def _all_keys(gql, field: str, args: str, page: int = 200) -> list[str]:
    keys: list[str] = []
    after = None
    while True:
        data = await gql(f'query($after: String) {{ {field}({args} first: {page}, after: $after) '
                         f'{{ totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ key }} }} }}', {"after": after})
        conn = data[field]
        keys += [n["key"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            assert len(keys) == conn["totalCount"]
            return keys
        after = conn["pageInfo"]["endCursor"]


async def test_exact_enum_filter(gql, truth: Truth) -> None:
    expected = sorted(k for k, p in truth.of("Household").items() if p.get("occupancy") == "VACANT")
    assert expected
    assert await _all_keys(gql, "households", "filter: { occupancy: { eq: VACANT } }") == expected


async def test_prefix_filter_on_grid_codes(gql, truth: Truth) -> None:
    community = sorted(truth.of("Community"))[1]
    expected = sorted(k for k in truth.of("Building") if k.startswith(community))
    assert expected
    assert await _all_keys(gql, "buildings", f'filter: {{ code: {{ startsWith: "{community}" }} }}') == expected


async def test_in_and_range_filters(gql, truth: Truth) -> None:
    lo, hi = dt.date(1960, 1, 1), dt.date(1980, 1, 1)
    expected = sorted(k for k, p in truth.of("Member").items()
                      if p.get("education") in ("BACHELOR", "POSTGRADUATE")
                      and p.get("birthDate") is not None and lo <= p["birthDate"] < hi)
    assert expected
    got = await _all_keys(gql, "members", 'filter: { education: { in: [BACHELOR, POSTGRADUATE] }, '
                                          'birthDate: { gte: "1960-01-01", lt: "1980-01-01" } }')
    assert got == expected


async def test_care_category_filter(gql, truth: Truth) -> None:
    expected = sorted(k for k, p in truth.of("Household").items()
                      if {"NEEDY_FAMILY", "STUDENT_AID"} & set(p.get("careCategories", [])))
    got = await _all_keys(gql, "households", "filter: { careCategories: { containsAny: [NEEDY_FAMILY, STUDENT_AID] } }")
    assert got == expected
    assert len([k for k in got if "NEEDY_FAMILY" in truth.of("Household")[k]["careCategories"]]) == 98


async def test_scope_by_community_and_by_street(gql, truth: Truth) -> None:
    community = sorted(truth.of("Community"))[0]
    street = truth.of("Community")[community]["streetId"]
    by_community = sorted(k for k, p in truth.of("Household").items() if p.get("communityId") == community)
    by_street = sorted(k for k, p in truth.of("Household").items() if p.get("streetId") == street)
    assert 0 < len(by_community) < len(by_street) < len(truth.of("Household"))
    assert await _all_keys(gql, "households", f'scope: {{ communityKey: "{community}" }}', page=500) == by_community
    assert await _all_keys(gql, "households", f'scope: {{ streetKey: "{street}" }}', page=500) == by_street
    # a scope and a filter that contradict each other give nothing, not an error
    data = await gql(f'{{ households(scope: {{ communityKey: "{community}" }}, '
                     f'filter: {{ communityId: {{ ne: "{community}" }} }}) {{ totalCount }} }}')
    assert data["households"]["totalCount"] == 0


async def test_sorting_descending_with_key_tiebreak(gql, truth: Truth) -> None:
    members = truth.of("Member")
    # name descending; equal names keep ascending business-key order (sort is stable with reverse)
    expected = sorted(sorted(members), key=lambda k: members[k]["name"], reverse=True)
    data = await gql('{ members(orderBy: [{ field: NAME, direction: DESC }], first: 30) { nodes { key name } } }')
    assert [n["key"] for n in data["members"]["nodes"]] == expected[:30]


async def test_forward_and_backward_pagination(gql, truth: Truth) -> None:
    all_keys = sorted(truth.of("Member"))
    assert await _all_keys(gql, "members", "", page=97) == all_keys
    data = await gql('{ members(first: 10) { edges { cursor node { key } } } }')
    tenth = data["members"]["edges"][9]["cursor"]
    data = await gql('query($b: String) { members(last: 4, before: $b) '
                     '{ pageInfo { hasPreviousPage hasNextPage } nodes { key } } }', {"b": tenth})
    assert [n["key"] for n in data["members"]["nodes"]] == all_keys[5:9]
    assert data["members"]["pageInfo"]["hasPreviousPage"] is True
    data = await gql('{ members(last: 3) { totalCount pageInfo { hasNextPage } nodes { key } } }')
    assert [n["key"] for n in data["members"]["nodes"]] == all_keys[-3:]
    assert data["members"]["pageInfo"]["hasNextPage"] is False


async def test_page_size_cap_and_bad_cursor_are_readable_errors(gql, settings) -> None:
    cap = settings.graph_api_max_page_size
    result = await gql(f"{{ members(first: {cap + 1}) {{ totalCount }} }}", expect_errors=True)
    assert str(cap) in result.errors[0].message and "first" in result.errors[0].message
    result = await gql('{ members(after: "not-a-cursor") { totalCount } }', expect_errors=True)
    assert "游标" in result.errors[0].message and "cursor" in result.errors[0].message
    result = await gql('{ node(id: "Nothing:1") { id } }', expect_errors=True)
    assert "global id" in result.errors[0].message


async def test_depth_alias_and_token_guards(gql, settings) -> None:
    deep = "{ members(first: 1) { nodes { organisation { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } } }"
    result = await gql(deep, expect_errors=True)
    assert "depth" in result.errors[0].message
    aliases = " ".join(f"a{i}: __typename" for i in range(settings.graph_api_max_aliases + 1))
    result = await gql(f"{{ {aliases} }}", expect_errors=True)
    assert "aliases" in result.errors[0].message.lower()
    tokens = " ".join("__typename" for _ in range(settings.graph_api_max_tokens + 1))
    result = await gql(f"{{ {tokens} }}", expect_errors=True)
    assert "token" in result.errors[0].message.lower()


def test_only_unexpected_errors_are_masked() -> None:
    assert should_mask(GraphQLError("boom", original_error=RuntimeError("secret detail")))
    assert not should_mask(GraphQLError("bad", original_error=UserError("错", "wrong")))
    assert not should_mask(GraphQLError("bad", original_error=StoreError("bad filter")))
    assert not should_mask(GraphQLError("Cannot query field 'x'"))  # validation errors stay readable


async def test_unknown_field_is_reported_not_masked(gql) -> None:
    result = await gql("{ members { nosuchfield } }", expect_errors=True)
    assert "nosuchfield" in result.errors[0].message


async def test_node_counts(gql, truth: Truth) -> None:
    data = await gql("{ nodeCounts { kind count } }")
    counts = {row["kind"]: row["count"] for row in data["nodeCounts"]}
    assert counts == {kind: len(truth.of(kind)) for kind in counts}
