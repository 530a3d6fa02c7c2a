"""The matching engine: the most needs met and, among those, the least total cost, by min-cost flow.

:func:`match` solves the assignment that :mod:`graph_api.domain.matching` defines pair by pair
(``terms(demand, supply, options)``; ``None`` means the pair is not allowed): every demand gets
at most one supply, a supply takes at most ``capacity`` demands, the number of demands matched is
maximal and, among the assignments that reach it, the sum of ``terms(...).total`` is minimal.

The network (networkx ``network_simplex``, integer capacities and costs)
--------------------------------------------------------------------------
A plain bipartite graph of all allowed pairs would hold tens of millions of edges, so the flow
is routed through the grid tree instead, where a pair's cost is decided:

- *Grid tree.* Every path (nearest grid up to the community) is read from the community down
  and interned in a trie; two paths share exactly the trie nodes of their common prefix, so the
  lowest common ancestor at depth ``k`` gives the distance level ``LEVELS[5 - k]``, as
  :func:`~graph_api.domain.matching.distance_level` computes it.
- *Fit channels.* What decides the fit is reduced to channels: a resource of category ``K``
  offers ``(K, item)`` for each item it names and ``(K, no item)``, or ``(K, any)`` when it names
  none; a member offers ``(member, item)`` (projects) or ``(item)`` and ``(any)`` (pairings). A
  demand class (need category and item; a household's wanted items) enters the channels it may
  use, each with a fit cost. At build time every (demand class, supply class) pair is checked
  against :func:`~graph_api.domain.matching.fit`: the cheapest shared channel must cost exactly
  ``FIT_COST[fit(...)]`` and no channel may be shared when ``fit`` is ``None``; a supply class
  that fails the check (a future rule the channels do not know) gets a private channel priced
  by ``fit`` itself, so the network stays exact whatever the rules say.
- *Up and down.* Per demand class, up-nodes over the trie ancestors of its demands' grids (0-cost
  edges upwards); per channel, down-nodes over the ancestors of its supplies' grids (0-cost edges
  downwards). At a grid ``v`` at allowed distance a switch edge goes from the class's up-node to
  the channel's down-node with cost ``DISTANCE_COST[level(v)] + fit cost``. Any route passes
  through a common ancestor of its two ends, and costs at least the true cost of that pair
  (higher ancestors only cost more); the route through the lowest common ancestor costs exactly
  the pair's terms. Switches that no pair needs (both sides below the same single child) are not
  built, and nodes without switches are contracted into their neighbours.
- *Another community of the same street.* When ``max_distance`` is STREET, a street layer joins
  demands and supplies of the same street at cost ``DISTANCE_COST["STREET"] + fit``: with
  ``cross_community`` per street, without it per (street, the demand's community) and only to
  supplies whose ``serves_communities`` hold that community.
- *Ends.* Source -> one node per urgency (cost ``urgency - BIG``) -> the demands' entry nodes
  (capacity = how many demands enter there), supply -> sink (capacity, cost = the load term in
  pairings), and a 0-cost source -> sink bypass for the demands left unmatched. ``BIG``
  exceeds the cost of any whole assignment, so one more demand met always beats any saving in
  cost: the optimum meets the most demands and, among those, costs the least.

Demands with the same class, grid, street/community and urgency, and supplies with the same
class, grid, street, served communities and load, are merged into one node each; the street
(or, below STREET distance, the community) splits the problem into independent components, each
solved on its own.

Ties (equal-cost optima) are broken deterministically: demands and supplies are sorted by
``(id, kind)`` before anything is built and every structure is built in that order, so network
simplex meets the same graph (and returns the same flow) for the same input in any order; among
demands the network cannot tell apart the earlier id is met first, within merged supplies
capacity is used in id order, and the flow is decomposed into pairs following the edges in the
order they were built. Each proposal carries ``terms(demand, supply, options)`` recomputed for
the pair chosen.

Unmatched demands are explained per demand class, not pair by pair: the supplies that fit
(``fit`` asked once per pair of classes) are the candidates, and whether any of them can reach the
demand is looked up in sets of their grids at the farthest allowed depth and of their streets
(or street and served community). Paths of more than five grids are refused (``ValueError``):
the distance levels cannot name them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Hashable

import networkx as nx

from graph_api.domain.matching import (
    BELOW_MINIMUM_BONUS,
    CARE_ITEM,
    DISTANCE_COST,
    FIT_COST,
    LEVELS,
    MEMBER_ITEMS,
    MEMBER_NEED_CATEGORIES,
    SERVES,
    URGENCY_COST,
    Demand,
    MatchingInput,
    MatchOptions,
    MatchResult,
    Proposal,
    Supply,
    Unmatched,
    fit,
    proposal_id,
    terms,
)

#: the deepest path the distance levels can name (unit, building, complex, area, community)
MAX_PATH = len(LEVELS) - 1
#: the dearest route any one pair can take through the network
MAX_PAIR_COST = (max(DISTANCE_COST.values()) + max(FIT_COST.values()) + max(URGENCY_COST.values())
                 + BELOW_MINIMUM_BONUS)

Channel = tuple[Hashable, ...]


def _sort_key(x: Demand | Supply) -> tuple[str, str]:
    return (x.id, x.kind)


# --- the grid trie ---------------------------------------------------------------------------


class _Trie:
    """Paths read from the community down; node ids are ints, depth 1 = the path's last grid."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.depth: list[int] = []
        self.index: dict[tuple[int, str], int] = {}

    def node(self, path: tuple[str, ...]) -> int | None:
        at = -1
        for grid in reversed(path):
            key = (at, grid)
            found = self.index.get(key)
            if found is None:
                found = len(self.parent)
                self.index[key] = found
                self.parent.append(at)
                self.depth.append(1 if at < 0 else self.depth[at] + 1)
            at = found
        return None if at < 0 else at

    def ancestor(self, node: int, depth: int) -> int:
        while self.depth[node] > depth:
            node = self.parent[node]
        return node

    def top(self, node: int | None) -> int | None:
        return None if node is None else self.ancestor(node, 1)


