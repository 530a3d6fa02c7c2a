"""Loading is validated first and all-or-nothing in the store."""

from __future__ import annotations

import pytest

from graph_api.domain.dataset import validate
from graph_api.domain.values import InvalidData
from graph_api.store.base import GraphData, StoreError


async def test_bad_records_are_all_reported_and_nothing_written(store) -> None:
    before = await store.count_nodes()
    raw = {
        "nodes": [
            {"kind": "Member", "id": "T-M1", "props": {"name": "测某1", "gender": "雌雄", "birthDate": "1990/13/40"}},
            {"kind": "Member", "id": "T-M1", "props": {"name": "测某2"}},
            {"kind": "Household", "id": "T-H1", "props": {"careCategories": ["NEEDY_FAMILY", "RICH"], "floor": "三"}},
            {"kind": "Spaceship", "id": "T-S1", "props": {}},
        ],
        "edges": [["Member", "T-M1", "MEMBER_OF", "PartyOrg", "no-such-org"], ["Member", "T-M1", "OWNS", "Household", "T-H1"]],
    }
    with pytest.raises(InvalidData) as caught:
        validate(raw, "bad.json")
    text = str(caught.value)
    for expected in ("gender", "birthDate", "duplicate business key", "careCategories", "floor",
                     "room", "unknown kind", "referenced PartyOrg does not exist", "unknown relationship type"):
        assert expected in text, expected
    assert "不是允许的取值" in text and "必填字段缺失" in text
    assert await store.count_nodes() == before


async def test_a_failure_mid_load_leaves_nothing_behind(store) -> None:
    before = await store.count_nodes()
    data = GraphData(
        nodes=[("Member", f"T-ALL-{i}", {"name": f"测某{i}"}) for i in range(12_000)],  # several batches
        edges=[("Member", "T-ALL-0", "MEMBER_OF", "PartyOrg", "no-such-org")],  # fails after the nodes
    )
    with pytest.raises(StoreError, match="do not exist"):
        await store.load(data)
    assert await store.count_nodes() == before
    assert (await store.get_nodes("Member", ["T-ALL-0", "T-ALL-11999"], _everything())) == {}


async def test_uniqueness_constraints_refuse_duplicates(store) -> None:
    before = await store.count_nodes()
    existing = (await store.find_nodes("Building", [], [], 0, 1, _everything())).records[0]
    clash = GraphData(nodes=[("Member", "T-U-1", {"name": "测某"}),
                             ("Area", "T-AREA", {"code": existing["code"], "name": "重复编码", "level": "AREA"})])
    with pytest.raises(StoreError, match="constraint"):
        await store.load(clash)
    assert await store.count_nodes() == before


async def test_reloading_the_sample_changes_nothing(store, sample_data) -> None:
    before = await store.count_nodes()
    await store.load(sample_data)  # merge, not replace
    assert await store.count_nodes() == before


def _everything():
    from graph_api.store.base import EVERYTHING

    return EVERYTHING


async def test_embedded_store_file_has_one_owner(tmp_path) -> None:
    from graph_api.store.embedded.store import EmbeddedStore

    first = EmbeddedStore(tmp_path / "g.sqlite3")
    with pytest.raises(StoreError, match="another process"):
        EmbeddedStore(tmp_path / "g.sqlite3")
    await first.close()
    second = EmbeddedStore(tmp_path / "g.sqlite3")  # free again once closed
    await second.close()
