"""What a token may see, computed independently of the stores from the sample file and the
policy in :mod:`graph_api.domain.access`: the expectation side of the authorisation matrix
(tests/test_authz_matrix.py) and of the injection tests (tests/test_injection.py).

Nothing here asks a store or the GraphQL layer; it reads the sample's nodes and edges and the
declarations of access.py (SCOPE_KIND, GRID_LOCATORS, SENSITIVE_FIELDS, WRITABLE, CAPABILITIES)
and of the model (which kinds carry scope keys).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph_api.domain.access import GRID_LOCATORS, SCOPE_KIND, Role, may_write
from graph_api.domain.dataset import read_sample
from graph_api.domain.model import GRID_KINDS, KIND_BY_NAME, KINDS, target_kinds
from graph_api.ledger.importer import CODE_SUFFIX
from graph_api.ledger.mapping import mapping_for

SAMPLE = read_sample()
NodeKey = tuple[str, str]

PROPS: dict[NodeKey, dict[str, Any]] = {(k, i): p for k, i, p in SAMPLE.nodes}
BY_KIND: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
for _k, _i, _p in SAMPLE.nodes:
    BY_KIND[_k][_i] = _p
OUT: dict[NodeKey, dict[str, list[NodeKey]]] = defaultdict(lambda: defaultdict(list))
IN: dict[NodeKey, dict[str, list[NodeKey]]] = defaultdict(lambda: defaultdict(list))
for _sk, _si, _rt, _dk, _di in SAMPLE.edges:
    OUT[(_sk, _si)][_rt].append((_dk, _di))
    IN[(_dk, _di)][_rt].append((_sk, _si))


#: records the tests made through legitimate writes, joined to the graph above (kind, key) -> out
EXTRA: dict[NodeKey, dict[str, list[NodeKey]]] = {}


def add_record(kind: str, key: str, props: Mapping[str, Any], out: Mapping[str, list[NodeKey]]) -> None:
    """A record a test created (and its outgoing edges): from now on part of what tokens see."""
    assert (kind, key) not in PROPS, (kind, key)
    PROPS[(kind, key)] = dict(props)
    BY_KIND[kind][key] = PROPS[(kind, key)]
    EXTRA[(kind, key)] = {rel: list(targets) for rel, targets in out.items()}
    for rel, targets in out.items():
        for target in targets:
            OUT[(kind, key)][rel].append(target)
            IN[target][rel].append((kind, key))


def remove_record(kind: str, key: str) -> None:
    out = EXTRA.pop((kind, key))
    del PROPS[(kind, key)], BY_KIND[kind][key]
    for rel, targets in out.items():
        for target in targets:
            IN[target][rel].remove((kind, key))
    OUT.pop((kind, key), None)


def reset_extras() -> None:
    """Back to the sample alone (a new store): its records, and the grid codes free again."""
    for node in list(EXTRA):
        remove_record(*node)
    _codes.clear()
    _codes.update(SAMPLE_CODES)


def grid_chain(node: NodeKey, parent: NodeKey | None = None) -> list[NodeKey]:
    """A grid and its ancestors, walking PART_OF up to the community (``parent`` overrides the
    first step, for a record that does not exist yet)."""
    chain = [node]
    step = parent if parent is not None else next((t for t in OUT[node]["PART_OF"] if t[0] in GRID_KINDS), None)
    while step is not None and step[0] in GRID_KINDS and step not in chain:
        chain.append(step)
        step = next((t for t in OUT[step]["PART_OF"] if t[0] in GRID_KINDS), None)
    return chain


def located_grids(kind: str, node_id: str, out: Mapping[str, list[NodeKey]] | None = None) -> set[NodeKey]:
    """The grids a record lies in (GRID_LOCATORS: each path from the record to a grid, then up
    PART_OF). ``out`` replaces the record's own outgoing edges (for records not in the sample)."""
    found: set[NodeKey] = set()
    own = out if out is not None else OUT[(kind, node_id)]
    for path in GRID_LOCATORS.get(kind, ()):
        if not path:  # a grid itself
            parent = next((t for t in own.get("PART_OF", []) if t[0] in GRID_KINDS), None)
            found.update(grid_chain((kind, node_id), parent))
            continue
        frontier: set[NodeKey] = {(kind, node_id)}
        for hop, (rel_type, direction) in enumerate(path):
            nxt: set[NodeKey] = set()
            for node in frontier:
                if hop == 0 and direction == "out":
                    nxt.update(own.get(rel_type, []))
                else:
                    nxt.update((OUT if direction == "out" else IN)[node][rel_type])
            frontier = nxt
        for node in frontier:
            if node[0] in GRID_KINDS:
                found.update(grid_chain(node))
    return found


