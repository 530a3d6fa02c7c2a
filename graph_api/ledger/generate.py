"""Deterministic generated data in tiers, with the sample's shape and planted coverage gaps.

``generate_tier(tier, seed)`` yields :class:`GraphData` chunks of an invented city:

* **S** — one street of six communities, about 20,000 households;
* **M** — one district of five streets (30 communities), about 100,000 households;
* **L** — one city of six districts (300 communities), about 1,000,000 households.

Chunks, in order: a head chunk (``meta`` with the description, the tier, the exact household
count and ``plantedGaps``; every District and its district committee), then for each street a
street chunk (Street, street working committee, assault teams, art troupe) followed by one
chunk per community. Every edge sits in the chunk of its source node and points at a node of
that chunk or of an earlier one, so chunks can be loaded or exported one at a time (the
street-level joint unit, which joins every big committee of its street, is therefore placed in
the street's last community chunk). Nothing but the current chunk and a few counters is held:
tier L streams.

Proportions follow the sample (``loaders/sample/qinghemen.json``): about one Party member per
four households in branches of at most 50, grid Party groups covering buildings or stairwell
units, a grid leader and a grid worker per area and complex, two terms of six or seven
"two committees" cadres per community, about 5% of occupied households in care categories with
about 0.9 pairings each, joint units with resources and projects, needs, service carriers,
teams and activities. Communities are larger than the sample's (about 3,300 households, with
walk-ups, mid-rise and high-rise buildings). Codes follow the sample: district 6 digits (an
invented prefecture ``2199``), street +3, community +3, area +2, complex +2, building +3, unit
+2; a household is ``<unit id>-<room>``; grid ids equal their codes. Ids of other records start
with their community's code (``219901001001-M0007``), so they never collide within a tier.

Planted gaps (the twelve checks of the sample's ``plantedGaps``) are decided by a plan made
before any record is generated, from the grid shapes alone, so the full list is known up front:
it is in the head chunk's ``meta["plantedGaps"]`` and returned by :func:`planted_gaps` without
generating the data. Apart from the planted records, nothing fails any of the 21 checks of
``graph-api audit`` (the tests run the audit on tier S). Counts per tier are fixed by :data:`GAP_RATES` (per community).

Determinism: every random choice comes from ``random.Random`` seeded with a string made of the
seed, the tier and (per community) the community's code; no set is iterated, no ``hash()`` used.
Same tier and seed, same chunks, byte for byte.

Everything is invented: names are "surname + 某 + number", places start with 示例 or are
generic, phone numbers are ``1390`` + a sequence, ID numbers are the district code + birth date
+ sequence 900-999 (beyond 50 people of one birth date and sex: 000-899) + a valid check digit.

Run ``python -m graph_api.ledger.generate S`` for counts and timing of a tier.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graph_api.domain.graphdata import GraphData
from graph_api.domain.values import ID_CHECK, ID_WEIGHTS
from graph_api.sample.builder import add_years, age_at

DEFAULT_SEED = 20220630
#: raised whenever the same tier and seed give different data (cached copies are then regenerated)
GENERATOR_VERSION = 2
AS_OF = dt.date(2022, 6, 30)
ELECTED_2021 = dt.date(2021, 5, 15)
ELECTED_2018 = dt.date(2018, 5, 15)
CITY_CODE = "2199"  # an invented prefecture of Liaoning (21): plainly not a real GB/T 2260 code
CITY_NAME = "示例市"


@dataclass(frozen=True)
class Tier:
    """A size of generated data: the territory and the nominal number of households."""

    name: str
    districts: int
    streets_per_district: int
    communities_per_street: int
    households: int  # nominal; the exact count of a seed is tier_households(tier, seed)
    zh: str
    en: str

    @property
    def streets(self) -> int:
        return self.districts * self.streets_per_district

    @property
    def communities(self) -> int:
        return self.streets * self.communities_per_street

    def as_dict(self) -> dict[str, Any]:
        return {"tier": self.name, "households": self.households, "districts": self.districts,
                "streets": self.streets, "communities": self.communities, "zh": self.zh, "en": self.en}


TIERS: dict[str, Tier] = {
    "S": Tier("S", 1, 1, 6, 20_000, "一个街道（6个社区），约2万户",
              "one street (6 communities), about 20,000 households"),
    "M": Tier("M", 1, 5, 6, 100_000, "一个区（5个街道、30个社区），约10万户",
              "one district (5 streets, 30 communities), about 100,000 households"),
    "L": Tier("L", 6, 5, 10, 1_000_000, "一个市（6个区、30个街道、300个社区），约100万户",
              "one city (6 districts, 30 streets, 300 communities), about 1,000,000 households"),
}

#: (check, kind, planted per community as numerator/denominator); totals are rounded per tier
GAP_RATES: tuple[tuple[str, str, int, int], ...] = (
    ("community_below_star_target", "PartyOrg", 1, 3),
    ("branch_without_committee", "PartyOrg", 1, 2),
    ("member_out_of_contact", "Member", 2, 1),
    ("employed_member_not_reported", "Member", 3, 1),
    ("building_without_party_group", "Building", 1, 1),
    ("grid_without_leader", "Area", 1, 3),
    ("grid_without_worker", "Complex", 1, 2),
    ("needy_household_without_helper", "Household", 2, 1),
    ("pairing_past_visit_deadline", "Pairing", 2, 1),
    ("big_committee_without_part_time_member", "PartyOrg", 1, 3),
    ("joint_unit_resources_no_project", "JointUnit", 1, 2),
    ("open_need_overdue", "Need", 1, 1),
)
GAP_CHECKS = tuple(check for check, *_ in GAP_RATES)

# --- vocabulary (after graph_api/sample/builder.py, copied so the sample can change freely) ----
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
            "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
CN_DIGITS = "一二三四五六七八九"
DISTRICT_NAMES = ("示例河东区", "示例河西区", "示例新城区", "示例北塔区", "示例南湖区", "示例高新区")
STREET_WORDS = ("新华", "建设", "和平", "人民", "解放", "胜利", "光明", "幸福", "团结", "友谊", "长青", "东风",
                "红旗", "向阳", "朝阳", "文化", "工人", "新兴", "兴隆", "永安", "振兴", "民主", "育英", "青年",
                "长安", "北关", "南关", "西湖", "东湖", "站前", "铁西", "河滨")
NAME_FIRST = "福康和兴安嘉锦瑞祥泰丰华景润怡馨盛金翠春鑫宏长宁"
COMMUNITY_SECOND = "园苑林湖山泉河桥湾城港源台坊岭"
COMPLEX_SUFFIXES = ("苑", "小区", "家园", "里", "花园")
SPECIALTIES = ("理发", "家电维修", "水电维修", "法律咨询", "书法", "医疗护理", "心理疏导", "电脑维修", "文艺演出",
               "厨艺", "辅导功课", "摄影", "中医推拿", "手机使用教学", "剪纸", "太极拳")
SERVICE_ORDER = ("ELDERLY", "STUDY", "ORPHAN", "DISABLED", "POVERTY", "CONVENIENCE")
BRANDS = ("红色管家", "邻里守望", "银龄互助", "暖心驿站", "党员先锋岗", "红色议事厅", "幸福加油站", "初心课堂")
JOINT_UNIT_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("市场监督管理所", "AGENCY"), ("税务所", "AGENCY"), ("司法所", "AGENCY"), ("城市管理执法中队", "AGENCY"),
    ("退役军人服务站", "AGENCY"), ("人力资源和社会保障服务站", "AGENCY"), ("派出所警务室", "AGENCY"),
    ("第一小学", "PUBLIC_INSTITUTION"), ("实验中学", "PUBLIC_INSTITUTION"), ("幼儿园", "PUBLIC_INSTITUTION"),
    ("社区卫生服务中心", "PUBLIC_INSTITUTION"), ("图书馆分馆", "PUBLIC_INSTITUTION"), ("文化站", "PUBLIC_INSTITUTION"),
    ("中心医院分院", "PUBLIC_INSTITUTION"), ("职业技术学校", "PUBLIC_INSTITUTION"),
    ("超市连锁门店", "ENTERPRISE"), ("建筑工程有限公司", "ENTERPRISE"), ("农商银行支行", "ENTERPRISE"),
    ("家政服务有限公司", "ENTERPRISE"), ("药房连锁门店", "ENTERPRISE"), ("餐饮有限公司", "ENTERPRISE"),
    ("电器维修服务部", "ENTERPRISE"), ("运输有限公司", "ENTERPRISE"), ("新能源科技有限公司", "ENTERPRISE"),
    ("装饰工程有限公司", "ENTERPRISE"),
    ("义工联合会", "SOCIAL_ORG"), ("社会工作服务中心", "SOCIAL_ORG"), ("老年大学协会", "SOCIAL_ORG"),
    ("书画协会", "SOCIAL_ORG"), ("律师事务所", "SOCIAL_ORG"), ("志愿者协会", "SOCIAL_ORG"),
    ("养老服务中心", "SOCIAL_ORG"), ("慈善会", "SOCIAL_ORG"),
)
RESOURCE_BY_UNIT_KIND = {
    "AGENCY": ("PUBLIC_SERVICE", "SKILL", "VOLUNTEERS"),
    "PUBLIC_INSTITUTION": ("VENUE", "SKILL", "PUBLIC_SERVICE", "VOLUNTEERS"),
    "ENTERPRISE": ("FUNDS", "EQUIPMENT", "VOLUNTEERS"),
    "SOCIAL_ORG": ("VOLUNTEERS", "SKILL", "PUBLIC_SERVICE"),
}
RESOURCE_TITLES = {
    "PUBLIC_SERVICE": "政策咨询和办事代办服务", "VENUE": "活动场地开放", "SKILL": "专业技能志愿服务",
    "FUNDS": "共建资金", "EQUIPMENT": "设备物资捐赠", "VOLUNTEERS": "志愿者队伍",
}
RESOURCE_ITEMS = {
    "PUBLIC_SERVICE": ("CONVENIENCE", "POVERTY"), "VENUE": ("STUDY", "CONVENIENCE"),
    "SKILL": ("ELDERLY", "DISABLED", "STUDY"), "FUNDS": ("POVERTY", "STUDY"),
    "EQUIPMENT": ("CONVENIENCE", "ELDERLY"), "VOLUNTEERS": ("ELDERLY", "CONVENIENCE"),
}
SERVICE_PROJECTS = {
    "AGENCY": (("政策宣讲进社区", "TRAINING", None), ("法律援助上门服务", "SERVICE", "POVERTY"),
               ("就业技能培训", "TRAINING", None)),
    "PUBLIC_INSTITUTION": (("假期学生托管", "SERVICE", "STUDY"), ("义诊进社区", "SERVICE", "ELDERLY"),
                           ("场地开放共享", "TEAM_ACTIVITY", None), ("读书分享会", "TRAINING", "STUDY")),
    "ENTERPRISE": (("困难家庭慰问", "HARDSHIP", "POVERTY"), ("楼道环境整治", "ENVIRONMENT", None),
                   ("便民维修服务日", "SERVICE", "CONVENIENCE"), ("爱心物资捐赠", "GOODS", "POVERTY")),
    "SOCIAL_ORG": (("独居老人关爱服务", "SERVICE", "ELDERLY"), ("残疾人康复陪伴", "SERVICE", "DISABLED"),
                   ("志愿服务队进小区", "TEAM_ACTIVITY", None), ("微心愿认领", "SMALL_WISH", "POVERTY")),
}
#: (output, unit of measure, quantity range, yuan per item) of facility projects claimed in 2021
FACILITIES = (("太阳能照明灯", "盏", (8, 20), 2_600), ("便民公共设施", "组", (6, 12), 1_500),
              ("健身器材", "套", (6, 12), 2_400), ("文化广场", "处", (1, 1), 72_000),
              ("党史宣传长廊", "处", (1, 1), 85_000))
#: (category, title, service item, raised by a household?)
OPEN_NEEDS = (
    ("GOODS", "冬季棉衣被褥", "POVERTY", True), ("SERVICE", "上门助浴服务", "ELDERLY", True),
    ("SMALL_WISH", "孩子想要一套课外读物", "STUDY", True), ("HARDSHIP", "医疗费用临时救助", "POVERTY", True),
    ("SERVICE", "家中电路检修", "CONVENIENCE", True), ("TRAINING", "老年人智能手机使用培训", None, False),
    ("TEAM_ACTIVITY", "组建广场舞队需要场地", None, False), ("FACILITY", "单元门禁损坏需更换", None, False),
    ("ENVIRONMENT", "楼道杂物清理", None, False), ("FACILITY", "增设电动车充电桩", None, False),
    ("SERVICE", "残疾人康复辅具申领协助", "DISABLED", True), ("GOODS", "助学期间学习用电脑", "STUDY", True),
)
SMALL_WISHES = ("为独居老人购买助听器", "为孩子添置书包和文具", "更换老旧门锁", "修理家用电器", "上门理发", "陪同就医")

#: care categories of occupied households: (categories, weight) after the sample's mix
CARE_COMBOS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("NEEDY_FAMILY",), 60), (("ELDERLY_ALONE",), 57), (("NEEDY_FAMILY", "MINIMUM_LIVELIHOOD"), 28),
    (("DISABLED",), 24), (("MINIMUM_LIVELIHOOD",), 19), (("MINIMUM_LIVELIHOOD", "STUDENT_AID"), 18),
    (("NEEDY_FAMILY", "DISABLED"), 10), (("LEFT_BEHIND_CHILD",), 9), (("ORPHAN",), 2),
)
CARE_RATE = 0.053  # share of occupied households in a care category (sample: 227 of 4,260)
#: risk tier weights (HIGH, KEY, GENERAL) by the first care category
RISK_WEIGHTS = {"NEEDY_FAMILY": (0.15, 0.45, 0.40), "MINIMUM_LIVELIHOOD": (0.0, 0.4, 0.6),
                "ELDERLY_ALONE": (0.3, 0.5, 0.2), "DISABLED": (0.1, 0.5, 0.4), "ORPHAN": (0.3, 0.7, 0.0),
                "LEFT_BEHIND_CHILD": (0.0, 0.6, 0.4), "STUDENT_AID": (0.0, 0.3, 0.7)}
VISIT_DEADLINE = {"HIGH": 7, "KEY": 31, "GENERAL": 92}  # days, by risk tier
VISIT_MARGIN = {"HIGH": 6, "KEY": 28, "GENERAL": 85}  # the latest visit of an on-time pairing
OVERDUE_NEED_DAYS = 60
OUT_OF_CONTACT_BEFORE = dt.date(2021, 12, 30)  # six months before AS_OF
#: building types: (weight, floors choices, doors per floor (lo, hi), units (lo, hi))
BUILDING_TYPES = ((0.6, (5, 6, 6, 6, 7), (2, 2), (2, 4)),  # walk-up
                  (0.2, (9, 10, 11, 12), (2, 2), (2, 3)),  # mid-rise
                  (0.2, (18, 24, 26, 28, 32, 33), (2, 4), (1, 2)))  # high-rise


# --- small helpers -------------------------------------------------------------------------------
def _cn(n: int) -> str:
    """1..99 in Chinese numerals (第十二片区)."""
    if n < 10:
        return CN_DIGITS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens - 1]) + "十" + (CN_DIGITS[ones - 1] if ones else "")


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return dt.date.fromordinal(start.toordinal() + rng.randint(0, (end - start).days))


def _birth_for_age(rng: random.Random, age: int, on: dt.date = AS_OF) -> dt.date:
    """A birth date giving exactly ``age`` whole years on ``on``."""
    start = add_years(on, -(age + 1)) + dt.timedelta(days=1)
    return _day(rng, start, add_years(on, -age))


def _pick(rng: random.Random, items: tuple[Any, ...] | list[Any], weights: tuple[float, ...]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def _gap(check: str, kind: str, id_: str, zh: str, en: str) -> dict[str, str]:
    return {"check": check, "kind": kind, "id": id_, "zh": zh, "en": en}


# --- the plan: territory, grid shapes and planted gaps, decided before any record ----------------
@dataclass
class _Building:
    code: str
    name: str
    no: int
    floors: int
    doors: int
    units: int

    @property
    def households(self) -> int:
        return self.floors * self.doors * self.units


@dataclass
class _Complex:
    code: str
    name: str
    buildings: list[_Building] = field(default_factory=list)


@dataclass
class _Area:
    code: str
    name: str
    complexes: list[_Complex] = field(default_factory=list)


@dataclass
class _CommunityPlan:
    code: str
    name: str
    street: str
    street_name: str
    district: str
    district_name: str
    areas: list[_Area]
    households: int
    members: int
    branch_sizes: list[int]
    joint_units: int
    assault_teams: list[str]  # team ids (street-level teams named after this community)
    star: tuple[int, int] = (3, 3)  # (rating, target)
    last_of_street: bool = False
    # planted gaps (membership only; lists keep the order)
    uncovered_buildings: list[str] = field(default_factory=list)
    leaderless_areas: list[str] = field(default_factory=list)
    workerless_complexes: list[str] = field(default_factory=list)
    unhelped_households: list[str] = field(default_factory=list)
    late_pairings: dict[int, dt.date] = field(default_factory=dict)  # pairing number -> last visit
    unreported_members: list[int] = field(default_factory=list)  # member numbers
    lost_members: dict[int, dt.date] = field(default_factory=dict)  # member number -> last contact
    idle_joint_units: list[int] = field(default_factory=list)  # joint unit numbers
    overdue_needs: list[tuple[str, str, str | None, bool, dt.date]] = field(default_factory=list)
    no_part_timer: bool = False
    branch_without_committee: bool = False

    @property
    def buildings(self) -> list[_Building]:
        return [b for a in self.areas for x in a.complexes for b in x.buildings]

    @property
    def complexes(self) -> list[_Complex]:
        return [x for a in self.areas for x in a.complexes]


@dataclass
class _StreetPlan:
    code: str
    name: str
    district: str
    district_name: str
    communities: list[_CommunityPlan] = field(default_factory=list)
    assault_teams: list[tuple[str, str]] = field(default_factory=list)  # (team id, community name)


@dataclass
class _DistrictPlan:
    code: str
    name: str
    streets: list[_StreetPlan] = field(default_factory=list)


@dataclass
class _TierPlan:
    tier: Tier
    seed: int
    districts: list[_DistrictPlan]
    gaps: list[dict[str, str]]

    @property
    def communities(self) -> list[_CommunityPlan]:
        return [c for d in self.districts for s in d.streets for c in s.communities]

    @property
    def households(self) -> int:
        return sum(c.households for c in self.communities)


def _tier(tier: str) -> Tier:
    found = TIERS.get(tier.upper()) if isinstance(tier, str) else None
    if found is None:
        raise ValueError(f"unknown tier {tier!r}: one of {', '.join(TIERS)}")
    return found


def _shape(rng: random.Random, code: str, name: str, target: int) -> tuple[list[_Area], int]:
    """Areas, complexes, buildings and units of a community until ``target`` households."""
    pairs = [a + b for a in NAME_FIRST for b in NAME_FIRST if a != b]
    complex_names = rng.sample(pairs, 80)
    weights = tuple(t[0] for t in BUILDING_TYPES)
    areas: list[_Area] = []
    households = 0
    while households < target:
        a = len(areas) + 1
        area = _Area(f"{code}{a:02d}", f"{name}第{_cn(a)}片区")
        areas.append(area)
        for x in range(1, rng.randint(2, 5) + 1):
            if households >= target:
                break
            n = sum(len(ar.complexes) for ar in areas)
            if n < len(complex_names):
                cx_name = complex_names[n] + rng.choice(COMPLEX_SUFFIXES)
            else:
                cx_name = f"{name}第{n + 1}小区"
            cx = _Complex(f"{area.code}{x:02d}", cx_name)
            area.complexes.append(cx)
            for b in range(1, rng.randint(3, 12) + 1):
                if households >= target:
                    break
                _, floors, doors, units = _pick(rng, BUILDING_TYPES, weights)
                bld = _Building(f"{cx.code}{b:03d}", f"{cx_name}{b}号楼", b, rng.choice(floors),
                                rng.randint(*doors), rng.randint(*units))
                cx.buildings.append(bld)
                households += bld.households
    return areas, households


def _branch_sizes(rng: random.Random, members: int) -> list[int]:
    """Branch sizes: big branches of at most 50 (largest first), sometimes a small one of 3-6."""
    small = rng.randint(3, 6) if rng.random() < 0.35 else 0
    rest = members - small
    if rest <= 50:
        return [rest] + ([small] if small else [])
    nb = max(1, math.ceil(rest / rng.randint(34, 44)))
    while True:
        weights = [rng.uniform(0.85, 1.15) for _ in range(nb)]
        sizes = [int(rest * w / sum(weights)) for w in weights]
        sizes[0] += rest - sum(sizes)
        if max(sizes) <= 50 and min(sizes) >= 7:
            break
        nb += 1
    sizes.sort(reverse=True)
    return sizes + ([small] if small else [])


def _plan(tier_name: str, seed: int) -> _TierPlan:
    tier = _tier(tier_name)
    rng = random.Random(f"{seed}/{tier.name}/shape")
    weights = [rng.uniform(0.7, 1.3) for _ in range(tier.communities)]
    targets = [round(tier.households * w / sum(weights)) for w in weights]
    street_words = list(STREET_WORDS)
    rng.shuffle(street_words)
    community_names = [a + b for a in NAME_FIRST for b in COMMUNITY_SECOND]
    rng.shuffle(community_names)
    districts: list[_DistrictPlan] = []
    ci = si = 0
    for d in range(tier.districts):
        district = _DistrictPlan(f"{CITY_CODE}{d + 1:02d}", DISTRICT_NAMES[d])
        districts.append(district)
        for s in range(tier.streets_per_district):
            street = _StreetPlan(f"{district.code}{s + 1:03d}", f"{street_words[si % len(street_words)]}街道",
                                 district.code, district.name)
            si += 1
            district.streets.append(street)
            for c in range(tier.communities_per_street):
                code = f"{street.code}{c + 1:03d}"
                name = f"{community_names[ci]}社区"
                areas, households = _shape(rng, code, name, targets[ci])
                ci += 1
                members = round(households * rng.uniform(0.21, 0.27))
                teams = []
                for _ in range(rng.randint(1, 2)):
                    team_id = f"T{street.code}A{len(street.assault_teams) + 1:02d}"
                    street.assault_teams.append((team_id, name))
                    teams.append(team_id)
                street.communities.append(_CommunityPlan(
                    code=code, name=name, street=street.code, street_name=street.name, district=district.code,
                    district_name=district.name, areas=areas, households=households, members=members,
                    branch_sizes=_branch_sizes(rng, members), joint_units=rng.randint(4, 8), assault_teams=teams))
            street.communities[-1].last_of_street = True
    plan = _TierPlan(tier, seed, districts, [])
    plan.gaps = _plant_gaps(plan, random.Random(f"{seed}/{tier.name}/gaps"))
    return plan


def _plant_gaps(plan: _TierPlan, rng: random.Random) -> list[dict[str, str]]:
    """Decide every planted gap (and the star ratings); returns the gap list, check by check."""
    comms = plan.communities
    n = len(comms)
    per_comm: dict[str, list[int]] = {}
    for check, _kind, num, den in GAP_RATES:
        total = max(1, (num * n + den // 2) // den)
        counts = [total // n] * n
        for i in rng.sample(range(n), total % n):
            counts[i] += 1
        per_comm[check] = counts
    found: dict[str, list[dict[str, str]]] = {check: [] for check in GAP_CHECKS}
    for i, c in enumerate(comms):
        def count(check: str) -> int:
            return per_comm[check][i]

        # star ratings: the planted ones below target, every other one at or above it
        if count("community_below_star_target"):
            target = rng.choice((3, 4, 5))
            c.star = (target - 1, target)
            found["community_below_star_target"].append(_gap(
                "community_below_star_target", "PartyOrg", f"PO{c.code}",
                f"{c.name}党委当前{target - 1}星，低于争创目标{target}星",
                f"{c.name} Party committee is rated {target - 1} stars, below its target of {target}"))
        else:
            rating = _pick(rng, (2, 3, 4, 5), (0.1, 0.3, 0.4, 0.2))
            c.star = (rating, rating if rng.random() < 0.8 else rating - 1)
        if count("branch_without_committee"):
            c.branch_without_committee = True
            found["branch_without_committee"].append(_gap(
                "branch_without_committee", "PartyOrg", f"PO{c.code}B1",
                f"中共{c.name}第一支部有{c.branch_sizes[0]}名党员，未设支部委员会",
                f"branch 1 of {c.name} has {c.branch_sizes[0]} members but no branch committee"))
        # members: numbers 2.. (1 is the community secretary); lost and unreported are distinct
        n_lost, n_unreported = count("member_out_of_contact"), count("employed_member_not_reported")
        picked = rng.sample(range(2, c.members + 1), n_lost + n_unreported)
        for number in picked[:n_lost]:
            last = AS_OF - dt.timedelta(days=rng.randint(190, 420))
            c.lost_members[number] = last
            mid = f"{c.code}-M{number:04d}"
            found["member_out_of_contact"].append(_gap(
                "member_out_of_contact", "Member", mid, f"{c.name}党员{mid}最近联系于{last.isoformat()}，已失联超过6个月",
                f"member of {c.name} last contacted on {last.isoformat()}, out of contact for 6+ months"))
        for number in picked[n_lost:]:
            c.unreported_members.append(number)
            mid = f"{c.code}-M{number:04d}"
            found["employed_member_not_reported"].append(_gap(
                "employed_member_not_reported", "Member", mid, f"在职党员{mid}（{c.name}）未到居住社区报到",
                f"employed member of {c.name} has not reported to the residential community (双报到)"))
        buildings = c.buildings
        multi = [b for b in buildings if b.units >= 2] or buildings
        for b in rng.sample(multi, min(len(multi), count("building_without_party_group"))):
            c.uncovered_buildings.append(b.code)
            found["building_without_party_group"].append(_gap(
                "building_without_party_group", "Building", b.code, f"{c.name}{b.name}（含全部单元）未建立网格党小组",
                f"building {b.name} in {c.name} and all its units have no grid Party group"))
        for a in rng.sample(c.areas, min(len(c.areas), count("grid_without_leader"))):
            c.leaderless_areas.append(a.code)
            found["grid_without_leader"].append(_gap(
                "grid_without_leader", "Area", a.code, f"{a.name}未明确网格长", f"area {a.name} has no grid leader"))
        complexes = c.complexes
        for x in rng.sample(complexes, min(len(complexes), count("grid_without_worker"))):
            c.workerless_complexes.append(x.code)
            found["grid_without_worker"].append(_gap(
                "grid_without_worker", "Complex", x.code, f"{x.name}（{c.name}）未配备专职网格员",
                f"residential complex {x.name} in {c.name} has no full-time grid worker"))
        units = [(b, u) for b in buildings for u in range(1, b.units + 1)]
        for b, u in rng.sample(units, count("needy_household_without_helper")):
            room = f"{rng.randint(2, b.floors)}{rng.randint(1, b.doors):02d}"  # not a ground-floor shop
            hid = f"{b.code}{u:02d}-{room}"
            c.unhelped_households.append(hid)
            found["needy_household_without_helper"].append(_gap(
                "needy_household_without_helper", "Household", hid, f"{c.name}困难家庭{hid}尚无结对帮扶党员",
                f"needy household {hid} in {c.name} has no paired member"))
        for number in sorted(rng.sample(range(1, 31), count("pairing_past_visit_deadline"))):
            last = AS_OF - dt.timedelta(days=rng.randint(100, 200))
            c.late_pairings[number] = last
            pid = f"{c.code}-PR{number:04d}"
            found["pairing_past_visit_deadline"].append(_gap(
                "pairing_past_visit_deadline", "Pairing", pid,
                f"{c.name}结对帮扶{pid}最近走访于{last.isoformat()}，已超过走访期限",
                f"pairing {pid} in {c.name} last visited {last.isoformat()}, past its visit deadline "
                f"(at most {VISIT_DEADLINE['GENERAL']} days even for the general risk tier)"))
        if count("big_committee_without_part_time_member"):
            c.no_part_timer = True
            found["big_committee_without_part_time_member"].append(_gap(
                "big_committee_without_part_time_member", "PartyOrg", f"PO{c.code}D",
                f"{c.name}大党委尚未吸纳驻区单位党组织负责人担任兼职委员",
                f"the big Party committee of {c.name} has no part-time member from a resident unit"))
        idle = min(c.joint_units, count("joint_unit_resources_no_project"))
        for number in sorted(rng.sample(range(1, c.joint_units + 1), idle)):
            c.idle_joint_units.append(number)
            jid = f"{c.code}-JU{number:02d}"
            found["joint_unit_resources_no_project"].append(_gap(
                "joint_unit_resources_no_project", "JointUnit", jid,
                f"{c.name}共建单位{jid}在资源清单中有资源，但2022年未认领项目",
                f"joint unit {jid} of {c.name} offers resources but has claimed no project in 2022"))
        for k in range(count("open_need_overdue")):
            category, title, item, by_household = rng.choice(OPEN_NEEDS)
            opened = AS_OF - dt.timedelta(days=rng.randint(OVERDUE_NEED_DAYS + 5, 150))
            c.overdue_needs.append((category, title, item, by_household, opened))
            nid = f"{c.code}-ND{k + 1:03d}"
            found["open_need_overdue"].append(_gap(
                "open_need_overdue", "Need", nid, f"{c.name}需求“{title}”于{opened.isoformat()}提出，超过60天仍未认领",
                f"need raised in {c.name} on {opened.isoformat()} still open after more than 60 days"))
    return [g for check in GAP_CHECKS for g in found[check]]


def planted_gaps(tier: str, seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    """Every planted gap of a tier ({"check", "kind", "id", "zh", "en"}), without generating it."""
    return _plan(tier, seed).gaps


def tier_households(tier: str, seed: int = DEFAULT_SEED) -> int:
    """The exact number of households ``generate_tier(tier, seed)`` yields, without generating them."""
    return _plan(tier, seed).households


# --- people: names, phones and ID numbers ----------------------------------------------------------
class _People:
    """Phones and ID numbers, unique within the tier (ID numbers: per district and birth date)."""

    def __init__(self) -> None:
        self.phone_seq = 0
        self.district = ""
        self.district_sum = 0
        self.id_seq: dict[int, int] = {}

    def enter_district(self, code: str) -> None:
        self.district = code
        self.district_sum = sum(int(c) * w for c, w in zip(code, ID_WEIGHTS))
        self.id_seq = {}  # the district code is part of the number: sequences restart

    def phone(self) -> str:
        self.phone_seq += 1
        return f"1390{self.phone_seq:07d}"

    def id_number(self, birth: dt.date, male: bool) -> str:
        key = birth.toordinal() * 2 + male
        n = self.id_seq.get(key, 0)
        self.id_seq[key] = n + 1
        seq = 900 + 2 * n + male if n < 50 else 2 * (n - 50) + male
        if n >= 500:
            raise RuntimeError(f"more than 500 people born on {birth} of one sex in district {self.district}")
        rest = f"{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
        total = self.district_sum + sum(int(c) * w for c, w in zip(rest, ID_WEIGHTS[6:]))
        return f"{self.district}{rest}{ID_CHECK[total % 11]}"


class _Names:
    """"Surname + 某 + number" names, unique within a community."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.counts = [0] * len(SURNAMES)

    def __call__(self) -> str:
        s = int(self.rng.random() * len(SURNAMES))
        self.counts[s] += 1
        return f"{SURNAMES[s]}某{self.counts[s]}"


