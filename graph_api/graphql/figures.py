"""The article's figures, computed by the store from the graph (never stored as numbers)."""

from __future__ import annotations

from typing import List, Optional  # noqa: UP035

import strawberry
from strawberry.types import Info

from graph_api.domain.enums import ServiceCategory
from graph_api.graphql import enums as _enums  # noqa: F401  (registers the enums first)
from graph_api.domain.model import KIND_BY_NAME
from graph_api.graphql.errors import UserError
from graph_api.graphql.inputs import ScopeInput


def _d(zh: str, en: str) -> str:
    return f"{zh} · {en}"


@strawberry.type(description=_d("党员突击队统计（按街道、组建年份）", "assault teams per street and year formed"))
class AssaultTeamFigure:
    street_key: str = strawberry.field(description=_d("街道编号", "street key"))
    street_name: str = strawberry.field(description=_d("街道", "street"))
    year: Optional[int] = strawberry.field(description=_d("组建年份", "year formed"))
    teams: int = strawberry.field(description=_d("党员突击队数", "number of assault teams"))
    members: int = strawberry.field(description=_d("参与党员数（去重）", "distinct members in them"))


@strawberry.type(description=_d("党组织书记认领的党建项目", "Party-building project claimed by an organisation's secretary"))
class ClaimedProjectFigure:
    community: Optional[str] = strawberry.field(description=_d("社区", "community"))
    organisation: Optional[str] = strawberry.field(description=_d("认领党组织", "claiming organisation"))
    brand: str = strawberry.field(description=_d("项目品牌", "project brand"))
    title: str = strawberry.field(description=_d("项目名称", "project title"))


@strawberry.type(description=_d("报道中的各项数字，均由图数据实时计算", "the figures of the article, computed from the graph"))
class ArticleFigures:
    district_name: str = strawberry.field(description=_d("区", "district"))
    community_count: int = strawberry.field(description=_d("社区数", "communities"))
    one_shoulder_communities: int = strawberry.field(
        description=_d("书记、主任“一肩挑”的社区数", "communities whose secretary is also the director (一肩挑)"))
    current_term: Optional[int] = strawberry.field(description=_d("本届“两委”换届年份", "year of the current two-committee term"))
    cadre_count: int = strawberry.field(description=_d("本届“两委”班子成员数", "two-committee members of the current term"))
    cadre_average_age: Optional[float] = strawberry.field(
        description=_d("本届“两委”成员换届时平均年龄", "average age of the current term at its election"))
    previous_term: Optional[int] = strawberry.field(description=_d("上届换届年份", "year of the previous term"))
    previous_term_cadre_count: int = strawberry.field(description=_d("上届“两委”班子成员数", "members of the previous term"))
    previous_term_average_age: Optional[float] = strawberry.field(
        description=_d("上届“两委”成员换届时平均年龄", "average age of the previous term at its election"))
    cadres_under35: int = strawberry.field(description=_d("35岁以下年轻干部数", "members under 35"))
    cadres_under35_percent: Optional[float] = strawberry.field(
        description=_d("35岁以下占比（%，保留一位小数）", "share under 35, percent to one decimal"))
    cadres_associate_or_higher: int = strawberry.field(description=_d("大专以上学历人数", "with an associate degree or higher"))
    cadres_bachelor: int = strawberry.field(description=_d("其中本科学历人数", "of whom with a bachelor's degree"))
    cadres_postgraduate: int = strawberry.field(description=_d("其中研究生学历人数", "of whom postgraduate"))
    certified_social_workers: int = strawberry.field(
        description=_d("取得助理社会工作者资格证的社区干部数", "community cadres certified as assistant social workers"))
    min_office_area_sqm: Optional[int] = strawberry.field(
        description=_d("社区办公场所最小面积（平方米）", "smallest community office space, m²"))
    communities_with_service_center: int = strawberry.field(
        description=_d("建有400平方米以上党群服务中心的社区数", "communities with a Party-mass service centre of at least 400 m²"))
    grid_levels: int = strawberry.field(description=_d("网格层级数", "grid levels in use"))
    grid_party_groups: int = strawberry.field(
        description=_d("建在楼栋、单元的网格党小组数", "grid Party groups set up in buildings and stairwells"))
    assault_teams: List[AssaultTeamFigure] = strawberry.field(
        description=_d("党员突击队（按街道、年份）", "Party-member assault teams per street and year"))
    service_carriers: int = strawberry.field(description=_d("服务载体数", "service carriers"))
    service_categories: List[ServiceCategory] = strawberry.field(
        description=_d("全能型网格提供的服务类别", "service categories offered by the all-round grid"))
    needy_families: int = strawberry.field(description=_d("困难家庭户数", "needy families"))
    needy_families_helped: int = strawberry.field(
        description=_d("党员、志愿者结对帮扶的困难家庭户数", "needy families helped through pairings"))
    student_aid_households: int = strawberry.field(description=_d("低保户家庭大学生户数", "households with a university student from a 低保 family"))
    students_aided: int = strawberry.field(description=_d("爱心助学的低保户家庭大学生人数", "university students from 低保 families aided"))
    joint_investment_yuan: int = strawberry.field(
        description=_d("共建单位投资（元）", "investment by the joint-building units, yuan"))
    solar_lights: int = strawberry.field(description=_d("添置太阳能照明灯（盏）", "solar street lights installed"))
    convenience_facilities: int = strawberry.field(description=_d("便民公共设施（组）", "sets of public convenience facilities"))
    fitness_equipment: int = strawberry.field(description=_d("健身器材（件/套）", "fitness equipment"))
    repaired_sites: List[str] = strawberry.field(description=_d("维修扩建的阵地", "sites repaired and extended"))
    claimed_projects: List[ClaimedProjectFigure] = strawberry.field(
        description=_d("党组织书记认领的党建项目", "projects claimed by organisation secretaries"))
    donated_items: int = strawberry.field(description=_d("为大凉山贫困儿童募捐衣物（件）", "clothing items donated for children in 大凉山"))
    volunteer_person_times: int = strawberry.field(
        description=_d("创城环境治理义务劳动（人次）", "person-times of volunteer labour for the civilised-city campaign"))


