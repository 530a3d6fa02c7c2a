"""The authorisation matrix, generated from the schema and the policy, through HTTP, on both backends.

What is checked is enumerated from the built schema (graphql-core types), not listed by hand:
every root list field (connection of a kind), every ``<kind>(key:)`` lookup, ``node``/``nodes``/
``nodeCounts``, every sensitive field (fields of kind types whose (type, field) is in
access.SENSITIVE_FIELDS) and every mutation (create, update, delete or archive, connect,
disconnect, recordVisit, acceptMatches); ``test_the_matrix_covers_the_schema`` fails when a root
field appears that the matrix does not know how to judge, so a new kind or mutation joins it.

What is expected is computed independently (tests/access_oracle.py) from the sample file and
access.py: which records a token sees (scope keys, GRID_LOCATORS walked over the sample's edges),
how a sensitive field shows (access.mask_mode / mask_value), what a role may write
(access.may_write) and do (access.may / CAPABILITIES).

Tokens: one per role and scope kind the role may carry (access.SCOPE_KIND), in scope (the
district, street, community and area holding the chosen records) and out of scope (another
area of the same community, another community of the same street, the other street, a district
the sample does not hold). The embedded store runs the whole matrix; Neo4j runs every read and
one mutation field of each kind of operation (the same code paths, in a fraction of the time).

Reads run first; writes change only what they are about, and every write that would change
something a later check relies on is undone (records to delete or archive are made for it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, get_named_type

from graph_api.app import create_app
from graph_api.changes.service import ARCHIVE, ChangeService, Request
from graph_api.domain.access import (
    CAPABILITIES,
    OPERATOR,
    SENSITIVE_FIELDS,
    WRITABLE,
    Role,
    mask_mode,
    mask_value,
    may,
    may_write,
)
from graph_api.domain.model import KIND_BY_NAME, KINDS, target_kinds
from graph_api.graphql.schema import build_schema
from graph_api.ledger.importer import REQUIRED_PARENT
from graph_api.ledger.mapping import mapping_for
from graph_api.store.base import EVERYTHING, GraphStore
from tests.access_oracle import (
    AWAY,
    AWAY_RECORDS,
    BY_KIND,
    HOME,
    HOME_AREA,
    HOME_RECORD,
    IN,
    IN_SCOPE,
    OUT,
    OUT_OF_SCOPE,
    PROPS,
    TokenScope,
    add_record,
    clone_input,
    graphql_value,
    remove_record,
    reset_extras,
    scoped_props_after_create,
)
from tests.conftest import BACKENDS, bearer, writable_sample_store

# --- the schema, enumerated ---------------------------------------------------------------------

SCHEMA = build_schema()._schema
QUERY: GraphQLObjectType = SCHEMA.query_type
MUTATION: GraphQLObjectType = SCHEMA.mutation_type


def _named(t: Any) -> Any:
    return get_named_type(t)


def _connection_kind(field: Any) -> str | None:
    """The kind a field lists, if it returns a connection (totalCount + nodes of a kind type)."""
    t = _named(field.type)
    if not isinstance(t, GraphQLObjectType) or "totalCount" not in t.fields or "nodes" not in t.fields:
        return None
    node = _named(t.fields["nodes"].type)
    return node.name if node.name in KIND_BY_NAME else None


LIST_FIELDS: dict[str, str] = {n: k for n, f in QUERY.fields.items() if (k := _connection_kind(f))}
LOOKUP_FIELDS: dict[str, str] = {n: _named(f.type).name for n, f in QUERY.fields.items()
                                 if set(f.args) == {"key"} and _named(f.type).name in KIND_BY_NAME}
#: the Relay fields and counts: judged by the same visibility as lookups and lists
NODE_FIELDS = {n for n, f in QUERY.fields.items() if _named(f.type).name in ("Node", "KindCount")}
#: root query fields whose use needs a capability (access.CAPABILITIES); their names are the
#: GraphQL layer's (graph_api/graphql/*: info.context.require(...)), declared here
CAPABILITY_FIELDS = {"coverage": "coverage", "articleFigures": "figures", "proposeMatches": "match",
                     "auditLog": "auditLog"}
#: root fields anyone may use: the coverage check catalogue (rules and default thresholds, no data)
PUBLIC_FIELDS = {"coverageChecks"}

MUTATION_OPS = ("create", "update", "delete", "archive", "connect", "disconnect")
_OP = re.compile(rf"^({'|'.join(MUTATION_OPS)})([A-Z]\w*)$")
#: named mutations: what they are in terms of the policy
NAMED_MUTATIONS = {"recordVisit": ("update", "Pairing"), "acceptMatches": ("capability", "acceptMatches")}


def mutation_kinds() -> dict[str, tuple[str, str]]:
    """Every mutation field -> (operation, kind), or ("capability", name)."""
    out: dict[str, tuple[str, str]] = {}
    for name in MUTATION.fields:
        m = _OP.match(name)
        if m and m.group(2) in KIND_BY_NAME:
            out[name] = (m.group(1), m.group(2))
        elif name in NAMED_MUTATIONS:
            out[name] = NAMED_MUTATIONS[name]
    return out


MUTATIONS = mutation_kinds()


def sensitive_schema_fields() -> set[tuple[str, str]]:
    """(type, field) of every field of a kind type that SENSITIVE_FIELDS names."""
    found = set()
    for type_name in KIND_BY_NAME:
        t = SCHEMA.get_type(type_name)
        assert isinstance(t, GraphQLObjectType), type_name
        found |= {(type_name, f) for f in t.fields if (type_name, f) in SENSITIVE_FIELDS}
    return found


SENSITIVE = sorted(sensitive_schema_fields())


def test_the_matrix_covers_the_schema() -> None:
    judged = set(LIST_FIELDS) | set(LOOKUP_FIELDS) | NODE_FIELDS | set(CAPABILITY_FIELDS) | PUBLIC_FIELDS
    assert set(QUERY.fields) == judged, f"root query fields the matrix does not judge: {set(QUERY.fields) - judged}"
    assert sorted(LIST_FIELDS.values()) == sorted(LOOKUP_FIELDS.values()) == sorted(k.name for k in KINDS)
    assert NODE_FIELDS == {"node", "nodes", "nodeCounts"}
    assert set(MUTATION.fields) == set(MUTATIONS), f"mutations not judged: {set(MUTATION.fields) - set(MUTATIONS)}"
    for k in KINDS:
        ops = {op for op, kind in MUTATIONS.values() if kind == k.name}
        assert {"create", "update"} <= ops and len(ops & {"delete", "archive"}) == 1, (k.name, ops)
        assert ("archive" in ops) == (k.name in ARCHIVE), k.name
        linkable = any(rel.direction == "out" for rel in k.rels)
        assert ({"connect", "disconnect"} <= ops) == linkable, (k.name, ops)
    capabilities = set(CAPABILITY_FIELDS.values()) | {n for op, n in MUTATIONS.values() if op == "capability"}
    assert capabilities | {"pairings"} == set().union(*CAPABILITIES.values()), "a capability the matrix never uses"
    assert set(SENSITIVE) == set(SENSITIVE_FIELDS), "a sensitive field the schema does not show"
    assert set(WRITABLE) == set(Role) == {t.role for t in IN_SCOPE} == {t.role for t in OUT_OF_SCOPE}


# --- fixtures --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mx_settings(settings):
    # thousands of requests per token: the rate limiter is tested on its own (tests/test_guards.py)
    return settings.model_copy(update={"graph_api_rate_limit": 0})


@pytest.fixture(scope="module", params=BACKENDS)
async def mx_store(request: pytest.FixtureRequest, mx_settings, tmp_path_factory) -> AsyncIterator[GraphStore]:
    async with writable_sample_store(request.param, mx_settings, tmp_path_factory, "matrix") as store:
        store.backend_name = request.param  # type: ignore[attr-defined]
        # the records deletes and archives work on, made before any request: a district's streets are
        # cached by the token service for 30 s, and a street made later would not be seen in time
        reset_extras()
        FRESH[request.param] = {}
        for case in fresh_cases(request.param):
            key, values, out = clone_input(case.kind, HOME_RECORD[case.kind], "f")
            await create_as_operator(store, case.kind, key, values)
            add_record(case.kind, key, scoped_props_after_create(case.kind, HOME_RECORD[case.kind], key), out)
            FRESH[request.param][case.ident] = key
        yield store
        reset_extras()


@pytest.fixture(scope="module")
async def mx_client(mx_store, mx_settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(mx_settings, store=mx_store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


_HEADERS: dict[TokenScope, dict[str, str]] = {}


def auth(token: TokenScope, settings) -> dict[str, str]:
    if token not in _HEADERS:
        _HEADERS[token] = bearer(settings, token.role.value, token.text, subject=f"matrix-{token.label}")
    return _HEADERS[token]


async def post(client: httpx.AsyncClient, headers: dict[str, str], query: str,
               variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    for error in body.get("errors") or ():
        assert "Unexpected server error" not in error["message"], (query, variables, body)
    return body


def data_of(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body["errors"]
    return body["data"]


async def create_as_operator(store: GraphStore, kind: str, key: str, values: dict[str, Any]) -> None:
    """A record made through the change service as the local operator (the CLI's principal)."""
    k = KIND_BY_NAME[kind]
    links = {n: ([v] if isinstance(v, str) else list(v)) for n, v in values.items() if n in {r.field for r in k.rels}}
    props = {n: v for n, v in values.items() if n not in links}
    result = await ChangeService(store, OPERATOR, EVERYTHING).apply(Request("create", kind, key, props, links))
    assert result.changed, (kind, key)


def backend(store: GraphStore) -> str:
    return store.backend_name  # type: ignore[attr-defined]


# --- token sets --------------------------------------------------------------------------------------

def _grid_levels() -> list[TokenScope]:
    """Grid workers of the community as a grid, and of a building and a unit under the home area."""
    building = min(i for i, p in BY_KIND["Building"].items() if i.startswith(HOME_AREA))
    unit = min(i for i in BY_KIND["StairwellUnit"] if i.startswith(building))
    return [TokenScope(Role.GRID_WORKER, "grid", (g,)) for g in (HOME["community"], building, unit)]


READ_TOKENS = [*IN_SCOPE, *OUT_OF_SCOPE, *_grid_levels()]


# --- reads: lists, counts, lookups ------------------------------------------------------------------

@pytest.mark.parametrize("token", READ_TOKENS, ids=lambda t: t.label)
async def test_list_counts_are_the_records_in_scope(mx_client, mx_settings, token: TokenScope) -> None:
    fields = " ".join(f"{name} {{ totalCount }}" for name in LIST_FIELDS)
    data = data_of(await post(mx_client, auth(token, mx_settings), f"{{ {fields} nodeCounts {{ kind count }} }}"))
    counts = {row["kind"]: row["count"] for row in data["nodeCounts"]}
    wrong = {}
    for name, kind in LIST_FIELDS.items():
        expected = len(token.visible_ids(kind))
        if (data[name]["totalCount"], counts[kind]) != (expected, expected):
            wrong[name] = {"expected": expected, "totalCount": data[name]["totalCount"], "nodeCounts": counts[kind]}
    assert not wrong, wrong


@pytest.mark.parametrize("token", READ_TOKENS, ids=lambda t: t.label)
async def test_lookups_return_records_in_scope_only(mx_client, mx_settings, token: TokenScope) -> None:
    hdrs = auth(token, mx_settings)
    wrong = []
    rounds = [HOME_RECORD] + [{k: ids[i] for k, ids in AWAY_RECORDS.items() if len(ids) > i} for i in range(3)]
    for records in rounds:
        lookups = [(name, kind, records[kind]) for name, kind in LOOKUP_FIELDS.items() if kind in records]
        variables = {f"k{i}": key for i, (_, _, key) in enumerate(lookups)}
        ids = [f"{kind}:{key}" for _, kind, key in lookups]
        query = ("query(" + ", ".join(f"$k{i}: String!" for i in range(len(lookups))) + ", $ids: [ID!]!) { "
                 + " ".join(f"{name}(key: $k{i}) {{ key id }}" for i, (name, _, _) in enumerate(lookups))
                 + " nodes(ids: $ids) { id } }")
        data = data_of(await post(mx_client, hdrs, query, {**variables, "ids": ids}))
        for (name, kind, key), node in zip(lookups, data["nodes"], strict=True):
            seen = token.sees(kind, key)
            expected = {"key": key, "id": f"{kind}:{key}"} if seen else None
            if data[name] != expected or node != (None if not seen else {"id": f"{kind}:{key}"}):
                wrong.append((name, key, "expected" if seen else "expected null", data[name], node))
        single = await post(mx_client, hdrs, "query($id: ID!) { node(id: $id) { id } }", {"id": ids[0]})
        kind0, key0 = lookups[0][1], lookups[0][2]
        assert data_of(single)["node"] == ({"id": ids[0]} if token.sees(kind0, key0) else None)
    assert not wrong, wrong


# --- reads: sensitive fields -----------------------------------------------------------------------

SENSITIVE_BY_KIND: dict[str, list[str]] = defaultdict(list)
for _kind, _field in SENSITIVE:
    SENSITIVE_BY_KIND[_kind].append(_field)


def _truth(kind: str, field: str, mode: str) -> Any:
    value = PROPS[(kind, HOME_RECORD[kind])].get(field)
    shown = mask_value(mode, value)  # type: ignore[arg-type]
    return None if shown in (None, []) else graphql_value(shown)


def _holder(kind: str) -> tuple[str, str, str] | None:
    """(kind, key, relationship field) of a record whose relationship field lists the home record
    of ``kind`` and that every in-scope token seeing that record sees too: the third way a
    record is read (neighbours), besides lookups and lists."""
    home = (kind, HOME_RECORD[kind])
    viewers = [t for t in IN_SCOPE if t.sees(*home)]
    options = []
    for k in KINDS:
        for rel in k.rels:
            if kind not in target_kinds(rel.target):
                continue
            table = IN if rel.direction == "out" else OUT
            for source in table[home][rel.type]:
                if source[0] == k.name and all(t.sees(*source) for t in viewers):
                    options.append((k.name, source[1], rel.field))
    return min(options) if options else None


@pytest.mark.parametrize("token", IN_SCOPE, ids=lambda t: t.label)
async def test_sensitive_fields_show_as_the_policy_says(mx_client, mx_settings, token: TokenScope) -> None:
    hdrs = auth(token, mx_settings)
    wrong = []
    for kind, fields in SENSITIVE_BY_KIND.items():
        key = HOME_RECORD[kind]
        assert token.sees(kind, key), (kind, key)  # every role's masks are tried on a record it sees
        expected = {f: _truth(kind, f, mask_mode(token.role, kind, f)) for f in fields}
        assert any(PROPS[(kind, key)].get(f) is not None for f in fields)
        selection = " ".join(fields)
        lookup = next(n for n, k in LOOKUP_FIELDS.items() if k == kind)
        listing = next(n for n, k in LIST_FIELDS.items() if k == kind)
        data = data_of(await post(mx_client, hdrs, f"query($k: String!) {{ {lookup}(key: $k) {{ {selection} }} "
                                                   f"{listing}(filter: {{key: {{eq: $k}}}}) {{ nodes {{ {selection} }} }} }}",
                                  {"k": key}))
        ways = {"lookup": data[lookup], "list": (data[listing]["nodes"] or [None])[0]}
        holder = _holder(kind)
        assert holder is not None, f"no record lists the home {kind}: its masks through relationships go untested"
        h_kind, h_key, rel_field = holder
        h_lookup = next(n for n, k in LOOKUP_FIELDS.items() if k == h_kind)
        rel = KIND_BY_NAME[h_kind].rel(rel_field)
        body = data_of(await post(mx_client, hdrs, f"query($k: String!) {{ {h_lookup}(key: $k) {{ {rel_field} "
                                                   f"{{ ... on {kind} {{ key {selection} }} }} }} }}", {"k": h_key}))
        linked = body[h_lookup][rel_field]
        linked = [linked] if not rel.many else linked
        ways["relationship"] = next(({f: r[f] for f in fields} for r in linked if r and r["key"] == key), None)
        for way, got in ways.items():
            if got != expected:
                wrong.append((kind, key, way, {"expected": expected, "got": got}))
        # a field not shown in full can neither be filtered nor sorted on (it would reveal it)
        for f in fields:
            prop = KIND_BY_NAME[kind].prop(f)
            full = mask_mode(token.role, kind, f) == "full"
            probes = []
            if prop.filterable:  # (the key condition keeps the allowed ones cheap)
                probes.append(f"{listing}(filter: {{key: {{eq: $k}}, {f}: {{isNull: false}}}}) {{ totalCount }}")
            if prop.sortable:
                sort_field = re.sub("([A-Z])", r"_\1", f).upper()
                probes.append(f"{listing}(filter: {{key: {{eq: $k}}}}, orderBy: [{{field: {sort_field}}}]) "
                              f"{{ totalCount }}")
            for probe in probes:
                body = await post(mx_client, hdrs, f"query($k: String!) {{ {probe} }}", {"k": key})
                refused = bool(body.get("errors")) and f in body["errors"][0]["message"]
                if refused == full or (full and body.get("errors")):
                    wrong.append((kind, f, probe, "should work" if full else "should be refused", body))
    assert not wrong, wrong


# --- writes ------------------------------------------------------------------------------------------

class Case:
    """One mutation field for one token: what it asks and what the policy says should happen."""

    def __init__(self, field: str, op: str, kind: str, token: TokenScope):
        self.field, self.op, self.kind, self.token = field, op, kind, token
        self.ident = f"{field}|{token.label}"

    @property
    def action(self) -> str:
        return {"create": "create", "delete": "delete"}.get(self.op, "update")


#: every mutation is tried by every role, in scope and out of scope
WRITE_TOKENS = [*IN_SCOPE, *OUT_OF_SCOPE]


#: Neo4j runs one mutation field per kind of operation: the kind every role may touch somehow
NEO4J_KIND = {"create": "Need", "update": "Household", "delete": "Household", "archive": "Need",
              "connect": "Pairing", "disconnect": "Pairing", "recordVisit": "Pairing"}


def mutation_fields(op: str, backend_name: str) -> list[str]:
    if op == "recordVisit":
        return ["recordVisit"]
    fields = sorted(f for f, (o, _) in MUTATIONS.items() if o == op and _OP.match(f))
    if backend_name == "neo4j":
        fields = [f for f in fields if MUTATIONS[f][1] == NEO4J_KIND[op]]
        assert len(fields) == 1, (op, fields)
    return fields


def cases(op: str, backend_name: str) -> list[Case]:
    out = []
    for field in mutation_fields(op, backend_name):
        kind = MUTATIONS[field][1]
        out += [Case(field, op, kind, token) for token in WRITE_TOKENS]
    return out


def fresh_cases(backend_name: str) -> list[Case]:
    """The cases that get a record of their own: deletes and archives the role may do."""
    return [c for op in ("delete", "archive") for c in cases(op, backend_name) if may_write(c.token.role, c.action, c.kind)]


FRESH: dict[str, dict[str, str]] = {}


def writes_in_scope(token: TokenScope, kind: str, key: str, props: dict[str, Any] | None = None,
                    out: dict[str, list[tuple[str, str]]] | None = None) -> bool:
    """Whether the record (as it is after the write) lies in the token's scope for writing: the
    rows the token reads, and for the district and its streets, the district the token names."""
    if kind == "District":
        return token.kind == "district" and key in token.ids
    if kind == "Street":
        if token.kind != "district":
            return token.kind == "street" and key in token.ids
        district = next((t[1] for t in (out or OUT[("Street", key)]).get("PART_OF", []) if t[0] == "District"), None)
        return district in token.ids
    return token.sees(kind, key, props, out)


def expectation(case: Case, key: str, after_props: dict[str, Any] | None = None,
                after_out: dict[str, list[tuple[str, str]]] | None = None,
                links: dict[str, list[str]] | None = None) -> tuple[str, frozenset[str] | None]:
    """("FORBIDDEN" | "NOT_FOUND" | "OK", the fields named) of the case on record ``key``: the
    record as it is after the write (after_props, after_out: its outgoing edges; None: as now)
    and the relationships the write names (``links``: their targets must be ones the token sees)."""
    token, kind = case.token, case.kind
    if not may_write(token.role, case.action, kind):
        return "FORBIDDEN", None
    if case.op != "create" and not token.sees(kind, key):
        return "NOT_FOUND", frozenset({"key"})
    k = KIND_BY_NAME[kind]
    unseen = frozenset(name for name, keys in (links or {}).items() for target in keys
                       if not token.sees(next(t for t in target_kinds(k.rel(name).target) if target in BY_KIND[t]), target))
    if unseen:
        return "NOT_FOUND", unseen
    required = [name for name, keys in (links or {}).items() if not keys and REQUIRED_PARENT.get(kind) == name]
    if required:  # checked with the record's values, before where it ends up: the grid hierarchy needs it
        return "INVALID", frozenset(f"REQUIRED:{name}" for name in required)
    if not writes_in_scope(token, kind, key, after_props, after_out):
        return "FORBIDDEN", None
    return "OK", None


def verdict(payload: dict[str, Any]) -> tuple[str, frozenset[str] | None]:
    if payload["ok"]:
        return "OK", None
    codes = {(e["code"], e["field"]) for e in payload["errors"]}
    for code in ("FORBIDDEN", "NOT_FOUND"):
        fields = frozenset(f for c, f in codes if c == code)
        if fields:
            return code, fields
    return "INVALID", frozenset(f"{c}:{f}" for c, f in codes)


def matches(expected: tuple[str, frozenset[str] | None], got: tuple[str, frozenset[str] | None]) -> bool:
    return expected[0] == got[0] and (expected[1] is None or expected[1] == got[1])


PAYLOAD = "{ ok changed errors { field code message } record { key } }"


def _input_type(kind: str) -> GraphQLInputObjectType:
    t = SCHEMA.get_type(f"{kind}Input")
    assert isinstance(t, GraphQLInputObjectType)
    return t


def harmless_update(kind: str) -> dict[str, Any]:
    """A change to one plain text field that no check depends on (else: a field set to its value)."""
    props = PROPS[(kind, HOME_RECORD[kind])]
    fields = _input_type(kind).fields
    k = KIND_BY_NAME[kind]
    for name in fields:
        if name in ("code", "streetId", "communityId") or name not in {p.name for p in k.all_props}:
            continue
        prop = k.prop(name)
        if prop.type is str and not prop.many and not prop.sensitive and props.get(name):
            return {name: f"{props[name]}·改"}
    name = next(n for n in fields if props.get(n) is not None and n in {p.name for p in k.all_props}
                and n not in ("code", "streetId", "communityId"))
    return {name: graphql_value(props[name])}


def link_choice(kind: str) -> tuple[str, str, bool]:
    """(field, target key, many) of the relationship that connect and disconnect work on: one
    the home record has, whose targets the most in-scope writers see (ties: many-valued, name)."""
    home = (kind, HOME_RECORD[kind])
    link_enum = SCHEMA.get_type(f"{kind}Link")
    assert isinstance(link_enum, GraphQLEnumType)
    writers = [t for t in IN_SCOPE if may_write(t.role, "update", kind)]
    options = []
    for name in link_enum.values:
        rel = KIND_BY_NAME[kind].rel(name)
        current = [t for t in OUT[home][rel.type] if t[0] in target_kinds(rel.target)]
        if not current:
            continue
        seen_by = sum(all(w.sees(*t) for t in current) for w in writers)
        options.append((-seen_by, not rel.many, name, min(current)[1], rel.many))
    assert options, f"the home {kind} has no relationship to connect"
    best = min(options)
    return best[2], best[3], best[4]


def current_links(kind: str, field: str) -> list[str]:
    rel = KIND_BY_NAME[kind].rel(field)
    return sorted(t[1] for t in OUT[(kind, HOME_RECORD[kind])][rel.type] if t[0] in target_kinds(rel.target))


async def run_case(client: httpx.AsyncClient, settings, store: GraphStore, case: Case) -> list[Any]:
    """Runs the case; returns what did not go as expected (empty when all did)."""
    hdrs = auth(case.token, settings)
    kind, op = case.kind, case.op
    problems: list[Any] = []

    async def call(field: str, args: str, variables: dict[str, Any], decl: str) -> dict[str, Any]:
        body = await post(client, hdrs, f"mutation({decl}) {{ {field}({args}) {PAYLOAD} }}", variables)
        return data_of(body)[field]

    def judge(what: str, expected: tuple[str, frozenset[str] | None], payload: dict[str, Any]) -> bool:
        OUTCOMES[(backend(store), op)][expected[0]] += 1
        got = verdict(payload)
        if not matches(expected, got):
            problems.append((case.ident, what, {"expected": expected, "got": got, "errors": payload["errors"]}))
            return False
        return True

    if op == "create":
        key, values, out = clone_input(kind, HOME_RECORD[kind], "c")
        props = scoped_props_after_create(kind, HOME_RECORD[kind], key)
        links = {n: ([v] if isinstance(v, str) else v) for n, v in values.items()
                 if n in {r.field for r in KIND_BY_NAME[kind].rels}}
        expected = expectation(case, key, props, out, links)
        payload = await call(case.field, "key: $k, input: $i", {"k": key, "i": values}, f"$k: String!, $i: {kind}Input!")
        if judge("create", expected, payload) and expected[0] == "OK":
            stored = (await store.get_nodes(kind, [key], EVERYTHING)).get(key)
            if stored is None:
                problems.append((case.ident, "created record not stored", payload))
        if payload["ok"]:
            add_record(kind, key, props, out)
    elif op == "update":
        key = HOME_RECORD[kind]
        change = harmless_update(kind)
        payload = await call(case.field, "key: $k, input: $i", {"k": key, "i": change}, f"$k: String!, $i: {kind}Input!")
        judge("update", expectation(case, key), payload)
    elif op == "recordVisit":
        key = HOME_RECORD[kind]
        props = PROPS[(kind, key)]
        date = graphql_value(props.get("lastVisitDate") or props.get("since") or dt.date(2022, 6, 1))
        payload = await call("recordVisit", "pairingKey: $k, date: $d", {"k": key, "d": date}, "$k: String!, $d: Date!")
        judge("recordVisit", expectation(case, key), payload)
    elif op in ("delete", "archive"):
        # a record of its own when the role may do it; else the home record is enough to be refused
        key = FRESH[backend(store)].get(case.ident, HOME_RECORD[kind])
        payload = await call(case.field, "key: $k", {"k": key}, "$k: String!")
        expected = expectation(case, key)
        if judge(op, expected, payload) and expected[0] == "OK":
            stored = (await store.get_nodes(kind, [key], EVERYTHING)).get(key)
            if op == "delete" and stored is not None:
                problems.append((case.ident, "deleted record still stored", stored))
            if op == "archive" and (stored or {}).get(ARCHIVE[kind][0]) != ARCHIVE[kind][1]:
                problems.append((case.ident, "archived record not archived", stored))
        if payload["ok"] and op == "delete":
            remove_record(kind, key)
    else:  # connect, disconnect
        key = HOME_RECORD[kind]
        field, target, many = link_choice(kind)
        current = current_links(kind, field)
        args, decl = "key: $k, field: $f, targetKey: $t", f"$k: String!, $f: {kind}Link!, $t: String!"
        link_call = case.field
        after = sorted(set(current) | {target}) if many else [target]
        if op == "disconnect":
            after = [t for t in current if t != target]
        rel = KIND_BY_NAME[kind].rel(field)
        after_out = {r: [t for t in ts if r != rel.type or t[1] in after or t[0] not in target_kinds(rel.target)]
                     for r, ts in OUT[(kind, key)].items()}
        expected = expectation(case, key, PROPS[(kind, key)], after_out, links={field: after})
        payload = await call(link_call, args, {"k": key, "f": field, "t": target}, decl)
        ok = judge(op, expected, payload)
        if ok and op == "disconnect" and payload["ok"]:  # undo, as the same caller
            again = await call(link_call.replace("disconnect", "connect", 1), args,
                               {"k": key, "f": field, "t": target}, decl)
            if not again["ok"]:
                problems.append((case.ident, "could not connect back", again))
    return problems


WRITE_OPS = ("create", "update", "recordVisit", "connect", "disconnect", "delete", "archive")
#: (backend, operation) -> how many cases expected each outcome
OUTCOMES: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)


