"""Who may see and change what: roles, their reach, and how sensitive fields are shown.

Declared once here and read by the GraphQL layer (what an operation needs), by the token
code (what a token may carry) and, through :class:`graph_api.store.base.Scope`, by the store
backends, which apply both the rows a caller may see and the masks inside their queries.

Sensitive personal data (PIPL 敏感个人信息): a household's care categories and risk tier,
phones, ID numbers and the head of household's name. Only the staff closest to a household
see them in full: community staff (of that community: their scope is the community) and grid
workers (their grids) see phones and care categories; ID numbers only community staff.
District administrators, street staff and auditors see masked phones and names, and no care
categories, risk tiers or ID numbers: they work with counts, not with families.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from graph_api.domain.enums import LabelledEnum
from graph_api.domain.model import KINDS


class Role(LabelledEnum):
    DISTRICT_ADMIN = ("DISTRICT_ADMIN", "区级管理员", "district administrator")
    STREET_STAFF = ("STREET_STAFF", "街道工作人员", "street staff")
    COMMUNITY_STAFF = ("COMMUNITY_STAFF", "社区工作人员", "community staff")
    AUDITOR = ("AUDITOR", "审计员（只读）", "auditor, read-only")
    GRID_WORKER = ("GRID_WORKER", "网格员", "grid worker, limited to their grids")


#: the scope a token of each role must name: the kind of the ids it carries
SCOPE_KIND: dict[Role, tuple[str, ...]] = {
    Role.DISTRICT_ADMIN: ("district",),
    Role.STREET_STAFF: ("street",),
    Role.COMMUNITY_STAFF: ("community",),
    Role.AUDITOR: ("district", "street", "community"),
    Role.GRID_WORKER: ("grid",),
}

MaskMode = Literal["full", "phone", "name", "hide"]

#: how each sensitive field shows to each role: full, masked (phone 138****1234, name 张*) or hidden
_CLOSE = {Role.COMMUNITY_STAFF: "full", Role.GRID_WORKER: "full"}
SENSITIVE_FIELDS: dict[tuple[str, str], dict[Role, MaskMode]] = {
    ("Household", "headName"): {**_CLOSE, Role.DISTRICT_ADMIN: "name", Role.STREET_STAFF: "name", Role.AUDITOR: "name"},
    ("Household", "phone"): {**_CLOSE, Role.DISTRICT_ADMIN: "phone", Role.STREET_STAFF: "phone", Role.AUDITOR: "phone"},
    ("Household", "idNumber"): {Role.COMMUNITY_STAFF: "full"},
    ("Household", "careCategories"): {**_CLOSE},
    ("Household", "riskTier"): {**_CLOSE},
    ("Member", "phone"): {**_CLOSE, Role.DISTRICT_ADMIN: "phone", Role.STREET_STAFF: "phone", Role.AUDITOR: "phone"},
    ("Member", "idNumber"): {Role.COMMUNITY_STAFF: "full"},
    ("Person", "phone"): {**_CLOSE, Role.DISTRICT_ADMIN: "phone", Role.STREET_STAFF: "phone", Role.AUDITOR: "phone"},
}

# every property the model marks sensitive has a policy, and nothing else does
assert set(SENSITIVE_FIELDS) == {(k.name, p.name) for k in KINDS for p in k.all_props if p.sensitive}


def mask_mode(role: Role | None, kind: str, prop: str) -> MaskMode:
    """How ``kind.prop`` shows to ``role``; ``None`` is the local operator (CLI): everything."""
    policy = SENSITIVE_FIELDS.get((kind, prop))
    if policy is None or role is None:
        return "full"
    return policy.get(role, "hide")


def masks_for(role: Role | None) -> frozenset[tuple[str, str, MaskMode]]:
    """(kind, prop, mode) for every field the role does not see in full."""
    return frozenset((k, p, m) for (k, p) in SENSITIVE_FIELDS if (m := mask_mode(role, k, p)) != "full")


def mask_value(mode: MaskMode, value: object) -> object:
    """A value as ``mode`` shows it (the stores apply the same rule in their queries)."""
    if value is None or mode == "full":
        return value
    if mode == "hide":
        return None
    text = str(value)
    if mode == "phone":
        return text[:3] + "****" + text[-4:] if len(text) >= 7 else "****"
    return text[:1] + "*" * max(1, len(text) - 1)  # name


# --- what each role may do ---------------------------------------------------------------------
#: kinds each role may create, update, delete and connect; "update" alone: update only
WRITE_ALL = frozenset(k.name for k in KINDS)
WRITABLE: dict[Role, dict[str, frozenset[str]]] = {
    Role.DISTRICT_ADMIN: {"create": WRITE_ALL, "update": WRITE_ALL, "delete": WRITE_ALL},
    Role.STREET_STAFF: {op: WRITE_ALL - {"District", "Street"} for op in ("create", "update", "delete")},
    Role.COMMUNITY_STAFF: {"create": WRITE_ALL - {"District", "Street", "Community"},
                           "update": WRITE_ALL - {"District", "Street"},
                           "delete": WRITE_ALL - {"District", "Street", "Community"}},
    Role.AUDITOR: {"create": frozenset(), "update": frozenset(), "delete": frozenset()},
    # the grid worker keeps the ledger of their grids: households' details, needs, and visits
    Role.GRID_WORKER: {"create": frozenset({"Need"}), "update": frozenset({"Household", "Need", "Pairing"}),
                       "delete": frozenset()},
}

#: kinds a grid worker can see at all (located under a grid through GRID_LOCATORS)
Capability = Literal["coverage", "figures", "match", "acceptMatches", "auditLog", "pairings"]
CAPABILITIES: dict[Role, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({"coverage", "figures", "match", "acceptMatches", "auditLog"}),
    Role.STREET_STAFF: frozenset({"coverage", "figures", "match", "acceptMatches"}),
    Role.COMMUNITY_STAFF: frozenset({"coverage", "figures", "match", "acceptMatches", "pairings"}),
    Role.AUDITOR: frozenset({"coverage", "figures", "auditLog"}),
    Role.GRID_WORKER: frozenset(),
}


def may_write(role: Role | None, operation: str, kind: str) -> bool:
    if role is None:
        return True
    return kind in WRITABLE[role].get(operation, frozenset())


def may(role: Role | None, capability: str) -> bool:
    return role is None or capability in CAPABILITIES[role]


# --- grid scope ------------------------------------------------------------------------------------
#: how a record of each kind is located under a grid: paths of (relationship type, direction) from
#: the record to a grid; the record is inside a grid scope when that grid, or one of its ancestors,
#: is one of the scope's grids. Kinds not listed are outside every grid scope.
GRID_LOCATORS: dict[str, tuple[tuple[tuple[str, Literal["out", "in"]], ...], ...]] = {
    **{g: ((),) for g in ("Community", "Area", "Complex", "Building", "StairwellUnit")},
    "Household": ((("IN_UNIT", "out"),),),
    "Member": ((("LIVES_IN", "out"), ("IN_UNIT", "out")),),
    "Pairing": ((("FOR_HOUSEHOLD", "out"), ("IN_UNIT", "out")),),
    "Need": ((("RAISED_IN", "out"),), (("RAISED_BY", "out"), ("IN_UNIT", "out"))),
    "Resource": ((("BASED_IN", "out"),),),
    "Project": ((("LOCATED_IN", "out"),),),
    "ServiceCarrier": ((("LOCATED_IN", "out"),),),
    "Activity": ((("HELD_IN", "out"),),),
    "Person": ((("WORKS_GRID", "out"),), (("HEADS_BUILDING", "out"),)),
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: from a verified token, or the local operator (``role`` None: the CLI)."""

    subject: str
    role: Role | None
    scope_kind: str | None = None  # district, street, community or grid
    scope_ids: tuple[str, ...] = ()
    token_id: str | None = None

    @property
    def label(self) -> str:
        role = self.role.value if self.role else "OPERATOR"
        return f"{self.subject} ({role})"


OPERATOR = Principal(subject="operator", role=None)
