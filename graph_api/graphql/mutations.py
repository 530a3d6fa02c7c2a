"""Mutations for every kind, generated from the model registry and the ledger column mappings:
create, update, delete (archive for kinds whose history matters), connect and disconnect.

Each resolves through :class:`graph_api.changes.service.ChangeService` (validation as the
loaders validate, who may do what, one guarded transaction with its audit entry). Problems a
user can fix come back as typed ``errors`` (field, code, message in Chinese and English), not
as masked server errors.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any, Generic, List, Optional, TypeVar  # noqa: UP035

import strawberry
from strawberry.types import Info

from graph_api.changes.service import ARCHIVE, ChangeRefused, ChangeResult, ChangeService, FieldProblem, Request
from graph_api.domain.model import KINDS, Kind
from graph_api.graphql import types as t
from graph_api.graphql.enums import describe_values
from graph_api.ledger.mapping import mapping_for
from graph_api.store.base import StoreError

T = TypeVar("T")


@strawberry.type(description="变更被拒绝的原因（可由用户更正）· why a change was refused (the user can fix it)")
class FieldError:
    field: str = strawberry.field(description="字段（key 为业务编号，空为整条记录）· the field (key: the business key; "
                                              "empty: the whole record)")
    code: str = strawberry.field(description="错误代码：FORBIDDEN 无权限、NOT_FOUND 不存在或不在范围内、DUPLICATE 重复、"
                                             "REQUIRED 必填、INVALID 无效、CONFLICT 并发修改、HAS_DEPENDENTS 仍被引用、"
                                             "READ_ONLY 只读 · error code")
    message: str = strawberry.field(description="中英文说明 · message in Chinese and English")
    message_zh: str = strawberry.field(description="中文说明 · message in Chinese")
    message_en: str = strawberry.field(description="英文说明 · message in English")
    value: Optional[str] = strawberry.field(default=None, description="被拒绝的值 · the value refused")


@strawberry.type(description="变更结果 · result of a change")
class Payload(Generic[T]):
    ok: bool = strawberry.field(description="是否成功（失败时未写入任何内容）· whether it succeeded (nothing is "
                                            "written when it did not)")
    changed: bool = strawberry.field(description="是否有改动（与现有记录相同时为否）· whether anything changed")
    record: Optional[T] = strawberry.field(description="变更后的记录（按您的权限脱敏；删除后为空）· the record "
                                                        "after the change, as you may see it (empty after a delete)")
    audit_id: Optional[str] = strawberry.field(description="审计日志条目编号 · id of the audit log entry")
    errors: List[FieldError] = strawberry.field(description="被拒绝的原因 · why it was refused")


def _errors(problems: list[FieldProblem]) -> list[FieldError]:
    return [FieldError(field=p.field, code=p.code, message=f"{p.zh} · {p.en}", message_zh=p.zh, message_en=p.en,
                       value=p.value) for p in problems]


async def run_change(info: Info, req: Request) -> Payload[Any]:
    context = info.context
    service = ChangeService(context.store, context.principal, context.scope, context.settings.graph_api_read_only)
    try:
        result: ChangeResult = await service.apply(req)
    except ChangeRefused as exc:
        return Payload(ok=False, changed=False, record=None, audit_id=None, errors=_errors(exc.problems))
    except StoreError as exc:  # the store refused the data (a constraint): nothing was written
        text = str(exc)
        return Payload(ok=False, changed=False, record=None, audit_id=None,
                       errors=_errors([FieldProblem("", "INVALID", text, text)]))
    context.fresh_loaders()  # what this request read before the write is stale now
    record = t.to_object(result.record) if result.record else None
    return Payload(ok=True, changed=result.changed, record=record, audit_id=result.audit_id, errors=[])


def _values(obj: Any) -> dict[str, Any]:
    """The fields given in an input object (UNSET: not given; None: cleared)."""
    out = {}
    for name, value in vars(obj).items():
        if value is strawberry.UNSET:
            continue
        out[name] = value
    return out


def _input_type(kind: Kind) -> tuple[type, list[str], list[str]]:
    """``<Kind>Input``: every property and outgoing relationship of the kind's ledger columns."""
    m = mapping_for(kind.name)
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    props, links = [], []
    for column in m.columns:
        if column.prop is not None:
            prop = column.prop
            base: Any = prop.type
            annotations[prop.name] = Optional[List[base] if prop.many else base]  # type: ignore[valid-type]
            namespace[prop.name] = strawberry.field(default=strawberry.UNSET, description=f"{prop.description}；"
                                                    f"不填则不变，填 null 则清空 · omitted: unchanged; null: cleared")
            props.append(prop.name)
        elif column.rel is not None:
            rel = column.rel
            annotations[rel.field] = Optional[List[str]] if rel.many else Optional[str]
            namespace[rel.field] = strawberry.field(default=strawberry.UNSET, description=f"{rel.description}："
                                                    f"业务编号{'列表（整体替换）' if rel.many else ''} · business key"
                                                    f"{'s (the whole list is replaced)' if rel.many else ''}")
            links.append(rel.field)
    namespace["__annotations__"] = annotations
    cls = type(f"{kind.name}Input", (), namespace)
    return strawberry.input(cls, description=f"{kind.zh}的字段（与台账列相同的校验）· fields of a {kind.en} "
                                             f"(checked as the ledger import checks them)"), props, links