# --- the generator ---------------------------------------------------------------------------------
def generate_tier(tier: str, seed: int = DEFAULT_SEED) -> Iterator[GraphData]:
    """The tier's data in chunks (see the module doc): a head chunk, then per street a street
    chunk and one chunk per community."""
    plan = _plan(tier, seed)
    t = plan.tier
    people = _People()
    head = GraphData(meta=_meta(plan))
    for d in plan.districts:
        head.nodes.append(("District", d.code, {
            "name": d.name, "code": d.code, "asOfDate": AS_OF,
            "dataNote": f"生成数据（全部虚构），{t.zh}，种子{seed}；{CITY_NAME}{d.name}。 "
                        f"Generated data, all invented: tier {t.name}, {t.en}, seed {seed}."}))
        head.nodes.append(("PartyOrg", f"PO{d.code}", {"name": f"中共{CITY_NAME}{d.name}委员会",
                                                       "kind": "DISTRICT_COMMITTEE",
                                                       "foundedDate": dt.date(1984, 6, 1)}))
    yield head
    index = 0
    for d in plan.districts:
        people.enter_district(d.code)
        for s in d.streets:
            yield _street_chunk(s, seed, t.name)
            street_ju: dict[str, Any] = {}
            for c in s.communities:
                index += 1
                yield _CommunityBuilder(c, s, people, random.Random(f"{seed}/{t.name}/{c.code}"), index,
                                        street_ju).build()


