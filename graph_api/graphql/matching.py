"""Resource matching in GraphQL: ``proposeMatches`` (a query: nothing is written) and
``acceptMatches`` (the mutation that writes the accepted projects and pairings in one
transaction, idempotently)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, List, Optional  # noqa: UP035

import strawberry
from strawberry.types import Info

from graph_api.audit.engine import AuditScope, check_scope_keys, resolve_scope
from graph_api.domain.enums import CareCategory
from graph_api.domain.matching import LEVEL_ZH, LEVELS, UNMATCHED_TEXT, MatchOptions
from graph_api.graphql import enums as _enums  # noqa: F401  (registers the enums first)
from graph_api.graphql import types as t
from graph_api.graphql.coverage import CoverageScopeInput
from graph_api.graphql.errors import UserError
from graph_api.matching.service import accept, explain, explain_unmatched, propose


def _d(zh: str, en: str) -> str:
    return f"{zh} · {en}"


@strawberry.enum(description=_d("匹配方式", "what to match"))
class MatchMode(Enum):
    PROJECTS = strawberry.enum_value("projects", description=_d("需求与资源、党员特长匹配，形成项目", "needs with resources and members' skills, as projects"))
    PAIRINGS = strawberry.enum_value("pairings", description=_d("困难户与党员结对帮扶", "needy households with members, as help pairings"))


DistanceLevel = strawberry.enum(
    Enum("DistanceLevel", {lv: strawberry.enum_value(lv, description=_d(LEVEL_ZH[lv], lv.lower().replace("_", " ")))
                           for lv in LEVELS}),
    description=_d("网格距离（由近及远）", "distance in the grid tree, nearest first"))

UnmatchedReason = strawberry.enum(
    Enum("UnmatchedReason", {k: strawberry.enum_value(k, description=_d(*v)) for k, v in UNMATCHED_TEXT.items()}),
    description=_d("未匹配的原因", "why a need is left unmatched"))


@strawberry.input(description=_d("匹配选项", "matching options"))
class MatchOptionsInput:
    mode: MatchMode = strawberry.field(default=MatchMode.PROJECTS, description=_d("匹配方式", "what to match"))
    cross_community: bool = strawberry.field(default=False, description=_d(
        "允许跨社区帮扶（同一街道内）", "allow help across communities of the street"))
    max_distance: Optional[DistanceLevel] = strawberry.field(  # type: ignore[valid-type]
        default=None, description=_d("最远距离（默认同一街道）", "farthest distance (default: the street)"))
    categories: Optional[List[CareCategory]] = strawberry.field(
        default=None, description=_d("结对：计为困难户的类别（默认困难家庭）", "pairings: care categories counted as needy (default NEEDY_FAMILY)"))
    min_households: int = strawberry.field(default=5, description=_d("结对：每名党员最少联系户数", "pairings: fewest households per member"))
    max_households: int = strawberry.field(default=20, description=_d("结对：每名党员最多联系户数", "pairings: most households per member"))
    exempt_age: int = strawberry.field(default=70, description=_d("豁免年龄", "age from which members are exempt"))
    member_capacity: int = strawberry.field(default=2, description=_d(
        "项目：每名党员可凭特长认领的需求数", "projects: needs a member may take through their service items"))
    as_of: Optional[dt.date] = strawberry.field(default=None, description=_d("基准日（默认数据基准日）", "as-of date (default: the data's)"))


def options_from(value: Optional[MatchOptionsInput]) -> MatchOptions:
    v = value or MatchOptionsInput()
    if v.min_households > v.max_households:
        raise UserError("minHouseholds 不能大于 maxHouseholds", "minHouseholds must not exceed maxHouseholds")
    if v.categories is not None and not v.categories:
        raise UserError("categories 不能为空列表", "categories must not be an empty list")
    for name, number, top in (("minHouseholds", v.min_households, 1000), ("maxHouseholds", v.max_households, 1000),
                              ("exemptAge", v.exempt_age, 150), ("memberCapacity", v.member_capacity, 1000)):
        if not 0 <= number <= top:
            raise UserError(f"{name} 应在 0 到 {top} 之间", f"{name} must be between 0 and {top}")
    return MatchOptions(mode=v.mode.value, cross_community=v.cross_community,
                        max_distance=v.max_distance.value if v.max_distance else "STREET",
                        categories=tuple(c.value for c in v.categories) if v.categories else ("NEEDY_FAMILY",),
                        min_households=v.min_households, max_households=v.max_households, exempt_age=v.exempt_age,
                        member_capacity=v.member_capacity, as_of=v.as_of)


@strawberry.type(description=_d("一条匹配方案", "a proposed match"))
class MatchProposal:
    id: str = strawberry.field(description=_d("方案编号（接受时使用）", "proposal id (to accept it)"))
    demand_kind: str = strawberry.field(description=_d("需求方类型：需求或住户", "kind of the demand: Need or Household"))
    demand_key: str = strawberry.field(description=_d("需求方业务编号", "business key of the demand"))
    demand_label: str = strawberry.field(description=_d("需求内容或住户", "need title or household"))
    supply_kind: str = strawberry.field(description=_d("提供方类型：资源或党员", "kind of the supply: Resource or Member"))
    supply_key: str = strawberry.field(description=_d("提供方业务编号", "business key of the supply"))
    supply_label: str = strawberry.field(description=_d("资源名称或党员姓名", "resource title or member name"))
    offered_by_kind: Optional[str] = strawberry.field(description=_d("认领方类型（共建单位或党员）", "kind of the claimer (JointUnit or Member)"))
    offered_by_key: Optional[str] = strawberry.field(description=_d("认领方业务编号", "business key of the claimer"))
    level: DistanceLevel = strawberry.field(description=_d("网格距离", "distance in the grid"))  # type: ignore[valid-type]
    fit: str = strawberry.field(description=_d("匹配程度：ITEM 服务项目对口、CATEGORY 类别对口、SECONDARY 类别可用",
                                               "fit: ITEM, CATEGORY or SECONDARY"))
    distance_cost: int = strawberry.field(description=_d("距离成本", "distance cost"))
    fit_cost: int = strawberry.field(description=_d("匹配成本", "fit cost"))
    urgency_cost: int = strawberry.field(description=_d("紧急程度成本（越急越低）", "urgency cost (lower when more urgent)"))
    load_cost: int = strawberry.field(description=_d("结对负荷成本", "pairing load cost"))
    total_cost: int = strawberry.field(description=_d("总成本", "total cost"))
    reason: str = strawberry.field(description=_d("匹配理由（中文）", "why, in Chinese"))
    reason_en: str = strawberry.field(description=_d("匹配理由（英文）", "why, in English"))

    @strawberry.field(description=_d("需求方记录", "the demand's record"))
    async def demand(self, info: Info) -> Optional[t.Node]:
        return await t.load_object(info, self.demand_kind, self.demand_key)

    @strawberry.field(description=_d("提供方记录", "the supply's record"))
    async def supply(self, info: Info) -> Optional[t.Node]:
        return await t.load_object(info, self.supply_kind, self.supply_key)


@strawberry.type(description=_d("未能匹配的需求及原因", "a demand left unmatched, and why"))
class UnmatchedDemand:
    demand_kind: str = strawberry.field(description=_d("需求方类型", "kind of the demand"))
    demand_key: str = strawberry.field(description=_d("需求方业务编号", "business key of the demand"))
    demand_label: str = strawberry.field(description=_d("需求内容或住户", "need title or household"))
    reason: UnmatchedReason = strawberry.field(description=_d("原因", "reason"))  # type: ignore[valid-type]
    explanation: str = strawberry.field(description=_d("说明（中文）", "explanation, in Chinese"))
    explanation_en: str = strawberry.field(description=_d("说明（英文）", "explanation, in English"))
    candidates: int = strawberry.field(description=_d("类别可满足的资源数（不计距离）", "supplies that fit, at any distance"))


@strawberry.type(description=_d("匹配方案（未写入）", "proposed matches (nothing written)"))
class MatchProposals:
    mode: MatchMode = strawberry.field(description=_d("匹配方式", "what was matched"))
    as_of: dt.date = strawberry.field(description=_d("基准日", "as-of date"))
    matched: int = strawberry.field(description=_d("可满足的需求数（最大）", "demands matched (the most possible)"))
    total_cost: int = strawberry.field(description=_d("总成本（在满足数最大的前提下最小）", "total cost (least, among the most matched)"))
    proposals: List[MatchProposal] = strawberry.field(description=_d("方案", "proposals"))
    unmatched: List[UnmatchedDemand] = strawberry.field(description=_d("未匹配的需求", "demands left unmatched"))


@strawberry.type(description=_d("接受匹配方案的结果", "result of accepting proposals"))
class AcceptMatchesResult:
    projects: List[str] = strawberry.field(description=_d("新建项目编号", "projects created"))
    pairings: List[str] = strawberry.field(description=_d("新建结对编号", "pairings created"))
    already_accepted: List[str] = strawberry.field(description=_d("此前已接受的方案", "proposals accepted before (nothing written)"))


#: each run reads the whole scope and solves a flow: aliases must not multiply that
MAX_MATCHING_PER_REQUEST = 2


async def _scope(info: Info, scope: Optional[CoverageScopeInput]):  # type: ignore[no-untyped-def]
    info.context.matchings += 1
    if info.context.matchings > MAX_MATCHING_PER_REQUEST:
        raise UserError(f"一次请求最多进行 {MAX_MATCHING_PER_REQUEST} 次匹配",
                        f"at most {MAX_MATCHING_PER_REQUEST} matching runs per request")
    asked = AuditScope(scope.district_key, scope.street_key, scope.community_key) if scope else AuditScope()
    await check_scope_keys(info.context.store, asked, info.context.scope)
    return await resolve_scope(info.context.store, asked, info.context.scope)


@strawberry.type
class MatchingQuery:
    @strawberry.field(description=_d("匹配方案：需求与资源、困难户与党员（只计算，不写入）",
                                     "proposed matches: needs with resources, needy households with members (nothing is written)"))
    async def propose_matches(
        self, info: Info,
        scope: Annotated[Optional[CoverageScopeInput], strawberry.argument(description=_d("范围", "scope"))] = None,
        options: Annotated[Optional[MatchOptionsInput], strawberry.argument(description=_d("选项", "options"))] = None,
    ) -> MatchProposals:
        info.context.require("match")
        opts = options_from(options)
        if opts.mode == "pairings":  # pairing proposals show which households need help
            info.context.require("pairings")
        result = await propose(info.context.store, await _scope(info, scope), opts)
        proposals = []
        for p in result.proposals:
            zh, en = explain(p)
            tm = p.terms
            by = p.supply.offered_by
            proposals.append(MatchProposal(
                id=p.id, demand_kind=p.demand.kind, demand_key=p.demand.id, demand_label=p.demand.label,
                supply_kind=p.supply.kind, supply_key=p.supply.id, supply_label=p.supply.label,
                offered_by_kind=by[0] if by else None, offered_by_key=by[1] if by else None,
                level=DistanceLevel(tm.level), fit=tm.fit, distance_cost=tm.distance_cost, fit_cost=tm.fit_cost,
                urgency_cost=tm.urgency_cost, load_cost=tm.load_cost, total_cost=tm.total, reason=zh, reason_en=en))
        unmatched = []
        for u in result.unmatched:
            zh, en = explain_unmatched(u)
            unmatched.append(UnmatchedDemand(demand_kind=u.demand.kind, demand_key=u.demand.id,
                                             demand_label=u.demand.label, reason=UnmatchedReason(u.reason),
                                             explanation=zh, explanation_en=en, candidates=u.candidates))
        return MatchProposals(mode=MatchMode(result.mode), as_of=result.as_of, matched=len(proposals),
                              total_cost=result.total_cost, proposals=proposals, unmatched=unmatched)


@strawberry.type
class MatchingMutation:
    @strawberry.mutation(description=_d("接受匹配方案：在一个事务中新建项目和结对；已失效的方案整体拒绝；重复接受不重复写入",
                                        "accept proposals: projects and pairings written in one transaction; a proposal "
                                        "no longer valid refuses the whole request; accepting again writes nothing"))
    async def accept_matches(
        self, info: Info,
        proposal_ids: Annotated[List[str], strawberry.argument(description=_d("方案编号", "proposal ids"))],
        scope: Annotated[Optional[CoverageScopeInput], strawberry.argument(description=_d("范围", "scope"))] = None,
        options: Annotated[Optional[MatchOptionsInput], strawberry.argument(
            description=_d("选项（与提出方案时相同）", "options (as when proposed)"))] = None,
    ) -> AcceptMatchesResult:
        if info.context.settings.graph_api_read_only:
            raise UserError("本服务为只读部署，不接受写入", "this deployment is read-only (GRAPH_API_READ_ONLY)")
        info.context.require("acceptMatches")
        if any(p.startswith("pairings|") for p in proposal_ids):
            info.context.require("pairings")
        report = await accept(info.context.store, await _scope(info, scope), proposal_ids, options_from(options),
                              principal=info.context.principal)
        info.context.fresh_loaders()
        return AcceptMatchesResult(projects=report.projects, pairings=report.pairings, already_accepted=report.already)


__all__ = ["MatchingQuery", "MatchingMutation"]