@pytest.mark.parametrize("op", WRITE_OPS)
async def test_mutations_follow_the_policy(mx_client, mx_settings, mx_store, op: str) -> None:
    problems = []
    for case in cases(op, backend(mx_store)):
        problems += await run_case(mx_client, mx_settings, mx_store, case)
    assert not problems, "\n".join(map(str, problems))
    # the matrix is not vacuous: each operation has cases that succeed, are forbidden and find nothing
    assert {"OK", "FORBIDDEN", "NOT_FOUND"} <= set(OUTCOMES[(backend(mx_store), op)]), OUTCOMES[(backend(mx_store), op)]


def _street_of_community(community: str | None) -> str | None:
    return (PROPS.get(("Community", community)) or {}).get("streetId") if community else None


@pytest.mark.parametrize("scope_key", ["streetId", "communityId"])
async def test_scope_keys_cannot_move_a_record_astray(mx_client, mx_settings, mx_store, scope_key: str) -> None:
    """A scope key set on its own moves a record only where the writer may write, only to a place
    that exists (a community of that street), and never away from the parent it hangs from (kinds
    whose ledger mapping derives the keys strictly from it): the other street's staff must not be
    handed a community's records, nor its own street's staff lose them."""
    elsewhere = {"streetId": AWAY["street"], "communityId": AWAY["community"]}[scope_key]
    wrong, tried, moved = [], 0, 0
    for kind in [k.name for k in KINDS if k.scoped and scope_key in _input_type(k.name).fields]:
        key = HOME_RECORD[kind]
        if kind == "Community" and scope_key == "communityId":
            continue  # a community's communityId is its key
        original = PROPS[(kind, key)].get(scope_key)
        after = {**PROPS[(kind, key)], scope_key: elsewhere}
        if kind == "Community":
            after["communityId"] = key
        consistent = kind == "Community" or _street_of_community(after.get("communityId")) == after.get("streetId")
        for token in IN_SCOPE:
            if not (may_write(token.role, "update", kind) and token.sees(kind, key)):
                continue
            tried += 1
            allowed = consistent and not mapping_for(kind).scope_strict and token.sees(kind, key, after)
            body = await post(mx_client, auth(token, mx_settings), f"mutation($k: String!, $i: {kind}Input!) "
                              f"{{ update{kind}(key: $k, input: $i) {PAYLOAD} }}", {"k": key, "i": {scope_key: elsewhere}})
            payload = data_of(body)[f"update{kind}"]
            stored = (await mx_store.get_nodes(kind, [key], EVERYTHING))[key]
            if payload["ok"] != allowed or stored.get(scope_key) != (elsewhere if allowed else original):
                wrong.append((kind, token.label, "should move" if allowed else "should stay", payload["errors"],
                              stored.get(scope_key)))
            if payload["ok"]:  # put it back, as the same caller
                moved += 1
                body = await post(mx_client, auth(token, mx_settings), f"mutation($k: String!, $i: {kind}Input!) "
                                  f"{{ update{kind}(key: $k, input: $i) {PAYLOAD} }}", {"k": key, "i": {scope_key: original}})
                assert data_of(body)[f"update{kind}"]["ok"], body
    assert tried > 10 and not wrong, "\n".join(map(str, wrong))
    assert moved or scope_key == "streetId", "a legitimate move was tried too"


