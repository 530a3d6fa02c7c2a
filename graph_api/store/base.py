"""The store interface: what the GraphQL layer and the CLI may ask of a graph store.

Backends implement :class:`GraphStore`; they speak in plain records (dicts of property
values with a ``_kind`` key) and never see GraphQL types. Every read takes a
:class:`Scope`, the part of the graph the caller may see, and applies it inside the store
query itself.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from graph_api.domain.coverage import CheckInput, CheckOutput, add_months
from graph_api.domain.graphdata import GraphData as GraphData  # re-exported: the interface speaks in it
from graph_api.domain.matching import MatchingInput, MatchOptions
from graph_api.domain.model import KIND_BY_NAME, Kind, Rel

Record = dict[str, Any]  # property values by name, plus "_kind"

Op = Literal["eq", "ne", "in", "startsWith", "contains", "containsAny", "gt", "gte", "lt", "lte", "isNull"]
OPS: frozenset[str] = frozenset(Op.__args__)  # type: ignore[attr-defined]


class StoreError(Exception):
    """An error a user can understand and fix (bad filter, duplicate key, bad data)."""


class NotReachable(StoreError):
    """The store cannot be reached."""


class StaleMatch(StoreError):
    """A guard of :meth:`GraphStore.apply_matches` no longer holds: a record changed since the
    matches were proposed. Nothing was written; ``failures`` names each record and what changed."""

    def __init__(self, failures: Sequence[str]):
        self.failures = list(failures)
        super().__init__("提议生成后数据已变化，未写入任何内容 · the data changed since the matches "
                         "were proposed, nothing was written: " + "; ".join(self.failures))


@dataclass(frozen=True)
class Expect:
    """Guard: the node ``kind``/``id`` exists and each of ``props`` equals the value (None: the
    property is missing)."""

    kind: str
    id: str
    props: Mapping[str, Any]


@dataclass(frozen=True)
class NoActivePairing:
    """Guard: the household exists and no Pairing with status ACTIVE is FOR_HOUSEHOLD it."""

    household_id: str


@dataclass(frozen=True)
class Absent:
    """Guard: no node ``kind``/``id`` exists (a create does not overwrite a record made meanwhile)."""

    kind: str
    id: str


Guard = Expect | NoActivePairing | Absent


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def expect_failures(guard: Expect, props: Mapping[str, Any] | None) -> list[str]:
    """What no longer holds of an :class:`Expect` guard, given the node's stored properties
    (None: no such node); the same words on every backend."""
    if props is None:
        return [f"{guard.kind} {guard.id}: 已不存在 · no longer exists"]
    out = []
    for name, wanted in guard.props.items():
        actual = props.get(name)
        if wanted is None:
            same = actual is None
        else:
            same = (actual is not None and isinstance(actual, bool) == isinstance(wanted, bool)
                    and _plain(actual) == _plain(wanted))
        if not same:
            shown = "（无）" if actual is None else repr(_plain(actual))
            shown_wanted = "（无）" if wanted is None else repr(_plain(wanted))
            out.append(f"{guard.kind} {guard.id}: {name} 现为 {shown}，预期 {shown_wanted} · "
                       f"{name} is now {'missing' if actual is None else repr(_plain(actual))}, "
                       f"expected {'missing' if wanted is None else repr(_plain(wanted))}")
    return out


def absent_failures(guard: Absent, exists: bool) -> list[str]:
    if exists:
        return [f"{guard.kind} {guard.id}: 编号已被占用 · the business key is already taken"]
    return []


def pairing_failures(guard: NoActivePairing, exists: bool, active: Sequence[str]) -> list[str]:
    """What no longer holds of a :class:`NoActivePairing` guard: the household is gone, or has
    these active pairings."""
    if not exists:
        return [f"Household {guard.household_id}: 已不存在 · no longer exists"]
    if active:
        ids = ", ".join(sorted(active))
        return [f"Household {guard.household_id}: 已有帮扶中的结对 {ids} · now has an active pairing ({ids})"]
    return []


@dataclass(frozen=True)
class Scope:
    """The part of the graph a caller may see, and how they see its sensitive fields.

    ``None`` means no restriction on that key. ``grid_ids`` limits records to those located
    under one of these grids (:data:`graph_api.domain.access.GRID_LOCATORS`). ``masks`` holds
    ``(kind, prop, mode)`` for the sensitive fields shown masked or hidden
    (:func:`graph_api.domain.access.mask_value`); stores apply both inside their queries.
    """

    street_ids: frozenset[str] | None = None
    community_ids: frozenset[str] | None = None
    grid_ids: frozenset[str] | None = None
    masks: frozenset[tuple[str, str, str]] = frozenset()

    @property
    def unrestricted(self) -> bool:
        """No row restriction (masks may still apply)."""
        return self.street_ids is None and self.community_ids is None and self.grid_ids is None

    def masks_of(self, kind_name: str) -> dict[str, str]:
        """prop -> mode for the masked fields of one kind."""
        return {p: m for k, p, m in self.masks if k == kind_name}

    def narrowed(self, street_id: str | None = None, community_id: str | None = None) -> "Scope":
        """This scope intersected with an asked-for street and/or community."""
        streets = self.street_ids
        communities = self.community_ids
        if street_id is not None:
            streets = frozenset({street_id}) if streets is None else streets & {street_id}
        if community_id is not None:
            communities = frozenset({community_id}) if communities is None else communities & {community_id}
        return Scope(streets, communities, self.grid_ids, self.masks)


EVERYTHING = Scope()


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who did what to which records, when.

    ``before``/``after`` are the changed record's properties (JSON values: dates as ISO text)
    for changes; ``fields`` names the sensitive fields of a read. ``street_id``/``community_id``
    place the entry for scoped readers of the log."""

    id: str
    at: dt.datetime  # UTC
    actor: str
    role: str
    operation: str
    kind: str | None = None
    record_ids: tuple[str, ...] = ()
    street_id: str | None = None
    community_id: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    fields: tuple[str, ...] = ()

    def as_record(self) -> Record:
        return {"id": self.id, "at": self.at, "actor": self.actor, "role": self.role,
                "operation": self.operation, "kind": self.kind, "recordIds": list(self.record_ids),
                "streetId": self.street_id, "communityId": self.community_id,
                "before": None if self.before is None else dict(self.before),
                "after": None if self.after is None else dict(self.after), "fields": list(self.fields)}


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit log; every one optional."""

    actor: str | None = None
    operation: str | None = None
    kind: str | None = None
    record_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class Change:
    """One write transaction: guards checked first (StaleMatch if one fails, nothing written),
    then ``deletes`` (nodes with their relationships), then ``data`` merged as load merges it,
    and the audit entries appended, all or nothing."""

    data: GraphData = field(default_factory=GraphData)
    deletes: tuple[tuple[str, str], ...] = ()
    guards: tuple[Guard, ...] = ()
    audit: tuple[AuditEntry, ...] = ()


@dataclass(frozen=True)
class Condition:
    prop: str
    op: Op
    value: Any = None


@dataclass(frozen=True)
class SortKey:
    prop: str
    descending: bool = False


@dataclass
class Page:
    total: int
    records: list[Record]


@dataclass
class LoadReport:
    nodes: int
    edges: int
    seconds: float


def check_condition(kind: Kind, cond: Condition) -> None:
    """Refuse a condition on a property the kind does not have (also guards the query text)."""
    prop = kind.prop(cond.prop)
    if cond.op not in OPS:
        raise StoreError(f"unknown operator {cond.op!r}")
    if cond.op == "contains" and not prop.many and prop.type is not str:
        raise StoreError(f"{kind.name}.{cond.prop}: 'contains' needs a list or text property")
    if cond.op in ("gt", "gte", "lt", "lte") and prop.type is str:
        # Neo4j compares text against a parameter by UTF-16 code units in some plans and by code
        # points in others (characters beyond the BMP, such as 𠮷): no stable answer to give
        raise StoreError(f"{kind.name}.{cond.prop}: range conditions are not offered on text")
    if cond.op == "containsAny" and not prop.many:
        raise StoreError(f"{kind.name}.{cond.prop}: 'containsAny' needs a list property")


def check_sort(kind: Kind, key: SortKey) -> None:
    kind.prop(key.prop)


class GraphStore(abc.ABC):
    """A graph store backend. Each method is one round trip to the store."""

    name: str

    # --- lifecycle -------------------------------------------------------------------------
    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def ping(self) -> dict[str, Any]:
        """Raise NotReachable unless the store answers; return facts about it."""

    @abc.abstractmethod
    async def migrate(self) -> list[str]:
        """Apply constraints and indexes idempotently; return the statements applied."""

    # --- reads -----------------------------------------------------------------------------
    @abc.abstractmethod
    async def get_nodes(self, kind: str, ids: Sequence[str], scope: Scope) -> dict[str, Record]:
        """The nodes of ``kind`` with these ids that the scope allows, by id."""

    @abc.abstractmethod
    async def find_nodes(self, kind: str, conditions: Sequence[Condition], sort: Sequence[SortKey],
                         offset: int, limit: int, scope: Scope) -> Page:
        """One page of the nodes of ``kind`` matching every condition, with the total count."""

    @abc.abstractmethod
    async def neighbours(self, kind: str, rel: Rel, ids: Sequence[str], scope: Scope) -> dict[str, list[Record]]:
        """For each id, the nodes reached through ``rel`` that the scope allows, ordered by id."""

    @abc.abstractmethod
    async def count_nodes(self, scope: Scope = EVERYTHING) -> dict[str, int]:
        """Number of nodes per kind that the scope allows."""

    @abc.abstractmethod
    def scan(self, kind: str, scope: Scope, batch: int = 5000) -> AsyncIterator[list[Record]]:
        """Every node of ``kind`` the scope allows, in id order, ``batch`` at a time (one round
        trip per batch): exports read whole kinds this way."""

    # --- named domain queries --------------------------------------------------------------
    @abc.abstractmethod
    async def article_figures(self, district_id: str, scope: Scope) -> Mapping[str, Any]:
        """The figures of the article table, computed from the graph (see queries/cypher)."""

    @abc.abstractmethod
    async def coverage_check(self, check: CheckInput, scope: Scope) -> CheckOutput:
        """One coverage check (:mod:`graph_api.domain.coverage`) over the records the scope allows:
        the offending records and the number looked at per community, in one round trip."""

    @abc.abstractmethod
    async def grid_paths(self, grid_ids: Sequence[str], scope: Scope) -> dict[str, list[Record]]:
        """For each grid id, the grid and its ancestors up to its community, as
        ``{"kind", "id", "name"}`` (nearest first), stopping at the first one outside the scope;
        grids that do not exist or are outside the scope are left out."""

    @abc.abstractmethod
    async def matching_input(self, options: MatchOptions, scope: Scope) -> MatchingInput:
        """The demands and supplies of one matching mode (:mod:`graph_api.domain.matching`) inside
        the scope, sorted by id, in one round trip. ``options.as_of`` must be set."""

    # --- writes ----------------------------------------------------------------------------
    @abc.abstractmethod
    async def load(self, data: GraphData, *, replace: bool = False,
                   progress: Callable[[int], None] | None = None) -> LoadReport:
        """Write nodes and edges all-or-nothing; ``replace`` wipes the graph in the same transaction.

        ``progress`` is called with the number of rows written since its last call; should it
        raise (Ctrl-C, a test injecting a failure), the write is rolled back like any failure.
        """

    @abc.abstractmethod
    async def apply_matches(self, data: GraphData, guards: Sequence[Guard]) -> None:
        """Write ``data`` (merged as :meth:`load` merges it) in one transaction, but only if every
        guard still holds inside that same transaction; otherwise write nothing and raise
        :class:`StaleMatch` naming each record and what changed."""

    @abc.abstractmethod
    async def apply_change(self, change: Change) -> None:
        """Write one :class:`Change` in one transaction, all or nothing; StaleMatch when a guard
        no longer holds, StoreError when the store refuses the data."""

    @abc.abstractmethod
    async def wipe(self) -> None:
        """Delete every node and relationship, the audit log and the security records included."""

    # --- audit log and security records (kept in the store's own database) -----------------
    @abc.abstractmethod
    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries to the audit log (its own transaction)."""

    @abc.abstractmethod
    async def audit_log(self, query: AuditQuery, scope: Scope, offset: int, limit: int) -> Page:
        """Entries matching the query that the scope allows (an entry is in a scope when its
        street and community are; entries placed nowhere only for an unrestricted scope), newest
        first, as :meth:`AuditEntry.as_record` dicts with the scope's masks applied to
        ``before``/``after``."""

    @abc.abstractmethod
    async def put_api_key(self, key: Mapping[str, Any]) -> None:
        """Store an API key record: id, hash (never the key itself), role, scopeKind, scopeIds,
        name, createdAt, expiresAt (or None)."""

    @abc.abstractmethod
    async def get_api_key(self, key_id: str) -> Record | None:
        """The API key record, with ``revoked`` True when it was revoked."""

    @abc.abstractmethod
    async def revoke(self, token_id: str, at: dt.datetime) -> None:
        """Revoke a token id (JWT ``jti``) or an API key id; idempotent."""

    @abc.abstractmethod
    async def is_revoked(self, token_id: str) -> bool:
        """Whether the token id was revoked."""


def kind(name: str) -> Kind:
    try:
        return KIND_BY_NAME[name]
    except KeyError:
        raise StoreError(f"unknown kind {name!r}") from None


def matching_cutoff(options: MatchOptions) -> dt.date:
    """Check the options a store needs to gather matching input; return the exempt cut-off: members
    born on or before it are ``options.exempt_age`` or older at ``options.as_of`` (as :func:`age_on`
    counts, a birthday on 29 February reached on 1 March in other years)."""
    if options.as_of is None:
        raise StoreError("matching needs an as-of date · 匹配需要基准日 (options.as_of)")
    if options.mode not in ("projects", "pairings"):
        raise StoreError(f"unknown matching mode {options.mode!r} · 未知的匹配模式")
    try:
        return add_months(options.as_of, -12 * options.exempt_age)
    except OverflowError:
        raise StoreError(f"exempt age {options.exempt_age} is out of range · 豁免年龄超出范围") from None


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
