"""GraphQL enums: the domain enums registered with strawberry, each value described in Chinese.

Import this module before any type that uses a domain enum, so that strawberry sees one
definition per enum.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

from graph_api.domain import enums as domain_enums


ENUM_DESCRIPTIONS: dict[str, str] = {
    "GridLevel": "网格层级 · grid level",
    "Gender": "性别 · gender",
    "Education": "学历 · education",
    "MemberCategory": "党员类别 · member category",
    "OrgKind": "党组织类型 · kind of Party organisation",
    "CadrePosition": "“两委”职务 · position in the two committees",
    "PersonRole": "人员角色 · role of a person",
    "Occupancy": "居住状态 · occupancy",
    "CareCategory": "重点服务人群类别（敏感个人信息）· care category (sensitive personal data)",
    "RiskTier": "风险等级 · risk tier",
    "ServiceItem": "红色驿站服务项目 · 红色驿站 service item",
    "ServiceCategory": "五大类服务 · the five service categories",
    "PairingStatus": "结对状态 · pairing status",
    "TeamKind": "队伍类型 · kind of team",
    "UnitKind": "共建单位类型 · kind of joint-building unit",
    "NeedCategory": "需求类别 · need category",
    "ResourceCategory": "资源类别 · resource category",
    "Urgency": "紧急程度 · urgency",
    "NeedStatus": "需求状态 · need status",
    "ProjectStatus": "项目状态 · project status",
    "CarrierKind": "服务载体类型 · kind of service carrier",
    "ActivityKind": "活动类型 · kind of activity",
}


def describe_values(enum_cls: type[Enum], descriptions: dict[str, str]) -> None:
    definition: StrawberryEnumDefinition = enum_cls.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = descriptions[value.name]


for _enum in domain_enums.ALL_ENUMS:
    strawberry.enum(_enum, description=ENUM_DESCRIPTIONS[_enum.__name__])
    describe_values(_enum, {m.name: m.description for m in _enum})


@strawberry.enum(description="排序方向 · sort direction")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


describe_values(SortDirection, {"ASC": "升序 · ascending", "DESC": "降序 · descending"})


