"""GraphQL object types, generated once from the model registry.

Properties become plain fields (no resolver: strawberry's per-field cost is the throughput
ceiling); relationships become fields resolved through the request's DataLoaders, so store
round trips grow with query depth, not with the number of results.
"""

from __future__ import annotations

import base64
import sys
from typing import Any, Generic, List, Optional, TypeVar  # noqa: UP035  (names used in string annotations)

import strawberry
from strawberry.types import Info

from graph_api.domain.model import GRID_KINDS, KINDS, Kind, Prop, Rel
from graph_api.domain.enums import GridLevel
from graph_api.graphql import enums as _enums  # noqa: F401  (registers the enums first)
from graph_api.graphql.errors import UserError
from graph_api.store.base import Record

_MODULE = sys.modules[__name__]
T = TypeVar("T")


@strawberry.interface(description="可按全局编号获取的对象（Relay Node）· object fetchable by its global id (Relay Node)")
class Node:
    id: strawberry.ID = strawberry.field(description="全局编号，形如“类型:业务编号” · global id, \"Kind:businessKey\"")


@strawberry.interface(description="网格：社区、片区、小区、楼栋或单元 · grid of any of the five levels")
class Grid(Node):
    key: str = strawberry.field(description="业务编号（即网格编码）· business key (the grid code)")
    code: str = strawberry.field(description="网格编码 · grid code")
    name: str = strawberry.field(description="网格名称 · grid name")
    level: GridLevel = strawberry.field(description="网格层级 · grid level")
    streetId: Optional[str] = strawberry.field(default=None, description="所属街道编号 · street id")
    communityId: Optional[str] = strawberry.field(default=None, description="所属社区编号 · community id")


@strawberry.type(description="分页信息 · page information")
class PageInfo:
    has_next_page: bool = strawberry.field(description="是否有下一页 · whether a next page exists")
    has_previous_page: bool = strawberry.field(description="是否有上一页 · whether a previous page exists")
    start_cursor: Optional[str] = strawberry.field(description="本页第一条的游标 · cursor of the first edge")
    end_cursor: Optional[str] = strawberry.field(description="本页最后一条的游标 · cursor of the last edge")


@strawberry.type(description="分页列表中的一条 · an edge of a paginated list")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="游标 · cursor")
    node: T = strawberry.field(description="记录 · the record")


@strawberry.type(description="分页列表（Relay 连接）· paginated list (Relay connection)")
class Connection(Generic[T]):
    total_count: int = strawberry.field(description="符合条件的总数 · number of records matching, over all pages")
    page_info: PageInfo = strawberry.field(description="分页信息 · page information")
    edges: List[Edge[T]] = strawberry.field(description="本页各条 · edges of this page")
    nodes: List[T] = strawberry.field(description="本页记录 · records of this page")


# --- conversion from store records ------------------------------------------------------

def _python_type(prop: Prop) -> Any:
    base: Any = prop.type
    if prop.many:
        base = List[base]  # type: ignore[valid-type]
    return base if prop.required else Optional[base]


def _converter(prop: Prop) -> Any:
    if prop.is_enum:
        enum_cls = prop.type
        if prop.many:
            return lambda v: None if v is None else [enum_cls(x) for x in v]
        return lambda v: None if v is None else enum_cls(v)
    return None


TYPE_BY_KIND: dict[str, type] = {}
_CONVERTERS: dict[str, tuple[tuple[str, Any], ...]] = {}
RAW = "raw_"  # private attribute holding a sensitive field's value; the field itself has a resolver


def to_object(record: Record) -> Any:
    """The GraphQL object for a store record."""
    kind_name = record["_kind"]
    cls = TYPE_BY_KIND[kind_name]
    values: dict[str, Any] = {"id": f"{kind_name}:{record['id']}", "key": record["id"]}
    for name, convert in _CONVERTERS[kind_name]:
        value = record.get(name)
        values[name] = convert(value) if convert is not None and value is not None else value
    for name in _SENSITIVE[kind_name]:
        values[RAW + name] = values.pop(name)
    return cls(**values)


def to_objects(records: list[Record]) -> list[Any]:
    return [to_object(r) for r in records]


async def load_object(info: Any, kind_name: str, key: str) -> Any:
    """The GraphQL object of a record, through the request's DataLoader (scoped, batched), or None."""
    found = await info.context.loaders.node(kind_name).load(key)
    return to_object(found) if found else None


# --- relationship resolvers -------------------------------------------------------------

def _type_name(rel: Rel) -> str:
    return rel.target  # a kind name, or the Grid interface


