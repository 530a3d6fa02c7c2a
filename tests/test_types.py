"""A generic test run against every kind (NetBox style): list, lookup, node(id), every relationship.

Answers are compared with the sample file itself, so a wrong filter, a missing edge or a
wrong direction in the store shows up here.
"""

from __future__ import annotations

import pytest

from graph_api.domain.model import KINDS, Kind
from tests.sample_truth import Truth


def _scalar_fields(kind: Kind) -> str:
    return " ".join(["id", "key", *(p.name for p in kind.all_props if p.name != "id")])


@pytest.fixture(scope="module")
def truth(sample_data) -> Truth:
    return Truth(sample_data)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_list_lookup_and_node_of_every_kind(kind: Kind, gql, truth: Truth) -> None:
    expected = truth.of(kind.name)
    assert expected, f"the sample has no {kind.name}"
    data = await gql(f"{{ {kind.list_field}(first: 3) {{ totalCount nodes {{ {_scalar_fields(kind)} }} }} }}")
    listing = data[kind.list_field]
    assert listing["totalCount"] == len(expected)
    first = listing["nodes"][0]
    assert first["key"] == sorted(expected)[0]  # default order: business key
    assert first["id"] == f"{kind.name}:{first['key']}"

    lookup_field = kind.name[0].lower() + kind.name[1:]
    data = await gql(f'query($k: String!) {{ {lookup_field}(key: $k) {{ {_scalar_fields(kind)} }} }}', {"k": first["key"]})
    assert data[lookup_field] == first
    missing = await gql(f'{{ {lookup_field}(key: "no-such-key") {{ key }} }}')
    assert missing[lookup_field] is None

    data = await gql('query($id: ID!) { node(id: $id) { __typename id } }', {"id": first["id"]})
    assert data["node"] == {"__typename": kind.name, "id": first["id"]}


@pytest.mark.parametrize("kind", [k for k in KINDS if k.rels], ids=lambda k: k.name)
async def test_every_relationship_matches_the_sample(kind: Kind, gql, truth: Truth) -> None:
    # the record of this kind with the most edges, so that relationships are exercised
    def degree(node_id: str) -> int:
        return sum(len(truth.neighbours(kind.name, node_id, r)) for r in kind.rels)

    node_id = max(sorted(truth.of(kind.name)), key=degree)
    lookup_field = kind.name[0].lower() + kind.name[1:]
    selection = " ".join(f"{r.field} {{ __typename key }}" for r in kind.rels)
    data = await gql(f'query($k: String!) {{ {lookup_field}(key: $k) {{ {selection} }} }}', {"k": node_id})
    record = data[lookup_field]
    for rel in kind.rels:
        expected = truth.neighbours(kind.name, node_id, rel)
        got = record[rel.field]
        if rel.many:
            assert [x["key"] for x in got] == expected, rel.field
        else:
            assert len(expected) <= 1, f"{kind.name}.{rel.field} has several targets in the sample"
            assert (got["key"] if got else None) == (expected[0] if expected else None), rel.field
