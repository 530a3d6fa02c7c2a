"""Resource matching (三张清单): who should take each open need, and which member should pair with
each needy household (结对帮扶). The rules live here, once: what a resource may serve, how far it
may reach, and what a match costs. The engine (:mod:`graph_api.matching.engine`) finds the
assignment with the most needs met and, among those, the least total cost; the stores only
gather the input (:class:`MatchingInput`) and write accepted matches.

Two modes share the engine:

- ``projects``: open needs (需求清单, status OPEN) against resources (资源清单: valid at the as-of
  date, with capacity left) and members who claimed 红色驿站 service items (their skills count as
  resources for those items);
- ``pairings``: needy households without an active pairing against members below the exempt
  age, each with room for ``maxHouseholds - households already helped``.

Distance is measured in the grid tree between where the need is (a household's stairwell unit,
or the grid that raised it) and where the resource is based (its grid; a member's home unit):
same stairwell < same building < same complex < same area < same community < another community
of the same street. Beyond the street nothing is proposed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["projects", "pairings"]

#: distance levels, nearest first; the index is the level
LEVELS: tuple[str, ...] = ("STAIRWELL_UNIT", "BUILDING", "COMPLEX", "AREA", "COMMUNITY", "STREET")
LEVEL_ZH = {"STAIRWELL_UNIT": "同一单元", "BUILDING": "同一楼栋", "COMPLEX": "同一小区", "AREA": "同一片区",
            "COMMUNITY": "同一社区", "STREET": "同一街道的其他社区"}
#: cost of each distance level (integer costs keep min-cost flow exact)
DISTANCE_COST: dict[str, int] = {"STAIRWELL_UNIT": 0, "BUILDING": 10, "COMPLEX": 20, "AREA": 30, "COMMUNITY": 40,
                                 "STREET": 80}
#: cost of the fit between need and resource: the item named exactly, or the category only
FIT_COST = {"ITEM": 0, "CATEGORY": 15, "SECONDARY": 25}
#: urgency lowers the cost of meeting a need, so scarce capacity goes to the urgent ones first
URGENCY_COST = {"URGENT": 0, "HIGH": 5, "NORMAL": 10, "LOW": 15, None: 10}
#: pairings: a member below the minimum load is preferred (to bring every helper to 5 households)
BELOW_MINIMUM_BONUS = 5

#: resource categories that can meet a need category, the usual one first
SERVES: dict[str, tuple[str, ...]] = {
    "GOODS": ("EQUIPMENT", "FUNDS"),
    "SERVICE": ("PUBLIC_SERVICE", "SKILL", "VOLUNTEERS"),
    "SMALL_WISH": ("FUNDS", "EQUIPMENT", "VOLUNTEERS"),
    "HARDSHIP": ("FUNDS", "PUBLIC_SERVICE"),
    "TRAINING": ("SKILL", "VENUE"),
    "TEAM_ACTIVITY": ("VENUE", "VOLUNTEERS"),
    "ENVIRONMENT": ("VOLUNTEERS", "EQUIPMENT", "FUNDS"),
    "FACILITY": ("FUNDS", "EQUIPMENT"),
}
#: the 红色驿站 service items a member's skills can serve, and the need categories they apply to
MEMBER_ITEMS = ("ELDERLY", "STUDY", "ORPHAN", "DISABLED", "POVERTY")
MEMBER_NEED_CATEGORIES = ("SERVICE", "SMALL_WISH", "HARDSHIP")
#: pairings: the service item that fits a care category best
CARE_ITEM = {"ELDERLY_ALONE": "ELDERLY", "STUDENT_AID": "STUDY", "ORPHAN": "ORPHAN", "LEFT_BEHIND_CHILD": "ORPHAN",
             "DISABLED": "DISABLED", "NEEDY_FAMILY": "POVERTY", "MINIMUM_LIVELIHOOD": "POVERTY"}


@dataclass(frozen=True)
class MatchOptions:
    mode: Mode = "projects"
    #: let a unit or member serve communities other than its own (within the street)
    cross_community: bool = False
    #: farthest distance level proposed (one of LEVELS)
    max_distance: str = "STREET"
    #: pairings: care categories that make a household needy
    categories: tuple[str, ...] = ("NEEDY_FAMILY",)
    #: pairings: household load of a member
    min_households: int = 5
    max_households: int = 20
    #: members this old or older are exempt (not proposed)
    exempt_age: int = 70
    #: projects: open needs a member may take through their service items
    member_capacity: int = 2
    as_of: dt.date | None = None


@dataclass(frozen=True)
class Demand:
    """An open need, or (pairings) a needy household without an active pairing."""

    kind: Literal["Need", "Household"]
    id: str
    label: str
    community_id: str | None
    street_id: str | None
    #: grid ids from the nearest (a stairwell unit, or the grid that raised the need) up to the community
    path: tuple[str, ...]
    category: str | None = None  # NeedCategory (needs)
    item: str | None = None  # ServiceItem the need names (needs)
    quantity: int | None = None
    urgency: str | None = None
    opened: dt.date | None = None
    care: tuple[str, ...] = ()  # CareCategory (households)


@dataclass(frozen=True)
class Supply:
    """A resource with capacity left, or a member who can take needs or households."""

    kind: Literal["Resource", "Member"]
    id: str
    label: str
    community_id: str | None
    street_id: str | None
    path: tuple[str, ...]  # grid ids from where it is based (a member: the home unit) up to the community
    capacity: int  # needs (projects) or households (pairings) it can still take
    category: str | None = None  # ResourceCategory (resources); None for members
    items: tuple[str, ...] = ()  # ServiceItem it serves; empty: any
    #: offering unit or member ("JointUnit" | "Member", id), the claimer of an accepted project
    offered_by: tuple[str, str] | None = None
    #: communities it may serve without cross-community help: a unit's big committees' communities,
    #: a member's own community
    serves_communities: tuple[str, ...] = ()
    households: int = 0  # pairings: households already helped


@dataclass
class MatchingInput:
    as_of: dt.date
    demands: list[Demand]
    supplies: list[Supply]


@dataclass(frozen=True)
class Terms:
    """The cost of one possible match, term by term."""

    level: str
    fit: str
    distance_cost: int
    fit_cost: int
    urgency_cost: int
    load_cost: int = 0

    @property
    def total(self) -> int:
        return self.distance_cost + self.fit_cost + self.urgency_cost + self.load_cost


def distance_level(a: tuple[str, ...], b: tuple[str, ...], a_street: str | None, b_street: str | None) -> str | None:
    """The nearest level two grid paths share, or STREET when only the street is shared, else None.

    Paths run from a grid up to its community; each is aligned on its community (the last id)."""
    if a and b and a[-1] == b[-1]:
        # align from the community down: index 0 = community
        top_a, top_b = a[::-1], b[::-1]
        shared = 0
        while shared < min(len(top_a), len(top_b)) and top_a[shared] == top_b[shared]:
            shared += 1
        # shared grids: community(1), area(2), complex(3), building(4), unit(5)
        return LEVELS[len(LEVELS) - 1 - shared] if shared else None
    if a_street is not None and a_street == b_street:
        return "STREET"
    return None


def fit(demand: Demand, supply: Supply, options: MatchOptions) -> str | None:
    """How a supply fits a demand (ITEM, CATEGORY, SECONDARY), or None when it cannot serve it."""
    if options.mode == "pairings":
        if supply.kind != "Member":
            return None
        wanted = {CARE_ITEM[c] for c in demand.care if c in CARE_ITEM}
        return "ITEM" if wanted & set(supply.items) else "CATEGORY"
    if supply.kind == "Member":
        if demand.category not in MEMBER_NEED_CATEGORIES or demand.item not in MEMBER_ITEMS:
            return None
        return "ITEM" if demand.item in supply.items else None
    allowed = SERVES.get(demand.category or "", ())
    if supply.category not in allowed:
        return None
    if supply.items and demand.item is not None and demand.item not in supply.items:
        return None  # the resource names the items it serves, and this is not one
    if demand.item is not None and demand.item in supply.items:
        return "ITEM"
    return "CATEGORY" if allowed.index(supply.category) == 0 else "SECONDARY"


def reach(demand: Demand, supply: Supply, options: MatchOptions) -> str | None:
    """The distance level of a possible match, or None when the supply may not serve the demand there."""
    level = distance_level(demand.path, supply.path, demand.street_id, supply.street_id)
    if level is None:
        return None
    if LEVELS.index(level) > LEVELS.index(options.max_distance):
        return None
    if level == "STREET" and not options.cross_community:
        # another community: only a unit of that community's big committee (or anyone, with cross-community help)
        if demand.community_id not in supply.serves_communities:
            return None
    return level


def terms(demand: Demand, supply: Supply, options: MatchOptions) -> Terms | None:
    """The cost terms of matching ``demand`` with ``supply``, or None when they cannot be matched."""
    how = fit(demand, supply, options)
    if how is None:
        return None
    level = reach(demand, supply, options)
    if level is None:
        return None
    load = 0
    if options.mode == "pairings" and supply.households >= options.min_households:
        load = BELOW_MINIMUM_BONUS  # members still below the minimum come first
    return Terms(level=level, fit=how, distance_cost=DISTANCE_COST[level], fit_cost=FIT_COST[how],
                 urgency_cost=URGENCY_COST.get(demand.urgency, URGENCY_COST[None]), load_cost=load)


@dataclass(frozen=True)
class Proposal:
    """One proposed match: a project (need + resource or member) or a pairing (household + member)."""

    id: str  # stable: the mode, the demand and the supply (see proposal_id)
    mode: Mode
    demand: Demand
    supply: Supply
    terms: Terms


UnmatchedReason = Literal["NO_RESOURCE_OF_CATEGORY", "BEYOND_DISTANCE_LIMIT", "CAPACITY_EXHAUSTED"]
UNMATCHED_TEXT: dict[str, tuple[str, str]] = {
    "NO_RESOURCE_OF_CATEGORY": ("范围内没有能满足该类需求的资源（或可结对的党员）",
                                "no resource (or member to pair with) in scope can serve this kind of need"),
    "BEYOND_DISTANCE_LIMIT": ("能满足的资源都超出服务范围（距离或所属大党委）",
                              "every resource that could serve it is beyond the distance limit or its big committee"),
    "CAPACITY_EXHAUSTED": ("能满足的资源（或党员）容量已被其他需求用完",
                           "the resources (or members) that could serve it are taken by other needs"),
}


@dataclass(frozen=True)
class Unmatched:
    demand: Demand
    reason: str  # UnmatchedReason
    candidates: int = 0  # supplies that fit (any distance)


@dataclass
class MatchResult:
    mode: Mode
    as_of: dt.date
    proposals: list[Proposal] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)

    @property
    def total_cost(self) -> int:
        return sum(p.terms.total for p in self.proposals)


def proposal_id(mode: Mode, demand: Demand, supply: Supply) -> str:
    """``<mode>|<demand kind>:<id>|<supply kind>:<id>``: what to accept, readable and stable."""
    return f"{mode}|{demand.kind}:{demand.id}|{supply.kind}:{supply.id}"


def parse_proposal_id(text: str) -> tuple[Mode, tuple[str, str], tuple[str, str]]:
    """(mode, (demand kind, id), (supply kind, id)); ValueError when it is not a proposal id."""
    mode, sep1, rest = text.partition("|")
    demand, sep2, supply = rest.partition("|")
    dk, _, di = demand.partition(":")
    sk, _, si = supply.partition(":")
    if (not sep1 or not sep2 or mode not in ("projects", "pairings") or dk not in ("Need", "Household")
            or sk not in ("Resource", "Member") or not di or not si):
        raise ValueError(f"not a proposal id: {text!r}")
    return mode, (dk, di), (sk, si)  # type: ignore[return-value]
