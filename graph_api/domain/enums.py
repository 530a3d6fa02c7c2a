"""Enumerations of the domain, each value with its Chinese term.

Values are stored in the graph as their English name (e.g. ``NEEDY_FAMILY``); the Chinese
label is the description staff read in GraphiQL and the label loaders accept.
"""

from __future__ import annotations

from enum import Enum


class LabelledEnum(str, Enum):
    """A string enum whose members carry a Chinese label (``zh``) and an English one (``en``)."""

    zh: str
    en: str

    def __new__(cls, value: str, zh: str, en: str) -> "LabelledEnum":
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en = en
        return member

    @property
    def description(self) -> str:
        return f"{self.zh} · {self.en}"


class GridLevel(LabelledEnum):
    COMMUNITY = ("COMMUNITY", "社区网格", "community grid (level 1)")
    AREA = ("AREA", "片区网格", "area grid (level 2)")
    COMPLEX = ("COMPLEX", "小区网格", "residential complex grid (level 3)")
    BUILDING = ("BUILDING", "楼栋网格", "building grid (level 4)")
    UNIT = ("UNIT", "单元网格", "stairwell unit grid (level 5)")


class Gender(LabelledEnum):
    MALE = ("MALE", "男", "male")
    FEMALE = ("FEMALE", "女", "female")


class Education(LabelledEnum):
    PRIMARY = ("PRIMARY", "小学", "primary school")
    JUNIOR_HIGH = ("JUNIOR_HIGH", "初中", "junior high school")
    SENIOR_HIGH = ("SENIOR_HIGH", "高中/中专", "senior high or vocational school")
    ASSOCIATE = ("ASSOCIATE", "大专", "associate degree")
    BACHELOR = ("BACHELOR", "本科", "bachelor's degree")
    POSTGRADUATE = ("POSTGRADUATE", "研究生", "postgraduate degree")


class MemberCategory(LabelledEnum):
    EMPLOYED = ("EMPLOYED", "在职党员", "employed member")
    RETIRED = ("RETIRED", "退休党员", "retired member")
    MOBILE = ("MOBILE", "流动党员", "mobile (migrant) member")


class OrgKind(LabelledEnum):
    DISTRICT_COMMITTEE = ("DISTRICT_COMMITTEE", "区委", "district Party committee")
    STREET_WORKING_COMMITTEE = ("STREET_WORKING_COMMITTEE", "街道党工委", "street Party working committee")
    COMMUNITY_COMMITTEE = ("COMMUNITY_COMMITTEE", "社区党委", "community Party committee")
    GENERAL_BRANCH = ("GENERAL_BRANCH", "党总支", "general Party branch")
    BRANCH = ("BRANCH", "党支部", "Party branch")
    GRID_GROUP = ("GRID_GROUP", "网格党小组", "grid Party group")
    BIG_COMMITTEE = ("BIG_COMMITTEE", "社区大党委", "community big Party committee")
    UNIT_ORG = ("UNIT_ORG", "驻区单位党组织", "Party organisation of a resident unit")


class CadrePosition(LabelledEnum):
    SECRETARY = ("SECRETARY", "社区党组织书记", "community Party secretary")
    DIRECTOR = ("DIRECTOR", "居委会主任", "residents' committee director")
    DEPUTY_SECRETARY = ("DEPUTY_SECRETARY", "副书记", "deputy secretary")
    DEPUTY_DIRECTOR = ("DEPUTY_DIRECTOR", "副主任", "deputy director")
    COMMITTEE_MEMBER = ("COMMITTEE_MEMBER", "委员", "committee member")


class PersonRole(LabelledEnum):
    GRID_WORKER = ("GRID_WORKER", "专职网格员", "full-time grid worker")
    BUILDING_HEAD = ("BUILDING_HEAD", "楼长", "building head")
    VOLUNTEER = ("VOLUNTEER", "志愿者", "volunteer")
    CONGRESS_DEPUTY = ("CONGRESS_DEPUTY", "两代表一委员", "Party/people's congress deputy or CPPCC member")
    PROFESSIONAL = ("PROFESSIONAL", "专业力量", "professional force (police, lawyer, doctor...)")


class Occupancy(LabelledEnum):
    RESIDENT = ("RESIDENT", "常住", "owner-occupied resident")
    RENTED = ("RENTED", "租房", "rented")
    VACANT = ("VACANT", "空房", "vacant")
    SHOP = ("SHOP", "底商", "ground-floor shop")


class CareCategory(LabelledEnum):
    NEEDY_FAMILY = ("NEEDY_FAMILY", "困难家庭", "needy family")
    MINIMUM_LIVELIHOOD = ("MINIMUM_LIVELIHOOD", "低保户", "minimum-livelihood household")
    ELDERLY_ALONE = ("ELDERLY_ALONE", "独居老人", "elderly person living alone")
    DISABLED = ("DISABLED", "残疾人", "person with a disability")
    ORPHAN = ("ORPHAN", "孤儿", "orphan")
    LEFT_BEHIND_CHILD = ("LEFT_BEHIND_CHILD", "留守儿童", "left-behind child")
    STUDENT_AID = ("STUDENT_AID", "助学对象", "university student from a 低保 family (study aid)")


class RiskTier(LabelledEnum):
    HIGH = ("HIGH", "高风险（每周走访）", "high risk, visited weekly")
    KEY = ("KEY", "重点（每月走访）", "key, visited monthly")
    GENERAL = ("GENERAL", "一般（每季度走访）", "general, visited quarterly")


