"""The sample reproduces every figure of the article, computed from the graph."""

from __future__ import annotations

from graph_api.resources import data_path


async def test_article_figures(gql) -> None:
    query = data_path("queries/examples/ArticleFigures.graphql").read_text(encoding="utf-8")
    f = (await gql(query))["articleFigures"]
    assert f["districtName"] == "清河门区"
    assert f["communityCount"] == 13
    assert f["oneShoulderCommunities"] == 13
    assert f["cadreCount"] == 83
    assert round(f["cadreAverageAge"]) == 38
    assert round(f["previousTermAverageAge"]) == 47
    assert f["cadresUnder35"] == 31
    assert f["cadresUnder35Percent"] == 37.3
    assert f["cadresAssociateOrHigher"] == 70
    assert f["cadresBachelor"] == 21
    assert f["certifiedSocialWorkers"] == 5
    assert f["minOfficeAreaSqm"] >= 400
    assert f["communitiesWithServiceCenter"] == 13
    assert f["gridLevels"] == 5
    assert f["gridPartyGroups"] > 0
    xinbei = [t for t in f["assaultTeams"] if t["streetName"] == "新北街道" and t["year"] == 2020]
    assert xinbei == [{"streetName": "新北街道", "year": 2020, "teams": 12, "members": 189}]
    assert f["serviceCarriers"] == 35
    assert f["serviceCategories"] == ["PUBLIC_UTILITY", "RELIEF", "CONVENIENCE", "PARTY_AFFAIRS", "VOLUNTEER"]
    assert f["needyFamiliesHelped"] == 95
    assert f["studentsAided"] == 18
    assert 400_000 < f["jointInvestmentYuan"] < 500_000
    assert 40 < f["solarLights"] < 50
    assert f["convenienceFacilities"] == 30
    assert f["repairedSites"] == sorted(["党史宣传长廊", "文化广场"])
    claimed = {(p["community"], p["brand"]) for p in f["claimedProjects"]}
    assert claimed == {("乌龙社区", "闪闪红星"), ("北山社区", "红色头雁"), ("新街社区", "绿色环保团")}
    assert 3000 < f["donatedItems"] < 3500
    assert 700 < f["volunteerPersonTimes"] < 800


async def test_figures_follow_the_scope(gql) -> None:
    """Scoped to one community, the district totals shrink to that community's share."""
    data = await gql('{ communities(filter: { name: { eq: "乌龙社区" } }) { nodes { key } } }')
    key = data["communities"]["nodes"][0]["key"]
    f = (await gql('query($k: String) { articleFigures(scope: { communityKey: $k }) '
                   '{ communityCount oneShoulderCommunities claimedProjects { brand } } }', {"k": key}))["articleFigures"]
    assert f == {"communityCount": 1, "oneShoulderCommunities": 1, "claimedProjects": [{"brand": "闪闪红星"}]}
