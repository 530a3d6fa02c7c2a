"""Injection through every string argument of the schema, through HTTP, on both backends.

The injection points are enumerated from the built schema (graphql-core types): every argument
of a root query or mutation field whose type is String, ID or JSON (or a list of them), and every
such field of the input types those arguments take, recursively (filters, scopes, coverage
thresholds, the audit log filter, every ``<Kind>Input``). ``test_every_string_argument_is_a_point``
checks the enumeration and the plans against the schema, so a new argument joins automatically.

Payloads: every point gets every payload of CYPHER (fragments that would break out of a Cypher
string, identifier or parameter), and a fixed, seeded sample of OTHER (more Cypher, SQL for the
embedded store's SQLite, quotes, backslashes, NUL, long strings, Unicode tricks: full-width
look-alikes, U+202E, zero-width joiners, combining marks, characters outside the BMP). The
embedded store gets every point on its own (about 9,000 injections). Neo4j, slower by far per
query, gets every root argument and every String field of an input type with every CYPHER
payload, grouped (see :func:`plan`), and one sampled OTHER payload per group.

Each answer must be a normal GraphQL answer: HTTP 200, data or a clear error (typed mutation
errors, or an unmasked message), never the masked "Unexpected server error". Nothing leaks: no
string in an answer is the key of a record outside the caller's scope (the caller is the
narrowest role that may use the field: community staff wherever they may). What an answer says
must be what the payload means as plain text: filters count exactly the records whose values
match the text (computed from the sample), lookups by a payload key find nothing, the audit log
holds no entry for a payload, mutations naming a payload key find nothing (unless this module
made a record with that key), and text a mutation stores is read back as given (trimmed, as
ledger text is). Nothing changes: the whole graph of each backend, read raw (every node's labels
and properties and every relationship, audit entries aside; for the embedded store both the
SQLite file and the graph in memory), is identical before and after, except for the records this
module made itself through legitimate mutations.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_list_type,
    is_non_null_type,
)

from graph_api.app import create_app
from graph_api.changes.service import ChangeService, Request
from graph_api.domain.access import OPERATOR, Role, may, may_write
from graph_api.domain.model import KIND_BY_NAME, KINDS, target_kinds
from graph_api.graphql.schema import build_schema
from graph_api.ledger.cells import CellError, converter
from graph_api.store.base import EVERYTHING, GraphStore
from tests.access_oracle import (
    BY_KIND,
    HOME,
    HOME_RECORD,
    OUT,
    PROPS,
    TokenScope,
    add_record,
    clone_input,
    reset_extras,
    scoped_props_after_create,
)
from tests.conftest import BACKENDS, bearer, writable_sample_store

SCHEMA = build_schema()._schema
STRINGY = ("String", "ID", "JSON")
MASKED = "Unexpected server error"

# --- payloads ------------------------------------------------------------------------------------

#: every point gets every one of these, on both backends
CYPHER = [
    "' OR 1=1 //",
    "x'}) MATCH (n) DETACH DELETE n //",
    "`) RETURN n //",
    "$param",
    "\\u0027",  # the six characters of a Cypher escape for "'"
]
#: a seeded sample of these, SAMPLED[backend] per point
OTHER = [
    "x\\' OR true WITH 1 AS y MATCH (m) SET m.pwned = 1 //",
    '") OR true //',
    "1}) CALL db.labels() YIELD label RETURN label //",
    "' OR '1'='1",
    "'; DROP TABLE nodes; --",
    '" OR 1=1 --',
    "'",
    '"',
    "\\",
    "\\\\'",
    "\x00",
    "a\x00b' OR 1=1 //",
    "x" * 5000,
    "＇ OR １=１ //",  # full-width apostrophe and digits
    "\u202e' RO 1=1 //",  # right-to-left override
    "a\u200db\u200c' OR 1=1",  # zero-width joiner and non-joiner
    "e" + "\u0301" * 40 + "'",  # combining marks
    "ＭＡＴＣＨ (n) ＤＥＴＡＣＨ ＤＥＬＥＴＥ n",  # NFKC look-alike of a Cypher clause
    "𠮷野家' OR 1=1 //",  # outside the BMP (a surrogate pair in UTF-16)
    "😀👨‍👩‍👧",
    "%",
    "_",
    ".*",
    "(?i).*",
    "/* */ RETURN 1",
    "\n\r\t",
    "null",
    '{"$gt": ""}',
    "<script>alert(1)</script>",
    "${jndi:ldap://example.invalid/x}",
]
#: the embedded store answers in microseconds; Neo4j shares the machine and compiles every new
#: query shape: it gets fewer of the other payloads (each is still tried on it somewhere)
SAMPLED = {"embedded": 4, "neo4j": 1}
SEED = "graph-api-injection-1"


def payloads_for(ident: str, backend: str) -> list[str]:
    rng = random.Random(hashlib.sha256(f"{SEED}|{ident}".encode()).hexdigest())
    return [*CYPHER, *rng.sample(OTHER, SAMPLED[backend])]


# --- the points, enumerated -------------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    """A string somewhere in the arguments of a root field: ``path`` starts with the argument."""

    root: str  # "query" or "mutation"
    field: str
    path: tuple[str, ...]
    scalar: str  # String, ID or JSON
    lists: tuple[bool, ...]  # for each step of the path: is that value a list

    @property
    def ident(self) -> str:
        return f"{self.root}.{self.field}({'.'.join(self.path)})"


def _walk(t: Any, path: tuple[str, ...], lists: tuple[bool, ...], seen: frozenset[str]) -> Iterator[tuple]:
    inner = t.of_type if is_non_null_type(t) else t
    is_list = is_list_type(inner)
    lists = (*lists, is_list)
    named = get_named_type(t)
    if isinstance(named, GraphQLScalarType):
        if named.name in STRINGY:
            yield path, named.name, lists
    elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        for name, f in named.fields.items():
            yield from _walk(f.type, (*path, name), lists, seen | {named.name})


def enumerate_points() -> list[Point]:
    points = []
    for root, obj in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        for fname, f in obj.fields.items():
            for aname, arg in f.args.items():
                for path, scalar, lists in _walk(arg.type, (aname,), (), frozenset()):
                    points.append(Point(root, fname, path, scalar, lists))
    return points


POINTS = enumerate_points()


def string_fields_of_reachable_inputs() -> set[tuple[str, str]]:
    """(input type, field) of every String/ID/JSON field of an input type a root argument reaches."""
    found: set[tuple[str, str]] = set()
    todo = [get_named_type(a.type) for obj in (SCHEMA.query_type, SCHEMA.mutation_type)
            for f in obj.fields.values() for a in f.args.values()]
    seen: set[str] = set()
    while todo:
        t = todo.pop()
        if not isinstance(t, GraphQLInputObjectType) or t.name in seen:
            continue
        seen.add(t.name)
        for name, f in t.fields.items():
            named = get_named_type(f.type)
            if isinstance(named, GraphQLScalarType) and named.name in STRINGY:
                found.add((t.name, name))
            todo.append(named)
    return found


def test_every_string_argument_is_a_point() -> None:
    root_args = {(root, fname, aname) for root, obj in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type))
                 for fname, f in obj.fields.items() for aname, a in f.args.items()
                 if get_named_type(a.type).name in STRINGY}
    assert root_args <= {(p.root, p.field, p.path[0]) for p in POINTS if len(p.path) == 1}
    covered = set()
    for p in POINTS:
        t: Any = SCHEMA.query_type if p.root == "query" else SCHEMA.mutation_type
        t = get_named_type(t.fields[p.field].args[p.path[0]].type)
        for step in p.path[1:]:
            covered.add((t.name, step))
            t = get_named_type(t.fields[step].type)
    assert string_fields_of_reachable_inputs() <= covered
    assert len(POINTS) > 500 and all(p.field in SELECTION or _kind_field(p) for p in POINTS)
    for backend in BACKENDS:
        shots = [s for queries in (True, False) for s in plan(backend, queries)]
        hit: dict[Point, set[str]] = defaultdict(set)
        for shot in shots:
            for point in shot.points:
                hit[point].add(shot.payload)
        if backend == "embedded":
            assert set(hit) == set(POINTS), "every point is tried on the embedded store"
        # every argument, and every String field of an input type, gets every Cypher payload
        full = {p for p, got in hit.items() if set(CYPHER) <= got}
        assert root_args <= {(p.root, p.field, p.path[0]) for p in full if len(p.path) == 1}, backend
        fields = set()
        for p in full:
            t = get_named_type(_root(p).fields[p.field].args[p.path[0]].type)
            for step in p.path[1:]:
                fields.add((t.name, step))
                t = get_named_type(t.fields[step].type)
        assert string_fields_of_reachable_inputs() <= fields, (backend, string_fields_of_reachable_inputs() - fields)
        assert set(OTHER) <= {s.payload for s in shots}, (backend, "every other payload is tried somewhere")


# --- who asks, and what a field is asked with -------------------------------------------------------

#: the roles that ask, narrowest first: the first that may use a field asks through it
ASKERS = [TokenScope(Role.COMMUNITY_STAFF, "community", (HOME["community"],)),
          TokenScope(Role.AUDITOR, "community", (HOME["community"],)),
          TokenScope(Role.STREET_STAFF, "street", (HOME["street"],)),
          TokenScope(Role.DISTRICT_ADMIN, "district", (HOME["district"],))]
#: root fields needing a capability (the GraphQL layer's names, as in tests/test_authz_matrix.py)
CAPABILITY = {"coverage": "coverage", "articleFigures": "figures", "proposeMatches": "match",
              "auditLog": "auditLog", "acceptMatches": "acceptMatches"}
#: what is selected from the root fields that are not a kind's lookup, list or mutation
SELECTION = {
    "node": "{ id }", "nodes": "{ id }",
    "articleFigures": "{ districtName communityCount }",
    "coverage": "{ totalFindings communities { communityKey } }",
    "proposeMatches": "{ matched proposals { demandKey supplyKey } }",
    "auditLog": "{ totalCount nodes { actor recordIds communityKey } }",
    "acceptMatches": "{ projects pairings alreadyAccepted }",
    "recordVisit": "{ ok errors { field code value } record { key lastVisitDate } }",
}
#: one request may run at most two audits and two matchings: these go one to a request
HEAVY = {"coverage", "proposeMatches", "acceptMatches", "articleFigures"}
_OPS = ("create", "update", "delete", "archive", "connect", "disconnect")


def _kind_field(p: Point) -> tuple[str, str] | None:
    """(operation, kind) of a kind's lookup ("lookup"), list ("list") or mutation."""
    f = (SCHEMA.query_type if p.root == "query" else SCHEMA.mutation_type).fields[p.field]
    named = get_named_type(f.type)
    if p.root == "query":
        if named.name in KIND_BY_NAME:
            return "lookup", named.name
        nodes = named.fields.get("nodes") if isinstance(named, GraphQLObjectType) else None
        if nodes is not None and get_named_type(nodes.type).name in KIND_BY_NAME and "totalCount" in named.fields:
            return "list", get_named_type(nodes.type).name
        return None
    for op in _OPS:
        if p.field.startswith(op) and p.field[len(op):] in KIND_BY_NAME:
            return op, p.field[len(op):]
    return None


