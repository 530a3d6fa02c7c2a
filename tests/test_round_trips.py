"""Nested fields go through per-request DataLoaders: round trips grow with depth, not page size."""

from __future__ import annotations

import pytest

QUERY = """
query($n: Int!, $keys: [String!]) {
  members(first: $n, filter: { key: { in: $keys } }) {
    totalCount
    nodes {
      name
      organisation { name parent { name } }
      pairings { kind household { room unit { name } } }
    }
  }
}
"""
# list + organisation + organisation.parent + pairings + pairing.household + household.unit
EXPECTED_ROUND_TRIPS = 6


@pytest.mark.parametrize("page_size", [10, 100])
async def test_round_trips_do_not_grow_with_page_size(gql, sample_data, page_size: int) -> None:
    helpers = sorted({dst for _, _, rel, _, dst in sample_data.edges if rel == "BY_MEMBER"})
    others = sorted({i for k, i, _ in sample_data.nodes if k == "Member"} - set(helpers))
    keys = (helpers[:page_size // 2] + others)[:page_size]
    data = await gql(QUERY, {"n": page_size, "keys": keys})
    nodes = data["members"]["nodes"]
    assert len(nodes) == min(page_size, data["members"]["totalCount"])
    assert sum(len(m["pairings"]) for m in nodes) > 0, "the page should include members with pairings"
    assert gql.round_trips == EXPECTED_ROUND_TRIPS


async def test_hundred_members_with_organisation_pairings_and_households(gql) -> None:
    query = """{ members(first: 100, orderBy: [{ field: KEY }]) { nodes {
        organisation { name } pairings { household { room } } } } }"""
    await gql(query)
    assert gql.round_trips == 4  # members, organisation, pairings, households