async def test_district_administrator_naming_a_new_district_creates_it(mx_client, mx_settings, mx_store) -> None:
    """A district is in a district scope when the token names it (the only way one is created)."""
    key, values, _ = clone_input("District", HOME["district"], "n")
    token = TokenScope(Role.DISTRICT_ADMIN, "district", (HOME["district"], key))
    body = await post(mx_client, auth(token, mx_settings), f"mutation($k: String!, $i: DistrictInput!) "
                      f"{{ createDistrict(key: $k, input: $i) {PAYLOAD} }}", {"k": key, "i": values})
    assert data_of(body)["createDistrict"]["ok"], body
    other = TokenScope(Role.DISTRICT_ADMIN, "district", (HOME["district"],))
    body = await post(mx_client, auth(other, mx_settings), f"mutation($k: String!) {{ deleteDistrict(key: $k) {PAYLOAD} }}",
                      {"k": key})
    assert verdict(data_of(body)["deleteDistrict"])[0] == "FORBIDDEN", body
    body = await post(mx_client, auth(token, mx_settings), f"mutation($k: String!) {{ deleteDistrict(key: $k) {PAYLOAD} }}",
                      {"k": key})
    assert data_of(body)["deleteDistrict"]["ok"], body


# --- capabilities -------------------------------------------------------------------------------------