def asker(p: Point, state: State) -> TokenScope:
    """The narrowest of ASKERS that may use the field (and sees the record a change works on)."""
    kf = _kind_field(p)
    if kf and kf[1] == "District" and kf[0] != "create":  # a district is written by a token naming it
        return TokenScope(Role.DISTRICT_ADMIN, "district", (HOME["district"], state.scratch["District"]))
    for token in ASKERS:
        if kf and p.root == "mutation":
            action = {"create": "create", "delete": "delete"}.get(kf[0], "update")
            if may_write(token.role, action, kf[1]) and (kf[0] == "create" or token.sees(kf[1], state.scratch[kf[1]])):
                return token
        elif p.field == "recordVisit":
            if may_write(token.role, "update", "Pairing"):
                return token
        elif p.field in CAPABILITY:
            if may(token.role, CAPABILITY[p.field]):
                return token
        else:
            return token
    raise AssertionError(f"nobody may use {p.ident}")


# --- fixtures ---------------------------------------------------------------------------------------

@dataclass
class State:
    """What this module made through legitimate writes, per backend."""

    backend: str
    scratch: dict[str, str] = field(default_factory=dict)  # kind -> key of the record updates work on
    made: set[tuple[str, str]] = field(default_factory=set)  # (kind, key) created by mutations, still there
    ever_made: set[tuple[str, str]] = field(default_factory=set)  # and those deleted again
    before: Any = None
    counts: dict[str, int] = field(default_factory=dict)
    results: Counter[str] = field(default_factory=Counter)
    visible: dict[tuple[TokenScope, str], set[str]] = field(default_factory=dict)

    def sees(self, token: TokenScope, kind: str) -> set[str]:
        """The keys of the kind the token sees (the records of the sample and this module's own)."""
        if (token, kind) not in self.visible:
            self.visible[(token, kind)] = token.visible_ids(kind)
        return self.visible[(token, kind)]