@dataclass(frozen=True)
class TokenScope:
    """A token: a role and the scope it carries (``kind`` is district, street, community or grid)."""

    role: Role
    kind: str
    ids: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.kind}:{','.join(self.ids)}"

    @property
    def label(self) -> str:
        return f"{self.role.value}@{self.text}"

    def streets(self) -> frozenset[str] | None:
        if self.kind == "district":
            return frozenset(s for s, p in BY_KIND["Street"].items()
                             if any(t == ("District", d) for d in self.ids for t in OUT[("Street", s)]["PART_OF"]))
        if self.kind == "street":
            return frozenset(self.ids)
        return None

    def sees(self, kind: str, node_id: str, props: Mapping[str, Any] | None = None,
             out: Mapping[str, list[NodeKey]] | None = None) -> bool:
        """Whether the token sees the record (a sample record, or one described by props and
        its outgoing edges)."""
        props = PROPS.get((kind, node_id), {}) if props is None else props
        k = KIND_BY_NAME[kind]
        if self.kind == "grid":
            if kind not in GRID_LOCATORS:
                return False
            return any(g[1] in self.ids for g in located_grids(kind, node_id, out))
        streets = self.streets()
        if not k.scoped:
            if kind == "Street" and streets is not None:
                if out is not None and self.kind == "district":  # a street not made yet
                    return any(t == ("District", d) for d in self.ids for t in out.get("PART_OF", []))
                return node_id in streets
            return True
        if streets is not None:
            return props.get("streetId") in streets
        return props.get("communityId") in self.ids

    def visible_ids(self, kind: str) -> set[str]:
        return {i for i in BY_KIND[kind] if self.sees(kind, i)}


# --- the places the matrix works in ------------------------------------------------------------

def _choose_home_area() -> str:
    """The area holding records of the most kinds a grid can locate (ties: the smallest key)."""
    kinds_under: dict[str, set[str]] = defaultdict(set)
    for kind in GRID_LOCATORS:
        for node_id in BY_KIND[kind]:
            for g in located_grids(kind, node_id):
                if g[0] == "Area":
                    kinds_under[g[1]].add(kind)
    return min(kinds_under, key=lambda a: (-len(kinds_under[a]), a))


HOME_AREA = _choose_home_area()
HOME_COMMUNITY = PROPS[("Area", HOME_AREA)]["communityId"]
HOME_STREET = PROPS[("Area", HOME_AREA)]["streetId"]
HOME_DISTRICT = next(t[1] for t in OUT[("Street", HOME_STREET)]["PART_OF"] if t[0] == "District")
OTHER_AREA = min(i for i, p in BY_KIND["Area"].items() if p["communityId"] == HOME_COMMUNITY and i != HOME_AREA)
OTHER_COMMUNITY = min(i for i, p in BY_KIND["Community"].items() if p["streetId"] == HOME_STREET and i != HOME_COMMUNITY)
OTHER_STREET = min(i for i in BY_KIND["Street"] if i != HOME_STREET)
#: the sample has one district: another district's token names one the graph does not hold
OTHER_DISTRICT = str(int(HOME_DISTRICT) + 1)
assert OTHER_DISTRICT not in BY_KIND["District"]

HOME = {"district": HOME_DISTRICT, "street": HOME_STREET, "community": HOME_COMMUNITY, "grid": HOME_AREA}
AWAY = {"district": OTHER_DISTRICT, "street": OTHER_STREET, "community": OTHER_COMMUNITY, "grid": OTHER_AREA}


def role_scopes(place: Mapping[str, str]) -> list[TokenScope]:
    """One token per role and scope kind the role may carry (access.SCOPE_KIND), at ``place``."""
    return [TokenScope(role, kind, (place[kind],)) for role in Role for kind in SCOPE_KIND[role]]


IN_SCOPE = role_scopes(HOME)
OUT_OF_SCOPE = role_scopes(AWAY)

