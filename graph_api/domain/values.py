"""Checking and converting property values against the model, one place for each rule.

Errors name the record, the field and the reason, so a bad file is refused with a message
staff can act on, before anything is written.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from typing import Any

from graph_api.domain.model import KIND_BY_NAME, Kind, Prop, relationship_types, target_kinds


#: GB 11643 citizen ID numbers: weights of the first 17 digits and the ISO 7064 MOD 11-2 check characters
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The check character of an 18-character citizen ID number, from its first 17 digits."""
    return ID_CHECK[sum(map(operator.mul, map(int, first17), ID_WEIGHTS)) % 11]


@dataclass(frozen=True)
class Problem:
    record: str  # e.g. "Member 210905001001-M0007"
    field: str
    value: Any
    reason_zh: str
    reason_en: str

    def __str__(self) -> str:
        return f"{self.record} · {self.field}={self.value!r}: {self.reason_zh} / {self.reason_en}"


class InvalidData(ValueError):
    """Raised with every problem found; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the data, nothing was written:\n{shown}{more}")


def _coerce_scalar(prop: Prop, value: Any) -> Any:
    t = prop.type
    if prop.is_enum:
        if isinstance(value, t):
            return value.value
        if isinstance(value, str):
            for member in t:
                if value in (member.value, member.zh):
                    return member.value
        raise ValueError(("不是允许的取值：" + "、".join(m.value for m in t),
                          "not one of " + ", ".join(m.value for m in t)))
    if t is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError(("日期格式应为 YYYY-MM-DD", "a date must be YYYY-MM-DD"))
    if t is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(("应为是/否（true/false）", "must be true or false"))
    if t is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(("应为整数", "must be a whole number"))
    if t is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ValueError(("应为数字", "must be a number"))
    if t is str:
        if isinstance(value, str):
            return value
        raise ValueError(("应为文本", "must be text"))
    raise TypeError(f"unsupported property type {t!r}")


def coerce_props(kind: Kind, record_id: str, props: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """The props converted to store values; every problem is appended to ``problems``."""
    out: dict[str, Any] = {}
    label = f"{kind.name} {record_id}"
    known = {p.name: p for p in kind.all_props}
    for name, value in props.items():
        prop = known.get(name)
        if prop is None or name == "id":
            problems.append(Problem(label, name, value, f"{kind.zh}没有此字段", f"{kind.name} has no field {name!r}"))
            continue
        if value is None or (prop.many and value == []):
            continue
        try:
            if prop.many:
                if not isinstance(value, list):
                    raise ValueError(("应为列表", "must be a list"))
                out[name] = [_coerce_scalar(prop, v) for v in value]
            else:
                out[name] = _coerce_scalar(prop, value)
        except ValueError as exc:
            zh, en = exc.args[0]
            problems.append(Problem(label, name, value, zh, en))
    for prop in kind.all_props:
        if prop.required and prop.name != "id" and props.get(prop.name) in (None, "", []):
            problems.append(Problem(label, prop.name, None, "必填字段缺失", "required field is missing"))
    return out


def check_edge(edge: tuple[str, str, str, str, str], node_keys: set[tuple[str, str]] | None,
               problems: list[Problem]) -> None:
    """An edge must use a relationship the model declares between those kinds."""
    src_kind, src_id, rel_type, dst_kind, dst_id = edge
    label = f"{src_kind} {src_id} -[:{rel_type}]-> {dst_kind} {dst_id}"
    if rel_type not in relationship_types():
        problems.append(Problem(label, "type", rel_type, "未知的关系类型", "unknown relationship type"))
        return
    if not _declared(src_kind, rel_type, dst_kind):
        problems.append(Problem(label, "type", rel_type, "模型未定义这两类记录之间的此关系",
                                "the model has no such relationship between these kinds"))
        return
    if node_keys is not None:
        for k, i, side in ((src_kind, src_id, "from"), (dst_kind, dst_id, "to")):
            if (k, i) not in node_keys:
                problems.append(Problem(label, side, i, "引用的记录不存在", f"referenced {k} does not exist"))


def _declared(src_kind: str, rel_type: str, dst_kind: str) -> bool:
    src = KIND_BY_NAME.get(src_kind)
    dst = KIND_BY_NAME.get(dst_kind)
    if src is None or dst is None:
        return False
    for r in src.rels:
        if r.type == rel_type and r.direction == "out" and dst_kind in target_kinds(r.target):
            return True
    for r in dst.rels:
        if r.type == rel_type and r.direction == "in" and src_kind in target_kinds(r.target):
            return True
    return False
