"""The audit log, for administrators and auditors: who changed or read what, when."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, List, Optional  # noqa: UP035

import strawberry
from strawberry.types import Info

from graph_api.graphql import types as t
from graph_api.graphql.coverage import JSON
from graph_api.store.base import AuditQuery


def _d(zh: str, en: str) -> str:
    return f"{zh} · {en}"


def _parse_datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)  # no offset given: UTC


#: registered in the schema's scalar_map (graph_api/graphql/schema.py)
DATETIME_SCALAR = strawberry.scalar(
    name="DateTime", description=_d("日期时间（ISO 8601；未写时区按 UTC）", "date and time (ISO 8601; UTC when no offset)"),
    serialize=lambda v: v.isoformat(), parse_value=_parse_datetime)


@strawberry.type(description=_d("审计日志条目（只增不改）", "an entry of the append-only audit log"))
class AuditLogEntry:
    id: strawberry.ID = strawberry.field(description=_d("条目编号", "entry id"))
    at: dt.datetime = strawberry.field(description=_d("时间（UTC）", "when (UTC)"))
    actor: str = strawberry.field(description=_d("操作人（令牌主体）", "who (the token's subject)"))
    role: str = strawberry.field(description=_d("角色", "role"))
    operation: str = strawberry.field(description=_d("操作：变更名，或 read:操作名 表示读取敏感字段",
                                                     "operation: the mutation, or read:<operation> for a read of "
                                                     "sensitive fields"))
    kind: Optional[str] = strawberry.field(description=_d("记录类型", "kind of the records"))
    record_ids: List[str] = strawberry.field(description=_d("记录的业务编号", "business keys of the records"))
    street_key: Optional[str] = strawberry.field(description=_d("所属街道编号", "street key"))
    community_key: Optional[str] = strawberry.field(description=_d("所属社区编号", "community key"))
    before: Optional[JSON] = strawberry.field(description=_d("变更前（按您的权限脱敏）", "before the change "
                                                             "(masked as you may see it)"))
    after: Optional[JSON] = strawberry.field(description=_d("变更后（按您的权限脱敏）", "after the change "
                                                            "(masked as you may see it)"))
    fields: List[str] = strawberry.field(description=_d("读取的敏感字段", "sensitive fields read"))


@strawberry.type(description=_d("审计日志分页", "a page of the audit log"))
class AuditLogPage:
    total_count: int = strawberry.field(description=_d("符合条件的条目总数", "entries matching, over all pages"))
    page_info: t.PageInfo = strawberry.field(description=_d("分页信息", "page information"))
    nodes: List[AuditLogEntry] = strawberry.field(description=_d("本页条目（新的在前）", "entries of this page, newest first"))


@strawberry.input(description=_d("审计日志筛选", "audit log filter"))
class AuditLogFilter:
    actor: Optional[str] = strawberry.field(default=None, description=_d("操作人", "who"))
    operation: Optional[str] = strawberry.field(default=None, description=_d("操作", "operation"))
    kind: Optional[str] = strawberry.field(default=None, description=_d("记录类型", "kind"))
    record_key: Optional[str] = strawberry.field(default=None, description=_d("记录业务编号", "a record's business key"))
    since: Optional[dt.datetime] = strawberry.field(default=None, description=_d("起（含）", "from (inclusive)"))
    until: Optional[dt.datetime] = strawberry.field(default=None, description=_d("止（不含）", "until (exclusive)"))


def _entry(r: dict[str, Any]) -> AuditLogEntry:
    return AuditLogEntry(id=strawberry.ID(r["id"]), at=r["at"], actor=r["actor"], role=r["role"],
                         operation=r["operation"], kind=r.get("kind"), record_ids=list(r.get("recordIds") or []),
                         street_key=r.get("streetId"), community_key=r.get("communityId"), before=r.get("before"),
                         after=r.get("after"), fields=list(r.get("fields") or []))


@strawberry.type
class AuditLogQuery:
    @strawberry.field(description=_d("审计日志：每次变更（含前后值）和每次敏感字段读取；仅管理员与审计员",
                                     "the audit log: every change (before and after) and every read of sensitive "
                                     "fields; administrators and auditors only"))
    async def audit_log(
        self, info: Info,
        filter: Annotated[Optional[AuditLogFilter], strawberry.argument(description=_d("筛选", "filter"))] = None,
        first: Annotated[Optional[int], strawberry.argument(description=_d("条数", "page size"))] = None,
        after: Annotated[Optional[str], strawberry.argument(description=_d("游标", "cursor"))] = None,
    ) -> AuditLogPage:
        from graph_api.graphql.query import page_window

        info.context.require("auditLog")
        offset, limit, _ = page_window(info, first, after, None, None)
        f = filter or AuditLogFilter()
        query = AuditQuery(actor=f.actor, operation=f.operation, kind=f.kind, record_id=f.record_key,
                           since=f.since, until=f.until)
        page = await info.context.store.audit_log(query, info.context.scope, offset, limit or 0)
        nodes = [_entry(r) for r in page.records]
        return AuditLogPage(total_count=page.total, nodes=nodes, page_info=t.PageInfo(
            has_next_page=offset + len(nodes) < page.total, has_previous_page=offset > 0,
            start_cursor=t.encode_cursor(offset) if nodes else None,
            end_cursor=t.encode_cursor(offset + len(nodes) - 1) if nodes else None))
