"""The coverage checks ("全覆盖、无死角"): names, rules, thresholds and the wording of findings.

Each check is implemented once per backend (``queries/cypher/coverage/<name>.cypher`` for Neo4j,
``graph_api/store/embedded/coverage.py`` for the embedded store). Both receive the same
:class:`CheckInput`: the caller's scope and thresholds already turned into concrete values
(cut-off dates are computed here, once, so the two backends never do date arithmetic of their
own). Both return the same :class:`CheckOutput`: the offending records as plain rows with the
facts that explain them, and how many records the check looked at per community (the
denominator of "share covered"). Wording of reasons lives here, so a finding reads the same
whatever store produced it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from graph_api.domain.enums import CareCategory, OrgKind

# --- thresholds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    name: str
    default: Any
    zh: str
    en: str


@dataclass(frozen=True)
class Check:
    name: str
    question: int  # the number of the question in the domain primer ("Coverage-gap questions")
    kind: str  # kind of the offending records
    zh: str
    en: str
    rule_zh: str
    rule_en: str
    population_zh: str
    population_en: str
    reason: Callable[[Mapping[str, Any]], tuple[str, str]]
    thresholds: tuple[Threshold, ...] = ()

    def defaults(self) -> dict[str, Any]:
        return {t.name: t.default for t in self.thresholds}


def _levels_zh(levels: list[str]) -> str:
    return "、".join(LEVEL_ZH.get(level, level) for level in levels)


LEVEL_ZH = {"COMMUNITY": "社区", "AREA": "片区", "COMPLEX": "小区", "BUILDING": "楼栋", "STAIRWELL_UNIT": "单元"}
LEVEL_KIND = {"COMMUNITY": "Community", "AREA": "Area", "COMPLEX": "Complex", "BUILDING": "Building",
              "STAIRWELL_UNIT": "StairwellUnit"}
KIND_LEVEL = {v: k for k, v in LEVEL_KIND.items()}
RISK_ZH = {"HIGH": "高风险", "KEY": "重点", "GENERAL": "一般"}
PROBLEM_TEXT = {
    "NO_PARENT": ("没有上级网格", "has no parent grid"),
    "MANY_PARENTS": ("有多个上级网格", "has more than one parent grid"),
    "CODE_NOT_DERIVED": ("编码不是由上级网格编码派生", "code is not derived from the parent's code"),
    "SCOPE_MISMATCH": ("所属社区/街道与上级网格不一致", "scope keys differ from the parent's"),
}


def _f(facts: Mapping[str, Any], key: str, default: Any = "?") -> Any:
    value = facts.get(key)
    return default if value is None else value


def _pairing_reason(f: Mapping[str, Any]) -> tuple[str, str]:
    who_zh = f"住户{_f(f, 'household')}（{RISK_ZH.get(_f(f, 'riskTier'), '')}，每{_f(f, 'deadlineDays')}天走访）"
    who_en = f"household {_f(f, 'household')} ({_f(f, 'riskTier')} risk, every {_f(f, 'deadlineDays')} days)"
    if f.get("lastVisitDate") is None:
        if f.get("since") is None:
            return f"{who_zh}没有结对日期和走访记录", f"{who_en} has no pairing date and no visit on record"
        return (f"{who_zh}自{f['since']}结对以来从未走访，已超期{_f(f, 'daysOver')}天",
                f"{who_en} paired since {f['since']} and never visited, {_f(f, 'daysOver')} days past its deadline")
    return (f"{who_zh}最近走访于{f['lastVisitDate']}，已超期{_f(f, 'daysOver')}天",
            f"{who_en} last visited {f['lastVisitDate']}, {_f(f, 'daysOver')} days past its deadline")


def _hierarchy_reason(f: Mapping[str, Any]) -> tuple[str, str]:
    problems = f.get("problems") or []
    zh = "；".join(PROBLEM_TEXT.get(p, (p, p))[0] for p in problems)
    en = "; ".join(PROBLEM_TEXT.get(p, (p, p))[1] for p in problems)
    return f"网格{_f(f, 'label')}{zh}", f"grid {_f(f, 'label')} {en}"


CHECKS: tuple[Check, ...] = (
    # 1. buildings and stairwells
    Check(
        "building_without_party_group", 1, "Building", "楼栋未建网格党小组", "building without a grid Party group",
        "楼栋本身、所在小区或片区没有网格党小组覆盖，且其单元也都没有（部分单元被覆盖的楼栋按单元另行列出）",
        "no grid Party group covers the building, its complex or its area, and none covers any of its units "
        "(a building with some units covered is reported unit by unit instead)",
        "楼栋", "buildings",
        lambda f: (f"{_f(f, 'label')}（含全部{_f(f, 'units', 0)}个单元）未建立网格党小组",
                   f"building {_f(f, 'label')} and all its {_f(f, 'units', 0)} units have no grid Party group"),
        (Threshold("coveringKinds", ["GRID_GROUP"], "计为覆盖的党组织类型", "organisation kinds that count as covering"),),
    ),
    Check(
        "stairwell_without_party_group", 1, "StairwellUnit", "单元未建网格党小组", "stairwell unit without a grid Party group",
        "同楼其他单元已建网格党小组，本单元及其楼栋、小区、片区都没有", "other units of the building have a grid Party group; "
        "this unit, its building, complex and area have none",
        "单元", "stairwell units",
        lambda f: (f"{_f(f, 'label')}未建立网格党小组（同楼{_f(f, 'coveredSiblings', 0)}个单元已建）",
                   f"stairwell unit {_f(f, 'label')} has no grid Party group "
                   f"({_f(f, 'coveredSiblings', 0)} other units of the building have one)"),
        (Threshold("coveringKinds", ["GRID_GROUP"], "计为覆盖的党组织类型", "organisation kinds that count as covering"),),
    ),
    Check(
        "building_without_member", 1, "Building", "楼栋无党员居住或服务", "building with no Party member living or serving",
        "楼内没有党员居住，也没有党员担任本楼或其单元的网格长",
        "no Party member lives in the building and none leads the building or one of its units as grid leader",
        "楼栋", "buildings",
        lambda f: (f"{_f(f, 'label')}无党员居住，也无党员任楼栋或单元网格长",
                   f"no Party member lives in building {_f(f, 'label')} or leads its grid"),
    ),
    # 2. grid staff ("1+1+X+N")
    Check(
        "grid_without_leader", 2, "Grid", "网格无网格长", "grid without a grid leader",
        "所列层级的网格没有党员网格长", "a grid of the listed levels has no Party-member grid leader",
        "网格", "grids",
        lambda f: (f"{LEVEL_ZH.get(_f(f, 'level'), '')}网格{_f(f, 'label')}未明确网格长",
                   f"{str(_f(f, 'level')).lower()} grid {_f(f, 'label')} has no grid leader"),
        (Threshold("levels", ["COMMUNITY", "AREA", "COMPLEX"], "检查的网格层级", "grid levels checked"),),
    ),
    Check(
        "grid_without_worker", 2, "Grid", "网格无专职网格员", "grid without a full-time grid worker",
        "所列层级的网格没有专职网格员", "a grid of the listed levels has no full-time grid worker",
        "网格", "grids",
        lambda f: (f"{LEVEL_ZH.get(_f(f, 'level'), '')}网格{_f(f, 'label')}未配备专职网格员",
                   f"{str(_f(f, 'level')).lower()} grid {_f(f, 'label')} has no full-time grid worker"),
        (Threshold("levels", ["AREA", "COMPLEX"], "检查的网格层级", "grid levels checked"),),
    ),
    # 3. hierarchy rules
    Check(
        "grid_hierarchy_broken", 3, "Grid", "网格层级不合规", "grid breaking the hierarchy rules",
        "社区以下网格必须恰有一个上一级网格（社区属于一个街道），编码由上级编码加本级位数派生，所属社区/街道与上级一致",
        "a grid below the community has exactly one parent one level up (a community one street), its code is the "
        "parent's code plus the level's digits, and its scope keys equal the parent's",
        "网格", "grids", _hierarchy_reason,
    ),
    # 4. needy households
    Check(
        "needy_household_without_helper", 4, "Household", "困难户无结对党员", "needy household without a helper",
        "所列类别的住户没有进行中的结对帮扶", "a household in the listed care categories has no active pairing",
        "困难户", "needy households",
        lambda f: (f"困难户{_f(f, 'label')}尚无结对帮扶党员", f"needy household {_f(f, 'label')} has no paired member"),
        (Threshold("categories", ["NEEDY_FAMILY"], "计为困难户的重点人群类别", "care categories counted as needy"),),
    ),
    Check(
        "pairing_past_visit_deadline", 4, "Pairing", "结对帮扶超期未走访", "pairing past its visit deadline",
        "进行中的结对，距最近走访（无走访记录时为结对日期）超过该户风险等级的走访周期",
        "an active pairing whose last visit (or start, if never visited) is older than the household's risk-tier period",
        "进行中的结对", "active pairings",
        _pairing_reason,
        (Threshold("highDays", 7, "高风险户走访周期（天）", "visit period of high-risk households (days)"),
         Threshold("keyDays", 31, "重点户走访周期（天）", "visit period of key households (days)"),
         Threshold("generalDays", 92, "一般户走访周期（天）", "visit period of general households (days)")),
    ),
    # 5. members' household load
    Check(
        "member_under_household_load", 5, "Member", "结对党员帮扶户数不足", "pairing member under the household load",
        "有结对记录、未满豁免年龄的党员，进行中的结对户数少于下限（含已全部结束、不再帮扶任何住户的）",
        "a member in the pairing programme (with any pairing on record) below the exempt age helps fewer "
        "households than the minimum, including none at all",
        "结对党员", "pairing members",
        lambda f: (f"党员{_f(f, 'label')}现帮扶{_f(f, 'households', 0)}户，少于{_f(f, 'minimum')}户",
                   f"member {_f(f, 'label')} helps {_f(f, 'households', 0)} households, fewer than {_f(f, 'minimum')}"),
        (Threshold("minHouseholds", 5, "每名党员最少联系户数", "fewest households per member"),
         Threshold("exemptAge", 70, "豁免年龄", "age from which members are exempt")),
    ),
    Check(
        "member_over_household_cap", 5, "Member", "党员帮扶户数超上限", "member over the household cap",
        "党员进行中的结对户数多于上限", "a member helps more households than the cap",
        "结对党员", "pairing members",
        lambda f: (f"党员{_f(f, 'label')}现帮扶{_f(f, 'households', 0)}户，超过上限{_f(f, 'maximum')}户",
                   f"member {_f(f, 'label')} helps {_f(f, 'households', 0)} households, more than {_f(f, 'maximum')}"),
        (Threshold("maxHouseholds", 20, "每名党员最多联系户数", "most households per member"),),
    ),
    # 6. 双报到
    Check(
        "employed_member_not_reported", 6, "Member", "在职党员未双报到", "employed member not reported",
        "在职党员没有双报到记录（未向任何社区报到）", "an employed member has no 双报到 record (reported to no community)",
        "在职党员", "employed members",
        lambda f: (f"在职党员{_f(f, 'label')}未到居住社区报到",
                   f"employed member {_f(f, 'label')} has not reported to the residential community (双报到)"),
    ),
    Check(
        "reported_member_inactive", 6, "Member", "报到党员一年内未认领", "reported member who claimed nothing",
        "报到满一年的党员：没有认领红色驿站服务项目，一年内没有认领项目、参加活动，没有进行中的结对，也不提供资源",
        "a member reported for a year or more has no 红色驿站 service item, claimed no project and took part in no "
        "activity within the year, has no active pairing and offers no resource",
        "报到满一年的党员", "members reported a year or more ago",
        lambda f: (f"党员{_f(f, 'label')}于{_f(f, 'reportedDate', '（日期不详）')}报到，近{_f(f, 'days')}天未认领任何服务",
                   f"member {_f(f, 'label')} reported on {_f(f, 'reportedDate', '(date unknown)')} and claimed nothing "
                   f"in the past {_f(f, 'days')} days"),
        (Threshold("days", 365, "考察期（天）", "period looked at (days)"),),
    ),
    # 7. big committee
    Check(
        "joint_unit_resources_no_project", 7, "JointUnit", "共建单位有资源无项目", "joint unit with resources and no project",
        "提供资源的共建单位在基准日所在年度没有认领项目", "a joint unit offering resources claimed no project in the year of the as-of date",
        "提供资源的共建单位", "joint units offering resources",
        lambda f: (f"共建单位{_f(f, 'label')}提供{_f(f, 'resources', 0)}项资源，{_f(f, 'year')}年未认领项目",
                   f"joint unit {_f(f, 'label')} offers {_f(f, 'resources', 0)} resources but claimed no project in "
                   f"{_f(f, 'year')}"),
    ),
    Check(
        "big_committee_without_part_time_member", 7, "PartyOrg", "大党委无兼职委员",
        "big committee without a part-time member",
        "社区大党委没有兼职委员是共建单位（驻区单位）党组织负责人（REPRESENTS）",
        "a community big committee has no part-time member who represents a joint-building (resident) unit",
        "社区大党委", "big committees",
        lambda f: (f"{_f(f, 'label')}尚未吸纳驻区单位党组织负责人担任兼职委员",
                   f"{_f(f, 'label')} has no part-time member from a resident unit"),
    ),
    # 8. needs and projects
    Check(
        "open_need_overdue", 8, "Need", "需求超期未认领", "need open too long",
        "状态为待认领的需求，提出超过规定天数", "a need still open longer than the limit",
        "待认领需求", "open needs",
        lambda f: (f"需求“{_f(f, 'label')}”于{_f(f, 'openedDate')}提出，已{_f(f, 'daysOpen')}天未认领（上限{_f(f, 'limit')}天）",
                   f"need '{_f(f, 'label')}' opened on {_f(f, 'openedDate')}, open for {_f(f, 'daysOpen')} days "
                   f"(limit {_f(f, 'limit')})"),
        (Threshold("days", 60, "最长待认领天数", "longest a need may stay open (days)"),),
    ),
    Check(
        "project_capacity_unused", 8, "Project", "项目认领后未承接需求", "claimed project with its capacity unused",
        "已认领、未完成的项目有计划服务数，认领超过规定天数仍未承接任何需求",
        "a claimed, unfinished project with a planned capacity has met no need so long after it was claimed",
        "进行中的项目", "open projects",
        lambda f: (f"项目“{_f(f, 'label')}”于{_f(f, 'claimedDate')}认领，计划服务{_f(f, 'plannedCapacity')}，"
                   f"{_f(f, 'daysClaimed')}天来未承接任何需求",
                   f"project '{_f(f, 'label')}' claimed on {_f(f, 'claimedDate')} for {_f(f, 'plannedCapacity')} has "
                   f"met no need in {_f(f, 'daysClaimed')} days"),
        (Threshold("days", 90, "认领后允许的天数", "days allowed after claiming"),),
    ),
    # 9. branches
    Check(
        "branch_without_committee", 9, "PartyOrg", "支部未设支委会", "branch without a branch committee",
        "党员人数达到规定人数的支部没有设立支部委员会", "a branch with at least the given number of members has no branch committee",
        "党支部", "branches",
        lambda f: (f"{_f(f, 'label')}有{_f(f, 'members', 0)}名党员，未设支部委员会",
                   f"{_f(f, 'label')} has {_f(f, 'members', 0)} members but no branch committee"),
        (Threshold("committeeFrom", 7, "须设支委会的党员人数", "members from which a committee is required"),),
    ),
    Check(
        "branch_size_out_of_range", 9, "PartyOrg", "支部人数不合规", "branch breaking the size rules",
        "支部党员少于下限（3名正式党员方可成立支部）或多于上限（一般不超过50人）",
        "a branch has fewer members than the minimum (3 to form a branch) or more than the maximum (about 50)",
        "党支部", "branches",
        lambda f: (f"{_f(f, 'label')}有{_f(f, 'members', 0)}名党员，不在{_f(f, 'minimum')}至{_f(f, 'maximum')}人之间",
                   f"{_f(f, 'label')} has {_f(f, 'members', 0)} members, outside {_f(f, 'minimum')} to {_f(f, 'maximum')}"),
        (Threshold("minMembers", 3, "支部最少党员数", "fewest members of a branch"),
         Threshold("maxMembers", 50, "支部最多党员数", "most members of a branch")),
    ),
    # 10. contact
    Check(
        "member_out_of_contact", 10, "Member", "党员失联", "member out of contact",
        "最近联系日期早于规定月数之前（或没有联系记录）", "last contact is older than the given number of months, or none is recorded",
        "党员", "members",
        lambda f: (f"党员{_f(f, 'label')}最近联系于{_f(f, 'lastContactDate', '（无记录）')}，已失联超过{_f(f, 'months')}个月",
                   f"member {_f(f, 'label')} last contacted on {_f(f, 'lastContactDate', '(never)')}, out of contact "
                   f"for {_f(f, 'months')}+ months"),
        (Threshold("months", 6, "失联月数", "months without contact"),),
    ),
    # 11. communities
    Check(
        "community_below_star_target", 11, "PartyOrg", "社区党组织低于争创星级", "community below its star target",
        "社区党委当前星级低于争创目标", "a community Party committee is rated below its star target",
        "社区党委", "community Party committees",
        lambda f: (f"{_f(f, 'label')}当前{_f(f, 'starRating')}星，低于争创目标{_f(f, 'starTarget')}星",
                   f"{_f(f, 'label')} is rated {_f(f, 'starRating')} stars, below its target of {_f(f, 'starTarget')}"),
    ),
    Check(
        "community_without_service_center", 11, "Community", "社区党群服务中心不达标",
        "community without a full-size service centre",
        "社区党群服务中心面积小于标准（或没有）", "a community's Party-mass service centre is smaller than the standard, or missing",
        "社区", "communities",
        lambda f: (f"{_f(f, 'label')}党群服务中心面积{_f(f, 'areaSqm', 0)}平方米，低于{_f(f, 'minimum')}平方米",
                   f"{_f(f, 'label')}'s service centre has {_f(f, 'areaSqm', 0)} m², below {_f(f, 'minimum')} m²"),
        (Threshold("minAreaSqm", 400, "党群服务中心最小面积（平方米）", "smallest service centre (m²)"),),
    ),
)
CHECK_BY_NAME: dict[str, Check] = {c.name: c for c in CHECKS}
CHECK_NAMES = tuple(CHECK_BY_NAME)


class CheckError(ValueError):
    """A check name or threshold the caller can fix."""


#: names a list threshold may hold
LIST_CHOICES: dict[str, tuple[str, ...]] = {
    "levels": tuple(LEVEL_KIND),
    "categories": tuple(c.value for c in CareCategory),
    "coveringKinds": tuple(k.value for k in OrgKind),
}
#: upper bounds of whole-number thresholds (others: 100,000)
INT_LIMITS: dict[str, int] = {"days": 36_500, "highDays": 36_500, "keyDays": 36_500, "generalDays": 36_500,
                              "months": 1_200, "exemptAge": 150}


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months added (negative: subtracted), the day clamped to the month's end, as Cypher does."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError(f"{day} + {months} months is out of range")
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise AssertionError(day)


@dataclass(frozen=True)
class CheckInput:
    """What a backend needs to run one check: thresholds and the cut-offs derived from them."""

    check: str
    as_of: dt.date
    values: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def check_input(name: str, as_of: dt.date, overrides: Mapping[str, Any] | None = None) -> CheckInput:
    """Thresholds merged over the defaults and validated; cut-off dates computed once, here."""
    check = CHECK_BY_NAME.get(name)
    if check is None:
        raise CheckError(f"没有名为 {name!r} 的检查 · no check named {name!r} (known: {', '.join(CHECK_NAMES)})")
    values = check.defaults()
    for key, value in (overrides or {}).items():
        if key not in values:
            raise CheckError(f"检查 {name} 没有阈值 {key!r} · check {name} has no threshold {key!r} "
                             f"(known: {', '.join(values) or 'none'})")
        default = values[key]
        if isinstance(default, list):
            allowed = LIST_CHOICES[key]
            if (not isinstance(value, (list, tuple)) or not value
                    or not all(isinstance(v, str) and v in allowed for v in value)):
                raise CheckError(f"{name}.{key}: 应为以下名称的非空列表 · must be a non-empty list of "
                                 f"{', '.join(allowed)}; got {value!r}")
            value = list(dict.fromkeys(value))
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT_LIMITS.get(key, 100_000):
                raise CheckError(f"{name}.{key}: 应为0到{INT_LIMITS.get(key, 100_000)}的整数 · must be a whole number "
                                 f"from 0 to {INT_LIMITS.get(key, 100_000)}, got {value!r}")
        values[key] = value
    try:
        return CheckInput(name, as_of, _derived(name, as_of, values))
    except CheckError:
        raise
    except (OverflowError, ValueError):
        raise CheckError(f"{name}: 基准日 {as_of} 与阈值算出的日期超出范围 · the as-of date {as_of} and the thresholds "
                         "give a date out of range") from None


def _derived(name: str, as_of: dt.date, values: dict[str, Any]) -> dict[str, Any]:
    """Cut-off dates and lookups derived from the thresholds, computed once for both backends."""
    if name in ("grid_without_leader", "grid_without_worker"):
        values["kinds"] = [LEVEL_KIND[level] for level in values["levels"]]
    days = dt.timedelta
    if name == "pairing_past_visit_deadline":
        values["deadlineDays"] = {"HIGH": values["highDays"], "KEY": values["keyDays"], "GENERAL": values["generalDays"]}
        values["cutoffs"] = {tier: as_of - days(n) for tier, n in values["deadlineDays"].items()}
    elif name == "member_under_household_load":
        values["exemptBornOnOrBefore"] = add_months(as_of, -12 * values["exemptAge"])
    elif name == "reported_member_inactive":
        values["since"] = as_of - days(values["days"])
    elif name == "joint_unit_resources_no_project":
        values["yearStart"] = dt.date(as_of.year, 1, 1)
        values["year"] = as_of.year
    elif name == "open_need_overdue":
        values["openedBefore"] = as_of - days(values["days"])
    elif name == "project_capacity_unused":
        values["claimedBefore"] = as_of - days(values["days"])
    elif name == "member_out_of_contact":
        values["contactBefore"] = add_months(as_of, -values["months"])
    elif name == "branch_size_out_of_range" and values["minMembers"] > values["maxMembers"]:
        raise CheckError(f"{name}: minMembers 不能大于 maxMembers · minMembers must not exceed maxMembers")
    return values


@dataclass
class CheckOutput:
    """What a backend returns for one check.

    ``findings``: one row per offending record, sorted by id: ``id``, ``kind``, ``label`` (a name,
    title or room; never personal data), ``communityId`` and ``streetId`` (its scope keys),
    ``gridId`` (the grid its path starts from, or None) and ``facts`` (check-specific values that
    explain it, JSON-friendly). ``population``: community id (None for street-level records) →
    number of records the check looked at.
    """

    findings: list[dict[str, Any]]
    population: dict[str | None, int]


def reason(check: str, facts: Mapping[str, Any]) -> tuple[str, str]:
    return CHECK_BY_NAME[check].reason(facts)


__all__ = ["CHECKS", "CHECK_BY_NAME", "CHECK_NAMES", "Check", "CheckError", "CheckInput", "CheckOutput",
           "Threshold", "add_months", "check_input", "reason", "LEVEL_KIND", "KIND_LEVEL", "LEVEL_ZH"]