# --- fit classes and channels ----------------------------------------------------------------


def _demand_key(d: Demand, options: MatchOptions) -> Hashable:
    """What ``fit`` reads of a demand."""
    if options.mode == "pairings":
        return tuple(sorted({CARE_ITEM[c] for c in d.care if c in CARE_ITEM}))
    return (d.category, d.item)


def _supply_key(s: Supply) -> Hashable:
    """What ``fit`` reads of a supply (item order and repeats do not matter to it)."""
    return (s.kind, s.category, tuple(sorted(set(s.items))))


def _supply_channels(s: Supply, options: MatchOptions) -> list[Channel]:
    items = sorted(set(s.items))
    if options.mode == "pairings":
        return [("P", 0, i) for i in items] + [("P", 1)] if s.kind == "Member" else []
    if s.kind == "Member":
        return [("M", i) for i in items]
    if items:
        return [("R", s.category, 0, i) for i in items] + [("R", s.category, 1)]
    return [("R", s.category, 2)]


def _demand_channels(d: Demand, options: MatchOptions) -> dict[Channel, int]:
    """Channel -> fit cost."""
    out: dict[Channel, int] = {}
    if options.mode == "pairings":
        for item in _demand_key(d, options):  # type: ignore[union-attr]
            out[("P", 0, item)] = FIT_COST["ITEM"]
        out[("P", 1)] = FIT_COST["CATEGORY"]
        return out
    allowed = SERVES.get(d.category or "", ())
    for rank, cat in enumerate(allowed):
        general = FIT_COST["CATEGORY" if rank == 0 else "SECONDARY"]
        if d.item is not None:
            out[("R", cat, 0, d.item)] = FIT_COST["ITEM"]
        else:
            out[("R", cat, 1)] = general
        out[("R", cat, 2)] = general
    if d.category in MEMBER_NEED_CATEGORIES and d.item in MEMBER_ITEMS:
        out[("M", d.item)] = FIT_COST["ITEM"]
    return out


