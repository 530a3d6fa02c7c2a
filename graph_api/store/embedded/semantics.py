"""Filter, scope and sort semantics of the embedded store, the same as the Neo4j backend's Cypher.

Cypher's three-valued logic decides the edge cases: a comparison with a missing value is
false, ``ne`` matches missing values, ascending order puts missing values last and
descending order puts them first, and ties are broken by the business key.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any

from graph_api.domain.model import Kind
from graph_api.store.base import Condition, Scope, SortKey, StoreError, check_condition, check_sort

Props = dict[str, Any]


def _comparable(a: Any, b: Any) -> bool:
    """Cypher compares numbers with numbers, text with text, dates with dates, booleans with booleans."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return True
    return type(a) is type(b)


def predicate(kind: Kind, cond: Condition) -> Callable[[Props], bool]:
    check_condition(kind, cond)
    prop = kind.prop(cond.prop)
    name, value, op = cond.prop, cond.value, cond.op

    if op == "eq":
        return lambda p: (v := p.get(name)) is not None and value is not None and _comparable(v, value) and v == value
    if op == "ne":
        return lambda p: (v := p.get(name)) is None or (value is not None and not (_comparable(v, value) and v == value))
    if op == "in":
        items = list(value or [])
        if not prop.many and items and all(type(x) is str for x in items):
            wanted = frozenset(items)  # text against text: a set lookup, not a scan of the list
            return lambda p: type(v := p.get(name)) is str and v in wanted
        return lambda p: (v := p.get(name)) is not None and any(_comparable(v, x) and v == x for x in items)
    if op == "startsWith":
        return lambda p: isinstance(v := p.get(name), str) and isinstance(value, str) and v.startswith(value)
    if op == "contains":
        if prop.many:
            return lambda p: (v := p.get(name)) is not None and value in v
        return lambda p: isinstance(v := p.get(name), str) and isinstance(value, str) and value in v
    if op == "containsAny":
        wanted = set(value or [])
        return lambda p: any(x in wanted for x in (p.get(name) or ()))
    if op in ("gt", "gte", "lt", "lte"):
        compare = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
                   "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}[op]
        return lambda p: ((v := p.get(name)) is not None and value is not None
                          and _comparable(v, value) and compare(v, value))
    if op == "isNull":
        return (lambda p: p.get(name) is None) if value else (lambda p: p.get(name) is not None)
    raise StoreError(f"unknown operator {op!r}")


def in_scope(kind: Kind, scope: Scope) -> Callable[[str, Props], bool] | None:
    """A test of (id, props) against the scope, or None when everything is visible."""
    if scope.unrestricted:
        return None
    streets, communities = scope.street_ids, scope.community_ids
    if kind.scoped:
        return lambda _id, p: ((streets is None or p.get("streetId") in streets)
                               and (communities is None or p.get("communityId") in communities))
    if kind.name == "Street" and streets is not None:
        return lambda node_id, _p: node_id in streets
    return None


def sort_records(kind: Kind, records: list[tuple[str, Props]], sort: Sequence[SortKey]) -> list[tuple[str, Props]]:
    """Records ordered as ``ORDER BY k1, k2, ..., n.id`` orders them (stable sorts, last key first)."""
    for key in sort:
        check_sort(kind, key)
    keys = list(sort) if any(k.prop == "id" for k in sort) else [*sort, SortKey("id")]
    ordered = list(records)
    for key in reversed(keys):
        name = key.prop

        def sort_value(record: tuple[str, Props], name: str = name) -> tuple[int, Any]:
            value = record[0] if name == "id" else record[1].get(name)
            return (1, 0) if value is None else (0, value)  # missing: last ascending, first descending

        ordered.sort(key=sort_value, reverse=key.descending)
    return ordered


def page_of(kind: Kind, records: list[tuple[str, Props]], sort: Sequence[SortKey],
            offset: int, limit: int) -> list[tuple[str, Props]]:
    """records[offset:offset+limit] in sort order; a partial selection when every key ascends."""
    if limit <= 0:
        return []
    wanted = offset + limit
    if wanted < len(records) // 4 and not any(k.descending for k in sort):
        for key in sort:
            check_sort(kind, key)
        explicit_id = any(k.prop == "id" for k in sort)

        def composite(record: tuple[str, Props]) -> tuple[Any, ...]:
            parts: list[Any] = []
            for key in sort if explicit_id else [*sort, SortKey("id")]:
                value = record[0] if key.prop == "id" else record[1].get(key.prop)
                parts.append((1, 0) if value is None else (0, value))
            return tuple(parts)

        return heapq.nsmallest(wanted, records, key=composite)[offset:]
    return sort_records(kind, records, sort)[offset:offset + limit]
