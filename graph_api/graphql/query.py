"""The root Query, composed from one small query class per kind plus the domain queries."""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional  # noqa: UP035

import strawberry
from strawberry.tools import merge_types
from strawberry.types import Info

from graph_api.domain.model import KINDS, Kind
from graph_api.graphql import types as t
from graph_api.graphql.errors import UserError
from graph_api.graphql.auditlog import AuditLogQuery
from graph_api.graphql.coverage import CoverageQuery
from graph_api.graphql.figures import FiguresQuery
from graph_api.graphql.matching import MatchingMutation, MatchingQuery
from graph_api.graphql.mutations import KIND_MUTATIONS, NamedMutation
from graph_api.graphql.inputs import ScopeInput, conditions_from_filter, make_filter_input, make_sort_input, sort_keys
from graph_api.store.base import Scope


def _lower_first(name: str) -> str:
    return name[0].lower() + name[1:]


def request_scope(info: Info, scope: ScopeInput | None) -> Scope:
    """The caller's scope narrowed to the street or community asked for."""
    base: Scope = info.context.scope
    if scope is None:
        return base
    return base.narrowed(scope.street_key, scope.community_key)


def page_window(info: Info, first: int | None, after: str | None, last: int | None,
                before: str | None) -> tuple[int, int | None, int | None]:
    """(offset, limit, end) from Relay arguments; limit None means 'last N before end'."""
    settings = info.context.settings
    maximum = settings.graph_api_max_page_size
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= maximum:
            raise UserError(f"{name} 应在 0 到 {maximum} 之间", f"{name} must be between 0 and {maximum}")
    if first is not None and last is not None:
        raise UserError("first 与 last 不能同时使用", "use either first or last, not both")
    start = t.decode_cursor(after) + 1 if after else 0
    end = t.decode_cursor(before) if before else None
    if last is not None:
        return start, None, end if end is None else max(start, end)
    limit = first if first is not None else settings.graph_api_default_page_size
    if end is not None:
        limit = max(0, min(limit, end - start))
    return start, limit, end


def _make_kind_query(kind: Kind) -> type:
    cls = t.TYPE_BY_KIND[kind.name]
    filter_input = make_filter_input(kind)
    _, order_input = make_sort_input(kind)
    kind_name = kind.name

    async def lookup(info: Info, key: str) -> Any:
        record = await info.context.loaders.node(kind_name).load(key)
        return t.to_object(record) if record else None

    lookup.__annotations__ = {"info": Info, "key": str, "return": Optional[cls]}

    async def listing(info: Info, filter: Any = None, scope: Optional[ScopeInput] = None,
                      order_by: Any = None, first: Optional[int] = None, after: Optional[str] = None,
                      last: Optional[int] = None, before: Optional[str] = None) -> Any:
        store = info.context.store
        conditions = conditions_from_filter(filter)
        sort = sort_keys(order_by)
        scope_ = request_scope(info, scope)
        offset, limit, end = page_window(info, first, after, last, before)
        if limit is None:  # last N: the window ends at `before` or at the end of the list
            if end is None:
                end = (await store.find_nodes(kind_name, conditions, sort, 0, 0, scope_)).total
            offset = max(offset, end - (last or 0))
            limit = end - offset
        page = await store.find_nodes(kind_name, conditions, sort, offset, limit, scope_)
        return t.make_connection(page.records, page.total, offset)

    listing.__annotations__ = {
        "info": Info,
        "filter": Optional[filter_input],
        "scope": Optional[ScopeInput],
        "order_by": Optional[List[order_input]],  # type: ignore[valid-type]
        "first": Optional[int],
        "after": Optional[str],
        "last": Optional[int],
        "before": Optional[str],
        "return": t.Connection[cls],  # type: ignore[valid-type]
    }
    namespace = {
        _lower_first(kind.name): strawberry.field(
            resolver=lookup, description=f"按业务编号查找{kind.zh} · look up a {kind.en} by business key"),
        kind.list_field: strawberry.field(
            resolver=listing,
            description=f"{kind.zh}列表：筛选、排序、游标分页 · list of {kind.en}: filter, sort, cursor pagination "
                        f"(first/after, last/before; at most the configured maximum page size)"),
    }
    return strawberry.type(type(f"{kind.name}Query", (), namespace))


@strawberry.type(description="每类记录的数量 · number of records of a kind")
class KindCount:
    kind: str = strawberry.field(description="记录类型 · kind")
    count: int = strawberry.field(description="数量 · count")


@strawberry.type
class NodeQuery:
    @strawberry.field(description="按全局编号获取任一记录（Relay）· fetch any record by its global id (Relay)")
    async def node(self, info: Info, id: strawberry.ID) -> Optional[t.Node]:
        kind_name, key = t.parse_global_id(id)
        record = await info.context.loaders.node(kind_name).load(key)
        return t.to_object(record) if record else None

    @strawberry.field(description="按全局编号批量获取（Relay）· fetch records by global ids (Relay)")
    async def nodes(self, info: Info, ids: List[strawberry.ID]) -> List[Optional[t.Node]]:
        parsed = [t.parse_global_id(i) for i in ids]
        records = await asyncio.gather(*(info.context.loaders.node(k).load(key) for k, key in parsed))
        return [t.to_object(r) if r else None for r in records]

    @strawberry.field(description="您可见范围内每类记录的数量 · number of records of each kind you may see")
    async def node_counts(self, info: Info) -> List[KindCount]:
        counts = await info.context.store.count_nodes(info.context.scope)
        return [KindCount(kind=k.name, count=counts.get(k.name, 0)) for k in KINDS]


KIND_QUERIES = tuple(_make_kind_query(k) for k in KINDS)
Query = merge_types("Query", (NodeQuery, FiguresQuery, CoverageQuery, MatchingQuery, AuditLogQuery, *KIND_QUERIES))
Query.__strawberry_definition__.description = "查询 · queries"  # type: ignore[attr-defined]
Mutation = merge_types("Mutation", (MatchingMutation, NamedMutation, *KIND_MUTATIONS))
Mutation.__strawberry_definition__.description = "变更 · mutations"  # type: ignore[attr-defined]