@dataclass
class _Classes:
    """Demand classes, supply classes, the fit of every pair of them, and their channels."""

    demand_class: list[int]  # per demand (sorted order)
    supply_class: list[int]  # per supply
    demand_reps: list[Demand]
    supply_reps: list[Supply]
    fits: list[list[str | None]]  # [demand class][supply class]
    demand_channels: list[list[tuple[Channel, int]]]  # per demand class: (channel, fit cost)
    supply_channels: list[list[Channel]]  # per supply class
    private: list[int] = field(default_factory=list)  # supply classes priced by `fit` directly


def _classes(demands: list[Demand], supplies: list[Supply], options: MatchOptions) -> _Classes:
    dkeys: dict[Hashable, int] = {}
    skeys: dict[Hashable, int] = {}
    dreps: list[Demand] = []
    sreps: list[Supply] = []
    dclass = []
    for d in demands:
        k = _demand_key(d, options)
        if k not in dkeys:
            dkeys[k] = len(dreps)
            dreps.append(d)
        dclass.append(dkeys[k])
    sclass = []
    for s in supplies:
        k = _supply_key(s)
        if k not in skeys:
            skeys[k] = len(sreps)
            sreps.append(s)
        sclass.append(skeys[k])
    fits = [[fit(d, s, options) for s in sreps] for d in dreps]
    dchan = [_demand_channels(d, options) for d in dreps]
    schan = [_supply_channels(s, options) for s in sreps]
    private = []
    for j in range(len(sreps)):
        for i in range(len(dreps)):
            costs = [dchan[i][c] for c in schan[j] if c in dchan[i]]
            how = fits[i][j]
            if (min(costs) if costs else None) != (None if how is None else FIT_COST[how]):
                private.append(j)
                break
    for j in private:  # a supply class the channels do not describe: price it by `fit` itself
        schan[j] = [("X", j)]
        for i in range(len(dreps)):
            how = fits[i][j]
            if how is not None:
                dchan[i][("X", j)] = FIT_COST[how]
    return _Classes(dclass, sclass, dreps, sreps, fits, [list(c.items()) for c in dchan], schan, private)


# --- one component's network -----------------------------------------------------------------


@dataclass
class _Group:
    """Demands the network cannot tell apart before contraction."""

    cls: int
    tnode: int | None
    street_key: tuple | None  # (street,) or (street, community) when the street layer applies
    urgency: int
    demands: list[int] = field(default_factory=list)


@dataclass
class _Agg:
    """Supplies that are interchangeable: same class, grid, street, served communities, load."""

    cls: int
    tnode: int | None
    street: str | None
    serves: frozenset | None
    load: int
    supplies: list[tuple[int, int]] = field(default_factory=list)  # (supply index, capacity), by id
    capacity: int = 0


class _Network:
    """Nodes by key (0 = source, 1 = sink) and edges in the order they are built."""

    def __init__(self) -> None:
        self.count = 2
        self.ids: dict[Hashable, int] = {}
        self.edges: dict[tuple[int, int], list] = {}  # (u, v) -> [cost, capacity or None]

    def node(self, key: Hashable) -> int:
        got = self.ids.get(key)
        if got is None:
            got = self.ids[key] = self.count
            self.count += 1
        return got

    def edge(self, u: int, v: int, cost: int, capacity: int | None = None) -> None:
        self.edges[(u, v)] = [cost, capacity]

    def graph(self, supply: int) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_node(0, demand=-supply)
        g.add_node(1, demand=supply)
        g.add_edges_from((u, v, {"weight": cost} if cap is None else {"weight": cost, "capacity": cap})
                         for (u, v), (cost, cap) in self.edges.items())
        return g


@dataclass
class _Context:
    options: MatchOptions
    trie: _Trie
    classes: _Classes
    allowed: list[bool]  # per trie depth: switching there is within max_distance
    depth_cost: list[int]
    street_layer: bool