def figures_from_record(row: dict) -> ArticleFigures:
    cadres = row.get("cadreCount") or 0
    under35 = row.get("cadresUnder35") or 0
    return ArticleFigures(
        district_name=row["districtName"],
        community_count=row["communityCount"],
        one_shoulder_communities=row.get("oneShoulderCommunities") or 0,
        current_term=row.get("currentTerm"),
        cadre_count=cadres,
        cadre_average_age=_round(row.get("cadreAverageAge")),
        previous_term=row.get("previousTerm"),
        previous_term_cadre_count=row.get("previousTermCadreCount") or 0,
        previous_term_average_age=_round(row.get("previousTermAverageAge")),
        cadres_under35=under35,
        cadres_under35_percent=round(100 * under35 / cadres, 1) if cadres else None,
        cadres_associate_or_higher=row.get("cadresAssociateOrHigher") or 0,
        cadres_bachelor=row.get("cadresBachelor") or 0,
        cadres_postgraduate=row.get("cadresPostgraduate") or 0,
        certified_social_workers=row.get("certifiedSocialWorkers") or 0,
        min_office_area_sqm=row.get("minOfficeAreaSqm"),
        communities_with_service_center=row["communitiesWithServiceCenter"],
        grid_levels=row["gridLevels"],
        grid_party_groups=row["gridPartyGroups"],
        assault_teams=[AssaultTeamFigure(street_key=a["streetId"], street_name=a["streetName"], year=a["year"],
                                         teams=a["teams"], members=a["members"]) for a in row["assaultTeams"]],
        service_carriers=row["serviceCarriers"],
        service_categories=[ServiceCategory(c) for c in sorted(row["serviceCategories"], key=_category_order)],
        needy_families=row["needyFamilies"],
        needy_families_helped=row["needyFamiliesHelped"],
        student_aid_households=row["studentAidHouseholds"],
        students_aided=row["studentsAided"],
        joint_investment_yuan=row["jointInvestmentYuan"],
        solar_lights=row["solarLights"],
        convenience_facilities=row["convenienceFacilities"],
        fitness_equipment=row["fitnessEquipment"],
        repaired_sites=sorted(row["repairedSites"]),
        claimed_projects=[ClaimedProjectFigure(**p) for p in row["claimedProjects"]],
        donated_items=row["donatedItems"],
        volunteer_person_times=row["volunteerPersonTimes"],
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _category_order(value: str) -> int:
    return [c.value for c in ServiceCategory].index(value)


@strawberry.type
class FiguresQuery:
    @strawberry.field(description=_d("报道中的各项数字（由图数据计算）；不指定区时取唯一的区",
                                     "the article's figures computed from the graph; the only district when none is given"))
    async def article_figures(self, info: Info, district_key: Optional[str] = None,
                              scope: Optional[ScopeInput] = None) -> ArticleFigures:
        from graph_api.graphql.query import request_scope  # the scope helper lives with the root query

        info.context.require("figures")
        store = info.context.store
        if district_key is None:
            page = await store.find_nodes(KIND_BY_NAME["District"].name, [], [], 0, 2, info.context.scope)
            if page.total != 1:
                raise UserError("请指定 districtKey（图中的区不止一个或没有区）",
                                "give districtKey: the graph holds no district or more than one")
            district_key = page.records[0]["id"]
        row = await store.article_figures(district_key, request_scope(info, scope))
        return figures_from_record(dict(row))