@pytest.fixture(scope="module")
def inj_settings(settings):
    # many injections per request and per token: the guards on request size and rate are tested on
    # their own (tests/test_guards.py); depth and cost stay as configured
    return settings.model_copy(update={"graph_api_rate_limit": 0, "graph_api_max_aliases": 120,
                                       "graph_api_max_tokens": 30000})


@pytest.fixture(scope="module", params=BACKENDS)
async def inj_store(request: pytest.FixtureRequest, inj_settings, tmp_path_factory) -> AsyncIterator[GraphStore]:
    async with writable_sample_store(request.param, inj_settings, tmp_path_factory, "injection") as store:
        reset_extras()
        _FOREIGN.clear()
        state = State(request.param)
        for k in KINDS:  # a record of each kind for updates to change, made by the operator
            key, values, out = clone_input(k.name, HOME_RECORD[k.name], "s")
            links = {n: ([v] if isinstance(v, str) else list(v)) for n, v in values.items() if n in {r.field for r in k.rels}}
            props = {n: v for n, v in values.items() if n not in links}
            await ChangeService(store, OPERATOR, EVERYTHING).apply(Request("create", k.name, key, props, links))
            add_record(k.name, key, scoped_props_after_create(k.name, HOME_RECORD[k.name], key), out)
            state.scratch[k.name] = key
        state.before = await snapshot(store)
        state.counts = await store.count_nodes()
        store.injection_state = state  # type: ignore[attr-defined]
        yield store
        reset_extras()