def _solve(groups: list[_Group], aggs: list[_Agg], ctx: _Context, timing: dict[str, float]) -> list[tuple[int, int]]:
    """(demand index, supply index) pairs of an optimal assignment of one component."""
    t0 = time.perf_counter()
    trie, cl = ctx.trie, ctx.classes
    parent, depth = trie.parent, trie.depth
    net = _Network()
    cross = ctx.options.cross_community

    # up-trees per demand class: (cls, v) -> children (ordered); groups at v counted separately
    up: dict[tuple[int, int], dict[int, None]] = {}
    up_self: dict[tuple[int, int], int] = {}
    for g in groups:
        if g.tnode is None:
            continue
        up_self[(g.cls, g.tnode)] = up_self.get((g.cls, g.tnode), 0) + 1
        v, child = g.tnode, -1
        while v >= 0:
            info = up.get((g.cls, v))
            fresh = info is None
            if info is None:
                info = up[(g.cls, v)] = {}
            if child >= 0:
                info[child] = None
            if not fresh:
                break
            child, v = v, parent[v]
    # down-trees per channel: (channel, v) -> children; aggregates at v
    down: dict[tuple[Channel, int], dict[int, None]] = {}
    down_self: dict[tuple[Channel, int], list[int]] = {}
    for a_index, a in enumerate(aggs):
        if a.tnode is None:
            continue
        for ch in cl.supply_channels[a.cls]:
            down_self.setdefault((ch, a.tnode), []).append(a_index)
            v, child = a.tnode, -1
            while v >= 0:
                info = down.get((ch, v))
                fresh = info is None
                if info is None:
                    info = down[(ch, v)] = {}
                if child >= 0:
                    info[child] = None
                if not fresh:
                    break
                child, v = v, parent[v]

    # switches in the tree: the ones some pair needs (its lowest common ancestor is v)
    useful: dict[int, dict[int, list[tuple[Channel, int]]]] = {}  # v -> class -> (channel, fit cost)
    for (c, v), children in up.items():
        if not ctx.allowed[depth[v]]:
            continue
        for ch, fc in cl.demand_channels[c]:
            dchildren = down.get((ch, v))
            if dchildren is None:
                continue
            if ((c, v) not in up_self and (ch, v) not in down_self and len(children) == 1
                    and children.keys() == dchildren.keys()):
                continue  # every pair below meets lower down, more cheaply
            useful.setdefault(v, {}).setdefault(c, []).append((ch, fc))
    switches: list[tuple[tuple, tuple, int]] = []
    up_kept: dict[tuple[int, int], None] = {}
    down_kept: dict[tuple[Channel, int], None] = {}
    for v, by_class in useful.items():
        dist = ctx.depth_cost[depth[v]]
        for c, chans in by_class.items():
            up_kept[(c, v)] = None
            for ch, fc in chans:
                switches.append((("U", c, v), ("D", ch, v), dist + fc))
                down_kept[(ch, v)] = None

    # the street layer
    street_cost = DISTANCE_COST["STREET"]
    sup_attach: dict[tuple[int, int], tuple] = {}  # up top -> street key, when all its groups share it
    group_street: dict[int, tuple] = {}  # group -> street key, when it joins the layer on its own
    street_switches: list[tuple[tuple, tuple, int]] = []
    dst_targets: dict[tuple, list[int]] = {}  # (channel, key) -> aggregates
    dst_attach: dict[tuple[Channel, int], tuple] = {}  # down top -> (channel, key) in cross mode
    if ctx.street_layer:
        tops_of_key: dict[tuple, dict[int | None, None]] = {}
        top_keys: dict[tuple[int, int], dict[tuple | None, None]] = {}
        for g in groups:
            top = trie.top(g.tnode)
            if g.street_key is not None:
                tops_of_key.setdefault(g.street_key, {})[top] = None
            if top is not None:
                top_keys.setdefault((g.cls, top), {})[g.street_key] = None
        # supply side
        if cross:
            agg_top_streets: dict[tuple[Channel, int], dict[str | None, None]] = {}
            for a in aggs:
                top = trie.top(a.tnode)
                if top is not None:
                    for ch in cl.supply_channels[a.cls]:
                        agg_top_streets.setdefault((ch, top), {})[a.street] = None
            for a_index, a in enumerate(aggs):
                if a.street is None:
                    continue
                top = trie.top(a.tnode)
                for ch in cl.supply_channels[a.cls]:
                    streets = agg_top_streets.get((ch, top)) if top is not None else None
                    if streets is not None and list(streets) == [a.street]:
                        dst_attach[(ch, top)] = (ch, (a.street,))  # the whole top joins at once
                    else:
                        dst_targets.setdefault((ch, (a.street,)), []).append(a_index)
            for (ch, top), key in dst_attach.items():
                dst_targets.setdefault(key, [])
        else:
            for a_index, a in enumerate(aggs):
                if a.street is None or not a.serves:
                    continue
                top = trie.top(a.tnode)
                for community in sorted(a.serves, key=str):
                    key = (a.street, community)
                    tops = tops_of_key.get(key)
                    if tops is None or (top is not None and list(tops) == [top]):
                        continue  # no demand there, or they all meet this supply within the community
                    for ch in cl.supply_channels[a.cls]:
                        dst_targets.setdefault((ch, key), []).append(a_index)
        # supply tops reached by each street entry, to drop switches no pair needs
        dst_tops: dict[tuple, dict[int | None, None]] = {}
        for k, targets in dst_targets.items():
            dst_tops[k] = {trie.top(aggs[i].tnode): None for i in targets}
        for (ch, top), k in dst_attach.items():
            dst_tops[k][top] = None
        # demand side
        sup_keys: dict[tuple[int, tuple], None] = {}
        for g_index, g in enumerate(groups):
            if g.street_key is None:
                continue
            top = trie.top(g.tnode)
            if top is not None and list(top_keys[(g.cls, top)]) == [g.street_key]:
                sup_attach[(g.cls, top)] = g.street_key
            else:
                group_street[g_index] = g.street_key
            sup_keys[(g.cls, g.street_key)] = None
        sup_tops: dict[tuple[int, tuple], dict[int | None, None]] = {}
        for g in groups:
            if g.street_key is not None:
                sup_tops.setdefault((g.cls, g.street_key), {})[trie.top(g.tnode)] = None
        for c, key in sup_keys:
            for ch, fc in cl.demand_channels[c]:
                if (ch, key) not in dst_targets:
                    continue
                a_tops, b_tops = sup_tops[(c, key)], dst_tops[(ch, key)]
                if len(a_tops) == 1 and a_tops.keys() == b_tops.keys() and None not in a_tops:
                    continue  # one community on both sides: the tree serves them more cheaply
                street_switches.append(((c, key), (ch, key), street_cost + fc))
        live_sup = {a for a, _, _ in street_switches}
        live_dst = {b for _, b, _ in street_switches}
        sup_attach = {k: key for k, key in sup_attach.items() if (k[0], key) in live_sup}
        group_street = {i: key for i, key in group_street.items() if (groups[i].cls, key) in live_sup}
        dst_attach = {k: key for k, key in dst_attach.items() if key in live_dst}
        dst_targets = {k: targets for k, targets in dst_targets.items() if k in live_dst}
        for k in sup_attach:
            up_kept[k] = None
        for k in dst_attach:
            down_kept[k] = None

    # up-nodes: kept ones only; the others forward to their nearest kept ancestor
    rep_memo: dict[tuple[int, int], int | None] = {}

    def up_rep(c: int, v: int) -> int | None:
        chain = []
        found: int | None = None
        while v >= 0:
            k = (c, v)
            if k in rep_memo:
                found = rep_memo[k]
                break
            if k in up_kept:
                found = net.node(("U", c, v))
                rep_memo[k] = found
                break
            chain.append(k)
            v = parent[v]
        for k in chain:
            rep_memo[k] = found
        return found

    # down-nodes: kept ones only; the others are flattened into the edges of their kept ancestor
    def frontier(ch: Channel, v: int, out: list[int]) -> None:
        for a_index in down_self.get((ch, v), ()):
            out.append(net.node(("A", a_index)))
        for child in down[(ch, v)]:
            if (ch, child) in down_kept:
                out.append(net.node(("D", ch, child)))
            else:
                frontier(ch, child, out)

    # source side: entries (targets, urgency) -> demands
    n_total = sum(len(g.demands) for g in groups)
    big = n_total * MAX_PAIR_COST + 1
    entries: dict[tuple[tuple[int, ...], int], list[int]] = {}
    for g_index, g in enumerate(groups):
        targets: list[int] = []
        if g.tnode is not None:
            r = up_rep(g.cls, g.tnode)
            if r is not None:
                targets.append(r)
        if g_index in group_street:
            targets.append(net.node(("S", g.cls, group_street[g_index])))
        if targets:
            entries.setdefault((tuple(targets), g.urgency), []).extend(g.demands)

    # source side: one node per urgency (cost urgency - BIG), then one edge per entry
    entry_edges: list[tuple[int, int, list[int]]] = []  # (urgency node, entry node, demands)
    urgency_total: dict[int, int] = {}
    for (targets, urgency), members in entries.items():
        members.sort()
        ur = net.node(("R", urgency))
        urgency_total[urgency] = urgency_total.get(urgency, 0) + len(members)
        if len(targets) == 1:
            entry = targets[0]
        else:
            entry = net.node(("E", targets))
            for t in targets:
                net.edge(entry, t, 0)
        net.edge(ur, entry, 0, len(members))  # entries are keyed by (targets, urgency): never twice
        entry_edges.append((ur, entry, members))
    for urgency, total in urgency_total.items():
        net.edge(0, net.node(("R", urgency)), urgency - big, total)
    net.edge(0, 1, 0, n_total)  # demands left unmatched
    # up edges
    for (c, v) in up_kept:
        u = net.node(("U", c, v))
        if parent[v] >= 0:
            r = up_rep(c, parent[v])
            if r is not None:
                net.edge(u, r, 0)
    for (c, top), key in sup_attach.items():
        net.edge(net.node(("U", c, top)), net.node(("S", c, key)), 0)
    # switches
    for a, b, cost in switches:
        net.edge(net.node(a), net.node(b), cost)
    for a, b, cost in street_switches:
        net.edge(net.node(("S",) + a), net.node(("T",) + b), cost)
    # down edges
    for (ch, v) in down_kept:
        u = net.node(("D", ch, v))
        targets = []
        frontier(ch, v, targets)
        for t in targets:
            net.edge(u, t, 0)
    for k, targets in dst_targets.items():
        u = net.node(("T",) + k)
        for a_index in targets:
            net.edge(u, net.node(("A", a_index)), 0)
    for (ch, top), key in dst_attach.items():
        net.edge(net.node(("T",) + key), net.node(("D", ch, top)), 0)
    # sink side: an aggregate reached by one edge only is folded into it (X -> A -> sink becomes X -> sink)
    agg_at: dict[int, int] = {}  # the node whose edge to the sink carries an aggregate -> aggregate
    reached: dict[int, list[int]] = {}
    for (u, v) in net.edges:
        reached.setdefault(v, []).append(u)
    for a_index, a in enumerate(aggs):
        node = net.ids.get(("A", a_index))
        if node is None:
            continue
        sources = reached.get(node, [])
        if len(sources) == 1 and (sources[0], 1) not in net.edges and sources[0] not in agg_at:
            x = sources[0]
            del net.edges[(x, node)]
            net.edge(x, 1, a.load, a.capacity)
            agg_at[x] = a_index
        else:
            net.edge(node, 1, a.load, a.capacity)
            agg_at[node] = a_index
    graph = net.graph(n_total)
    timing["build"] += time.perf_counter() - t0
    timing["edges"] += graph.number_of_edges()
    timing["nodes"] += graph.number_of_nodes()

    t0 = time.perf_counter()
    _, flow = nx.network_simplex(graph)
    timing["solve"] += time.perf_counter() - t0

    # decompose into pairs, following the edges in the order they were built
    t0 = time.perf_counter()
    left = {i: [[s, cap] for s, cap in aggs[i].supplies] for i in agg_at.values()}
    pairs: list[tuple[int, int]] = []
    for ur, entry, members in entry_edges:
        f = flow[ur][entry]
        flow[ur][entry] = 0
        for d_index in members[:f]:
            cur = entry
            while True:
                out = flow[cur]
                if cur in agg_at and out[1] > 0:  # this node's aggregate takes it
                    out[1] -= 1
                    break
                for nxt, amount in out.items():
                    if amount > 0 and nxt != 1:
                        out[nxt] = amount - 1
                        cur = nxt
                        break
                else:  # pragma: no cover - flow conservation makes this impossible
                    raise AssertionError("flow decomposition lost its way")
            slots = left[agg_at[cur]]
            while slots[0][1] == 0:
                slots.pop(0)
            slots[0][1] -= 1
            pairs.append((d_index, slots[0][0]))
    timing["decompose"] += time.perf_counter() - t0
    return pairs