def _link_enum(kind: Kind) -> type[Enum] | None:
    rels = [c.rel for c in mapping_for(kind.name).columns if c.rel is not None]
    if not rels:
        return None
    enum_cls = Enum(f"{kind.name}Link", {r.field: r.field for r in rels})  # type: ignore[misc]
    strawberry.enum(enum_cls, description=f"{kind.zh}可连接的关系 · relationships of a {kind.en} to connect")
    describe_values(enum_cls, {r.field: r.description for r in rels})
    return enum_cls


def _split(values: dict[str, Any], links: list[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    props = {n: v for n, v in values.items() if n not in links}
    rels: dict[str, list[str]] = {}
    for name in links:
        if name in values:
            v = values[name]
            rels[name] = [] if v is None else ([v] if isinstance(v, str) else list(v))
    return props, rels


def _make_mutations(kind: Kind) -> type:
    cls = t.TYPE_BY_KIND[kind.name]
    input_cls, _, link_fields = _input_type(kind)
    link_enum = _link_enum(kind)
    kind_name = kind.name
    payload = Payload[cls]  # type: ignore[valid-type]

    async def create(info: Info, key: str, input: Any) -> Any:
        props, rels = _split(_values(input), link_fields)
        return await run_change(info, Request("create", kind_name, key, props, rels))

    async def update(info: Info, key: str, input: Any) -> Any:
        props, rels = _split(_values(input), link_fields)
        return await run_change(info, Request("update", kind_name, key, props, rels))

    async def delete(info: Info, key: str) -> Any:
        return await run_change(info, Request("delete", kind_name, key))

    for fn in (create, update):
        fn.__annotations__ = {"info": Info, "key": str, "input": input_cls, "return": payload}
    delete.__annotations__ = {"info": Info, "key": str, "return": payload}
    namespace: dict[str, Any] = {
        f"create{kind_name}": strawberry.mutation(
            resolver=create, description=f"新建{kind.zh} · create a {kind.en}"),
        f"update{kind_name}": strawberry.mutation(
            resolver=update, description=f"修改{kind.zh}（只改给出的字段）· update a {kind.en} (only the fields given)"),
    }
    if kind_name in ARCHIVE:
        status_field, status = ARCHIVE[kind_name]

        async def archive(info: Info, key: str) -> Any:
            return await run_change(info, Request("archive", kind_name, key))

        archive.__annotations__ = {"info": Info, "key": str, "return": payload}
        namespace[f"archive{kind_name}"] = strawberry.mutation(
            resolver=archive, description=f"归档{kind.zh}（{status_field} = {status}，保留历史）· archive a {kind.en} "
                                          f"({status_field} = {status}; its history is kept)")
    else:
        namespace[f"delete{kind_name}"] = strawberry.mutation(
            resolver=delete, description=f"删除{kind.zh}（仍被引用时拒绝）· delete a {kind.en} (refused while "
                                         f"records depend on it)")
    if link_enum is not None:
        def linker(operation: str) -> Any:
            async def link(info: Info, key: str, field: Any, target_key: str) -> Any:
                return await run_change(info, Request(operation, kind_name, key, links={field.value: [target_key]}))
            link.__annotations__ = {"info": Info, "key": str, "field": link_enum, "target_key": str, "return": payload}
            return link

        namespace[f"connect{kind_name}"] = strawberry.mutation(
            resolver=linker("connect"), description=f"为{kind.zh}建立关系（单值关系则替换）· connect a {kind.en} to "
                                                    f"a record (a single-valued relationship is replaced)")
        namespace[f"disconnect{kind_name}"] = strawberry.mutation(
            resolver=linker("disconnect"), description=f"解除{kind.zh}的关系 · disconnect a {kind.en} from a record")
    return strawberry.type(type(f"{kind_name}Mutation", (), namespace))


@strawberry.type
class NamedMutation:
    @strawberry.mutation(description="记录一次走访（更新结对的最近走访日期）· record a visit (a pairing's last visit date)")
    async def record_visit(self, info: Info, pairing_key: str, date: dt.date) -> Payload[t.TYPE_BY_KIND["Pairing"]]:  # type: ignore[valid-type]
        return await run_change(info, Request("update", "Pairing", pairing_key, {"lastVisitDate": date}))


KIND_MUTATIONS = tuple(_make_mutations(k) for k in KINDS)
