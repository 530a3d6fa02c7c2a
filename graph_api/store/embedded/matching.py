"""The input of resource matching and help pairing over the in-memory graph: the embedded twin of
``queries/cypher/matching/{projects,pairings}.cypher``. The rules are in
:mod:`graph_api.domain.matching`; a parity test holds the two backends together.

Demands and supplies are records inside the caller's scope (the scope-key test every read of this
store applies). The facts that decide them may follow relationships out of it (a member's load
counts every active pairing and claimed project, a unit's big committees are wherever they are),
but a grid path stops before the first grid outside the scope, as :func:`coverage.grid_paths` does.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from graph_api.domain.matching import MEMBER_ITEMS, Demand, MatchingInput, MatchOptions, Supply
from graph_api.domain.model import GRID_KINDS, GRID_PARENT, KIND_BY_NAME
from graph_api.store.base import Scope, matching_cutoff
from graph_api.store.embedded.coverage import _Graph
from graph_api.store.embedded.semantics import in_scope

if TYPE_CHECKING:
    from graph_api.store.embedded.store import EmbeddedStore

Key = tuple[str, str]
Props = dict[str, Any]
#: project statuses that hold a member's capacity
OPEN_PROJECT = ("CLAIMED", "IN_PROGRESS")


class _Matching:
    def __init__(self, store: "EmbeddedStore", options: MatchOptions, scope: Scope):
        self.g = _Graph(store, scope)
        self.options = options
        self.as_of: dt.date = options.as_of  # type: ignore[assignment]  (checked by matching_cutoff)
        self.born_by = matching_cutoff(options)
        self.grid_visible = {k: in_scope(KIND_BY_NAME[k], scope) for k in GRID_KINDS}

    # --- where things are -------------------------------------------------------------------
    def path(self, start: Key | None) -> tuple[str, ...]:
        """Grid ids from ``start`` up to its community (at each step the parent of the next level
        up with the smallest id), stopping before the first grid outside the scope."""
        out: list[str] = []
        key = start
        while key is not None:
            props = self.g.props(key)
            visible = self.grid_visible[key[0]]
            if visible is not None and not visible(key[1], props):
                break
            out.append(key[1])
            if key[0] == "Community":
                break
            parents = sorted(self.g.out(key[0], key[1], "PART_OF", GRID_PARENT[key[0]]))
            key = parents[0] if parents else None
        return tuple(out)

    def first_grid(self, kind: str, node_id: str, rel: str) -> Key | None:
        """The grid reached through ``rel`` with the smallest id (then the highest level)."""
        grids = [k for k in self.g.out(kind, node_id, rel) if k[0] in GRID_KINDS]
        return min(grids, key=lambda k: (k[1], GRID_KINDS.index(k[0]))) if grids else None

    def unit_of(self, household_id: str) -> Key | None:
        units = self.g.out("Household", household_id, "IN_UNIT", "StairwellUnit")
        return min(units) if units else None

    def first_household_unit(self, kind: str, node_id: str, rel: str) -> Key | None:
        """The stairwell unit of the household with the smallest id reached through ``rel``."""
        households = self.g.out(kind, node_id, rel, "Household")
        return self.unit_of(min(households)[1]) if households else None

    # --- members ----------------------------------------------------------------------------
    def available(self, props: Props) -> bool:
        """Below the exempt age at the as-of date (no birth date: not exempt) and not MOBILE."""
        birth = props.get("birthDate")
        return props.get("category") != "MOBILE" and (birth is None or birth > self.born_by)

    def claimed_projects(self, member_id: str) -> int:
        return sum(1 for k in self.g.inc("Member", member_id, "CLAIMED_BY", "Project")
                   if self.g.props(k).get("status") in OPEN_PROJECT)

    def households_helped(self, member_id: str) -> int:
        return len({h for k in self.g.inc("Member", member_id, "BY_MEMBER", "Pairing")
                    if self.g.props(k).get("status") == "ACTIVE"
                    for h in self.g.out(k[0], k[1], "FOR_HOUSEHOLD", "Household")})

    def has_active_pairing(self, household_id: str) -> bool:
        return any(self.g.props(k).get("status") == "ACTIVE"
                   for k in self.g.inc("Household", household_id, "FOR_HOUSEHOLD", "Pairing"))

    # --- projects ---------------------------------------------------------------------------
    def needs(self) -> list[Demand]:
        out = []
        for nid, p in self.g.scan("Need"):
            if p.get("status") != "OPEN":
                continue
            start = self.first_household_unit("Need", nid, "RAISED_BY") or self.first_grid("Need", nid, "RAISED_IN")
            out.append(Demand(kind="Need", id=nid, label=p.get("title"), community_id=p.get("communityId"),
                              street_id=p.get("streetId"), path=self.path(start), category=p.get("category"),
                              item=p.get("serviceItem"), quantity=p.get("quantity"), urgency=p.get("urgency"),
                              opened=p.get("openedDate")))
        return out

    def offered_by(self, rid: str) -> tuple[tuple[str, str] | None, tuple[str, ...]]:
        """The offering unit or member (the smallest (kind, id)) and the communities it serves."""
        offerers = [k for k in self.g.out("Resource", rid, "OFFERED_BY") if k[0] in ("JointUnit", "Member")]
        if not offerers:
            return None, ()
        offerer = min(offerers)
        if offerer[0] == "JointUnit":
            communities = {self.g.props(o).get("communityId")
                           for o in self.g.out("JointUnit", offerer[1], "JOINT_BUILDS_WITH", "PartyOrg")
                           if self.g.props(o).get("kind") == "BIG_COMMITTEE"}
            return offerer, tuple(sorted(c for c in communities if c is not None))
        own = self.g.props(offerer).get("communityId")
        return offerer, (() if own is None else (own,))

    def resources(self) -> list[Supply]:
        out = []
        for rid, p in self.g.scan("Resource"):
            valid_from, valid_to = p.get("validFrom"), p.get("validTo")
            if (valid_from is not None and valid_from > self.as_of) or (valid_to is not None and valid_to < self.as_of):
                continue
            left = (p.get("capacity") or 0) - (p.get("claimed") or 0)
            if left <= 0:
                continue
            offerer, serves = self.offered_by(rid)
            out.append(Supply(kind="Resource", id=rid, label=p.get("title"), community_id=p.get("communityId"),
                              street_id=p.get("streetId"), path=self.path(self.first_grid("Resource", rid, "BASED_IN")),
                              capacity=left, category=p.get("category"), items=tuple(p.get("serviceItems") or ()),
                              offered_by=offerer, serves_communities=serves))
        return out

    def skilled_members(self) -> list[Supply]:
        out = []
        for mid, p in self.g.scan("Member"):
            if not self.available(p):
                continue
            items = tuple(i for i in (p.get("serviceItems") or ()) if i in MEMBER_ITEMS)
            if not items:
                continue
            capacity = self.options.member_capacity - self.claimed_projects(mid)
            if capacity <= 0:
                continue
            out.append(self.member(mid, p, capacity, items, 0))
        return out

    def member(self, mid: str, p: Props, capacity: int, items: tuple[str, ...], households: int) -> Supply:
        own = p.get("communityId")
        return Supply(kind="Member", id=mid, label=p.get("name"), community_id=own, street_id=p.get("streetId"),
                      path=self.path(self.first_household_unit("Member", mid, "LIVES_IN")), capacity=capacity,
                      items=items, offered_by=("Member", mid), serves_communities=() if own is None else (own,),
                      households=households)

    # --- pairings ---------------------------------------------------------------------------
    def needy_households(self) -> list[Demand]:
        categories = set(self.options.categories)
        out = []
        for hid, p in self.g.scan("Household"):
            care = p.get("careCategories")
            if not care or categories.isdisjoint(care) or self.has_active_pairing(hid):
                continue
            out.append(Demand(kind="Household", id=hid, label=hid, community_id=p.get("communityId"),
                              street_id=p.get("streetId"), path=self.path(self.unit_of(hid)), care=tuple(care)))
        return out

    def helpers(self) -> list[Supply]:
        out = []
        for mid, p in self.g.scan("Member"):
            if not self.available(p) or not self.g.out("Member", mid, "LIVES_IN", "Household"):
                continue
            households = self.households_helped(mid)
            capacity = self.options.max_households - households
            if capacity <= 0:
                continue
            out.append(self.member(mid, p, capacity, tuple(p.get("serviceItems") or ()), households))
        return out


def matching_input(store: "EmbeddedStore", options: MatchOptions, scope: Scope) -> MatchingInput:
    m = _Matching(store, options, scope)
    if options.mode == "projects":
        demands, supplies = m.needs(), m.resources() + m.skilled_members()
    else:
        demands, supplies = m.needy_households(), m.helpers()
    demands.sort(key=lambda d: (d.id, d.kind))
    supplies.sort(key=lambda s: (s.id, s.kind))
    return MatchingInput(as_of=m.as_of, demands=demands, supplies=supplies)