# --- explanations ----------------------------------------------------------------------------


def _unmatched(demands: list[Demand], supplies: list[Supply], left: list[int], ctx: _Context,
               snodes: list[int | None], dnodes: list[int | None]) -> list[Unmatched]:
    """Why each demand in ``left`` stayed unmatched, by demand class rather than pair by pair."""
    cl, trie, options = ctx.classes, ctx.trie, ctx.options
    by_class: dict[int, list[int]] = {}
    for j, c in enumerate(cl.supply_class):
        by_class.setdefault(c, []).append(j)
    k_min = next(k for k in range(1, len(ctx.allowed)) if ctx.allowed[k]) if any(ctx.allowed) else None
    index: dict[int, tuple[int, set, set]] = {}

    def reach_index(c: int) -> tuple[int, set, set]:
        got = index.get(c)
        if got is None:
            fitting = [j for sc, js in by_class.items() if cl.fits[c][sc] is not None for j in js]
            prefixes: set[int] = set()
            streets: set = set()
            if k_min is not None:
                for j in fitting:
                    t = snodes[j]
                    if t is not None and trie.depth[t] >= k_min:
                        prefixes.add(trie.ancestor(t, k_min))
            if ctx.street_layer:
                for j in fitting:
                    s = supplies[j]
                    if s.street_id is None:
                        continue
                    if options.cross_community:
                        streets.add(s.street_id)
                    else:
                        streets.update((s.street_id, x) for x in s.serves_communities)
            got = index[c] = (len(fitting), prefixes, streets)
        return got

    out = []
    for i in left:
        d = demands[i]
        count, prefixes, streets = reach_index(cl.demand_class[i])
        if count == 0:
            reason = "NO_RESOURCE_OF_CATEGORY"
        else:
            t = dnodes[i]
            near = (k_min is not None and t is not None and trie.depth[t] >= k_min
                    and trie.ancestor(t, k_min) in prefixes)
            far = d.street_id is not None and (
                (d.street_id if options.cross_community else (d.street_id, d.community_id)) in streets)
            reason = "CAPACITY_EXHAUSTED" if near or far else "BEYOND_DISTANCE_LIMIT"
        out.append(Unmatched(demand=d, reason=reason, candidates=count))
    return out