def _rel_resolver(kind: Kind, rel: Rel) -> Any:
    kind_name, field_name = kind.name, rel.field
    if rel.many:
        async def resolve_many(root: Any, info: Info) -> Any:
            return to_objects(await info.context.loaders.rel(kind_name, field_name).load(root.key))
        resolve_many.__annotations__["return"] = f"List[{_type_name(rel)}]"
        return resolve_many

    async def resolve_one(root: Any, info: Info) -> Any:
        records = await info.context.loaders.rel(kind_name, field_name).load(root.key)
        return to_object(records[0]) if records else None
    resolve_one.__annotations__["return"] = f"Optional[{_type_name(rel)}]"
    return resolve_one


_SENSITIVE: dict[str, tuple[str, ...]] = {}


def _sensitive_resolver(kind: Kind, prop: Prop) -> Any:
    """A sensitive field: its value (as the store gave it, masked or not) and, when shown in
    full, a note for the audit log of reads (written once at the end of the request)."""
    kind_name, name, attr = kind.name, prop.name, RAW + prop.name

    def resolve(root: Any, info: Info) -> Any:
        value = getattr(root, attr)
        if value is not None and value != []:
            context = info.context
            if not context.scope.masks_of(kind_name).get(name):
                context.note_sensitive(kind_name, root.key, name, getattr(root, "streetId", None),
                                       getattr(root, "communityId", None))
        return value

    resolve.__annotations__["return"] = _python_type(prop)
    return resolve


def _make_type(kind: Kind) -> type:
    annotations: dict[str, Any] = {
        "id": strawberry.ID,
        "key": str,
    }
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "id": strawberry.field(description="全局编号，形如“类型:业务编号” · global id, \"Kind:businessKey\""),
        "key": strawberry.field(description=kind.prop("id").description),
    }
    converters = []
    sensitive = []
    for prop in kind.all_props:
        if prop.name == "id":
            continue
        converters.append((prop.name, _converter(prop)))
        if prop.sensitive:
            sensitive.append(prop.name)
            annotations[RAW + prop.name] = strawberry.Private[_python_type(prop)]  # type: ignore[misc]
            namespace[RAW + prop.name] = None
            namespace[prop.name] = strawberry.field(resolver=_sensitive_resolver(kind, prop),
                                                    description=prop.description + "（敏感个人信息，按角色脱敏 · "
                                                    "sensitive personal data, masked by role）")
            continue
        annotations[prop.name] = _python_type(prop)
        namespace[prop.name] = strawberry.field(default=None, description=prop.description)
    for rel in kind.rels:
        namespace[rel.field] = strawberry.field(resolver=_rel_resolver(kind, rel), description=rel.description)
    namespace["__annotations__"] = annotations
    bases: tuple[type, ...] = (Grid,) if kind.name in GRID_KINDS else (Node,)
    cls = type(kind.name, bases, namespace)
    cls = strawberry.type(cls, description=kind.description)
    _CONVERTERS[kind.name] = tuple(converters)
    _SENSITIVE[kind.name] = tuple(sensitive)
    return cls


for _kind in KINDS:
    TYPE_BY_KIND[_kind.name] = _make_type(_kind)
    setattr(_MODULE, _kind.name, TYPE_BY_KIND[_kind.name])


# --- cursors ----------------------------------------------------------------------------

def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        prefix, number = text.split(":", 1)
        if prefix != "o":
            raise ValueError
        offset = int(number)
        if offset < 0:
            raise ValueError
        return offset
    except (ValueError, UnicodeDecodeError):
        raise UserError(f"无效的游标：{cursor!r}", f"invalid cursor {cursor!r}") from None


def make_connection(records: list[Record], total: int, offset: int) -> Connection[Any]:
    objects = to_objects(records)
    edges = [Edge(cursor=encode_cursor(offset + i), node=o) for i, o in enumerate(objects)]
    return Connection(
        total_count=total,
        page_info=PageInfo(
            has_next_page=offset + len(objects) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        edges=edges,
        nodes=objects,
    )


def parse_global_id(global_id: str) -> tuple[str, str]:
    kind_name, sep, key = global_id.partition(":")
    if not sep or kind_name not in TYPE_BY_KIND or not key:
        raise UserError(f"无效的全局编号：{global_id!r}（应为“类型:业务编号”）",
                        f"invalid global id {global_id!r} (expected \"Kind:businessKey\")")
    return kind_name, key


__all__ = ["Node", "Grid", "Connection", "Edge", "PageInfo", "TYPE_BY_KIND", "to_object", "to_objects", "load_object",
           "make_connection", "encode_cursor", "decode_cursor", "parse_global_id"]