def _meta(plan: _TierPlan) -> dict[str, Any]:
    t = plan.tier
    counts = {check: 0 for check in GAP_CHECKS}
    for g in plan.gaps:
        counts[g["check"]] += 1
    households = plan.households
    zh = (f"生成的城市基层党建与社区网格治理数据，规模{t.name}：{t.zh}（实际{households}户），基准日{AS_OF.isoformat()}，"
          f"随机种子{plan.seed}。一切均为虚构：{CITY_NAME}（区划代码前缀{CITY_CODE}并不存在）及其区、街道、社区、小区、楼栋，"
          "全部人名（“姓+某+编号”）、电话号码（1390+序号）、身份证号（区代码+出生日期+顺序码+校验码，并非真实号码）、"
          "共建单位（名称以“示例”开头）、项目、需求、资源、队伍、活动和所有日期。比例参照示例数据（清河门区）。"
          "数据中有意埋设了覆盖缺口，全部列在plantedGaps中，除此之外的记录都通过这些检查。")
    en = (f"Generated data for urban grassroots Party-building and community grid governance, tier {t.name}: {t.en} "
          f"({households} households exactly), as of {AS_OF.isoformat()}, seed {plan.seed}. Everything is INVENTED: "
          f"the city {CITY_NAME} (code prefix {CITY_CODE} does not exist) and its districts, streets, communities, "
          "complexes and buildings, every name (surname + 某 + number), phone number (1390 + a sequence), ID number "
          "(district code + birth date + sequence + check digit; not real numbers), joint unit (names start with 示例), "
          "project, need, resource, team, activity and date. Proportions follow the Qinghemen sample. Coverage gaps "
          "are planted on purpose and all listed in plantedGaps; no other record fails those checks.")
    return {"name": f"生成数据 {t.name} · generated data, tier {t.name}", "version": 1, "generator": __name__,
            "tier": t.name, "seed": plan.seed, "asOfDate": AS_OF.isoformat(), "description": f"【中文】{zh} [English] {en}",
            "tierInfo": t.as_dict(), "households": households, "districts": len(plan.districts),
            "streets": t.streets, "communities": t.communities, "plantedGapCounts": counts, "plantedGaps": plan.gaps}