# --- the entry point -------------------------------------------------------------------------


def match(data: MatchingInput, options: MatchOptions, *, stats: dict[str, Any] | None = None) -> MatchResult:
    """The assignment with the most demands met and, among those, the least total cost.

    ``stats``, when given, receives the wall seconds of each phase (build, solve, decompose,
    explain), the network size and the number of components."""
    t_start = time.perf_counter()
    timing: dict[str, float] = {"classes": 0.0, "build": 0.0, "solve": 0.0, "decompose": 0.0, "explain": 0.0,
                                "edges": 0, "nodes": 0, "components": 0}
    demands = sorted(data.demands, key=_sort_key)
    supplies = sorted(data.supplies, key=_sort_key)
    for x in (*demands, *supplies):
        if len(x.path) > MAX_PATH:
            raise ValueError(f"{x.kind} {x.id}: a grid path names at most {MAX_PATH} grids, got {x.path!r}")
    # two paths sharing k grids from the top meet at level LEVELS[5 - k] (distance_level)
    max_index = LEVELS.index(options.max_distance)
    allowed = [False] + [len(LEVELS) - 1 - k <= max_index for k in range(1, MAX_PATH + 1)]
    depth_cost = [0] + [DISTANCE_COST[LEVELS[len(LEVELS) - 1 - k]] for k in range(1, MAX_PATH + 1)]
    street_layer = options.max_distance == "STREET"

    trie = _Trie()
    dnodes = [trie.node(d.path) for d in demands]
    snodes = [trie.node(s.path) for s in supplies]
    classes = _classes(demands, supplies, options)
    loads = [BELOW_MINIMUM_BONUS if options.mode == "pairings" and s.households >= options.min_households else 0
             for s in supplies]
    ctx = _Context(options, trie, classes, allowed, depth_cost, street_layer)
    timing["classes"] = time.perf_counter() - t_start

    # groups and aggregates, in sorted order
    t0 = time.perf_counter()
    groups: dict[tuple, _Group] = {}
    for i, d in enumerate(demands):
        c = classes.demand_class[i]
        if not classes.demand_channels[c]:
            continue
        street_key = None
        if street_layer and d.street_id is not None:
            street_key = (d.street_id,) if options.cross_community else (d.street_id, d.community_id)
        if dnodes[i] is None and street_key is None:
            continue
        urgency = URGENCY_COST.get(d.urgency, URGENCY_COST[None])
        key = (c, dnodes[i], street_key, urgency)
        if key not in groups:
            groups[key] = _Group(c, dnodes[i], street_key, urgency)
        groups[key].demands.append(i)
    aggs: dict[tuple, _Agg] = {}
    for j, s in enumerate(supplies):
        c = classes.supply_class[j]
        if s.capacity <= 0 or not classes.supply_channels[c]:
            continue
        street = s.street_id if street_layer else None
        serves = frozenset(s.serves_communities) if street_layer and not options.cross_community else None
        if snodes[j] is None and street is None:
            continue
        key = (c, snodes[j], street, serves, loads[j])
        if key not in aggs:
            aggs[key] = _Agg(c, snodes[j], street, serves, loads[j])
        aggs[key].supplies.append((j, s.capacity))
        aggs[key].capacity += s.capacity

    # independent components: joined by a community (the top of a path) or, at STREET distance, a street
    uf: dict[Hashable, Hashable] = {}

    def find(x: Hashable) -> Hashable:
        root = x
        while uf.setdefault(root, root) != root:
            root = uf[root]
        while uf[x] != root:
            uf[x], x = root, uf[x]
        return root

    def join(top: int | None, street: str | None) -> Hashable:
        keys = []
        if top is not None:
            keys.append(("top", top))
        if street is not None:
            keys.append(("street", street))
        first = find(keys[0])
        for k in keys[1:]:
            other = find(k)
            if other != first:
                uf[other] = first
        return keys[0]

    g_anchor = [join(trie.top(g.tnode), g.street_key[0] if g.street_key else None) for g in groups.values()]
    a_anchor = [join(trie.top(a.tnode), a.street) for a in aggs.values()]
    comp_groups: dict[Hashable, list[_Group]] = {}
    comp_aggs: dict[Hashable, list[_Agg]] = {}
    for g, k in zip(groups.values(), g_anchor):
        comp_groups.setdefault(find(k), []).append(g)
    for a, k in zip(aggs.values(), a_anchor):
        comp_aggs.setdefault(find(k), []).append(a)
    timing["build"] += time.perf_counter() - t0

    pairs: list[tuple[int, int]] = []
    for root, gs in comp_groups.items():
        ags = comp_aggs.get(root)
        if not ags:
            continue
        timing["components"] += 1
        pairs.extend(_solve(gs, ags, ctx, timing))

    t0 = time.perf_counter()
    pairs.sort()
    proposals = []
    for i, j in pairs:
        d, s = demands[i], supplies[j]
        t = terms(d, s, options)
        if t is None:  # pragma: no cover - the network only routes allowed pairs
            raise AssertionError(f"the engine proposed a pair the rules refuse: {d.id} / {s.id}")
        proposals.append(Proposal(id=proposal_id(options.mode, d, s), mode=options.mode, demand=d, supply=s, terms=t))
    matched = {i for i, _ in pairs}
    unmatched = _unmatched(demands, supplies, [i for i in range(len(demands)) if i not in matched], ctx, snodes, dnodes)
    timing["explain"] = time.perf_counter() - t0
    timing["total"] = time.perf_counter() - t_start
    if stats is not None:
        stats.update(timing)
    return MatchResult(mode=options.mode, as_of=data.as_of, proposals=proposals, unmatched=unmatched)