class ServiceItem(LabelledEnum):
    ELDERLY = ("ELDERLY", "助老", "help for the elderly")
    STUDY = ("STUDY", "助学", "study aid")
    ORPHAN = ("ORPHAN", "助孤", "help for orphans")
    DISABLED = ("DISABLED", "助残", "help for the disabled")
    POVERTY = ("POVERTY", "助贫", "poverty relief")
    CONVENIENCE = ("CONVENIENCE", "便民服务", "convenience services")


class ServiceCategory(LabelledEnum):
    PUBLIC_UTILITY = ("PUBLIC_UTILITY", "公共事业", "public utilities")
    RELIEF = ("RELIEF", "救助", "relief")
    CONVENIENCE = ("CONVENIENCE", "便民", "convenience")
    PARTY_AFFAIRS = ("PARTY_AFFAIRS", "党务", "Party affairs")
    VOLUNTEER = ("VOLUNTEER", "志愿", "volunteering")


class PairingStatus(LabelledEnum):
    ACTIVE = ("ACTIVE", "帮扶中", "active")
    ENDED = ("ENDED", "已结束", "ended")


class TeamKind(LabelledEnum):
    ASSAULT = ("ASSAULT", "党员突击队", "Party-member assault team")
    SERVICE = ("SERVICE", "党员服务队", "Party-member service team")
    ART_TROUPE = ("ART_TROUPE", "艺术团", "art troupe")
    VOLUNTEER = ("VOLUNTEER", "志愿服务队", "volunteer team")


class UnitKind(LabelledEnum):
    AGENCY = ("AGENCY", "机关单位", "government agency")
    PUBLIC_INSTITUTION = ("PUBLIC_INSTITUTION", "事业单位", "public institution")
    ENTERPRISE = ("ENTERPRISE", "非公企业", "non-public enterprise")
    SOCIAL_ORG = ("SOCIAL_ORG", "社会组织", "social organisation")


class NeedCategory(LabelledEnum):
    GOODS = ("GOODS", "物品类", "goods")
    SERVICE = ("SERVICE", "服务类", "services")
    SMALL_WISH = ("SMALL_WISH", "微心愿", "small wish")
    HARDSHIP = ("HARDSHIP", "困难帮扶", "hardship help")
    TRAINING = ("TRAINING", "培训讲座", "training and talks")
    TEAM_ACTIVITY = ("TEAM_ACTIVITY", "团队活动", "team activities")
    ENVIRONMENT = ("ENVIRONMENT", "环境整治", "environment renovation")
    FACILITY = ("FACILITY", "设施建设", "facilities")


class ResourceCategory(LabelledEnum):
    PUBLIC_SERVICE = ("PUBLIC_SERVICE", "公共服务", "public services")
    VENUE = ("VENUE", "场地", "venues")
    SKILL = ("SKILL", "专业技能", "professional skills")
    FUNDS = ("FUNDS", "资金", "funds")
    EQUIPMENT = ("EQUIPMENT", "设备物资", "equipment and goods")
    VOLUNTEERS = ("VOLUNTEERS", "志愿者", "volunteers")


class Urgency(LabelledEnum):
    LOW = ("LOW", "不急", "low")
    NORMAL = ("NORMAL", "一般", "normal")
    HIGH = ("HIGH", "较急", "high")
    URGENT = ("URGENT", "紧急", "urgent")


class NeedStatus(LabelledEnum):
    OPEN = ("OPEN", "待认领", "open")
    MATCHED = ("MATCHED", "已认领", "matched to a project")
    MET = ("MET", "已完成", "met")
    CLOSED = ("CLOSED", "已关闭", "closed without being met")


class ProjectStatus(LabelledEnum):
    PLANNED = ("PLANNED", "计划中", "planned")
    CLAIMED = ("CLAIMED", "已认领", "claimed")
    IN_PROGRESS = ("IN_PROGRESS", "实施中", "in progress")
    DONE = ("DONE", "已完成", "done")


class CarrierKind(LabelledEnum):
    RED_STATION = ("RED_STATION", "红色驿站", "Red Station (红色驿站) service point")
    STUDIO = ("STUDIO", "代表委员工作室", "studio of deputies and CPPCC members")
    ACTIVITY_ROOM = ("ACTIVITY_ROOM", "多功能活动室", "multi-purpose activity room")
    VOLUNTEER_STATION = ("VOLUNTEER_STATION", "志愿服务站", "volunteer service station")
    CULTURE_SITE = ("CULTURE_SITE", "文化阵地", "culture site (history corridor, square)")
    SERVICE_BRAND = ("SERVICE_BRAND", "特色服务品牌", "distinctive service brand")


class ActivityKind(LabelledEnum):
    DONATION = ("DONATION", "募捐", "donation drive")
    VOLUNTEER_LABOUR = ("VOLUNTEER_LABOUR", "义务劳动", "volunteer labour")
    PARTY_DAY = ("PARTY_DAY", "主题党日", "Party day")
    PERFORMANCE = ("PERFORMANCE", "文艺演出", "performance")
    EPIDEMIC_DUTY = ("EPIDEMIC_DUTY", "疫情防控", "epidemic duty")
    TALK = ("TALK", "宣讲", "talk")


ALL_ENUMS: tuple[type[LabelledEnum], ...] = tuple(LabelledEnum.__subclasses__())
