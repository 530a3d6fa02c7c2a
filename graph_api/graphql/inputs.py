"""GraphQL enums, filter inputs and sort inputs, derived from the model registry."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Any, Optional

import strawberry

from graph_api.domain import enums as domain_enums
from graph_api.domain.model import Kind, Prop
from graph_api.graphql.enums import ENUM_DESCRIPTIONS, SortDirection, describe_values
from graph_api.store.base import Condition, SortKey

# --- scalar filters ----------------------------------------------------------------------
def _f(zh: str, en: str, name: str | None = None) -> Any:
    return strawberry.field(default=None, description=f"{zh} · {en}", name=name)


@strawberry.input(description="文本条件（各条件同时满足）· text condition (all given parts must hold)")
class StringFilter:
    eq: Optional[str] = _f("等于", "equals")
    ne: Optional[str] = _f("不等于（含空值）", "differs from (empty values match)")
    in_: Optional[list[str]] = _f("属于其中之一", "is one of", name="in")
    starts_with: Optional[str] = _f("以此开头", "starts with")
    contains: Optional[str] = _f("包含此文字", "contains the text")
    is_null: Optional[bool] = _f("为空（true）或不为空（false）", "is empty (true) or not (false)")


@strawberry.input(description="文本列表条件 · condition on a list of texts")
class StringListFilter:
    contains: Optional[str] = _f("包含此项", "contains the item")
    contains_any: Optional[list[str]] = _f("包含其中任一项", "contains any of the items")
    is_null: Optional[bool] = _f("为空（true）或不为空（false）", "is empty (true) or not (false)")


@strawberry.input(description="整数条件 · whole-number condition")
class IntFilter:
    eq: Optional[int] = _f("等于", "equals")
    ne: Optional[int] = _f("不等于（含空值）", "differs from (empty values match)")
    in_: Optional[list[int]] = _f("属于其中之一", "is one of", name="in")
    gt: Optional[int] = _f("大于", "greater than")
    gte: Optional[int] = _f("大于等于", "at least")
    lt: Optional[int] = _f("小于", "less than")
    lte: Optional[int] = _f("小于等于", "at most")
    is_null: Optional[bool] = _f("为空（true）或不为空（false）", "is empty (true) or not (false)")


@strawberry.input(description="数值条件 · number condition")
class FloatFilter:
    eq: Optional[float] = _f("等于", "equals")
    gt: Optional[float] = _f("大于", "greater than")
    gte: Optional[float] = _f("大于等于", "at least")
    lt: Optional[float] = _f("小于", "less than")
    lte: Optional[float] = _f("小于等于", "at most")
    is_null: Optional[bool] = _f("为空（true）或不为空（false）", "is empty (true) or not (false)")


@strawberry.input(description="日期条件（YYYY-MM-DD）· date condition")
class DateFilter:
    eq: Optional[dt.date] = _f("等于", "on")
    ne: Optional[dt.date] = _f("不等于（含空值）", "not on (empty values match)")
    gt: Optional[dt.date] = _f("晚于", "after")
    gte: Optional[dt.date] = _f("不早于", "on or after")
    lt: Optional[dt.date] = _f("早于", "before")
    lte: Optional[dt.date] = _f("不晚于", "on or before")
    is_null: Optional[bool] = _f("为空（true）或不为空（false）", "is empty (true) or not (false)")


@strawberry.input(description="是/否条件 · yes/no condition")
class BooleanFilter:
    eq: Optional[bool] = _f("等于", "equals")
    is_null: Optional[bool] = _f("为空（true）或不为空（false）", "is empty (true) or not (false)")


@strawberry.input(description="范围：街道或社区（与调用者可见范围取交集）· scope: a street or a community "
                              "(intersected with what the caller may see)")
class ScopeInput:
    street_key: Optional[str] = _f("街道业务编号", "street business key")
    community_key: Optional[str] = _f("社区业务编号（网格编码）", "community business key (grid code)")


def _input_class(name: str, fields: list[tuple[str, Any, Any]], description: str) -> type:
    """An input type from (name, annotation, strawberry.field) triples, descriptions kept."""
    namespace: dict[str, Any] = {"__module__": __name__, "__annotations__": {}}
    for field_name, annotation, spec in fields:
        namespace["__annotations__"][field_name] = annotation
        namespace[field_name] = spec
    return strawberry.input(type(name, (), namespace), description=description)


_OP_NAMES = {"in_": "in", "starts_with": "startsWith", "contains_any": "containsAny", "is_null": "isNull"}


def _enum_filters(enum_cls: type[Enum]) -> tuple[type, type]:
    label = ENUM_DESCRIPTIONS[enum_cls.__name__].split(" · ")[0]
    single = _input_class(f"{enum_cls.__name__}Filter", [
            ("eq", Optional[enum_cls], _f("等于", "equals")),
            ("ne", Optional[enum_cls], _f("不等于（含空值）", "differs from (empty values match)")),
            ("in_", Optional[list[enum_cls]], _f("属于其中之一", "is one of", name="in")),  # type: ignore[valid-type]
            ("is_null", Optional[bool], _f("为空（true）或不为空（false）", "is empty (true) or not (false)")),
        ], f"{label}条件 · condition on {enum_cls.__name__}")
    many = _input_class(f"{enum_cls.__name__}ListFilter", [
            ("contains", Optional[enum_cls], _f("包含此项", "contains the value")),
            ("contains_any", Optional[list[enum_cls]], _f("包含其中任一项", "contains any of the values")),  # type: ignore[valid-type]
            ("is_null", Optional[bool], _f("为空（true）或不为空（false）", "is empty (true) or not (false)")),
        ], f"{label}（多值）条件 · condition on a list of {enum_cls.__name__}")
    return single, many


ENUM_FILTERS: dict[type, tuple[type, type]] = {e: _enum_filters(e) for e in domain_enums.ALL_ENUMS}


def filter_type_for(prop: Prop) -> type:
    if prop.is_enum:
        single, many = ENUM_FILTERS[prop.type]
        return many if prop.many else single
    if prop.many:
        return StringListFilter
    return {str: StringFilter, int: IntFilter, float: FloatFilter, dt.date: DateFilter, bool: BooleanFilter}[prop.type]


def graphql_prop_name(prop: Prop) -> str:
    """The GraphQL name of a property: the business key ``id`` is exposed as ``key``."""
    return "key" if prop.name == "id" else prop.name


def make_filter_input(kind: Kind) -> type:
    fields = []
    for prop in kind.all_props:
        if prop.filterable:
            fields.append((graphql_prop_name(prop), Optional[filter_type_for(prop)],
                           strawberry.field(default=None, description=prop.description)))
    return _input_class(f"{kind.name}Filter", fields,
                        f"{kind.zh}筛选条件（各字段同时满足）· filter on {kind.en} (all given fields must hold)")


def make_sort_input(kind: Kind) -> tuple[type, type]:
    sortable = [p for p in kind.all_props if p.sortable]
    members = {_upper_snake(graphql_prop_name(p)): p.name for p in sortable}
    sort_enum = Enum(f"{kind.name}SortField", members)  # type: ignore[misc]
    strawberry.enum(sort_enum, description=f"{kind.zh}排序字段 · sort field of {kind.en}")
    describe_values(sort_enum, {_upper_snake(graphql_prop_name(p)): p.description for p in sortable})
    order = _input_class(f"{kind.name}Order", [
        ("field", sort_enum, strawberry.field(description="排序字段 · sort field")),
        ("direction", SortDirection, strawberry.field(default=SortDirection.ASC, description="排序方向 · direction")),
    ], f"{kind.zh}排序 · ordering of {kind.en}")
    return sort_enum, order


def _upper_snake(name: str) -> str:
    out = []
    for ch in name:
        if ch.isupper():
            out.append("_")
        out.append(ch.upper())
    return "".join(out)


def _store_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_store_value(v) for v in value]
    return value


def conditions_from_filter(filter_obj: Any) -> list[Condition]:
    """Conditions for the store from a filter input instance (GraphQL ``key`` is the store's ``id``)."""
    if filter_obj is None:
        return []
    conditions: list[Condition] = []
    for field in dataclasses.fields(filter_obj):
        part = getattr(filter_obj, field.name)
        if part is None:
            continue
        prop_name = "id" if field.name == "key" else field.name
        for op_field in dataclasses.fields(part):
            value = getattr(part, op_field.name)
            if value is None:
                continue
            conditions.append(Condition(prop_name, _OP_NAMES.get(op_field.name, op_field.name), _store_value(value)))  # type: ignore[arg-type]
    return conditions


def sort_keys(order_by: list[Any] | None) -> list[SortKey]:
    return [SortKey(o.field.value, o.direction == SortDirection.DESC) for o in (order_by or [])]
