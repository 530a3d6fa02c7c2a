"""The coverage audit in GraphQL: ``coverage(scope:)`` with a summary per check and per community
and, per check, a paginated list of the offending records with their reason and grid path.

The resolver runs the audit engine once per field call (one store round trip per check, one
for the grid paths, one for the community names); everything below it is plain data.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any, List, NewType, Optional  # noqa: UP035

import strawberry
from strawberry.types import Info

from graph_api.audit.engine import AuditScope, resolve_scope, run_audit
from graph_api.domain.coverage import CHECKS
from graph_api.graphql import types as t
from graph_api.graphql.errors import UserError


def _d(zh: str, en: str) -> str:
    return f"{zh} · {en}"


#: each audit reads every record of the checked kinds in scope: aliases must not multiply that
MAX_AUDITS_PER_REQUEST = 2

JSON = NewType("JSON", object)
#: registered in the schema's scalar_map (graph_api/graphql/schema.py)
JSON_SCALAR = strawberry.scalar(name="JSON", serialize=lambda v: v, parse_value=lambda v: v,
                                description=_d("JSON 值（数字、文字、列表或对象）", "a JSON value (number, text, list or object)"))

CoverageCheckName = strawberry.enum(
    Enum("CoverageCheckName", {c.name.upper(): strawberry.enum_value(c.name, description=_d(c.zh, c.en)) for c in CHECKS}),
    description=_d("覆盖检查（“全覆盖、无死角”）", "coverage check (全覆盖、无死角)"),
)


@strawberry.input(description=_d("审计范围：区、街道或社区（不填为可见的全部）",
                                 "audit scope: a district, a street or a community (none: everything you may see)"))
class CoverageScopeInput:
    district_key: Optional[str] = strawberry.field(default=None, description=_d("区业务编号", "district business key"))
    street_key: Optional[str] = strawberry.field(default=None, description=_d("街道业务编号", "street business key"))
    community_key: Optional[str] = strawberry.field(default=None, description=_d("社区业务编号（网格编码）",
                                                                                 "community business key (grid code)"))


@strawberry.input(description=_d("检查阈值（覆盖默认值）", "threshold of a check (overrides its default)"))
class CoverageThresholdInput:
    check: CoverageCheckName = strawberry.field(description=_d("检查", "check"))  # type: ignore[valid-type]
    name: str = strawberry.field(description=_d("阈值名称（见 coverageChecks）", "threshold name (see coverageChecks)"))
    value: JSON = strawberry.field(description=_d("取值：整数或文字列表", "value: a whole number or a list of names"))


@strawberry.type(description=_d("检查的阈值及默认值", "a threshold of a check and its default"))
class CoverageThreshold:
    name: str = strawberry.field(description=_d("名称", "name"))
    default: JSON = strawberry.field(description=_d("默认值", "default value"))
    title: str = strawberry.field(description=_d("说明（中文）", "meaning, in Chinese"))
    title_en: str = strawberry.field(description=_d("说明（英文）", "meaning, in English"))


@strawberry.interface(description=_d("覆盖检查的名称与规则", "a coverage check: its name and rule"))
class CoverageCheckDescription:
    name: CoverageCheckName = strawberry.field(description=_d("检查", "check"))  # type: ignore[valid-type]
    question: int = strawberry.field(description=_d("对应的常见问题编号（1-11）", "number of the staff question it answers (1-11)"))
    kind: str = strawberry.field(description=_d("问题记录的类型", "kind of the offending records"))
    title: str = strawberry.field(description=_d("名称（中文）", "title, in Chinese"))
    title_en: str = strawberry.field(description=_d("名称（英文）", "title, in English"))
    rule: str = strawberry.field(description=_d("判定规则（中文）", "rule, in Chinese"))
    rule_en: str = strawberry.field(description=_d("判定规则（英文）", "rule, in English"))


@strawberry.type(description=_d("覆盖检查目录中的一项", "an entry of the coverage check catalogue"))
class CoverageCheckSpec(CoverageCheckDescription):
    thresholds: List[CoverageThreshold] = strawberry.field(description=_d("阈值", "thresholds"))


@strawberry.type(description=_d("网格路径上的一级", "a step of a grid path"))
class GridStep:
    kind: str = strawberry.field(description=_d("网格层级类型", "grid kind"))
    key: str = strawberry.field(description=_d("网格编码", "grid code"))
    name: Optional[str] = strawberry.field(description=_d("网格名称", "grid name"))


@strawberry.type(description=_d("一条问题记录：原因及其在网格中的位置", "an offending record: why, and where in the grid"))
class CoverageFinding:
    key: str = strawberry.field(description=_d("问题记录的业务编号", "business key of the offending record"))
    kind: str = strawberry.field(description=_d("记录类型", "kind of the record"))
    label: Optional[str] = strawberry.field(description=_d("名称、标题或房号", "name, title or room"))
    community_key: Optional[str] = strawberry.field(description=_d("所属社区编号", "community key"))
    community_name: Optional[str] = strawberry.field(description=_d("所属社区", "community"))
    street_key: Optional[str] = strawberry.field(description=_d("所属街道编号", "street key"))
    reason: str = strawberry.field(description=_d("原因（中文）", "reason, in Chinese"))
    reason_en: str = strawberry.field(description=_d("原因（英文）", "reason, in English"))
    facts: JSON = strawberry.field(description=_d("判定所依据的数值", "the values behind the reason"))
    path: List[GridStep] = strawberry.field(description=_d("所在网格路径（楼栋 → 小区 → 片区 → 社区）",
                                                           "grid path (building → complex → area → community)"))

    @strawberry.field(description=_d("问题记录本身（可继续下钻）", "the record itself (to drill down)"))
    async def record(self, info: Info) -> Optional[t.Node]:
        return await t.load_object(info, self.kind, self.key)


@strawberry.type(description=_d("问题记录分页中的一条", "an edge of a page of findings"))
class CoverageFindingEdge:
    cursor: str = strawberry.field(description=_d("游标", "cursor"))
    node: CoverageFinding = strawberry.field(description=_d("问题记录", "finding"))


@strawberry.type(description=_d("问题记录分页", "a page of findings"))
class CoverageFindingConnection:
    total_count: int = strawberry.field(description=_d("问题记录总数", "number of findings over all pages"))
    page_info: t.PageInfo = strawberry.field(description=_d("分页信息", "page information"))
    edges: List[CoverageFindingEdge] = strawberry.field(description=_d("本页各条", "edges of this page"))
    nodes: List[CoverageFinding] = strawberry.field(description=_d("本页问题记录", "findings of this page"))


@strawberry.type(description=_d("某社区某项检查的计数", "counts of a check in a community"))
class CoverageCount:
    check: CoverageCheckName = strawberry.field(description=_d("检查", "check"))  # type: ignore[valid-type]
    population: int = strawberry.field(description=_d("检查的记录数", "records looked at"))
    count: int = strawberry.field(description=_d("问题记录数", "offending records"))
    share_covered: Optional[float] = strawberry.field(description=_d("达标比例（0-1；无记录时为空）",
                                                                     "share without a problem (0-1; empty when none looked at)"))


@strawberry.type(description=_d("一项检查的结果", "result of one check"))
class CoverageCheck(CoverageCheckDescription):
    population_label: str = strawberry.field(description=_d("检查对象", "what is looked at"))
    thresholds: JSON = strawberry.field(description=_d("本次使用的阈值", "thresholds used in this run"))
    population: int = strawberry.field(description=_d("检查的记录数", "records looked at"))
    count: int = strawberry.field(description=_d("问题记录数", "offending records"))
    share_covered: Optional[float] = strawberry.field(description=_d("达标比例（0-1）", "share without a problem (0-1)"))
    by_community: List[CoverageCount] = strawberry.field(description=_d("各社区计数", "counts per community"))
    all_findings: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field(description=_d("问题记录（游标分页，可按社区筛选）", "offending records (cursor pages, optionally one community)"))
    def findings(self, info: Info,
                 first: Annotated[Optional[int], strawberry.argument(
                     description=_d("本页条数（默认20）", "page size (default 20)"))] = None,
                 after: Annotated[Optional[str], strawberry.argument(
                     description=_d("从该游标之后开始", "start after this cursor"))] = None,
                 community_key: Annotated[Optional[str], strawberry.argument(
                     description=_d("只看该社区", "only this community"))] = None) -> CoverageFindingConnection:
        settings = info.context.settings
        limit = settings.graph_api_default_page_size if first is None else first
        if not 0 <= limit <= settings.graph_api_max_page_size:
            raise UserError(f"first 应在 0 到 {settings.graph_api_max_page_size} 之间",
                            f"first must be between 0 and {settings.graph_api_max_page_size}")
        rows = self.all_findings if community_key is None else [
            f for f in self.all_findings if f["communityId"] == community_key]
        start = t.decode_cursor(after) + 1 if after else 0
        page = rows[start:start + limit]
        nodes = [_finding(f) for f in page]
        edges = [CoverageFindingEdge(cursor=t.encode_cursor(start + i), node=n) for i, n in enumerate(nodes)]
        return CoverageFindingConnection(
            total_count=len(rows), edges=edges, nodes=nodes,
            page_info=t.PageInfo(has_next_page=start + len(page) < len(rows), has_previous_page=start > 0,
                                 start_cursor=edges[0].cursor if edges else None,
                                 end_cursor=edges[-1].cursor if edges else None))


@strawberry.type(description=_d("一个社区的覆盖情况", "coverage of one community"))
class CommunityCoverage:
    community_key: str = strawberry.field(description=_d("社区编号", "community key"))
    name: Optional[str] = strawberry.field(description=_d("社区", "community"))
    street_key: Optional[str] = strawberry.field(description=_d("所属街道编号", "street key"))
    findings: int = strawberry.field(description=_d("问题记录总数", "offending records, all checks"))
    buildings: Optional[int] = strawberry.field(description=_d("楼栋数", "buildings"))
    buildings_uncovered: Optional[int] = strawberry.field(description=_d(
        "未全覆盖的楼栋数（整栋或部分单元未建网格党小组）", "buildings not wholly covered (no grid Party group for all or some units)"))
    needy_households: Optional[int] = strawberry.field(description=_d("困难户数", "needy households"))
    needy_unhelped: Optional[int] = strawberry.field(description=_d("无结对党员的困难户数", "needy households without a helper"))
    checks: List[CoverageCount] = strawberry.field(description=_d("各项检查计数", "counts per check"))


@strawberry.type(description=_d("覆盖审计结果（“全覆盖、无死角”）", "coverage audit result (全覆盖、无死角)"))
class CoverageReport:
    as_of: dt.date = strawberry.field(description=_d("基准日（期限按此日计算）", "as-of date (deadlines are counted to it)"))
    total_findings: int = strawberry.field(description=_d("问题记录总数", "offending records, all checks"))
    checks_with_findings: int = strawberry.field(description=_d("发现问题的检查项数", "checks with at least one finding"))
    checks: List[CoverageCheck] = strawberry.field(description=_d("各项检查结果", "result of each check"))
    communities: List[CommunityCoverage] = strawberry.field(description=_d("各社区覆盖情况", "coverage per community"))

    @strawberry.field(description=_d("按名称取一项检查的结果", "the result of one check, by name"))
    def check(self, name: Annotated[CoverageCheckName, strawberry.argument(  # type: ignore[valid-type]
            description=_d("检查", "check"))]) -> Optional[CoverageCheck]:
        wanted = name.value
        return next((c for c in self.checks if c.name.value == wanted), None)


def _finding(f: dict[str, Any]) -> CoverageFinding:
    return CoverageFinding(
        key=f["id"], kind=f["kind"], label=None if f["label"] is None else str(f["label"]),
        community_key=f["communityId"], community_name=f["communityName"], street_key=f["streetId"],
        reason=f["reason"]["zh"], reason_en=f["reason"]["en"], facts=f["facts"],
        path=[GridStep(kind=s["kind"], key=s["id"], name=s.get("name")) for s in f["path"]])


def _count(name: str, entry: dict[str, Any]) -> CoverageCount:
    return CoverageCount(check=CoverageCheckName(name), population=entry["population"], count=entry["count"],
                         share_covered=entry["shareOk"])


#: facts of findings that carry a sensitive field's value (fact name -> the field)
SENSITIVE_FACTS = {"riskTier": ("Household", "riskTier"), "deadlineDays": ("Household", "riskTier"),
                   "careCategories": ("Household", "careCategories")}


def redact_facts(result: dict[str, Any], scope: Any) -> None:
    """Remove from findings the facts that show a sensitive field the caller may not see."""
    hidden = {fact for fact, (kind, prop) in SENSITIVE_FACTS.items() if scope.masks_of(kind).get(prop)}
    if not hidden:
        return
    for check in result["checks"]:
        for finding in check["findings"]:
            facts = finding.get("facts")
            if facts:
                for name in hidden & set(facts):
                    del facts[name]


def report_from_result(result: dict[str, Any]) -> CoverageReport:
    checks = []
    for c in result["checks"]:
        name = c["name"]
        checks.append(CoverageCheck(
            name=CoverageCheckName(name), question=c["question"], kind=c["kind"], title=c["title"]["zh"],
            title_en=c["title"]["en"], rule=c["rule"]["zh"], rule_en=c["rule"]["en"],
            population_label=c["populationLabel"]["zh"], thresholds=c["thresholds"], population=c["population"],
            count=c["count"], share_covered=c["shareOk"],
            by_community=[_count(name, com["checks"][name]) for com in result["communities"]],
            all_findings=c["findings"]))
    communities = [CommunityCoverage(
        community_key=com["id"], name=com["name"], street_key=com["streetId"], findings=com["totals"]["findings"],
        buildings=com["totals"]["buildings"], buildings_uncovered=com["totals"]["buildingsUncovered"],
        needy_households=com["totals"]["needyHouseholds"], needy_unhelped=com["totals"]["needyUnhelped"],
        checks=[_count(n, v) for n, v in com["checks"].items()]) for com in result["communities"]]
    return CoverageReport(as_of=dt.date.fromisoformat(result["asOf"]), total_findings=result["summary"]["findings"],
                          checks_with_findings=result["summary"]["checksWithFindings"], checks=checks,
                          communities=communities)


@strawberry.type
class CoverageQuery:
    @strawberry.field(description=_d("覆盖审计：各项检查的汇总、各社区情况和问题记录（含原因与网格路径）",
                                     "coverage audit: summary per check and per community, and the offending records "
                                     "with their reason and grid path"))
    async def coverage(
        self, info: Info,
        scope: Annotated[Optional[CoverageScopeInput], strawberry.argument(
            description=_d("审计范围", "audit scope"))] = None,
        as_of: Annotated[Optional[dt.date], strawberry.argument(
            description=_d("基准日（默认为数据集基准日）", "as-of date (default: the data set's as-of date)"))] = None,
        checks: Annotated[Optional[List[CoverageCheckName]], strawberry.argument(  # type: ignore[valid-type]
            description=_d("只运行这些检查（默认全部）", "run only these checks (default: all)"))] = None,
        thresholds: Annotated[Optional[List[CoverageThresholdInput]], strawberry.argument(
            description=_d("调整阈值", "thresholds to change"))] = None,
    ) -> CoverageReport:
        info.context.require("coverage")
        info.context.audits += 1
        if info.context.audits > MAX_AUDITS_PER_REQUEST:
            raise UserError(f"一次请求最多运行 {MAX_AUDITS_PER_REQUEST} 次覆盖审计",
                            f"at most {MAX_AUDITS_PER_REQUEST} coverage audits per request")
        asked = AuditScope(scope.district_key, scope.street_key, scope.community_key) if scope else AuditScope()
        overrides: dict[str, dict[str, Any]] = {}
        for th in thresholds or []:
            overrides.setdefault(th.check.value, {})[th.name] = th.value
        store = info.context.store
        store_scope = await resolve_scope(store, asked, info.context.scope)
        result = await run_audit(store, store_scope, asked=asked, checks=[c.value for c in checks] if checks else None,
                                 thresholds=overrides, as_of=as_of)  # a CheckError reaches the caller unmasked
        redact_facts(result, info.context.scope)
        return report_from_result(result)

    @strawberry.field(description=_d("覆盖检查目录：规则与阈值", "the coverage check catalogue: rules and thresholds"))
    def coverage_checks(self) -> List[CoverageCheckSpec]:
        return [CoverageCheckSpec(
            name=CoverageCheckName(c.name), question=c.question, kind=c.kind, title=c.zh, title_en=c.en,
            rule=c.rule_zh, rule_en=c.rule_en,
            thresholds=[CoverageThreshold(name=th.name, default=th.default, title=th.zh, title_en=th.en)
                        for th in c.thresholds]) for c in CHECKS]


__all__ = ["CoverageQuery", "CoverageReport", "JSON", "JSON_SCALAR", "report_from_result"]