def _home_record(kind: str) -> str:
    """A record of the kind that the narrowest in-scope tokens see, whose linked records they see
    too when their role may create the kind (so a clone of it can be created there); the one
    with the most sensitive fields filled, then the most links, then the smallest key."""
    if kind == "District":
        return HOME_DISTRICT
    if kind == "Street":
        return HOME_STREET
    k = KIND_BY_NAME[kind]
    sensitive = [p.name for p in k.all_props if p.sensitive]
    by_kind = {t.kind: t for t in IN_SCOPE if t.role in (Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER)}

    def fits(node_id: str, tokens: list[TokenScope]) -> bool:
        if not all(t.sees(kind, node_id) for t in tokens):
            return False
        writers = [t for t in tokens if may_write(t.role, "create", kind)]
        return all(t.sees(*target) for t in writers for targets in OUT[(kind, node_id)].values() for target in targets)

    def rank(node_id: str) -> tuple[int, int, str]:
        props = PROPS[(kind, node_id)]
        return (-sum(props.get(n) not in (None, []) for n in sensitive), -len(OUT[(kind, node_id)]), node_id)

    for names in (("grid", "community", "street"), ("community", "street"), ("street",)):
        tokens = [by_kind[n] for n in names]
        found = [i for i in BY_KIND[kind] if fits(i, tokens)]
        if found:
            return min(found, key=rank)
    raise AssertionError(f"no record of {kind} in {HOME_STREET}")


def _away_records(kind: str) -> list[str]:
    """Records of the kind outside the home area, community and street (one of each where the
    sample has one): what in-scope tokens must not see, unless the policy says they do."""
    out = []
    for token in (TokenScope(Role.GRID_WORKER, "grid", (OTHER_AREA,)),
                  TokenScope(Role.COMMUNITY_STAFF, "community", (OTHER_COMMUNITY,)),
                  TokenScope(Role.STREET_STAFF, "street", (OTHER_STREET,))):
        found = sorted(i for i in token.visible_ids(kind) if i != HOME_RECORD[kind] and i not in out)
        if found:
            out.append(found[0])
    return out


HOME_RECORD: dict[str, str] = {}
HOME_RECORD.update({k.name: _home_record(k.name) for k in KINDS})
AWAY_RECORDS: dict[str, list[str]] = {k.name: _away_records(k.name) for k in KINDS}


# --- values as GraphQL takes them ------------------------------------------------------------------

def graphql_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [graphql_value(v) for v in value]
    return value


SAMPLE_CODES = frozenset(p["code"] for k in GRID_KINDS for p in BY_KIND[k].values())
_codes = set(SAMPLE_CODES)
_counter = itertools.count(1)


def fresh_code(parent_code: str, digits: int) -> str:
    """A grid code under the parent's not used by the sample nor earlier in this run."""
    for n in range(10 ** digits - 1, 0, -1):
        code = f"{parent_code}{n:0{digits}d}"
        if code not in _codes:
            _codes.add(code)
            return code
    raise AssertionError(f"no free code under {parent_code}")


def clone_input(kind: str, source: str, tag: str) -> tuple[str, dict[str, Any], dict[str, list[NodeKey]]]:
    """(new key, ``<Kind>Input`` value, outgoing edges) of a new record placed where ``source``
    is: its properties and its ledger relationships, a fresh key (and grid code)."""
    k = KIND_BY_NAME[kind]
    m = mapping_for(kind)
    props = PROPS[(kind, source)]
    out = OUT[(kind, source)]
    values: dict[str, Any] = {}
    edges: dict[str, list[NodeKey]] = defaultdict(list)
    for column in m.columns:
        if column.prop is not None:
            name = column.prop.name
            if name in ("streetId", "communityId") and m.scope_strict:
                continue  # derived from the parent, and must agree with it
            if props.get(name) is not None:
                values[name] = graphql_value(props[name])
        elif column.rel is not None:
            rel = column.rel
            targets = [t for t in out.get(rel.type, []) if t[0] in target_kinds(rel.target)]
            if targets:
                values[rel.field] = [t[1] for t in targets] if rel.many else targets[0][1]
                edges[rel.type].extend(targets if rel.many else targets[:1])
    number = next(_counter)
    if kind in CODE_SUFFIX:
        parent_field = "street" if kind == "Community" else "parent"
        parent_kind, parent_key = next(t for t in out["PART_OF"] if t[0] in target_kinds(k.rel(parent_field).target))
        key = fresh_code(PROPS[(parent_kind, parent_key)]["code"], CODE_SUFFIX[kind])
        values["code"] = key
    elif kind in ("District", "Street"):
        key = f"9{number:05d}{tag}"[:12]
        values["code"] = key
    else:
        key = f"MX-{tag}-{kind}-{number}"
    return key, values, dict(edges)


def scoped_props_after_create(kind: str, source: str, key: str) -> dict[str, Any]:
    """The scope keys a clone of ``source`` gets (the same place)."""
    props = {n: v for n, v in PROPS[(kind, source)].items() if n in ("streetId", "communityId")}
    if kind == "Community":
        props["communityId"] = key
    return props
