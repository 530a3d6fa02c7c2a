"""The matching engine against the pairwise rules: exhaustive search on small random instances,
hand-written cases with exact proposals, and determinism.

The rules (``fit``, ``reach``, ``terms``) are the specification; the engine routes flow through
the grid tree, so these tests prove it equal to the plain pairwise model."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_api.domain.matching import (
    CARE_ITEM,
    LEVELS,
    MEMBER_ITEMS,
    SERVES,
    Demand,
    MatchingInput,
    MatchOptions,
    MatchResult,
    Supply,
    fit,
    proposal_id,
    reach,
    terms,
)
from graph_api.matching import engine
from graph_api.matching.engine import match

AS_OF = dt.date(2024, 6, 30)
#: examples of the exhaustive comparison (MATCH_EXAMPLES=20000 for a deeper run: about 4.5 min)
EXAMPLES = int(os.environ.get("MATCH_EXAMPLES", "1000"))
SETTINGS = dict(deadline=None, database=None,  # no .hypothesis folder; failures print a reproduce blob
                print_blob=True, suppress_health_check=[HealthCheck.too_slow])
NEED_CATEGORIES = sorted(SERVES)
RESOURCE_CATEGORIES = sorted({c for cats in SERVES.values() for c in cats})
ITEMS = (*MEMBER_ITEMS, "CONVENIENCE")
URGENCIES = ("URGENT", "HIGH", "NORMAL", "LOW", None)
CARES = sorted(CARE_ITEM)

# --- a small grid tree: 2 streets x 2 communities x 2 areas x 2 complexes x 2 buildings x 2 units --

STREETS = ("S1", "S2")
COMMUNITIES = {f"{s}C{c}": s for s in STREETS for c in (1, 2)}


def full_path(community: str, a: int, c: int, b: int, u: int) -> tuple[str, ...]:
    """Unit up to community."""
    area = f"{community}A{a}"
    cpx = f"{area}X{c}"
    bld = f"{cpx}B{b}"
    return (f"{bld}U{u}", bld, cpx, area, community)


@st.composite
def places(draw: st.DrawFn, communities: list[str]) -> tuple[tuple[str, ...], str | None, str | None]:
    """(path, community id, street id): mostly full unit paths, some raised at a grid, a few
    cut by a scope at the top or empty, and now and then a missing community or street."""
    community = draw(st.sampled_from(communities))
    path = full_path(community, *(draw(st.integers(1, 2)) for _ in range(4)))
    shape = draw(st.sampled_from(["unit"] * 6 + ["grid"] * 3 + ["cut", "empty"]))
    if shape == "grid":
        path = path[draw(st.integers(1, 4)):]
    elif shape == "cut":
        start = draw(st.integers(0, 3))
        path = path[start:draw(st.integers(start + 1, 4))]
    elif shape == "empty":
        path = ()
    street = COMMUNITIES[community] if draw(st.integers(0, 9)) else draw(st.sampled_from([None, *STREETS]))
    comm = community if draw(st.integers(0, 9)) else None
    return path, comm, street


@st.composite
def demands(draw: st.DrawFn, n: int, mode: str, communities: list[str], categories: list[str]) -> list[Demand]:
    out = []
    for i in range(n):
        path, comm, street = draw(places(communities))
        if mode == "projects":
            out.append(Demand(kind="Need", id=f"N{i:02d}", label=f"need {i}", community_id=comm, street_id=street,
                              path=path, category=draw(st.sampled_from([*categories, *categories, None])),
                              item=draw(st.sampled_from([*ITEMS, None, None])),
                              urgency=draw(st.sampled_from(URGENCIES))))
        else:
            out.append(Demand(kind="Household", id=f"H{i:02d}", label=f"household {i}", community_id=comm,
                              street_id=street, path=path,
                              care=tuple(draw(st.lists(st.sampled_from(CARES), max_size=2)))))
    return out


@st.composite
def supplies(draw: st.DrawFn, n: int, mode: str, communities: list[str], categories: list[str]) -> list[Supply]:
    usual = sorted({c for need in categories for c in SERVES[need]})
    out = []
    for j in range(n):
        path, comm, street = draw(places(communities))
        kind = "Member" if mode == "pairings" or draw(st.booleans()) else "Resource"
        items = tuple(draw(st.lists(st.sampled_from(ITEMS if kind == "Resource" else MEMBER_ITEMS), max_size=2)))
        serves = tuple(draw(st.lists(st.sampled_from(sorted(COMMUNITIES)), max_size=2, unique=True)))
        out.append(Supply(kind=kind, id=f"{kind[0]}{j:02d}", label=f"{kind} {j}", community_id=comm,
                          street_id=street, path=path, capacity=draw(st.sampled_from([0, 1, 1, 2, 3])),
                          category=draw(st.sampled_from([*usual, *usual, *RESOURCE_CATEGORIES]))
                          if kind == "Resource" else None,
                          items=items, serves_communities=serves, households=draw(st.integers(0, 7))))
    return out


@st.composite
def instances(draw: st.DrawFn, max_demands: int = 7, max_supplies: int = 4) -> tuple[MatchingInput, MatchOptions]:
    """Dense enough that most instances match something: a few communities, a few need categories
    and resources mostly of the categories that serve them, distances mostly wide."""
    mode = draw(st.sampled_from(["projects", "pairings"]))
    options = MatchOptions(mode=mode, cross_community=draw(st.booleans()),
                           max_distance=draw(st.sampled_from([*LEVELS, "STREET", "STREET", "COMMUNITY"])),
                           min_households=draw(st.integers(3, 6)), as_of=AS_OF)
    communities = draw(st.lists(st.sampled_from(sorted(COMMUNITIES)), min_size=1, max_size=3, unique=True))
    categories = draw(st.lists(st.sampled_from(NEED_CATEGORIES), min_size=1, max_size=2, unique=True))
    n_demands = draw(st.sampled_from([*range(max_demands + 1), max_demands, max_demands]))
    n_supplies = draw(st.sampled_from([*range(max_supplies + 1), max_supplies, max_supplies - 1]))
    data = MatchingInput(as_of=AS_OF, demands=draw(demands(n_demands, mode, communities, categories)),
                         supplies=draw(supplies(n_supplies, mode, communities, categories)))
    return data, options


# --- the pairwise model, searched exhaustively ------------------------------------------------


def best(data: MatchingInput, options: MatchOptions) -> tuple[int, int]:
    """(most demands matched, least total cost among those), over every assignment."""
    allowed = [[(j, t.total) for j, s in enumerate(data.supplies) if (t := terms(d, s, options)) is not None]
               for d in data.demands]

    @lru_cache(maxsize=None)
    def go(i: int, left: tuple[int, ...]) -> tuple[int, int]:  # (-count, cost), minimised
        if i == len(data.demands):
            return (0, 0)
        result = go(i + 1, left)  # demand i unmatched
        for j, cost in allowed[i]:
            if left[j] > 0:
                rest = go(i + 1, left[:j] + (left[j] - 1,) + left[j + 1:])
                result = min(result, (rest[0] - 1, rest[1] + cost))
        return result

    count, cost = go(0, tuple(max(0, s.capacity) for s in data.supplies))
    return -count, cost


def expected_reason(d: Demand, data: MatchingInput, options: MatchOptions) -> tuple[str, int]:
    fitting = [s for s in data.supplies if fit(d, s, options) is not None]
    if not fitting:
        return "NO_RESOURCE_OF_CATEGORY", 0
    if all(reach(d, s, options) is None for s in fitting):
        return "BEYOND_DISTANCE_LIMIT", len(fitting)
    return "CAPACITY_EXHAUSTED", len(fitting)


def check_valid(result: MatchResult, data: MatchingInput, options: MatchOptions) -> None:
    used: dict[tuple[str, str], int] = {}
    seen: set[tuple[str, str]] = set()
    for p in result.proposals:
        key = (p.demand.kind, p.demand.id)
        assert key not in seen, "a demand matched twice"
        seen.add(key)
        t = terms(p.demand, p.supply, options)
        assert t is not None and t == p.terms
        assert p.id == proposal_id(options.mode, p.demand, p.supply) and p.mode == options.mode
        skey = (p.supply.kind, p.supply.id)
        used[skey] = used.get(skey, 0) + 1
        assert used[skey] <= p.supply.capacity, "capacity exceeded"
    left = [(d.kind, d.id) for d in data.demands if (d.kind, d.id) not in seen]
    assert [(u.demand.kind, u.demand.id) for u in result.unmatched] == sorted(left, key=lambda k: (k[1], k[0]))
    assert [p.demand.id for p in result.proposals] == sorted(p.demand.id for p in result.proposals)
    for u in result.unmatched:
        assert (u.reason, u.candidates) == expected_reason(u.demand, data, options), u.demand


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(instances())
def test_engine_equals_exhaustive_search(instance: tuple[MatchingInput, MatchOptions]) -> None:
    data, options = instance
    result = match(data, options)
    check_valid(result, data, options)
    assert (len(result.proposals), result.total_cost) == best(data, options)
    assert result.mode == options.mode and result.as_of == data.as_of


@settings(max_examples=max(10, EXAMPLES // 5), **SETTINGS)
@given(instances(max_demands=12, max_supplies=6))
def test_engine_equals_exhaustive_search_larger(instance: tuple[MatchingInput, MatchOptions]) -> None:
    data, options = instance
    result = match(data, options)
    check_valid(result, data, options)
    assert (len(result.proposals), result.total_cost) == best(data, options)


@settings(max_examples=max(10, EXAMPLES // 8), **SETTINGS)
@given(instances(), st.randoms(use_true_random=False))
def test_shuffled_input_gives_the_same_result(instance: tuple[MatchingInput, MatchOptions], rnd: random.Random) -> None:
    data, options = instance
    first = match(data, options)
    again = match(data, options)
    demands, supplies = list(data.demands), list(data.supplies)
    rnd.shuffle(demands)
    rnd.shuffle(supplies)
    shuffled = match(MatchingInput(as_of=data.as_of, demands=demands, supplies=supplies), options)
    assert first == again == shuffled


# --- hand-written cases -------------------------------------------------------------------------

P1 = full_path("S1C1", 1, 1, 1, 1)  # S1C1A1X1B1U1 ...
P1_NEIGHBOUR_UNIT = full_path("S1C1", 1, 1, 1, 2)
P1_OTHER_AREA = full_path("S1C1", 2, 1, 1, 1)
P2 = full_path("S1C2", 1, 1, 1, 1)  # another community of street S1
P3 = full_path("S2C1", 1, 1, 1, 1)  # another street


def need(id: str, path: tuple[str, ...], category: str = "GOODS", item: str | None = None,
         urgency: str | None = "NORMAL") -> Demand:
    return Demand(kind="Need", id=id, label=id, community_id=path[-1], street_id=COMMUNITIES[path[-1]], path=path,
                  category=category, item=item, urgency=urgency)


def resource(id: str, path: tuple[str, ...], category: str = "EQUIPMENT", capacity: int = 1,
             items: tuple[str, ...] = (), serves: tuple[str, ...] = ()) -> Supply:
    return Supply(kind="Resource", id=id, label=id, community_id=path[-1], street_id=COMMUNITIES[path[-1]],
                  path=path, capacity=capacity, category=category, items=items, serves_communities=serves)


def member(id: str, path: tuple[str, ...], items: tuple[str, ...] = (), capacity: int = 1,
           households: int = 0) -> Supply:
    return Supply(kind="Member", id=id, label=id, community_id=path[-1], street_id=COMMUNITIES[path[-1]], path=path,
                  capacity=capacity, items=items, serves_communities=(path[-1],), households=households)


def household(id: str, path: tuple[str, ...], care: tuple[str, ...] = ("NEEDY_FAMILY",)) -> Demand:
    return Demand(kind="Household", id=id, label=id, community_id=path[-1], street_id=COMMUNITIES[path[-1]],
                  path=path, care=care)


def run(demands: list[Demand], supplies: list[Supply], **options: object) -> MatchResult:
    return match(MatchingInput(as_of=AS_OF, demands=demands, supplies=supplies), MatchOptions(as_of=AS_OF, **options))


def pairs(result: MatchResult) -> list[tuple[str, str]]:
    return [(p.demand.id, p.supply.id) for p in result.proposals]


def reasons(result: MatchResult) -> dict[str, tuple[str, int]]:
    return {u.demand.id: (u.reason, u.candidates) for u in result.unmatched}


def test_nearest_resource_wins() -> None:
    result = run([need("N1", P1)], [resource("R-area", P1_OTHER_AREA), resource("R-unit", P1_NEIGHBOUR_UNIT),
                                    resource("R-community", P1[-1:])])
    assert pairs(result) == [("N1", "R-unit")]
    assert result.proposals[0].terms.level == "BUILDING" and result.total_cost == 10 + 15 + 10


def test_two_needs_share_out_two_resources_by_distance() -> None:
    # N1 is near R1 only, N2 could take either: the optimum gives R1 to N1 although N2 sorts later
    result = run([need("N1", P1_OTHER_AREA), need("N2", P1)],
                 [resource("R1", P1_OTHER_AREA), resource("R2", P1_NEIGHBOUR_UNIT)])
    assert pairs(result) == [("N1", "R1"), ("N2", "R2")]


def test_urgent_need_wins_scarce_capacity() -> None:
    result = run([need("N1", P1, urgency="LOW"), need("N2", P1_NEIGHBOUR_UNIT, urgency="URGENT")],
                 [resource("R1", P1)])
    assert pairs(result) == [("N2", "R1")]
    assert reasons(result) == {"N1": ("CAPACITY_EXHAUSTED", 1)}


def test_one_more_need_met_outweighs_cost() -> None:
    # R-near serves both; R-far serves only N1 (its item). Cheapest single choice would be N1+R-near,
    # but meeting both needs requires N1 -> R-far (dearer) and N2 -> R-near
    n1 = need("N1", P1, category="SERVICE", item="ELDERLY")
    n2 = need("N2", P1, category="SERVICE", item="STUDY")
    near = resource("R-near", P1, category="PUBLIC_SERVICE")
    far = resource("R-far", P1[-1:], category="SKILL", items=("ELDERLY",))
    result = run([n1, n2], [near, far])
    assert pairs(result) == [("N1", "R-far"), ("N2", "R-near")]


def test_unit_outside_its_big_committee_needs_cross_community() -> None:
    n = need("N1", P1)
    unit = resource("R1", P2, serves=("S1C2",))  # another community of the same street
    assert reasons(run([n], [unit])) == {"N1": ("BEYOND_DISTANCE_LIMIT", 1)}
    result = run([n], [unit], cross_community=True)
    assert pairs(result) == [("N1", "R1")] and result.proposals[0].terms.level == "STREET"
    # a unit whose big committee sits in the need's community serves it without cross-community help
    committee = resource("R2", P2, serves=("S1C1", "S1C2"))
    result = run([n], [unit, committee])
    assert pairs(result) == [("N1", "R2")] and result.proposals[0].terms.distance_cost == 80
    # never beyond the street
    assert reasons(run([n], [resource("R3", P3, serves=("S1C1",))], cross_community=True)) == {
        "N1": ("BEYOND_DISTANCE_LIMIT", 1)}


def test_max_distance() -> None:
    n = need("N1", P1)
    r = resource("R1", P1_OTHER_AREA)  # same community, another area
    assert pairs(run([n], [r], max_distance="COMMUNITY")) == [("N1", "R1")]
    assert reasons(run([n], [r], max_distance="AREA")) == {"N1": ("BEYOND_DISTANCE_LIMIT", 1)}
    assert pairs(run([n], [resource("R2", P1[1:])], max_distance="BUILDING")) == [("N1", "R2")]
    assert reasons(run([n], [resource("R2", P1[1:])], max_distance="STAIRWELL_UNIT")) == {
        "N1": ("BEYOND_DISTANCE_LIMIT", 1)}


def test_each_unmatched_reason() -> None:
    result = run([need("N-none", P1, category="TRAINING"), need("N-far", P1, category="HARDSHIP"),
                  need("N-full", P1, urgency="LOW"), need("N-met", P1, urgency="URGENT")],
                 [resource("R-goods", P1), resource("R-funds-far", P3, category="FUNDS")])
    # R-funds-far fits N-far, N-full and N-met (GOODS also takes FUNDS) but lies in another street;
    # nothing serves TRAINING; the urgent need takes the one unit of R-goods
    assert pairs(result) == [("N-met", "R-goods")]
    assert reasons(result) == {"N-none": ("NO_RESOURCE_OF_CATEGORY", 0), "N-far": ("BEYOND_DISTANCE_LIMIT", 1),
                               "N-full": ("CAPACITY_EXHAUSTED", 2)}


def test_capacity_zero_and_capacity_many() -> None:
    result = run([need(f"N{i}", P1) for i in range(4)],
                 [resource("R0", P1, capacity=0), resource("R3", P1, capacity=3)])
    assert pairs(result) == [("N0", "R3"), ("N1", "R3"), ("N2", "R3")]  # equal needs: the earlier ids first
    assert reasons(result) == {"N3": ("CAPACITY_EXHAUSTED", 2)}


def test_item_fit_beats_category_fit() -> None:
    n = need("N1", P1, category="SERVICE", item="ELDERLY")
    result = run([n], [resource("R-cat", P1, category="PUBLIC_SERVICE"),
                       resource("R-item", P1, category="SKILL", items=("ELDERLY",)),
                       resource("R-other-item", P1, category="PUBLIC_SERVICE", items=("STUDY",))])
    assert pairs(result) == [("N1", "R-item")] and result.proposals[0].terms.fit == "ITEM"
    # a member serves projects only through the service item it claimed
    result = run([n, need("N2", P1, category="SERVICE", item="STUDY")], [member("M1", P1, items=("ELDERLY",))])
    assert pairs(result) == [("N1", "M1")]
    assert reasons(result) == {"N2": ("NO_RESOURCE_OF_CATEGORY", 0)}


def test_pairings_prefer_members_below_minimum_and_with_the_item() -> None:
    h = household("H1", P1, care=("ELDERLY_ALONE",))
    busy_fit = member("M-busy", P1, items=("ELDERLY",), households=6)
    free_other = member("M-free", P1, items=("STUDY",), households=1)
    free_fit = member("M-free-fit", P1_OTHER_AREA, items=("ELDERLY",), households=2)
    # M-busy: 0 + 0 + 10 + 5 = 15; M-free: 0 + 15 + 10 = 25; M-free-fit: 40 + 0 + 10 = 50
    result = run([h], [busy_fit, free_other, free_fit], mode="pairings")
    assert pairs(result) == [("H1", "M-busy")] and result.total_cost == 15
    same_unit_free_fit = member("M-best", P1, items=("ELDERLY",), households=0)
    result = run([h], [busy_fit, free_other, same_unit_free_fit], mode="pairings")
    assert pairs(result) == [("H1", "M-best")] and result.total_cost == 10
    # the load term: at equal distance and fit the member below the minimum wins
    result = run([household("H2", P1)], [member("M-a", P1, households=5), member("M-b", P1, households=4)],
                 mode="pairings")
    assert pairs(result) == [("H2", "M-b")]
    # resources never pair with households
    assert reasons(run([h], [resource("R1", P1)], mode="pairings")) == {"H1": ("NO_RESOURCE_OF_CATEGORY", 0)}


def test_pairings_capacity_spreads_households() -> None:
    hs = [household(f"H{i}", P1) for i in range(3)]
    result = run(hs, [member("M1", P1, capacity=2), member("M2", P1_NEIGHBOUR_UNIT, capacity=2)], mode="pairings")
    assert len(result.proposals) == 3
    assert sorted(p.supply.id for p in result.proposals) == ["M1", "M1", "M2"]


def test_empty_inputs() -> None:
    assert run([], []).proposals == []
    result = run([need("N1", P1)], [])
    assert reasons(result) == {"N1": ("NO_RESOURCE_OF_CATEGORY", 0)}
    assert run([], [resource("R1", P1)]).unmatched == []


def test_paths_deeper_than_the_levels_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 5 grids"):
        run([need("N1", ("deep", *P1))], [resource("R1", P1)])


def test_deterministic_on_a_larger_instance() -> None:
    rnd = random.Random(7)
    communities = sorted(COMMUNITIES)
    ds = [need(f"N{i:03d}", full_path(rnd.choice(communities), *(rnd.randint(1, 2) for _ in range(4))),
               category=rnd.choice(NEED_CATEGORIES), item=rnd.choice([*ITEMS, None]), urgency=rnd.choice(URGENCIES))
          for i in range(150)]
    ss = [resource(f"R{j:03d}", full_path(rnd.choice(communities), *(rnd.randint(1, 2) for _ in range(4)))[
        rnd.randint(0, 4):], category=rnd.choice(RESOURCE_CATEGORIES), capacity=rnd.randint(0, 3),
                   serves=tuple(rnd.sample(communities, 1)))
          for j in range(40)]
    for options in (MatchOptions(as_of=AS_OF), MatchOptions(as_of=AS_OF, cross_community=True)):
        data = MatchingInput(as_of=AS_OF, demands=ds, supplies=ss)
        first = match(data, options)
        check_valid(first, data, options)
        assert (len(first.proposals), first.total_cost) == best_by_flow(data, options)
        for seed in range(3):
            r = random.Random(seed)
            d2, s2 = list(ds), list(ss)
            r.shuffle(d2)
            r.shuffle(s2)
            assert match(MatchingInput(as_of=AS_OF, demands=d2, supplies=s2), options) == first


def best_by_flow(data: MatchingInput, options: MatchOptions) -> tuple[int, int]:
    """The pairwise model solved by networkx on the plain bipartite graph (too big to search)."""
    import networkx as nx

    g = nx.DiGraph()
    for i, d in enumerate(data.demands):
        g.add_edge("s", ("d", i), capacity=1, weight=0)
        for j, s in enumerate(data.supplies):
            t = terms(d, s, options)
            if t is not None:
                g.add_edge(("d", i), ("s", j), capacity=1, weight=t.total)
    for j, s in enumerate(data.supplies):
        g.add_edge(("s", j), "t", capacity=max(0, s.capacity), weight=0)
    g.add_node("t")
    flow = nx.max_flow_min_cost(g, "s", "t")
    return sum(flow["s"].values()), nx.cost_of_flow(g, flow)


# --- the engine stays exact when the rules outgrow its fit channels ---------------------------


@settings(max_examples=max(10, EXAMPLES // 5), **SETTINGS)
@given(instances())
def test_supply_classes_outside_the_channels_are_priced_by_fit(instance: tuple[MatchingInput, MatchOptions]) -> None:
    """Channels that describe no rule (as if ``fit`` had changed) fall back to pricing each supply
    class by ``fit`` itself: the result is still optimal."""
    data, options = instance
    original = engine._supply_channels
    engine._supply_channels = lambda s, o: [("nonsense", s.id)]  # type: ignore[assignment]
    try:
        result = match(data, options)
    finally:
        engine._supply_channels = original
    check_valid(result, data, options)
    assert (len(result.proposals), result.total_cost) == best(data, options)


# --- realistic shapes, checked against the plain bipartite model --------------------------------


def test_synthetic_city_equals_the_bipartite_model() -> None:
    from graph_api.matching.bench import synthetic_input

    for mode, n, m in (("projects", 300, 120), ("pairings", 200, 40)):
        data = synthetic_input(n, m, seed=11, mode=mode)
        for cross, distance in ((False, "STREET"), (True, "STREET"), (False, "AREA")):
            options = MatchOptions(mode=mode, cross_community=cross, max_distance=distance,  # type: ignore[arg-type]
                                   as_of=AS_OF)
            result = match(data, options)
            check_valid(result, data, options)
            assert (len(result.proposals), result.total_cost) == best_by_flow(data, options)


def test_same_result_under_any_hash_seed() -> None:
    """Nothing depends on the order of a set: two interpreters with different hash seeds agree."""
    script = ("from graph_api.matching.bench import synthetic_input\n"
              "from graph_api.matching.engine import match\n"
              "from graph_api.domain.matching import MatchOptions\n"
              "for mode in ('projects', 'pairings'):\n"
              "    for cross in (False, True):\n"
              "        options = MatchOptions(mode=mode, cross_community=cross)\n"
              "        r = match(synthetic_input(400, 150, seed=5, mode=mode), options)\n"
              "        print([p.id for p in r.proposals])\n"
              "        print([(u.demand.id, u.reason, u.candidates) for u in r.unmatched])\n")
    outputs = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}, cwd=Path(__file__).resolve().parents[1])
        outputs.add(done.stdout)
    assert len(outputs) == 1 and "projects|" in outputs.pop()
