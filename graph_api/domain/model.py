"""The graph model: node kinds, their properties and relationships, in one registry.

Everything else is derived from this registry: the GraphQL types, filters and sort enums,
the whitelist of property names the store backends accept, the constraints check and the
model document. Property names are the graph's own (camelCase) and the GraphQL field names.

Every node has a unique business key ``id``. Nodes inside a street or community carry the
scope keys ``streetId`` and ``communityId`` (written by the loader from the grid tree), so a
read can be limited to what the caller may see inside the store query itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from graph_api.domain import enums as e

PropType = type  # str | int | float | bool | dt.date | a LabelledEnum subclass


@dataclass(frozen=True)
class Prop:
    name: str
    type: PropType
    zh: str
    en: str
    many: bool = False  # a list of values
    required: bool = False
    filterable: bool = False
    sortable: bool = False
    sensitive: bool = False  # PIPL sensitive personal data: masked by role

    @property
    def description(self) -> str:
        return f"{self.zh} · {self.en}"

    @property
    def is_enum(self) -> bool:
        return isinstance(self.type, type) and issubclass(self.type, e.LabelledEnum)


@dataclass(frozen=True)
class Rel:
    """A relationship field of a kind: ``(this)-[:type]->(target)`` or the reverse."""

    field: str
    type: str
    direction: Literal["out", "in"]
    target: str  # a kind name, or an abstract label such as "Grid"
    zh: str
    en: str
    many: bool = True

    @property
    def description(self) -> str:
        return f"{self.zh} · {self.en}"


@dataclass(frozen=True)
class Kind:
    name: str  # GraphQL type name and primary Neo4j label
    zh: str
    en: str
    list_field: str  # root list field in GraphQL
    props: tuple[Prop, ...]
    rels: tuple[Rel, ...] = ()
    extra_labels: tuple[str, ...] = ()  # e.g. ("Grid",) for the five grid levels
    scoped: bool = True  # carries streetId / communityId scope keys

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.name, *self.extra_labels)

    @property
    def description(self) -> str:
        return f"{self.zh} · {self.en}"

    def prop(self, name: str) -> Prop:
        for p in self.all_props:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no property {name!r}")

    @property
    def all_props(self) -> tuple[Prop, ...]:
        return (*COMMON_PROPS, *(SCOPE_PROPS if self.scoped else ()), *self.props)

    def rel(self, name: str) -> Rel:
        for r in self.rels:
            if r.field == name:
                return r
        raise KeyError(f"{self.name} has no relationship field {name!r}")


def P(name: str, type_: PropType, zh: str, en: str, **kw: Any) -> Prop:
    return Prop(name, type_, zh, en, **kw)


def R(field_: str, type_: str, direction: Literal["out", "in"], target: str, zh: str, en: str,
      many: bool = True) -> Rel:
    return Rel(field_, type_, direction, target, zh, en, many)


COMMON_PROPS = (
    P("id", str, "业务编号", "business key, unique within its kind", required=True, filterable=True, sortable=True),
)
SCOPE_PROPS = (
    P("streetId", str, "所属街道编号", "id of the street the record belongs to (scope key)", filterable=True),
    P("communityId", str, "所属社区编号", "id of the community the record belongs to (scope key)", filterable=True),
)

GRID_PROPS = (
    P("code", str, "网格编码", "grid code, derived from the parent's code", required=True, filterable=True, sortable=True),
    P("name", str, "网格名称", "grid name", required=True, filterable=True, sortable=True),
    P("level", e.GridLevel, "网格层级", "grid level", required=True, filterable=True, sortable=True),
)


def grid_rels(parent: str | None, child: str | None, child_field: str, child_zh: str) -> tuple[Rel, ...]:
    rels = [
        R("leaders", "LEADS_GRID", "in", "Member", "网格长", "grid leaders (Party members)"),
        R("gridWorkers", "WORKS_GRID", "in", "Person", "专职网格员", "full-time grid workers"),
        R("coveringOrgs", "COVERS", "in", "PartyOrg", "覆盖本网格的党组织（网格党小组等）", "Party organisations covering this grid"),
        R("carriers", "LOCATED_IN", "in", "ServiceCarrier", "服务载体", "service carriers located here"),
        R("projects", "LOCATED_IN", "in", "Project", "在本网格实施的项目", "projects carried out here"),
        R("resources", "BASED_IN", "in", "Resource", "本网格的资源", "resources based here"),
        R("needs", "RAISED_IN", "in", "Need", "本网格提出的需求", "needs raised by this grid"),
        R("activities", "HELD_IN", "in", "Activity", "在本网格举办的活动", "activities held here"),
    ]
    if parent:
        rels.append(R("parent", "PART_OF", "out", parent, "上级网格", "parent grid", many=False))
    if child:
        rels.append(R(child_field, "PART_OF", "in", child, child_zh, f"child grids ({child})"))
    return tuple(rels)


KINDS: tuple[Kind, ...] = (
    Kind("District", "区", "district", "districts", scoped=False, props=(
        P("name", str, "名称", "name", required=True, filterable=True, sortable=True),
        P("code", str, "行政区划代码（GB/T 2260）", "administrative division code (GB/T 2260)", required=True, filterable=True),
        P("asOfDate", dt.date, "数据基准日", "reference date of the data set (ages and deadlines are computed at it)"),
        P("dataNote", str, "数据说明", "description of the data set, including what is invented"),
    ), rels=(
        R("streets", "PART_OF", "in", "Street", "下辖街道", "streets of the district"),
    )),
    Kind("Street", "街道", "street", "streets", scoped=False, props=(
        P("name", str, "名称", "name", required=True, filterable=True, sortable=True),
        P("code", str, "街道编码", "street code", required=True, filterable=True, sortable=True),
    ), rels=(
        R("district", "PART_OF", "out", "District", "所属区", "district", many=False),
        R("communities", "PART_OF", "in", "Community", "下辖社区", "communities of the street"),
        R("teams", "ORGANISED_BY", "in", "Team", "街道组建的队伍", "teams formed by the street"),
    )),
    Kind("Community", "社区（一级网格）", "community, the first grid level", "communities", extra_labels=("Grid",), props=(
        *GRID_PROPS,
        P("officeAreaSqm", int, "办公场所面积（平方米）", "office space in square metres", filterable=True, sortable=True),
        P("serviceCenterAreaSqm", int, "党群服务中心面积（平方米）", "area of the Party-mass service centre (党群服务中心), 0 if none", filterable=True, sortable=True),
    ), rels=(
        R("street", "PART_OF", "out", "Street", "所属街道", "street", many=False),
        *grid_rels(None, "Area", "areas", "片区"),
        R("cadres", "SERVES", "in", "Cadre", "社区“两委”班子成员", "members of the community's two committees"),
        R("reportedMembers", "REPORTED_TO", "in", "Member", "“双报到”党员", "employed members who reported here (双报到)"),
    )),
    Kind("Area", "片区（二级网格）", "area, the second grid level", "areas", extra_labels=("Grid",),
         props=GRID_PROPS, rels=grid_rels("Community", "Complex", "complexes", "小区")),
    Kind("Complex", "小区（三级网格）", "residential complex, the third grid level", "complexes", extra_labels=("Grid",),
         props=GRID_PROPS, rels=grid_rels("Area", "Building", "buildings", "楼栋")),
    Kind("Building", "楼栋（四级网格）", "building, the fourth grid level", "buildings", extra_labels=("Grid",), props=(
        *GRID_PROPS,
        P("floors", int, "楼层数", "number of floors", filterable=True, sortable=True),
        P("hazard", bool, "隐患楼栋", "hazard flag (安全隐患)", filterable=True),
    ), rels=(
        *grid_rels("Complex", "StairwellUnit", "units", "单元"),
        R("heads", "HEADS_BUILDING", "in", "Person", "楼长", "building heads"),
    )),
    Kind("StairwellUnit", "单元（五级网格）", "stairwell unit, the fifth grid level", "stairwellUnits", extra_labels=("Grid",),
         props=GRID_PROPS, rels=(
             *grid_rels("Building", None, "", ""),
             R("households", "IN_UNIT", "in", "Household", "住户", "households in this unit"),
         )),
    Kind("Household", "户", "household", "households", props=(
        P("room", str, "房号", "room number", required=True, filterable=True, sortable=True),
        P("floor", int, "楼层", "floor", filterable=True, sortable=True),
        P("occupancy", e.Occupancy, "居住状态", "occupancy", filterable=True, sortable=True),
        P("size", int, "户内人数", "people in the household", filterable=True, sortable=True),
        P("headName", str, "户主姓名", "name of the head of household", sensitive=True),
        P("phone", str, "联系电话", "phone number", sensitive=True),
        P("idNumber", str, "户主身份证号", "ID number of the head of household", sensitive=True),
        P("careCategories", e.CareCategory, "重点服务人群类别", "care categories", many=True, filterable=True, sensitive=True),
        P("riskTier", e.RiskTier, "风险等级", "risk tier (sets the visit frequency)", filterable=True, sortable=True, sensitive=True),
    ), rels=(
        R("unit", "IN_UNIT", "out", "StairwellUnit", "所在单元", "stairwell unit", many=False),
        R("pairings", "FOR_HOUSEHOLD", "in", "Pairing", "结对帮扶", "help pairings for this household"),
        R("residents", "LIVES_IN", "in", "Member", "居住的党员", "Party members living here"),
        R("needs", "RAISED_BY", "in", "Need", "提出的需求", "needs raised by this household"),
    )),
    Kind("PartyOrg", "党组织", "Party organisation", "partyOrgs", props=(
        P("name", str, "名称", "name", required=True, filterable=True, sortable=True),
        P("kind", e.OrgKind, "组织类型", "kind", required=True, filterable=True, sortable=True),
        P("foundedDate", dt.date, "成立日期", "date founded", filterable=True, sortable=True),
        P("starRating", int, "当前星级", "current star rating (评星定级), 0 to 5", filterable=True, sortable=True),
        P("starTarget", int, "争创星级目标", "star rating target (争创目标)", filterable=True, sortable=True),
        P("hasBranchCommittee", bool, "是否设支部委员会", "has a branch committee (支委会)", filterable=True),
        P("serviceBrand", str, "党建品牌", "Party-building brand", filterable=True),
    ), rels=(
        R("parent", "UNDER", "out", "PartyOrg", "上级党组织", "parent organisation", many=False),
        R("children", "UNDER", "in", "PartyOrg", "下级党组织", "child organisations"),
        R("members", "MEMBER_OF", "in", "Member", "党员", "members"),
        R("secretaries", "SECRETARY_OF", "in", "Member", "书记", "secretary"),
        R("partTimeMembers", "PART_TIME_MEMBER_OF", "in", "Member", "兼职委员", "part-time committee members (big committee)"),
        R("coveredGrids", "COVERS", "out", "Grid", "覆盖的网格", "grids covered"),
        R("jointUnits", "JOINT_BUILDS_WITH", "in", "JointUnit", "共建单位", "joint-building units (big committee)"),
        R("claimedProjects", "CLAIMED_BY", "in", "Project", "认领的项目", "projects claimed"),
        R("teams", "ORGANISED_BY", "in", "Team", "组建的队伍", "teams organised"),
    )),
    Kind("Member", "党员", "Party member", "members", props=(
        P("name", str, "姓名", "name", required=True, filterable=True, sortable=True),
        P("gender", e.Gender, "性别", "gender", filterable=True, sortable=True),
        P("birthDate", dt.date, "出生日期", "date of birth", filterable=True, sortable=True),
        P("education", e.Education, "学历", "education", filterable=True, sortable=True),
        P("joinedDate", dt.date, "入党时间", "date joined the Party", filterable=True, sortable=True),
        P("category", e.MemberCategory, "党员类别", "category", filterable=True, sortable=True),
        P("serviceItems", e.ServiceItem, "认领的红色驿站服务项目", "红色驿站 service items claimed by specialty", many=True, filterable=True),
        P("specialties", str, "特长", "skills and specialties", many=True),
        P("phone", str, "联系电话", "phone number", sensitive=True),
        P("idNumber", str, "身份证号", "ID number", sensitive=True),
        P("lastContactDate", dt.date, "最近联系日期", "date of last contact (失联 after 6 months)", filterable=True, sortable=True),
        P("reportedDate", dt.date, "双报到日期", "date reported to the residential community (双报到)", filterable=True, sortable=True),
    ), rels=(
        R("organisation", "MEMBER_OF", "out", "PartyOrg", "所在党组织", "organisation", many=False),
        R("secretaryOf", "SECRETARY_OF", "out", "PartyOrg", "担任书记的党组织", "organisations this member is secretary of"),
        R("partTimeMemberOf", "PART_TIME_MEMBER_OF", "out", "PartyOrg", "兼任委员的大党委", "big committees this member sits on part-time"),
        R("represents", "REPRESENTS", "out", "JointUnit", "代表的共建单位", "joint-building unit represented", many=False),
        R("reportedTo", "REPORTED_TO", "out", "Community", "双报到社区", "community reported to (双报到)", many=False),
        R("home", "LIVES_IN", "out", "Household", "居住户", "household lived in", many=False),
        R("ledGrids", "LEADS_GRID", "out", "Grid", "任网格长的网格", "grids led"),
        R("teams", "IN_TEAM", "out", "Team", "所在队伍", "teams"),
        R("pairings", "BY_MEMBER", "in", "Pairing", "结对帮扶", "help pairings"),
        R("resources", "OFFERED_BY", "in", "Resource", "提供的资源", "resources offered"),
        R("activities", "TOOK_PART", "out", "Activity", "参加的活动", "activities taken part in"),
    )),
    Kind("Cadre", "社区“两委”班子成员", "member of a community's two committees", "cadres", props=(
        P("name", str, "姓名", "name", required=True, filterable=True, sortable=True),
        P("gender", e.Gender, "性别", "gender", filterable=True, sortable=True),
        P("birthDate", dt.date, "出生日期", "date of birth", filterable=True, sortable=True),
        P("education", e.Education, "学历", "education", filterable=True, sortable=True),
        P("positions", e.CadrePosition, "职务", "positions", many=True, filterable=True),
        P("certificates", str, "职业资格证书", "certificates (e.g. 助理社会工作者)", many=True, filterable=True),
        P("termYear", int, "届次（换届年份）", "term, by election year", required=True, filterable=True, sortable=True),
        P("electedDate", dt.date, "当选日期", "date elected", filterable=True, sortable=True),
        P("partyMember", bool, "是否党员", "is a Party member", filterable=True),
    ), rels=(
        R("community", "SERVES", "out", "Community", "任职社区", "community", many=False),
    )),
    Kind("Person", "居民/工作人员", "resident or worker who is not recorded as a Party member", "persons", props=(
        P("name", str, "姓名", "name", required=True, filterable=True, sortable=True),
        P("gender", e.Gender, "性别", "gender", filterable=True),
        P("roles", e.PersonRole, "角色", "roles", many=True, filterable=True),
        P("phone", str, "联系电话", "phone number", sensitive=True),
    ), rels=(
        R("workedGrids", "WORKS_GRID", "out", "Grid", "负责的网格", "grids worked as grid worker"),
        R("headedBuildings", "HEADS_BUILDING", "out", "Building", "任楼长的楼栋", "buildings headed"),
        R("activities", "TOOK_PART", "out", "Activity", "参加的活动", "activities taken part in"),
    )),
    Kind("Team", "党员队伍", "team (assault team, service team, art troupe)", "teams", props=(
        P("name", str, "名称", "name", required=True, filterable=True, sortable=True),
        P("kind", e.TeamKind, "队伍类型", "kind", required=True, filterable=True, sortable=True),
        P("formedDate", dt.date, "组建日期", "date formed", filterable=True, sortable=True),
        P("purpose", str, "任务", "purpose"),
    ), rels=(
        R("members", "IN_TEAM", "in", "Member", "队员", "members"),
        R("organisedByOrg", "ORGANISED_BY", "out", "PartyOrg", "组建党组织", "organising Party organisation", many=False),
        R("organisedByStreet", "ORGANISED_BY", "out", "Street", "组建街道", "organising street", many=False),
    )),
    Kind("JointUnit", "共建单位", "joint-building unit of a big Party committee", "jointUnits", props=(
        P("name", str, "名称", "name", required=True, filterable=True, sortable=True),
        P("kind", e.UnitKind, "单位类型", "kind", filterable=True, sortable=True),
        P("agreementDate", dt.date, "共驻共建协议签订日期", "date the co-building agreement was signed", filterable=True, sortable=True),
        P("address", str, "地址", "address"),
    ), rels=(
        R("bigCommittees", "JOINT_BUILDS_WITH", "out", "PartyOrg", "加入的社区大党委", "big committees joined"),
        R("representatives", "REPRESENTS", "in", "Member", "党组织负责人（兼职委员）", "Party heads representing the unit"),
        R("resources", "OFFERED_BY", "in", "Resource", "提供的资源", "resources offered"),
        R("claimedProjects", "CLAIMED_BY", "in", "Project", "认领的项目", "projects claimed"),
    )),
    Kind("Resource", "资源（资源清单）", "resource offered (resource list)", "resources", props=(
        P("title", str, "资源名称", "title", required=True, filterable=True, sortable=True),
        P("category", e.ResourceCategory, "资源类别", "category", required=True, filterable=True, sortable=True),
        P("serviceItems", e.ServiceItem, "可服务项目", "service items it can serve", many=True, filterable=True),
        P("capacity", int, "拟认领数（容量）", "capacity", filterable=True, sortable=True),
        P("claimed", int, "已认领数", "amount already claimed", filterable=True, sortable=True),
        P("validFrom", dt.date, "有效期起", "valid from", filterable=True, sortable=True),
        P("validTo", dt.date, "有效期止", "valid to", filterable=True, sortable=True),
    ), rels=(
        R("offeredByUnit", "OFFERED_BY", "out", "JointUnit", "提供单位", "offering joint unit", many=False),
        R("offeredByMember", "OFFERED_BY", "out", "Member", "提供党员", "offering member", many=False),
        R("basedIn", "BASED_IN", "out", "Grid", "所在网格", "grid where it is based", many=False),
        R("projects", "USES", "in", "Project", "使用该资源的项目", "projects using it"),
    )),
    Kind("Need", "需求（需求清单）", "need (needs list)", "needs", props=(
        P("title", str, "需求内容", "title", required=True, filterable=True, sortable=True),
        P("category", e.NeedCategory, "需求类别", "category", required=True, filterable=True, sortable=True),
        P("serviceItem", e.ServiceItem, "对应服务项目", "service item", filterable=True),
        P("quantity", int, "数量", "quantity", filterable=True, sortable=True),
        P("urgency", e.Urgency, "紧急程度", "urgency", filterable=True, sortable=True),
        P("openedDate", dt.date, "提出日期", "date opened", filterable=True, sortable=True),
        P("status", e.NeedStatus, "状态", "status", filterable=True, sortable=True),
    ), rels=(
        R("household", "RAISED_BY", "out", "Household", "提出需求的住户", "household that raised it", many=False),
        R("grid", "RAISED_IN", "out", "Grid", "提出需求的网格", "grid that raised it", many=False),
        R("projects", "MEETS", "in", "Project", "承接项目", "projects meeting it"),
    )),
    Kind("Project", "项目（项目清单）", "project (project list: agreed or claimed project)", "projects", props=(
        P("title", str, "项目名称", "title", required=True, filterable=True, sortable=True),
        P("brand", str, "项目品牌", "project brand (e.g. 闪闪红星)", filterable=True),
        P("category", e.NeedCategory, "项目类别", "category", filterable=True, sortable=True),
        P("status", e.ProjectStatus, "状态", "status", filterable=True, sortable=True),
        P("claimedDate", dt.date, "认领日期", "date claimed", filterable=True, sortable=True),
        P("completedDate", dt.date, "完成日期", "date completed", filterable=True, sortable=True),
        P("plannedCapacity", int, "计划服务数", "planned capacity", filterable=True, sortable=True),
        P("investmentYuan", int, "投资金额（元）", "investment in yuan", filterable=True, sortable=True),
        P("output", str, "产出物", "what it delivered (e.g. 太阳能照明灯)", filterable=True),
        P("outputQuantity", int, "产出数量", "quantity delivered", filterable=True, sortable=True),
        P("outputUnit", str, "计量单位", "unit of measure (盏, 组...)"),
    ), rels=(
        R("claimedByOrg", "CLAIMED_BY", "out", "PartyOrg", "认领党组织", "claiming Party organisation", many=False),
        R("claimedByUnit", "CLAIMED_BY", "out", "JointUnit", "认领共建单位", "claiming joint unit", many=False),
        R("claimedByMember", "CLAIMED_BY", "out", "Member", "认领党员", "claiming member", many=False),
        R("needs", "MEETS", "out", "Need", "满足的需求", "needs met"),
        R("resources", "USES", "out", "Resource", "使用的资源", "resources used"),
        R("grid", "LOCATED_IN", "out", "Grid", "实施网格", "grid where it is carried out", many=False),
    )),
    Kind("Pairing", "结对帮扶", "help pairing of a member with a household", "pairings", props=(
        P("kind", e.ServiceItem, "帮扶类型", "kind of help", filterable=True, sortable=True),
        P("since", dt.date, "结对日期", "paired since", filterable=True, sortable=True),
        P("lastVisitDate", dt.date, "最近走访日期", "date of the last visit", filterable=True, sortable=True),
        P("status", e.PairingStatus, "状态", "status", filterable=True, sortable=True),
    ), rels=(
        R("member", "BY_MEMBER", "out", "Member", "帮扶党员", "helping member", many=False),
        R("household", "FOR_HOUSEHOLD", "out", "Household", "帮扶住户", "household helped", many=False),
    )),
    Kind("ServiceCarrier", "服务载体", "service carrier (station, studio, brand...)", "serviceCarriers", props=(
        P("name", str, "名称", "name", required=True, filterable=True, sortable=True),
        P("kind", e.CarrierKind, "载体类型", "kind", filterable=True, sortable=True),
        P("serviceCategories", e.ServiceCategory, "服务类别", "service categories (五大类服务)", many=True, filterable=True),
        P("openedDate", dt.date, "启用日期", "date opened", filterable=True, sortable=True),
    ), rels=(
        R("grid", "LOCATED_IN", "out", "Grid", "所在网格", "grid", many=False),
        R("runBy", "RUN_BY", "out", "PartyOrg", "主办党组织", "running organisation", many=False),
    )),
    Kind("Activity", "活动", "activity (donation drive, volunteer labour, Party day...)", "activities", props=(
        P("title", str, "活动名称", "title", required=True, filterable=True, sortable=True),
        P("kind", e.ActivityKind, "活动类型", "kind", filterable=True, sortable=True),
        P("date", dt.date, "日期", "date", filterable=True, sortable=True),
        P("itemCount", int, "募集物品数（件）", "items collected (donations)", filterable=True, sortable=True),
        P("beneficiary", str, "受益对象", "beneficiary"),
    ), rels=(
        R("organisedByOrg", "ORGANISED_BY", "out", "PartyOrg", "组织党组织", "organising Party organisation", many=False),
        R("organisedByTeam", "ORGANISED_BY", "out", "Team", "组织队伍", "organising team", many=False),
        R("grid", "HELD_IN", "out", "Grid", "举办网格", "grid where held", many=False),
        R("memberParticipants", "TOOK_PART", "in", "Member", "参加的党员", "member participants"),
        R("personParticipants", "TOOK_PART", "in", "Person", "参加的志愿者和居民", "volunteer and resident participants"),
    )),
)

KIND_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
GRID_KINDS: tuple[str, ...] = ("Community", "Area", "Complex", "Building", "StairwellUnit")
#: abstract labels a relationship may target; a node's concrete kind is its primary label
ABSTRACT_LABELS: dict[str, tuple[str, ...]] = {"Grid": GRID_KINDS}
GRID_PARENT: dict[str, str] = {"Area": "Community", "Complex": "Area", "Building": "Complex", "StairwellUnit": "Building"}
#: digits each grid level adds to its parent's code (community codes are 12 digits)
GRID_CODE_SUFFIX: dict[str, int] = {"Area": 2, "Complex": 2, "Building": 3, "StairwellUnit": 2}


def kind_of_labels(labels: list[str] | tuple[str, ...]) -> Kind:
    """The concrete kind of a node from its labels."""
    for label in labels:
        kind = KIND_BY_NAME.get(label)
        if kind is not None:
            return kind
    raise KeyError(f"no kind for labels {labels!r}")


def target_kinds(target: str) -> tuple[str, ...]:
    return ABSTRACT_LABELS.get(target, (target,))


def relationship_types() -> set[str]:
    return {r.type for k in KINDS for r in k.rels}


__all__ = [
    "Prop", "Rel", "Kind", "KINDS", "KIND_BY_NAME", "GRID_KINDS", "ABSTRACT_LABELS",
    "GRID_PARENT", "GRID_CODE_SUFFIX", "kind_of_labels", "target_kinds", "relationship_types",
]