def _street_chunk(s: _StreetPlan, seed: int, tier: str) -> GraphData:
    rng = random.Random(f"{seed}/{tier}/{s.code}")
    chunk = GraphData(meta={"chunk": {"level": "street", "streetId": s.code, "name": s.name}})
    nodes, edges = chunk.nodes, chunk.edges
    scope = {"streetId": s.code}
    org = f"PO{s.code}"
    nodes.append(("Street", s.code, {"name": s.name, "code": s.code}))
    edges.append(("Street", s.code, "PART_OF", "District", s.district))
    nodes.append(("PartyOrg", org, {**scope, "name": f"中共{s.district_name}{s.name}工作委员会",
                                    "kind": "STREET_WORKING_COMMITTEE", "foundedDate": dt.date(2002, 3, 1)}))
    edges.append(("PartyOrg", org, "UNDER", "PartyOrg", f"PO{s.district}"))
    formed = dt.date(2020, 1, 26)
    for i, (team_id, comm_name) in enumerate(s.assault_teams, start=1):
        nodes.append(("Team", team_id, {**scope, "name": f"{s.name}第{i}党员突击队（{comm_name}）", "kind": "ASSAULT",
                                        "formedDate": formed + dt.timedelta(days=(i - 1) // 3 + rng.randint(0, 3)),
                                        "purpose": "疫情防控：深入网格排查外返人员，卡点值守，为隔离人员家庭运送物资"}))
        edges.append(("Team", team_id, "ORGANISED_BY", "Street", s.code))
    troupe = f"T{s.code}Y01"
    nodes.append(("Team", troupe, {**scope, "name": f"{s.name}红色驿站艺术团", "kind": "ART_TROUPE",
                                   "formedDate": _day(rng, dt.date(2018, 3, 1), dt.date(2020, 10, 1)),
                                   "purpose": "群众文艺骨干自编自导自演，深入小区、文化广场宣讲表演"}))
    edges.append(("Team", troupe, "ORGANISED_BY", "PartyOrg", org))
    return chunk


class _CommunityBuilder:
    """One community's chunk. Random choices come from the community's own generator."""

    def __init__(self, c: _CommunityPlan, s: _StreetPlan, people: _People, rng: random.Random, index: int,
                 street_ju: dict[str, Any]):
        self.c = c
        self.s = s
        self.people = people
        self.rng = rng
        self.name = _Names(rng)
        self.street_ju = street_ju  # the street-level joint unit, shared by the street's communities
        self.scope = {"streetId": c.street, "communityId": c.code}
        self.data = GraphData(meta={"chunk": {"level": "community", "index": index, "streetId": c.street,
                                              "communityId": c.code, "name": c.name}})
        self.nodes = self.data.nodes
        self.edges = self.data.edges
        self.cc = f"PO{c.code}"  # community Party committee
        self.bc = f"PO{c.code}D"  # big committee
        self.seq: dict[str, int] = {}
        # households: parallel lists
        self.hh_ids: list[str] = []
        self.hh_props: list[dict[str, Any]] = []
        self.hh_building: list[str] = []
        self.hh_complex: list[str] = []
        self.hh_residents: list[int] = []
        self.occupied: list[int] = []
        self.care: list[int] = []  # households in a care category, in order
        self.members: list[dict[str, Any]] = []

    def next_id(self, prefix: str, width: int) -> str:
        n = self.seq.get(prefix, 0) + 1
        self.seq[prefix] = n
        return f"{self.c.code}-{prefix}{n:0{width}d}"

    def build(self) -> GraphData:
        self.territory()
        self.households()
        self.cadres()
        self.party_orgs_and_members()
        self.homes_and_reporting()
        self.grid_groups()
        self.grid_staff()
        self.teams()
        self.pairings()
        self.joint_units_and_resources()
        self.projects_and_needs()
        self.service_carriers()
        self.activities()
        return self.data

    # -- territory -------------------------------------------------------------------------------
    def territory(self) -> None:
        c, rng, scope, nodes, edges = self.c, self.rng, self.scope, self.nodes, self.edges
        office = rng.randrange(420, 900, 10)
        nodes.append(("Community", c.code, {**scope, "code": c.code, "name": c.name, "level": "COMMUNITY",
                                            "officeAreaSqm": office,
                                            "serviceCenterAreaSqm": rng.randrange(400, office + 1, 10)}))
        edges.append(("Community", c.code, "PART_OF", "Street", c.street))
        for area in c.areas:
            nodes.append(("Area", area.code, {**scope, "code": area.code, "name": area.name, "level": "AREA"}))
            edges.append(("Area", area.code, "PART_OF", "Community", c.code))
            for cx in area.complexes:
                nodes.append(("Complex", cx.code, {**scope, "code": cx.code, "name": cx.name, "level": "COMPLEX"}))
                edges.append(("Complex", cx.code, "PART_OF", "Area", area.code))
                for b in cx.buildings:
                    nodes.append(("Building", b.code, {**scope, "code": b.code, "name": b.name, "level": "BUILDING",
                                                       "floors": b.floors, "hazard": rng.random() < 0.03}))
                    edges.append(("Building", b.code, "PART_OF", "Complex", cx.code))
                    for u in range(1, b.units + 1):
                        unit = f"{b.code}{u:02d}"
                        nodes.append(("StairwellUnit", unit, {**scope, "code": unit, "name": f"{b.name}{u}单元",
                                                              "level": "UNIT"}))
                        edges.append(("StairwellUnit", unit, "PART_OF", "Building", b.code))

    def households(self) -> None:
        c, rng, people = self.c, self.rng, self.people
        random_ = rng.random
        street, community = c.street, c.code
        nodes, edges = self.nodes, self.edges
        unhelped = frozenset(c.unhelped_households)
        size_cum = (0.15, 0.5, 0.8, 0.95)
        care_cum: list[float] = []
        total = 0.0
        for _, w in CARE_COMBOS:
            total += w
            care_cum.append(total)
        lo = (add_years(AS_OF, -91) + dt.timedelta(days=1)).toordinal()
        span = add_years(AS_OF, -26).toordinal() - lo + 1
        fromordinal = dt.date.fromordinal
        for area in c.areas:
            for cx in area.complexes:
                for b in cx.buildings:
                    for u in range(1, b.units + 1):
                        unit = f"{b.code}{u:02d}"
                        shop = b.floors <= 7 and random_() < 0.12
                        for floor in range(1, b.floors + 1):
                            for door in range(1, b.doors + 1):
                                room = f"{floor}{door:02d}"
                                hid = f"{unit}-{room}"
                                r = random_()
                                if floor == 1 and shop:
                                    occupancy = "SHOP"
                                else:
                                    occupancy = "RESIDENT" if r < 0.74 else "RENTED" if r < 0.89 else "VACANT"
                                planted = hid in unhelped
                                if planted:
                                    occupancy = "RESIDENT"
                                male = random_() < 0.55
                                birth = fromordinal(lo + int(random_() * span))
                                props: dict[str, Any] = {"streetId": street, "communityId": community, "room": room,
                                                         "floor": floor, "occupancy": occupancy}
                                i = len(self.hh_ids)
                                if occupancy == "RESIDENT" or occupancy == "RENTED":
                                    props["size"] = bisect.bisect(size_cum, random_()) + 1
                                    self.occupied.append(i)
                                props["headName"] = self.name()
                                props["phone"] = people.phone()
                                props["idNumber"] = people.id_number(birth, male)
                                care: tuple[str, ...] = ()
                                if planted:
                                    care = ("NEEDY_FAMILY",)
                                elif "size" in props and random_() < CARE_RATE:
                                    care = CARE_COMBOS[bisect.bisect(care_cum, random_() * total)][0]
                                if care:
                                    props["careCategories"] = list(care)
                                    weights = RISK_WEIGHTS[care[-1] if care[-1] == "STUDENT_AID" else care[0]]
                                    props["riskTier"] = _pick(rng, ("HIGH", "KEY", "GENERAL"), weights)
                                    if care[0] == "ELDERLY_ALONE":
                                        props["size"] = 1
                                    elif care[-1] == "STUDENT_AID":
                                        props["size"] = rng.randint(2, 4)
                                    self.care.append(i)
                                nodes.append(("Household", hid, props))
                                edges.append(("Household", hid, "IN_UNIT", "StairwellUnit", unit))
                                self.hh_ids.append(hid)
                                self.hh_props.append(props)
                                self.hh_building.append(b.code)
                                self.hh_complex.append(cx.code)
                                self.hh_residents.append(0)

    # -- cadres (社区“两委”班子成员) -------------------------------------------------------------------
    def cadres(self) -> None:
        c, rng, nodes, edges, scope = self.c, self.rng, self.nodes, self.edges, self.scope
        size = rng.choice((6, 7))
        group = []
        for _ in range(size):
            young = rng.random() < 0.37
            age = rng.randint(25, 34) if young else rng.randint(35, 56)
            edu = _pick(rng, ("BACHELOR", "ASSOCIATE", "SENIOR_HIGH", "JUNIOR_HIGH"),
                        (0.32, 0.55, 0.1, 0.03) if young else (0.2, 0.6, 0.15, 0.05))
            group.append({"age": age, "edu": edu})
        # the secretary-director (一肩挑): 35 or older with a degree if possible
        cands = [p for p in group if p["age"] >= 35 and p["edu"] in ("ASSOCIATE", "BACHELOR")] or \
            [p for p in group if p["age"] >= 35]
        if not cands:
            group[0]["age"] = rng.randint(35, 50)
            cands = [group[0]]
        sec = rng.choice(cands)
        group = [sec] + [p for p in group if p is not sec]
        for k, p in enumerate(group):
            male = rng.random() < 0.38
            p.update(name=self.name(), gender="MALE" if male else "FEMALE",
                     birth=_birth_for_age(rng, p["age"], ELECTED_2021), party=k < 2 or rng.random() < 0.8)
            positions = (["SECRETARY", "DIRECTOR"] if k == 0 else ["DEPUTY_SECRETARY"] if k == 1
                         else ["DEPUTY_DIRECTOR"] if k == 2 else ["COMMITTEE_MEMBER"])
            r = rng.random()
            certs = ["助理社会工作者"] if r < 0.06 else ["心理咨询师"] if r < 0.1 else []
            cid = f"{c.code}-CD2021-{k + 1:02d}"
            props = {**scope, "name": p["name"], "gender": p["gender"], "birthDate": p["birth"], "education": p["edu"],
                     "positions": positions, "termYear": 2021, "electedDate": ELECTED_2021, "partyMember": p["party"]}
            if certs:
                props["certificates"] = certs
            nodes.append(("Cadre", cid, props))
            edges.append(("Cadre", cid, "SERVES", "Community", c.code))
        self.secretary_identity = group[0]
        # the previous term (2018): older, one re-elected where someone is old enough
        prev = rng.choice((6, 7))
        eligible = [p for p in group if p["age"] >= 41]
        again = rng.choice(eligible) if eligible else None
        slot = rng.randrange(prev)
        for k in range(prev):
            if again is not None and k == slot:
                name, gender, birth = again["name"], again["gender"], again["birth"]
                edu, party = again["edu"], again["party"]
            else:
                male = rng.random() < 0.4
                name, gender = self.name(), "MALE" if male else "FEMALE"
                birth = _birth_for_age(rng, rng.randint(36, 60), ELECTED_2018)
                edu = _pick(rng, ("JUNIOR_HIGH", "SENIOR_HIGH", "ASSOCIATE", "BACHELOR"), (0.2, 0.45, 0.3, 0.05))
                party = rng.random() < 0.75
            positions = (["SECRETARY"], ["DIRECTOR"], ["DEPUTY_DIRECTOR"])[k] if k < 3 else ["COMMITTEE_MEMBER"]
            cid = f"{c.code}-CD2018-{k + 1:02d}"
            nodes.append(("Cadre", cid, {**scope, "name": name, "gender": gender, "birthDate": birth, "education": edu,
                                         "positions": positions, "termYear": 2018, "electedDate": ELECTED_2018,
                                         "partyMember": party}))
            edges.append(("Cadre", cid, "SERVES", "Community", c.code))

    # -- Party organisations and members -----------------------------------------------------------
    def party_orgs_and_members(self) -> None:
        c, rng, nodes, edges, scope = self.c, self.rng, self.nodes, self.edges, self.scope
        rating, target = c.star
        props = {**scope, "name": f"中共{c.name}委员会", "kind": "COMMUNITY_COMMITTEE",
                 "foundedDate": dt.date(rng.randint(2003, 2012), rng.randint(1, 12), 1),
                 "starRating": rating, "starTarget": target}
        self.brand = rng.choice(BRANDS) if rng.random() < 0.25 else None
        if self.brand:
            props["serviceBrand"] = self.brand
        nodes.append(("PartyOrg", self.cc, props))
        edges.append(("PartyOrg", self.cc, "UNDER", "PartyOrg", f"PO{c.street}"))
        edges.append(("PartyOrg", self.cc, "COVERS", "Community", c.code))
        nodes.append(("PartyOrg", self.bc, {**scope, "name": f"{c.name}大党委", "kind": "BIG_COMMITTEE",
                                            "foundedDate": _day(rng, dt.date(2019, 3, 1), dt.date(2020, 6, 30))}))
        edges.append(("PartyOrg", self.bc, "UNDER", "PartyOrg", self.cc))
        # members: number 1 is the secretary-director; planted ones are forced into their category
        for number in range(1, c.members + 1):
            self.members.append(self.new_member(number))
        secretary = self.members[0]
        others = self.members[1:]
        rng.shuffle(others)
        ordered = [secretary] + others
        self.branches: list[dict[str, Any]] = []
        pos = 0
        for bi, size in enumerate(c.branch_sizes, start=1):
            bid = f"{self.cc}B{bi}"
            chunk = ordered[pos:pos + size]
            pos += size
            has_committee = size >= 7 and not (bi == 1 and c.branch_without_committee)
            name = f"中共{c.name}第{_cn(bi)}支部" + ("委员会" if has_committee else "")
            founded = _day(rng, dt.date(2005, 1, 1), dt.date(2019, 12, 31))
            nodes.append(("PartyOrg", bid, {**scope, "name": name, "kind": "BRANCH", "foundedDate": founded,
                                            "hasBranchCommittee": has_committee}))
            edges.append(("PartyOrg", bid, "UNDER", "PartyOrg", self.cc))
            for m in chunk:
                edges.append(("Member", m["id"], "MEMBER_OF", "PartyOrg", bid))
            cands = [m for m in chunk if 30 <= m["age"] <= 68 and m is not secretary and not m["flag"]]
            sec = rng.choice(cands or [m for m in chunk if m is not secretary and not m["flag"]] or chunk)
            edges.append(("Member", sec["id"], "SECRETARY_OF", "PartyOrg", bid))
            self.branches.append({"id": bid, "secretary": sec})
        edges.append(("Member", secretary["id"], "SECRETARY_OF", "PartyOrg", self.cc))
        edges.append(("Member", secretary["id"], "SECRETARY_OF", "PartyOrg", self.bc))

    def new_member(self, number: int) -> dict[str, Any]:
        c, rng = self.c, self.rng
        mid = f"{c.code}-M{number:04d}"
        flag = "lost" if number in c.lost_members else "unreported" if number in c.unreported_members else None
        category = None
        if number == 1:
            t = self.secretary_identity
            name, gender, birth, edu = t["name"], t["gender"], t["birth"], t["edu"]
            age = age_at(birth, AS_OF)
            category = "EMPLOYED"
        else:
            if flag:
                age = rng.randint(25, 50)
                category = "MOBILE" if flag == "lost" else "EMPLOYED"
            else:
                band = _pick(rng, ((22, 35), (36, 59), (60, 69), (70, 88)), (0.18, 0.37, 0.22, 0.23))
                age = rng.randint(*band)
            gender = "MALE" if rng.random() < 0.55 else "FEMALE"
            name = self.name()
            birth = _birth_for_age(rng, age)
            if age >= 70:
                edu = _pick(rng, ("PRIMARY", "JUNIOR_HIGH", "SENIOR_HIGH", "ASSOCIATE"), (0.25, 0.4, 0.25, 0.1))
            elif age >= 50:
                edu = _pick(rng, ("JUNIOR_HIGH", "SENIOR_HIGH", "ASSOCIATE", "BACHELOR"), (0.25, 0.4, 0.25, 0.1))
            else:
                edu = _pick(rng, ("SENIOR_HIGH", "ASSOCIATE", "BACHELOR", "POSTGRADUATE"), (0.15, 0.35, 0.42, 0.08))
        if category is None:
            if age >= (60 if gender == "MALE" else 55):
                category = "RETIRED"
            else:
                category = "MOBILE" if rng.random() < 0.06 else "EMPLOYED"
        join_age = rng.randint(18, min(age - 1, 45))
        joined = min(add_years(birth, join_age) + dt.timedelta(days=rng.randint(0, 300)),
                     AS_OF - dt.timedelta(days=60))
        last_contact = c.lost_members.get(number) or AS_OF - dt.timedelta(days=rng.randint(0, 90))
        props = {**self.scope, "name": name, "gender": gender, "birthDate": birth, "education": edu,
                 "joinedDate": joined, "category": category, "phone": self.people.phone(),
                 "idNumber": self.people.id_number(birth, gender == "MALE"), "lastContactDate": last_contact}
        if rng.random() < 0.3:
            props["serviceItems"] = sorted(rng.sample(("ELDERLY", "STUDY", "DISABLED", "POVERTY", "CONVENIENCE"),
                                                      rng.randint(1, 2)), key=SERVICE_ORDER.index)
        if rng.random() < 0.22:
            props["specialties"] = rng.sample(SPECIALTIES, rng.randint(1, 2))
        self.nodes.append(("Member", mid, props))
        return {"id": mid, "age": age, "category": category, "props": props, "home": None, "flag": flag}

    def homes_and_reporting(self) -> None:
        rng, edges = self.rng, self.edges
        occupied, residents = self.occupied, self.hh_residents
        for i, m in enumerate(self.members):
            if m["category"] == "MOBILE" and rng.random() < 0.6:
                continue  # working away; no home on record
            if i > 0 and m["category"] != "EMPLOYED" and rng.random() < 0.05:
                continue
            while True:
                h = occupied[int(rng.random() * len(occupied))]
                if residents[h] < 2:
                    break
            residents[h] += 1
            m["home"] = h
            edges.append(("Member", m["id"], "LIVES_IN", "Household", self.hh_ids[h]))
            if residents[h] == 1 and m["age"] >= 25 and rng.random() < 0.5:
                self.hh_props[h].update(headName=m["props"]["name"], phone=m["props"]["phone"],
                                        idNumber=m["props"]["idNumber"])
            if m["category"] == "EMPLOYED" and m["flag"] != "unreported":  # 双报到
                m["props"]["reportedDate"] = _day(rng, dt.date(2019, 3, 1), dt.date(2022, 3, 31))
                edges.append(("Member", m["id"], "REPORTED_TO", "Community", self.c.code))
                if not m["props"].get("serviceItems"):  # a reported member claims a 红色驿站 service item
                    m["props"]["serviceItems"] = ["CONVENIENCE"]
        # members able to lead a grid, by where they live
        self.able = [m for m in self.members if 28 <= m["age"] <= 68 and not m["flag"]]
        self.able_in_building: dict[str, list[dict[str, Any]]] = {}
        self.able_in_complex: dict[str, list[dict[str, Any]]] = {}
        for m in self.able:
            if m["home"] is not None:
                self.able_in_building.setdefault(self.hh_building[m["home"]], []).append(m)
                self.able_in_complex.setdefault(self.hh_complex[m["home"]], []).append(m)

    # -- grid Party groups (网格党小组), grid leaders, workers, building heads, volunteers ---------------
    def grid_groups(self) -> None:
        c, rng, nodes, edges, scope = self.c, self.rng, self.nodes, self.edges, self.scope
        uncovered = frozenset(c.uncovered_buildings)
        g = 0
        for xi, cx in enumerate(c.complexes):
            branch = self.branches[xi % len(self.branches)]["id"]
            pending: list[_Building] = []

            def group(name: str) -> str:
                nonlocal g
                g += 1
                gid = f"{self.cc}G{g:03d}"
                nodes.append(("PartyOrg", gid, {**scope, "name": name, "kind": "GRID_GROUP",
                                                "foundedDate": _day(rng, dt.date(2020, 3, 1), dt.date(2021, 6, 30))}))
                edges.append(("PartyOrg", gid, "UNDER", "PartyOrg", branch))
                return gid

            def flush() -> None:
                if pending:
                    gid = group(f"{cx.name}{'、'.join(str(b.no) for b in pending)}号楼网格党小组")
                    for b in pending:
                        edges.append(("PartyOrg", gid, "COVERS", "Building", b.code))
                    pending.clear()

            for b in cx.buildings:
                if b.code in uncovered:
                    continue
                if b.units >= 2 and rng.random() < 0.25:  # groups in stairwell units: every unit covered
                    u = 1
                    while u <= b.units:
                        take = list(range(u, min(b.units, u + rng.choice((1, 2)) - 1) + 1))
                        u += len(take)
                        gid = group(f"{b.name}{'、'.join(map(str, take))}单元网格党小组")
                        for k in take:
                            edges.append(("PartyOrg", gid, "COVERS", "StairwellUnit", f"{b.code}{k:02d}"))
                else:
                    pending.append(b)
                    if len(pending) >= rng.choice((1, 2, 2)):
                        flush()
            flush()

    def person(self, roles: list[str], female_share: float = 0.6) -> str:
        pid = self.next_id("PS", 4)
        self.nodes.append(("Person", pid, {**self.scope, "name": self.name(),
                                           "gender": "FEMALE" if self.rng.random() < female_share else "MALE",
                                           "roles": roles, "phone": self.people.phone()}))
        return pid

    def grid_staff(self) -> None:
        c, rng, edges = self.c, self.rng, self.edges
        leaderless = frozenset(c.leaderless_areas)
        workerless = frozenset(c.workerless_complexes)
        able = self.able
        homes = {self.hh_building[m["home"]] for m in self.members if m["home"] is not None}
        self.volunteers: list[str] = []
        edges.append(("Member", self.members[0]["id"], "LEADS_GRID", "Community", c.code))
        for ai, area in enumerate(c.areas):
            if area.code not in leaderless:
                leader = self.branches[ai % len(self.branches)]["secretary"]
                edges.append(("Member", leader["id"], "LEADS_GRID", "Area", area.code))
            edges.append(("Person", self.person(["GRID_WORKER"]), "WORKS_GRID", "Area", area.code))
            for cx in area.complexes:
                leader = rng.choice(self.able_in_complex.get(cx.code) or able)
                edges.append(("Member", leader["id"], "LEADS_GRID", "Complex", cx.code))
                if cx.code not in workerless:
                    edges.append(("Person", self.person(["GRID_WORKER"]), "WORKS_GRID", "Complex", cx.code))
                for b in cx.buildings:
                    # a building where no member lives gets a member as grid leader (else building_without_member)
                    if rng.random() < 0.86 or b.code not in homes:
                        leader = rng.choice(self.able_in_building.get(b.code) or able)
                        edges.append(("Member", leader["id"], "LEADS_GRID", "Building", b.code))
                    if rng.random() < 0.9:
                        roles = ["BUILDING_HEAD", "VOLUNTEER"] if rng.random() < 0.3 else ["BUILDING_HEAD"]
                        pid = self.person(roles, 0.55)
                        if len(roles) == 2:
                            self.volunteers.append(pid)
                        edges.append(("Person", pid, "HEADS_BUILDING", "Building", b.code))
        for _ in range(rng.randint(50, 90)):
            self.volunteers.append(self.person(["VOLUNTEER"]))
        self.deputies: list[str] = []
        if rng.random() < 0.4:  # "两代表一委员" with a studio in this community
            self.deputies = [self.person(["CONGRESS_DEPUTY"], 0.5), self.person(["CONGRESS_DEPUTY", "VOLUNTEER"], 0.5)]
            self.volunteers.append(self.deputies[1])

    # -- teams -------------------------------------------------------------------------------------
    def teams(self) -> None:
        c, rng, nodes, edges = self.c, self.rng, self.nodes, self.edges
        active = [m for m in self.members if not m["flag"]]
        formed = dt.date(2020, 1, 26)
        pool = [m for m in active if 22 <= age_at(m["props"]["birthDate"], formed) <= 62 and m["category"] != "MOBILE"]
        rng.shuffle(pool)
        self.assault: list[tuple[str, list[dict[str, Any]]]] = []
        for team_id in c.assault_teams:
            crew = [pool.pop() for _ in range(min(len(pool), rng.randint(15, 16)))]
            for m in crew:
                edges.append(("Member", m["id"], "IN_TEAM", "Team", team_id))
            self.assault.append((team_id, crew))
        self.troupe = f"T{c.street}Y01"
        self.troupe_members = rng.sample([m for m in active if 35 <= m["age"] <= 75], 3)
        for m in self.troupe_members:
            edges.append(("Member", m["id"], "IN_TEAM", "Team", self.troupe))
        self.service_team = None
        if rng.random() < 0.5:
            tid = f"T{c.code}S1"
            self.service_team = tid
            nodes.append(("Team", tid, {**self.scope, "name": f"{c.name}党员服务队", "kind": "SERVICE",
                                        "formedDate": _day(rng, dt.date(2018, 3, 1), dt.date(2021, 7, 1)),
                                        "purpose": "便民服务、特殊群体关爱"}))
            edges.append(("Team", tid, "ORGANISED_BY", "PartyOrg", self.cc))
            for m in rng.sample([m for m in active if m["age"] < 70], rng.randint(10, 15)):
                edges.append(("Member", m["id"], "IN_TEAM", "Team", tid))

    # -- care pairings (结对帮扶) ---------------------------------------------------------------------
    def pairings(self) -> None:
        c, rng, nodes, edges, scope = self.c, self.rng, self.nodes, self.edges, self.scope
        unhelped = frozenset(c.unhelped_households)
        wanted: list[tuple[int, str, str]] = []  # (household, kind, status)
        for h in self.care:
            if self.hh_ids[h] in unhelped:
                continue
            cats = self.hh_props[h]["careCategories"]
            first = cats[0]
            if first == "NEEDY_FAMILY":
                wanted.append((h, "POVERTY", "ACTIVE"))
                if "DISABLED" in cats and rng.random() < 0.5:
                    wanted.append((h, "DISABLED", "ACTIVE"))
            elif "STUDENT_AID" in cats:
                wanted.append((h, "STUDY", "ACTIVE"))
            elif first == "ELDERLY_ALONE":
                if rng.random() < 0.6:
                    wanted.append((h, "ELDERLY", "ACTIVE"))
                elif rng.random() < 0.5:
                    wanted.append((h, "ELDERLY", "ENDED"))
            elif first == "DISABLED":
                if rng.random() < 0.5:
                    wanted.append((h, "DISABLED", "ACTIVE"))
            elif first == "MINIMUM_LIVELIHOOD":
                if rng.random() < 0.4:
                    wanted.append((h, "POVERTY", "ACTIVE"))
            elif first == "ORPHAN":
                wanted.append((h, "ORPHAN", "ACTIVE"))
            elif first == "LEFT_BEHIND_CHILD":
                if rng.random() < 0.6:
                    wanted.append((h, "ORPHAN", "ACTIVE"))
        if len(wanted) < max(c.late_pairings, default=0):
            raise RuntimeError(f"{c.code}: only {len(wanted)} pairings, a planted one is number {max(c.late_pairings)}")
        # helpers: members under 70 living here, about ten households each, neighbours together
        helpers = [m for m in self.members if m["age"] < 70 and m["category"] != "MOBILE" and not m["flag"]
                   and m["home"] is not None]
        k = min(len(helpers), max(1, math.ceil(len(wanted) / 10)))
        helpers = sorted(rng.sample(helpers, k), key=lambda m: m["home"])
        for i, (h, kind, status) in enumerate(wanted):
            number = i + 1
            pid = f"{c.code}-PR{number:04d}"
            tier = self.hh_props[h]["riskTier"]
            late = c.late_pairings.get(number)
            if late is not None:
                status = "ACTIVE"
            if status == "ENDED":
                since = _day(rng, dt.date(2018, 3, 1), dt.date(2020, 3, 1))
                last = _day(rng, since + dt.timedelta(days=60), dt.date(2021, 6, 30))
            else:
                last = late or AS_OF - dt.timedelta(days=rng.randint(0, VISIT_MARGIN[tier]))
                since = _day(rng, dt.date(2019, 3, 1), min(last, dt.date(2022, 3, 1)))
            member = helpers[i * k // len(wanted)]
            nodes.append(("Pairing", pid, {**scope, "kind": kind, "since": since, "lastVisitDate": last,
                                           "status": status}))
            edges.append(("Pairing", pid, "BY_MEMBER", "Member", member["id"]))
            edges.append(("Pairing", pid, "FOR_HOUSEHOLD", "Household", self.hh_ids[h]))
            items = member["props"].get("serviceItems", [])
            if kind not in items:
                member["props"]["serviceItems"] = sorted([*items, kind], key=SERVICE_ORDER.index)

    # -- big committee, joint units, resources ------------------------------------------------------
    def joint_units_and_resources(self) -> None:
        c, rng, nodes, edges = self.c, self.rng, self.nodes, self.edges
        reps = [m for m in self.members[1:] if m["category"] == "EMPLOYED" and 28 <= m["age"] <= 58 and not m["flag"]]
        rng.shuffle(reps)
        self.units: list[dict[str, Any]] = []
        short = c.name[:-2]
        for j, (suffix, kind) in enumerate(rng.sample(JOINT_UNIT_TEMPLATES, c.joint_units), start=1):
            jid = f"{c.code}-JU{j:02d}"
            name = f"示例{short}{suffix}"
            nodes.append(("JointUnit", jid, {**self.scope, "name": name, "kind": kind,
                                             "agreementDate": _day(rng, dt.date(2019, 3, 1), dt.date(2021, 3, 31)),
                                             "address": self.address()}))
            edges.append(("JointUnit", jid, "JOINT_BUILDS_WITH", "PartyOrg", self.bc))
            self.units.append({"id": jid, "name": name, "kind": kind, "idle": j in c.idle_joint_units,
                               "rep": reps.pop() if reps else None})
        if c.last_of_street:
            # the street-level unit (a property company) joins every big committee of the street;
            # it lives in the street's last community chunk so that all those committees exist
            jid = f"{c.street}-JU00"
            name = f"示例{c.street_name[:-2]}物业服务有限公司"
            nodes.append(("JointUnit", jid, {"streetId": c.street, "name": name, "kind": "ENTERPRISE",
                                             "agreementDate": dt.date(2019, 7, 1), "address": self.address()}))
            for other in self.s.communities:
                edges.append(("JointUnit", jid, "JOINT_BUILDS_WITH", "PartyOrg", f"PO{other.code}D"))
            rep = reps.pop() if reps else None
            self.units.append({"id": jid, "name": name, "kind": "ENTERPRISE", "idle": False, "rep": rep,
                               "street": True})
            if rep is not None:
                for other in self.s.communities:
                    if not other.no_part_timer and other is not c:
                        edges.append(("Member", rep["id"], "PART_TIME_MEMBER_OF", "PartyOrg", f"PO{other.code}D"))
        for u in self.units:
            rep = u["rep"]
            if rep is not None:
                edges.append(("Member", rep["id"], "REPRESENTS", "JointUnit", u["id"]))
                if not c.no_part_timer:
                    edges.append(("Member", rep["id"], "PART_TIME_MEMBER_OF", "PartyOrg", self.bc))
            u["resources"] = [self.resource(f"{u['name']}{RESOURCE_TITLES[cat]}", cat, ("JointUnit", u["id"]))
                              for cat in rng.sample(RESOURCE_BY_UNIT_KIND[u["kind"]], rng.randint(1, 2))]
        skilled = [m for m in self.members if m["props"].get("specialties") and m["age"] < 75 and not m["flag"]]
        self.member_resources = []
        for m in rng.sample(skilled, min(len(skilled), max(3, round(len(self.members) * 0.013)))):
            rid = self.resource(f"党员{m['props']['specialties'][0]}志愿服务", "SKILL", ("Member", m["id"]))
            self.member_resources.append((m, rid))

    def address(self) -> str:
        return f"{self.c.district_name}示例{self.rng.choice('东西南北中')}路{self.rng.randint(1, 399)}号（虚构）"

    def resource(self, title: str, category: str, offered_by: tuple[str, str]) -> str:
        rng = self.rng
        rid = self.next_id("RS", 3)
        capacity = rng.choice((5, 10, 12, 20, 30, 50))
        start = _day(rng, dt.date(2021, 1, 1), dt.date(2022, 1, 1))
        props = {**self.scope, "title": title, "category": category}
        items = RESOURCE_ITEMS.get(category)
        if items:
            chosen = rng.sample(items, min(len(items), rng.randint(1, 2)))
            props["serviceItems"] = sorted(chosen, key=SERVICE_ORDER.index)
        props.update(capacity=capacity, claimed=rng.randint(0, capacity), validFrom=start, validTo=add_years(start, 2))
        self.nodes.append(("Resource", rid, props))
        self.edges.append(("Resource", rid, "OFFERED_BY", offered_by[0], offered_by[1]))
        grid = ("Community", self.c.code) if rng.random() < 0.6 else ("Complex", rng.choice(self.c.complexes).code)
        self.edges.append(("Resource", rid, "BASED_IN", grid[0], grid[1]))
        return rid

    # -- projects (项目清单) and needs (需求清单) ------------------------------------------------------
    def need(self, title: str, category: str, status: str, opened: dt.date, *, household: int | None = None,
             grid: tuple[str, str] | None = None, item: str | None = None, quantity: int | None = None) -> str:
        rng = self.rng
        nid = self.next_id("ND", 3)
        props = {**self.scope, "title": title, "category": category}
        if item:
            props["serviceItem"] = item
        if quantity:
            props["quantity"] = quantity
        props.update(urgency=_pick(rng, ("LOW", "NORMAL", "HIGH", "URGENT"), (0.2, 0.5, 0.22, 0.08)),
                     openedDate=opened, status=status)
        self.nodes.append(("Need", nid, props))
        if household is not None:
            self.edges.append(("Need", nid, "RAISED_BY", "Household", self.hh_ids[household]))
            grid = ("Building", self.hh_building[household])
        assert grid is not None
        self.edges.append(("Need", nid, "RAISED_IN", grid[0], grid[1]))
        return nid

    def project(self, grid: tuple[str, str], title: str, category: str, claimed: dt.date, claimer: tuple[str, str],
                status: str | None = None, brand: str | None = None, **extra: Any) -> dict[str, Any]:
        rng = self.rng
        pid = self.next_id("PJ", 3)
        if status is None:
            status = "DONE" if claimed.year < 2022 else _pick(rng, ("CLAIMED", "IN_PROGRESS", "DONE"),
                                                              (0.25, 0.45, 0.3))
        props = {**self.scope, "title": title, **({"brand": brand} if brand else {}),
                 "category": category, "status": status, "claimedDate": claimed}
        if status == "DONE":
            done = claimed + dt.timedelta(days=rng.randint(30, 120))
            props["completedDate"] = min(done, AS_OF - dt.timedelta(days=3))
        props.update(extra)
        self.nodes.append(("Project", pid, props))
        self.edges.append(("Project", pid, "CLAIMED_BY", claimer[0], claimer[1]))
        self.edges.append(("Project", pid, "LOCATED_IN", grid[0], grid[1]))
        return {"id": pid, "status": status, "claimed": claimed, "grid": grid, "category": category}

    def meets(self, project: dict[str, Any], title: str, *, household: int | None = None, item: str | None = None,
              quantity: int | None = None) -> None:
        status = "MET" if project["status"] == "DONE" else "MATCHED"
        opened = project["claimed"] - dt.timedelta(days=self.rng.randint(5, 40))
        nid = self.need(title, project["category"], status, opened, household=household,
                        grid=None if household is not None else project["grid"], item=item, quantity=quantity)
        self.edges.append(("Project", project["id"], "MEETS", "Need", nid))

    def a_complex(self) -> tuple[str, str]:
        return ("Complex", self.rng.choice(self.c.complexes).code)

    def projects_and_needs(self) -> None:
        c, rng = self.c, self.rng
        # 1. needs still open: the planted overdue ones first (their numbers are in the plan)
        for category, title, item, by_household, opened in c.overdue_needs:
            hh = rng.choice(self.care) if by_household and self.care else None
            self.need(title, category, "OPEN", opened, household=hh, grid=None if hh is not None else self.a_complex(),
                      item=item, quantity=rng.randint(1, 3) if category == "GOODS" else None)
        for _ in range(rng.randint(4, 10)):
            category, title, item, by_household = rng.choice(OPEN_NEEDS)
            hh = rng.choice(self.care) if by_household and self.care else None
            self.need(title, category, "OPEN", AS_OF - dt.timedelta(days=rng.randint(2, 50)), household=hh,
                      grid=None if hh is not None else self.a_complex(), item=item,
                      quantity=rng.randint(1, 3) if category == "GOODS" else None)
        for title, category in rng.sample((("申请加装电梯（条件不具备）", "FACILITY"), ("要求调换公租房（非社区职责）", "HARDSHIP"),
                                           ("要求拆除邻居违建（已转交执法部门）", "ENVIRONMENT")), rng.randint(1, 2)):
            opened = AS_OF - dt.timedelta(days=rng.randint(120, 300))
            self.need(title, category, "CLOSED", opened, grid=self.a_complex())
        # 2. the community's brand project, claimed by its Party committee
        if self.brand:
            proj = self.project(("Community", c.code), f"“{self.brand}”党建项目", "SERVICE",
                                _day(rng, dt.date(2021, 2, 1), dt.date(2021, 6, 30)), ("PartyOrg", self.cc),
                                status="IN_PROGRESS", brand=self.brand, plannedCapacity=rng.choice((200, 300, 500)))
            self.meets(proj, f"{c.name}居民：便民服务和特殊群体关爱", item="CONVENIENCE")
            self.meets(proj, f"{c.name}{rng.choice(c.complexes).name}：便民服务", item="CONVENIENCE")
        # 3. joint units: facilities in 2021 for some, a service project in 2022 for every one but the idle
        for u in self.units:
            if rng.random() < (0.5 if u["idle"] else 0.3):
                output, measure, (lo, hi), yuan = rng.choice(FACILITIES)
                qty = rng.randint(lo, hi)
                claimed = _day(rng, dt.date(2021, 3, 1), dt.date(2021, 9, 30))
                grid = ("Community", c.code) if measure == "处" else self.a_complex()
                proj = self.project(grid, f"{c.name}{output}{'维修扩建' if measure == '处' else '安装'}", "FACILITY",
                                    claimed, ("JointUnit", u["id"]), investmentYuan=qty * yuan, output=output,
                                    outputQuantity=qty, outputUnit=measure)
                self.edges.append(("Project", proj["id"], "USES", "Resource", u["resources"][0]))
                self.meets(proj, f"{c.name}居民希望增添{output}")
            if u["idle"]:
                continue
            title, category, item = rng.choice(SERVICE_PROJECTS[u["kind"]])
            proj = self.project(("Community", c.code), f"{u['name']}{title}", category,
                                _day(rng, dt.date(2022, 1, 10), dt.date(2022, 6, 15)), ("JointUnit", u["id"]),
                                investmentYuan=rng.randrange(800, 6000, 100),
                                plannedCapacity=rng.choice((20, 30, 50, 100)))
            self.edges.append(("Project", proj["id"], "USES", "Resource", u["resources"][0]))
            # a project claimed three months ago or more has met a need (else: project_capacity_unused)
            if rng.random() < 0.8 or proj["claimed"] < AS_OF - dt.timedelta(days=90):
                hh = rng.choice(self.care) if item and self.care else None
                self.meets(proj, f"{title}需求", household=hh, item=item)
        # 4. small wishes (微心愿) claimed by members who offer a skill
        for m, rid in self.member_resources[: max(1, len(self.member_resources) * 2 // 5)]:
            if not self.care:
                break
            hh = rng.choice(self.care)
            wish = rng.choice(SMALL_WISHES)
            proj = self.project(("Building", self.hh_building[hh]), f"微心愿：{wish}", "SMALL_WISH",
                                _day(rng, dt.date(2022, 2, 1), dt.date(2022, 6, 10)), ("Member", m["id"]),
                                plannedCapacity=1)
            self.edges.append(("Project", proj["id"], "USES", "Resource", rid))
            self.meets(proj, wish, household=hh, item="CONVENIENCE", quantity=1)

    # -- service carriers (服务载体) and activities ---------------------------------------------------
    def service_carriers(self) -> None:
        c, rng = self.c, self.rng
        here = ("Community", c.code)
        specs = [(f"{c.name}红色驿站", "RED_STATION", here, self.cc, ["PARTY_AFFAIRS", "CONVENIENCE", "VOLUNTEER"])]
        if rng.random() < 0.6:
            specs.append((f"{c.name}多功能活动室", "ACTIVITY_ROOM", here, self.cc, ["PARTY_AFFAIRS", "PUBLIC_UTILITY"]))
        if self.deputies:
            specs.append((f"{c.name}“两代表一委员”工作室", "STUDIO", here, self.cc, ["PUBLIC_UTILITY", "RELIEF"]))
        if rng.random() < 0.4:
            cx = rng.choice(c.complexes)
            specs.append((f"{cx.name}志愿服务站", "VOLUNTEER_STATION", ("Complex", cx.code), self.branches[0]["id"],
                          ["VOLUNTEER", "RELIEF"]))
        if rng.random() < 0.15:
            specs.append((f"{c.name}文化广场", "CULTURE_SITE", here, self.bc, ["PUBLIC_UTILITY", "VOLUNTEER"]))
        if self.brand:
            specs.append((f"{c.name}“{self.brand}”便民服务", "SERVICE_BRAND", here, self.cc, ["CONVENIENCE", "RELIEF"]))
        for name, kind, grid, org, categories in specs:
            sid = self.next_id("SC", 2)
            opened = _day(rng, dt.date(2018, 6, 1), dt.date(2021, 6, 30))
            self.nodes.append(("ServiceCarrier", sid, {**self.scope, "name": name, "kind": kind,
                                                       "serviceCategories": categories, "openedDate": opened}))
            self.edges.append(("ServiceCarrier", sid, "LOCATED_IN", grid[0], grid[1]))
            self.edges.append(("ServiceCarrier", sid, "RUN_BY", "PartyOrg", org))

    def activity(self, title: str, kind: str, date: dt.date, *, org: str | None = None, team: str | None = None,
                 members: list[dict[str, Any]] = (), persons: list[str] = (), **extra: Any) -> None:
        aid = self.next_id("AC", 2)
        self.nodes.append(("Activity", aid, {**self.scope, "title": title, "kind": kind, "date": date, **extra}))
        if org:
            self.edges.append(("Activity", aid, "ORGANISED_BY", "PartyOrg", org))
        if team:
            self.edges.append(("Activity", aid, "ORGANISED_BY", "Team", team))
        self.edges.append(("Activity", aid, "HELD_IN", "Community", self.c.code))
        for m in members:
            self.edges.append(("Member", m["id"], "TOOK_PART", "Activity", aid))
        for pid in persons:
            self.edges.append(("Person", pid, "TOOK_PART", "Activity", aid))

    def activities(self) -> None:
        c, rng = self.c, self.rng
        active = [m for m in self.members if m["age"] < 89 and not m["flag"]]
        total = rng.randint(40, 80)
        persons = rng.sample(self.volunteers, min(len(self.volunteers), rng.randint(15, 30)))
        self.activity(f"{c.name}创城环境治理义务劳动", "VOLUNTEER_LABOUR", _day(rng, dt.date(2021, 4, 10), dt.date(2021, 10, 20)),
                      org=self.cc, members=rng.sample([m for m in active if m["age"] < 75], total - len(persons)),
                      persons=persons)
        if rng.random() < 0.4:
            self.activity(f"{c.name}学雷锋·为大凉山贫困儿童募捐衣物", "DONATION",
                          dt.date(2021, 3, 5) + dt.timedelta(days=rng.randint(0, 10)), org=self.cc,
                          itemCount=rng.randint(300, 800), beneficiary="大凉山贫困儿童")
        if rng.random() < 0.6:
            self.activity(f"{c.name}“党日+”{rng.choice(('红色经典诵读', '党建知识竞赛', '重温入党誓词'))}", "PARTY_DAY",
                          _day(rng, dt.date(2021, 3, 1), dt.date(2022, 6, 1)), org=self.cc,
                          members=rng.sample(active, rng.randint(15, 30)))
        if rng.random() < 0.3:
            self.activity(f"{c.name}红色党史宣讲进小区", "TALK", _day(rng, dt.date(2021, 4, 1), dt.date(2022, 6, 1)),
                          org=self.cc, members=rng.sample(active, 10), persons=rng.sample(self.volunteers, 5))
        if rng.random() < 0.2:
            self.activity(f"{self.s.name}红色驿站艺术团走进{c.name}文艺演出", "PERFORMANCE",
                          _day(rng, dt.date(2021, 6, 1), dt.date(2021, 10, 1)), team=self.troupe,
                          members=self.troupe_members)
        for team_id, crew in self.assault:
            if crew and rng.random() < 0.5:
                date = _day(rng, dt.date(2020, 1, 27), dt.date(2020, 3, 15))
                self.activity(f"{c.name}疫情防控卡点值守", "EPIDEMIC_DUTY", date, team=team_id, members=crew)


# --- command line: counts and timing of a tier ----------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m graph_api.ledger.generate",
                                     description="Generate a tier in memory-light chunks and print its counts.")
    parser.add_argument("tier", choices=list(TIERS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    cpu = time.process_time()
    kinds: dict[str, int] = {}
    edges = chunks = 0
    for chunk in generate_tier(args.tier, args.seed):
        chunks += 1
        edges += len(chunk.edges)
        for kind, _, _ in chunk.nodes:
            kinds[kind] = kinds.get(kind, 0) + 1
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    gaps = planted_gaps(args.tier, args.seed)
    print(f"tier {args.tier} (seed {args.seed}): {sum(kinds.values()):,} nodes, {edges:,} edges, {chunks} chunks, "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU")
    for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<15} {n:>10,}")
    counts: dict[str, int] = {}
    for g in gaps:
        counts[g["check"]] = counts.get(g["check"], 0) + 1
    print(f"planted gaps: {len(gaps)}")
    for check in GAP_CHECKS:
        print(f"  {check:<40} {counts.get(check, 0):>6}")


__all__ = ["TIERS", "Tier", "GAP_RATES", "GAP_CHECKS", "AS_OF", "DEFAULT_SEED", "GENERATOR_VERSION", "generate_tier", "planted_gaps",
           "tier_households"]

if __name__ == "__main__":
    main(sys.argv[1:])