@pytest.fixture(scope="module")
async def inj_client(inj_store, inj_settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(inj_settings, store=inj_store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=120) as c:
        yield c


def state_of(store: GraphStore) -> State:
    return store.injection_state  # type: ignore[attr-defined]


_HEADERS: dict[TokenScope, dict[str, str]] = {}


def auth(token: TokenScope, settings) -> dict[str, str]:
    if token not in _HEADERS:
        _HEADERS[token] = {**bearer(settings, token.role.value, token.text, subject=f"injection-{token.label}"),
                           "content-type": "application/json"}
    return _HEADERS[token]


async def post(client: httpx.AsyncClient, headers: dict[str, str], query: str, variables: dict[str, Any]) -> httpx.Response:
    # json.dumps escapes everything to ASCII: lone surrogates and NUL travel as JSON escapes
    body = json.dumps({"query": query, "variables": variables}).encode()
    return await client.post("/graphql", content=body, headers=headers)


# --- the raw graph, for "nothing changed" --------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


async def snapshot(store: GraphStore) -> dict[str, dict[Any, str]]:
    """Every node (labels, properties) and relationship of the backend, read from its own storage,
    the audit log aside; each as a canonical JSON text, keyed by what identifies it."""
    nodes: dict[Any, str] = {}
    edges: dict[Any, str] = {}
    if hasattr(store, "driver"):  # Neo4j
        result = await store.driver.execute_query(  # type: ignore[attr-defined]
            "MATCH (n) WHERE NOT n:AuditEntry RETURN elementId(n) AS e, labels(n) AS l, properties(n) AS p",
            database_=store.database)  # type: ignore[attr-defined]
        by_element = {}
        for r in result.records:
            labels = sorted(r["l"])
            key = (tuple(labels), r["p"].get("id"))
            by_element[r["e"]] = key
            nodes[key] = json.dumps({k: _plain(v) for k, v in sorted(r["p"].items())}, ensure_ascii=False, default=str)
        result = await store.driver.execute_query(  # type: ignore[attr-defined]
            "MATCH (a)-[r]->(b) WHERE NOT a:AuditEntry AND NOT b:AuditEntry "
            "RETURN elementId(a) AS a, type(r) AS t, properties(r) AS p, elementId(b) AS b",
            database_=store.database)  # type: ignore[attr-defined]
        for r in result.records:
            key = (by_element[r["a"]], r["t"], by_element[r["b"]])
            edges[key] = edges.get(key, "") + json.dumps(dict(sorted(r["p"].items())), default=str)
        return {"nodes": nodes, "edges": edges}
    # embedded: the SQLite file (what survives a restart) and the graph in memory
    conn = store.file.conn  # type: ignore[attr-defined]
    for kind, node_id, props in conn.execute("SELECT kind, id, props FROM nodes"):
        nodes[((kind,), node_id)] = json.dumps(json.loads(props), sort_keys=True, ensure_ascii=False)
    for row in conn.execute("SELECT src_kind, src_id, type, dst_kind, dst_id FROM edges"):
        edges[(((row[0],), row[1]), row[2], ((row[3],), row[4]))] = "file"
    for label, prop, value, kind, node_id in conn.execute("SELECT label, prop, value, kind, id FROM unique_values"):
        nodes[(("unique", kind, label, prop), node_id)] = value  # (a record's, so excluded with it)
    for table in ("api_keys", "revoked_tokens"):
        for row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608  (fixed table names)
            nodes[((table,), str(row[0]))] = json.dumps(row, ensure_ascii=False, default=str)
    for kind, records in store.by_kind.items():  # type: ignore[attr-defined]
        for node_id, props in records.items():
            nodes[(("memory", kind), node_id)] = json.dumps({k: _plain(v) for k, v in sorted(props.items())},
                                                         ensure_ascii=False, default=str)
    for a, b, t in store.graph.edges(keys=True):  # type: ignore[attr-defined]
        key = ((("memory", a[0]), a[1]), t, (("memory", b[0]), b[1]))
        edges[key] = edges.get(key, "") + "memory"
    return {"nodes": nodes, "edges": edges}


# --- judging answers ---------------------------------------------------------------------------------

def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
        if ":" in value:
            yield value.split(":", 1)[1]
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def foreign_keys(token: TokenScope) -> set[str]:
    """Keys of records the token may not see (those of records it sees excluded: keys repeat
    across kinds, e.g. a community and its grid code)."""
    seen = {i for k in KINDS for i in token.visible_ids(k.name)}
    return {i for k in KINDS for i in BY_KIND[k.name] if i not in seen}


_FOREIGN: dict[TokenScope, set[str]] = {}


def leaks(token: TokenScope, data: Any, asked: Any) -> list[str]:
    """Keys of records out of the token's scope in an answer (but for those the request named:
    an error may say which key it does not know)."""
    if token not in _FOREIGN:
        _FOREIGN[token] = foreign_keys(token)
    named = set(strings_in(asked))
    return sorted({s for s in strings_in(data) if s in _FOREIGN[token] and s not in named})


def literal_count(ids: set[str], kind: str, p: Point, payload: str, scope_args: dict[str, str]) -> int | None:
    """How many of the records ``ids`` (those the caller sees) a list field with this filter or
    scope counts, reading the payload as plain text (None: not a filter or scope it counts)."""
    k = KIND_BY_NAME[kind]
    if p.path[0] == "scope":
        street, community = scope_args.get("streetKey"), scope_args.get("communityKey")
        if not k.scoped:
            return 0 if kind == "Street" and street is not None and street not in ids else len(ids)
        return sum(1 for i in ids if (street is None or PROPS[(kind, i)].get("streetId") == street)
                   and (community is None or PROPS[(kind, i)].get("communityId") == community))
    if p.path[0] != "filter" or len(p.path) != 3:
        return None
    prop = "id" if p.path[1] == "key" else p.path[1]
    op = p.path[2]

    def value(i: str) -> Any:
        return i if prop == "id" else PROPS[(kind, i)].get(prop)

    tests = {
        "eq": lambda v: v == payload,
        "ne": lambda v: v != payload,
        "in": lambda v: v == payload,
        "startsWith": lambda v: isinstance(v, str) and v.startswith(payload),
        "contains": (lambda v: isinstance(v, list) and payload in v) if k.prop(prop).many
        else (lambda v: isinstance(v, str) and payload in v),
        "containsAny": lambda v: isinstance(v, list) and payload in v,
    }
    if op not in tests:
        return None
    return sum(1 for i in ids if tests[op](value(i)))


# --- building requests -------------------------------------------------------------------------------

def _root(p: Point) -> GraphQLObjectType:
    return SCHEMA.query_type if p.root == "query" else SCHEMA.mutation_type


def _set(target: dict[str, Any], p: Point, payload: str) -> None:
    """Put the payload at the point's path inside ``target`` (the field's arguments)."""
    node: Any = target
    for i, step in enumerate(p.path):
        last = i == len(p.path) - 1
        if last:
            node[step] = [payload] if p.lists[i] else payload
            return
        child = node.get(step)
        if child is None:
            child = {}
        if isinstance(child, list):
            child = child[0]
        child = dict(child)
        node[step] = [child] if p.lists[i] else child
        node = child


_THRESHOLD: dict[str, str] = {}


def base_args(p: Point, state: State) -> dict[str, Any]:
    """Valid values for the field's arguments other than the point (the point is set after)."""
    kf = _kind_field(p)
    arg = p.path[0]
    if p.field == "coverage":
        if arg == "thresholds":
            return {"checks": [_THRESHOLD["check"]],
                    "thresholds": [{"check": _THRESHOLD["check"], "name": _THRESHOLD["name"], "value": 1}]}
        return {"checks": [_THRESHOLD["check"]]}
    if p.field == "acceptMatches":
        return {"proposalIds": []}
    if p.field == "articleFigures" and arg != "districtKey":
        return {"districtKey": HOME["district"]}
    if p.field == "recordVisit":
        return {"pairingKey": state.scratch["Pairing"], "date": "2022-06-01"}
    if not kf or p.root == "query":
        return {}
    op, kind = kf
    scratch = state.scratch[kind]
    if op == "create":
        key, values, _ = clone_input(kind, HOME_RECORD[kind], "i")
        return {"key": key, "input": values}
    if op == "update":
        return {"key": scratch, "input": {}}
    if op in ("delete", "archive"):
        return {"key": scratch}
    link = first_link(kind)
    return {"key": scratch, "field": link[0], "targetKey": link[1]}


def link_fields(kind: str) -> set[str]:
    return {r.field for r in KIND_BY_NAME[kind].rels if r.direction == "out"}


def first_link(kind: str) -> tuple[str, str]:
    """(field, target) of the scratch record's first relationship that has a target."""
    enum = SCHEMA.get_type(f"{kind}Link")
    assert isinstance(enum, GraphQLEnumType)
    k = KIND_BY_NAME[kind]
    for name in enum.values:
        rel = k.rel(name)
        targets = sorted(t[1] for t in OUT[(kind, HOME_RECORD[kind])][rel.type] if t[0] in target_kinds(rel.target))
        if targets:
            return name, targets[0]
    return next(iter(enum.values)), HOME_RECORD[kind]


def _decl(p: Point, name: str) -> str:
    return str(_root(p).fields[p.field].args[name].type)


def selection(shot: Shot) -> str:
    p = shot.point
    kf = _kind_field(p)
    if p.field in SELECTION:
        return SELECTION[p.field]
    assert kf is not None
    op = kf[0]
    if op == "list":
        return "{ totalCount nodes { key } }"
    if op == "lookup":
        return "{ key }"
    props = [q.path[1] for q in shot.points if q.path[0] == "input" and q.path[1] not in link_fields(kf[1])]
    return "{ ok errors { field code value message } record { key " + " ".join(props) + " } }"


@dataclass
class Shot:
    """One injection: the payload at one or more points of one root field, and the alias it is
    asked under."""

    points: tuple[Point, ...]
    payload: str
    args: dict[str, Any]
    alias: str = ""

    @property
    def point(self) -> Point:
        return self.points[0]


def build(shots: list[Shot], root: str) -> tuple[str, dict[str, Any]]:
    decls, fields, variables = [], [], {}
    for i, shot in enumerate(shots):
        shot.alias = f"a{i}"
        parts = []
        for name, value in shot.args.items():
            var = f"v{i}_{name}"
            decls.append(f"${var}: {_decl(shot.point, name)}")
            parts.append(f"{name}: ${var}")
            variables[var] = value
        call = f"{shot.point.field}({', '.join(parts)})" if parts else shot.point.field
        fields.append(f"{shot.alias}: {call} {selection(shot)}")
    head = f"{root}({', '.join(decls)})" if decls else root
    return f"{head} {{ {' '.join(fields)} }}", variables


def shots_of(points: tuple[Point, ...], backend: str, state: State | None) -> list[Shot]:
    out = []
    ident = "+".join(p.ident for p in points)
    for payload in payloads_for(ident, backend):
        for value in ([payload, f"Household:{payload}"] if points[0].scalar == "ID" else [payload]):
            args = base_args(points[0], state) if state is not None else {}
            for p in points:
                _set(args, p, value)
            out.append(Shot(points, value, args))
    return out


def _filter_subset(points: list[Point]) -> list[Point]:
    """For each list field: every filtered property and every operator at least once (round robin)."""
    by_field: dict[str, list[Point]] = defaultdict(list)
    for p in points:
        by_field[p.field].append(p)
    chosen = []
    for field_points in by_field.values():
        index = {(p.path[1], p.path[2]): p for p in field_points}
        props = sorted({prop for prop, _ in index})
        ops = sorted({op for _, op in index})
        wanted: set[Point] = set()
        for i in range(max(len(props), len(ops))):
            prop = props[i % len(props)]
            rotated = ops[i % len(ops):] + ops[:i % len(ops)]
            wanted.add(index[(prop, next(op for op in rotated if (prop, op) in index))])
        for op in ops:  # an operator only some properties take (containsAny: lists)
            if not any(q.path[2] == op for q in wanted):
                wanted.add(next(q for q in field_points if q.path[2] == op))
        chosen += sorted(wanted, key=lambda q: q.ident)
    return chosen


def plan(backend: str, queries: bool, state: State | None = None) -> list[Shot]:
    """The shots of the query or the mutation test on a backend. The embedded store gets every
    point on its own. Neo4j gets every argument and every String field of an input type with
    every Cypher payload, grouped: a list's filters through a round robin of its properties and
    operators, the text fields of a create or update all in one (those refused are named in the
    answer, and the others then written without them), its relationship fields all in one."""
    shots: list[Shot] = []
    points = [p for p in POINTS if (p.root == "query") == queries]
    if backend == "embedded":
        for p in points:
            shots += shots_of((p,), backend, state)
        return shots
    filters = [p for p in points if p.root == "query" and p.path[0] == "filter" and len(p.path) == 3
               and (_kind_field(p) or ("",))[0] == "list"]
    chosen = set(_filter_subset(filters))
    groups: dict[tuple[str, str], list[Point]] = defaultdict(list)
    for p in points:
        if p in filters and p not in chosen:
            continue
        kf = _kind_field(p)
        if p.root == "mutation" and kf and kf[0] in ("create", "update") and p.path[0] in ("key", "input"):
            if kf[0] == "update" and p.path[0] == "key":
                groups[(p.field, "key")].append(p)
            elif p.path[0] == "input" and p.path[1] in link_fields(kf[1]):
                groups[(p.field, "links")].append(p)
            else:  # a create's key goes with its text: the record made is named by the payload
                groups[(p.field, "text")].append(p)
        else:
            groups[(p.ident, "")].append(p)
    for group in groups.values():
        shots += shots_of(tuple(group), backend, state)
    return shots


# --- running and judging -------------------------------------------------------------------------------

EXPECTED_CODES = {"FORBIDDEN", "NOT_FOUND", "DUPLICATE", "REQUIRED", "INVALID", "CONFLICT", "HAS_DEPENDENTS", "READ_ONLY"}


async def fire(client: httpx.AsyncClient, settings, token: TokenScope, root: str, shots: list[Shot],
               problems: list[Any]) -> dict[str, Any]:
    """Sends the shots in one request; returns alias -> (data, errors) and notes what is wrong."""
    query, variables = build(shots, root)
    response = await post(client, auth(token, settings), query, variables)
    if response.status_code != 200:
        problems.append(("HTTP", response.status_code, response.text[:300], [s.point.ident for s in shots]))
        return {}
    body = response.json()
    errors = body.get("errors") or []
    for e in errors:
        if MASKED in e.get("message", ""):
            problems.append(("masked error", e, [(s.point.ident, s.payload) for s in shots
                                                  if e.get("path") and s.alias == e["path"][0]]))
    unplaced = [e for e in errors if not e.get("path")]
    if unplaced:
        problems.append(("request refused", unplaced[:2], [(s.point.ident, s.payload[:40]) for s in shots][:5]))
        return {}
    if body.get("data") is None and len(shots) > 1:  # one answer was an error: each on its own
        out: dict[str, Any] = {}
        for shot in shots:
            alias = shot.alias
            answer = await fire(client, settings, token, root, [shot], problems)
            out[alias] = answer.get(shot.alias, (None, ["(no answer)"]))
            shot.alias = alias
        return out
    data = body.get("data") or {}
    out = {}
    for shot in shots:
        mine = [e["message"] for e in errors if e["path"][0] == shot.alias]
        out[shot.alias] = (data.get(shot.alias), mine)
        leaked = leaks(token, data.get(shot.alias), shot.args)
        if leaked:
            problems.append(("leak", shot.point.ident, shot.payload[:60], leaked[:5]))
        if data.get(shot.alias) is None and not mine and not _nullable_answer(shot.point):
            problems.append(("no answer", shot.point.ident, shot.payload[:60]))
    return out


def _nullable_answer(p: Point) -> bool:
    return p.root == "query" and (_kind_field(p) or ("", ""))[0] == "lookup" or p.field == "node"


def judge_query(token: TokenScope, shot: Shot, answer: tuple[Any, list[str]], state: State, problems: list[Any]) -> None:
    data, errors = answer
    p, payload = shot.point, shot.payload
    state.results["error" if errors else "data"] += 1
    kf = _kind_field(p)
    if kf and kf[0] == "lookup":
        if data is not None or errors:
            problems.append(("lookup by a payload found something", p.ident, payload[:60], data, errors))
    elif kf and kf[0] == "list":
        if p.path[0] in ("after", "before"):
            if not errors or "cursor" not in errors[0]:
                problems.append(("a payload cursor was taken", p.ident, payload[:60], data, errors))
            return
        scope_args = shot.args.get("scope") or {}
        expected = literal_count(state.sees(token, kf[1]), kf[1], p, payload, scope_args)
        if errors:
            problems.append(("filter refused", p.ident, payload[:60], errors))
        elif expected is not None and data["totalCount"] != expected:
            problems.append(("filter counted otherwise", p.ident, payload[:60],
                             {"expected": expected, "got": data["totalCount"]}))
        elif data is not None:
            outside = [n["key"] for n in data["nodes"] if n["key"] not in state.sees(token, kf[1])]
            if outside:
                problems.append(("list shows records out of scope", p.ident, payload[:60], outside[:5]))
    elif p.field in ("node", "nodes"):
        nodes = data if isinstance(data, list) else [data]
        if any(n is not None for n in nodes or []):
            problems.append(("a payload id found something", p.ident, payload[:60], data))
    elif p.field == "auditLog":
        if p.path[0] == "after":
            if not errors:
                problems.append(("a payload cursor was taken", p.ident, payload[:60], data))
        elif errors or data["totalCount"] != 0:
            problems.append(("audit log filter matched", p.ident, payload[:60], data, errors))


def _stored_form(kind: str, name: str, payload: str) -> Any:
    """The value a text property holds after a mutation sets it to the payload (ledger text is
    trimmed, as a ledger cell is); ``CellError`` if the property's format refuses it."""
    prop = KIND_BY_NAME[kind].prop(name)
    return converter(prop)([payload] if prop.many else payload)


def judge_mutation(shot: Shot, answer: tuple[Any, list[str]], state: State, problems: list[Any],
                   stored: dict[tuple[str, str], Any]) -> list[str]:
    """Judges a kind's mutation: refused with typed errors naming what the payload broke, or done
    with the text stored as given. Returns the text fields a retry should go without (refused by
    their format) so that the shot's other text fields get written."""
    data, errors = answer
    p, payload = shot.point, shot.payload
    op, kind = _kind_field(p)  # type: ignore[misc]
    if errors or data is None:
        problems.append(("mutation error", p.ident, payload[:60], errors))
        return []
    state.results["ok" if data["ok"] else "refused"] += 1
    unknown = [e for e in data["errors"] if e["code"] not in EXPECTED_CODES]
    if unknown:
        problems.append(("unknown error code", p.ident, payload[:60], unknown))
    named = [q.path[1] for q in shot.points if q.path[0] == "input"]
    texts = [n for n in named if n not in link_fields(kind)]
    links = [n for n in named if n in link_fields(kind)]
    keyed = any(q.path[0] in ("key", "targetKey") for q in shot.points)
    # a payload may name a record this module made with it as its key: that one is found
    known = any(key == payload for _, key in state.made)
    if data["ok"]:
        key = shot.args.get("key")
        if op == "create":
            state.made.add((kind, key))
            state.ever_made.add((kind, key))
        if op == "delete":
            state.made.discard((kind, key))
        record = data["record"] or stored.get((kind, key)) or {}  # (None: not readable to the caller yet)
        for name in texts:
            try:
                wanted = _stored_form(kind, name, payload)
            except CellError:
                problems.append(("stored what its format refuses", p.ident, name, payload[:60], record.get(name)))
                continue
            got = record.get(name)
            if got != wanted and not (wanted in ("", []) and got in (None, "", [])):
                problems.append(("stored otherwise than given", p.ident, name, payload[:60], {"wanted": wanted, "got": got}))
        if not known and ((keyed and op != "create") or links):
            problems.append(("a payload key was found", p.ident, payload[:60], data))
        return []
    if known:
        return []
    codes = {(e["field"], e["code"]) for e in data["errors"]}
    values = {e["field"]: e["value"] for e in data["errors"]}
    if p.path[0] == "key" and op != "create" and ("key", "NOT_FOUND") not in codes:
        problems.append(("payload key not refused as unknown", p.ident, payload[:60], data["errors"]))
    if p.path[0] == "targetKey" and not any(c == "NOT_FOUND" for _, c in codes):
        problems.append(("payload target not refused as unknown", p.ident, payload[:60], data["errors"]))
    for name in links:
        if (name, "NOT_FOUND") not in codes or values.get(name) not in (payload, None):
            problems.append(("payload link not refused as unknown", p.ident, name, payload[:60], data["errors"]))
    refused = sorted({f for f, _ in codes if f in texts})
    return refused if set(texts) - set(refused) and not links else []


async def judged_batch(client, settings, store: GraphStore, token: TokenScope, batch: list[Shot], state: State,
                       problems: list[Any]) -> list[Shot]:
    """Fires a batch of mutations and judges it; returns the retries it calls for."""
    answers = await fire(client, settings, token, "mutation", batch, problems)
    # what creates stored, for those the caller cannot read back at once (a new street is seen by
    # its district's administrator once the token service's 30 s cache of a district's streets renews)
    stored = {}
    for s in batch:
        answer = (answers.get(s.alias) or (None, []))[0] or {}
        if s.point.field.startswith("create") and answer.get("ok") and not answer.get("record"):
            kind = _kind_field(s.point)[1]  # type: ignore[index]
            stored[(kind, s.args["key"])] = (await store.get_nodes(kind, [s.args["key"]], EVERYTHING)).get(s.args["key"])
    retries = []
    for shot in batch:
        if shot.alias not in answers:
            continue
        if _kind_field(shot.point) is None:  # acceptMatches, recordVisit
            judge_named(shot, answers[shot.alias], state, problems)
            continue
        drop = judge_mutation(shot, answers[shot.alias], state, problems, stored)
        if drop:  # again without the text fields refused, so that the others are written
            op, kind = _kind_field(shot.point)  # type: ignore[misc]
            args = json.loads(json.dumps(shot.args))
            fresh = clone_input(kind, HOME_RECORD[kind], "r")[1] if op == "create" else {}
            for name in drop:
                args["input"].pop(name, None)
                if name in fresh:
                    args["input"][name] = fresh[name]
            points = tuple(q for q in shot.points if not (q.path[0] == "input" and q.path[1] in drop))
            retries.append(Shot(points, shot.payload, args))
    return retries


@pytest.fixture(scope="module")
async def threshold(inj_client, inj_settings) -> dict[str, str]:
    """A check with a threshold, from the catalogue (to reach the thresholds' value)."""
    response = await post(inj_client, auth(ASKERS[0], inj_settings),
                          "{ coverageChecks { name thresholds { name } } }", {})
    checks = response.json()["data"]["coverageChecks"]
    check = next(c for c in checks if c["thresholds"])
    _THRESHOLD.update({"check": check["name"], "name": check["thresholds"][0]["name"]})
    return _THRESHOLD


BATCH = 100


def _alone(shot: Shot) -> bool:
    """Shots that go one to a request: the heavy fields, and the ones whose answer is an error
    (a root field's error makes the whole ``data`` null: the others' answers would be lost)."""
    return shot.point.field in HEAVY or shot.point.field in ("node", "nodes") or shot.point.path[0] in ("after", "before")


def _batches(shots: list[Shot]) -> Iterator[list[Shot]]:
    heavy = [s for s in shots if _alone(s)]
    light = [s for s in shots if not _alone(s)]
    for s in heavy:
        yield [s]
    size = BATCH
    for start in range(0, len(light), size):
        chunk = light[start:start + size]
        # long payloads: fewer to a request (the body stays well below the size limit)
        while sum(len(s.payload) for s in chunk) > 200_000:
            chunk = chunk[: len(chunk) // 2]
        yield chunk


async def test_queries_take_every_payload_as_text(inj_client, inj_settings, inj_store, threshold) -> None:
    state = state_of(inj_store)
    problems: list[Any] = []
    by_token: dict[TokenScope, list[Shot]] = defaultdict(list)
    for shot in plan(state.backend, True, state):
        by_token[asker(shot.point, state)].append(shot)
    total = 0
    for token, shots in by_token.items():
        for batch in _batches(shots):
            answers = await fire(inj_client, inj_settings, token, "query", batch, problems)
            for shot in batch:
                if shot.alias in answers:
                    judge_query(token, shot, answers[shot.alias], state, problems)
            total += len(batch)
    kinds_of_problem = Counter((p[0], str(p[1])) for p in problems)
    assert not problems, f"{len(problems)} problems in {total} injections: {kinds_of_problem.most_common(12)}\n" + "\n".join(
        map(repr, problems[:40]))
    assert state.results["data"] > 1000 and state.results["error"] > 100, state.results


async def test_mutations_take_every_payload_as_text(inj_client, inj_settings, inj_store, threshold) -> None:
    state = state_of(inj_store)
    problems: list[Any] = []
    by_token: dict[TokenScope, list[Shot]] = defaultdict(list)
    for shot in plan(state.backend, False, state):
        by_token[asker(shot.point, state)].append(shot)
    total = 0
    for token, shots in by_token.items():
        retries: list[Shot] = []
        for batch in _batches(shots):
            retries += await judged_batch(inj_client, inj_settings, inj_store, token, batch, state, problems)
            total += len(batch)
        for _ in range(3):  # conversions are judged before the rules: a retry may meet a rule
            again: list[Shot] = []
            for batch in _batches(retries):
                again += await judged_batch(inj_client, inj_settings, inj_store, token, batch, state, problems)
                total += len(batch)
            retries = again
        assert not retries, [(s.point.ident, s.payload[:40]) for s in retries]
    kinds_of_problem = Counter((p[0], str(p[1])) for p in problems)
    assert not problems, f"{len(problems)} problems in {total} injections: {kinds_of_problem.most_common(12)}\n" + "\n".join(
        map(repr, problems[:40]))
    assert state.results["ok"] > 50 and state.results["refused"] > 100, state.results


def judge_named(shot: Shot, answer: tuple[Any, list[str]], state: State, problems: list[Any]) -> None:
    data, errors = answer
    p = shot.point
    if p.field == "recordVisit":
        if errors or data is None or data["ok"] or ("key", "NOT_FOUND") not in {(e["field"], e["code"]) for e in data["errors"]}:
            problems.append(("recordVisit of a payload key", shot.payload[:60], data, errors))
    elif p.field == "acceptMatches":
        if p.path[0] == "proposalIds" and not errors:
            problems.append(("a payload proposal was accepted", shot.payload[:60], data))
        if data and any(data.values()):
            problems.append(("acceptMatches wrote something", shot.payload[:60], data))


async def test_long_strings_get_a_clear_answer(inj_client, inj_settings, inj_store) -> None:
    token = ASKERS[0]
    hdrs = auth(token, inj_settings)
    state = state_of(inj_store)
    limit = inj_settings.graph_api_max_body_bytes
    long = "长" + "x" * (limit // 3)  # a third of the largest body
    response = await post(inj_client, hdrs, "query($s: String!) { households(filter: {room: {contains: $s}}) "
                                            "{ totalCount } household(key: $s) { key } }", {"s": long})
    assert response.status_code == 200 and response.json() == {"data": {"households": {"totalCount": 0},
                                                                         "household": None}}
    key = state.scratch["Household"]
    response = await post(inj_client, hdrs, "mutation($k: String!, $s: String!) { updateHousehold(key: $k, "
                                            "input: {room: $s}) { ok errors { code } record { room } } }",
                          {"k": key, "s": long})
    assert response.status_code == 200 and MASKED not in response.text, response.text[:300]
    answer = response.json()["data"]["updateHousehold"]
    assert answer["ok"] and answer["record"]["room"] == long or answer["errors"], answer["errors"]
    _, values, _ = clone_input("Household", HOME_RECORD["Household"], "long")
    response = await post(inj_client, hdrs, "mutation($k: String!, $i: HouseholdInput!) { createHousehold(key: $k, "
                                            "input: $i) { ok errors { code } } }", {"k": long, "i": values})
    assert response.status_code == 200 and MASKED not in response.text, response.text[:300]
    if response.json()["data"]["createHousehold"]["ok"]:
        state.made.add(("Household", long))
        state.ever_made.add(("Household", long))
    response = await post(inj_client, hdrs, "query($s: String!) { households(filter: {room: {eq: $s}}) "
                                            "{ totalCount } }", {"s": "x" * limit})
    assert response.status_code == 413, response.text[:200]
    assert response.json()["errors"][0]["message"] and MASKED not in response.text


async def test_lone_surrogates_get_a_clear_answer(request, inj_client, inj_settings, inj_store) -> None:
    """A JSON string may hold a lone UTF-16 surrogate (\\ud800), which is no Unicode text."""
    token = ASKERS[0]
    hdrs = auth(token, inj_settings)
    state = state_of(inj_store)
    body = (await post(inj_client, hdrs, "query($s: String!) { households(filter: {room: {eq: $s}}) { totalCount } "
                                         "household(key: $s) { key } }", {"s": "\ud800' OR 1=1 //"})).json()
    assert MASKED not in json.dumps(body), body
    body = (await post(inj_client, hdrs, "mutation($k: String!, $s: String!) { updateHousehold(key: $k, input: "
                                         "{room: $s}) { ok errors { code } } }",
                       {"k": state.scratch["Household"], "s": "\ud800"})).json()
    assert MASKED not in json.dumps(body), body


async def test_nothing_else_changed(inj_store) -> None:
    """Last: the graph is as it was, but for the records this module made (and the audit log)."""
    state = state_of(inj_store)
    after = await snapshot(inj_store)
    mine = set(state.ever_made) | {(k, key) for k, key in state.scratch.items()}

    def ours(key: Any) -> bool:
        if len(key) == 2 and isinstance(key[0], tuple):  # a node (or a unique value): (labels, id)
            return any((label, key[1]) in mine for label in key[0])
        if len(key) == 3:  # an edge: (node, type, node)
            return ours(key[0]) or ours(key[2])
        return False

    for part in ("nodes", "edges"):
        before = {k: v for k, v in state.before[part].items() if not ours(k)}
        now = {k: v for k, v in after[part].items() if not ours(k)}
        assert before.keys() == now.keys(), (part, sorted(map(str, before.keys() ^ now.keys()))[:10])
        changed = [k for k in before if before[k] != now[k]]
        assert not changed, (part, changed[:10])
        assert len(before) > 8000 if part == "nodes" else len(before) > 10000
    counts = await inj_store.count_nodes()
    made = Counter(kind for kind, _ in state.made)
    assert {k: counts.get(k, 0) - made[k] for k in counts} == {k: state.counts.get(k, 0) for k in counts}