CAPABILITY_CALLS = {
    # name: (query, the capabilities it needs, in the order they are checked)
    "coverage": ("{ coverage(checks: [GRID_WITHOUT_LEADER]) { totalFindings } }", ("coverage",)),
    "articleFigures": (f"{{ articleFigures(districtKey: \"{HOME['district']}\") {{ communityCount }} }}", ("figures",)),
    "proposeMatches(projects)": ("query($s: CoverageScopeInput) { proposeMatches(scope: $s) { matched } }", ("match",)),
    "proposeMatches(pairings)": ("query($s: CoverageScopeInput) { proposeMatches(scope: $s, options: {mode: PAIRINGS}) "
                                 "{ matched } }", ("match", "pairings")),
    "acceptMatches": ("mutation($s: CoverageScopeInput) { acceptMatches(proposalIds: [], scope: $s) { projects } }",
                      ("acceptMatches",)),
    "acceptMatches(pairings)": ("mutation($s: CoverageScopeInput) { acceptMatches(proposalIds: [\"pairings|x|y\"], "
                                "scope: $s) { pairings } }", ("acceptMatches", "pairings")),
    "auditLog": ("{ auditLog(first: 1) { totalCount } }", ("auditLog",)),
}


def test_capability_calls_cover_every_capability_field() -> None:
    used = {name.split("(")[0] for name in CAPABILITY_CALLS}
    assert used == set(CAPABILITY_FIELDS) | {n for op, n in MUTATIONS.values() if op == "capability"}
    assert {c for _, needs in CAPABILITY_CALLS.values() for c in needs} == set().union(*CAPABILITIES.values())


def capability_tokens(needs: tuple[str, ...], backend_name: str) -> list[TokenScope]:
    """Every in-scope token; on Neo4j every one refused (the refusal reads nothing) and the
    narrowest one allowed (what it reads is the store's, tested elsewhere)."""
    if backend_name != "neo4j":
        return IN_SCOPE
    allowed = [t for t in IN_SCOPE if all(may(t.role, c) for c in needs)]
    narrowest = sorted(allowed, key=lambda t: ["community", "street", "district", "grid"].index(t.kind))[:1]
    return [t for t in IN_SCOPE if t not in allowed] + narrowest


@pytest.mark.parametrize("call", CAPABILITY_CALLS)
async def test_capabilities_are_granted_as_the_policy_says(mx_client, mx_settings, mx_store, call: str) -> None:
    query, needs = CAPABILITY_CALLS[call]
    wrong = []
    tokens = capability_tokens(needs, backend(mx_store))
    assert any(all(may(t.role, c) for c in needs) for t in tokens) and any(
        not all(may(t.role, c) for c in needs) for t in tokens), "both sides of the policy are tried"
    for token in tokens:
        variables = {"s": {"communityKey": HOME["community"]}} if "$s" in query else {}
        body = await post(mx_client, auth(token, mx_settings), query, variables)
        missing = next((c for c in needs if not may(token.role, c)), None)
        messages = [e["message"] for e in body.get("errors") or ()]
        refusals = [m for m in messages if "may not do this" in m]
        if missing is not None:
            if not (refusals and f"({missing})" in refusals[0]):
                wrong.append((token.label, f"expected a refusal naming {missing}", messages))
        elif refusals or (messages and call != "acceptMatches(pairings)"):
            wrong.append((token.label, "expected to be allowed", messages))
        elif call == "acceptMatches(pairings)" and not any("not a proposal id" in m for m in messages):
            wrong.append((token.label, "expected the proposal id to be judged, not the caller", messages))
    assert not wrong, wrong
