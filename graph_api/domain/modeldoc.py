"""Renders schema/model.md, the model document, from the registry (a test keeps it current)."""

from __future__ import annotations

from graph_api.domain.model import KINDS, Kind, target_kinds

INTRO = """# The graph model · 图模型

Generated from `graph_api/domain/model.py` by `graph-api model-doc` (a test fails when this
file is stale). Node labels are the kind names; the five grid levels also carry the label
`Grid`. Every node has a unique business key `id` (`schema/constraints.cypher`); grid ids are
their codes, and a child's code starts with its parent's code (community 12 digits, then
+2 area, +2 complex, +3 building, +2 stairwell unit). Nodes inside a street or a community
carry the scope keys `streetId` and `communityId`, which every read filters on inside the
store query, so that a caller only ever sees its own part of the graph.

Relationships have no properties: facts about a link that change over time (a pairing's
visits, a project's dates) live on a node of their own (`Pairing`, `Project`).

Properties marked **sensitive** are personal data under PIPL (phone, ID number, care
categories, risk tier): they are read only by roles that need them.
"""


def _edges() -> list[tuple[str, str, str]]:
    seen: set[tuple[str, str, str]] = set()
    for kind in KINDS:
        for rel in kind.rels:
            for target in target_kinds(rel.target) if rel.target != "Grid" else ("Grid",):
                edge = (kind.name, rel.type, target) if rel.direction == "out" else (target, rel.type, kind.name)
                seen.add(edge)
    # an edge to every grid level is drawn once, to Grid
    grid_levels = set(target_kinds("Grid"))
    return sorted(e for e in seen if not (e[2] in grid_levels and (e[0], e[1], "Grid") in seen))


def _type_name(kind: Kind, prop_name: str) -> str:
    prop = kind.prop(prop_name)
    name = prop.type.__name__
    return f"[{name}]" if prop.many else name


def render() -> str:
    lines = [INTRO, "## Diagram", "", "```mermaid", "flowchart LR"]
    for kind in KINDS:
        lines.append(f'  {kind.name}["{kind.name}<br/>{kind.zh}"]')
    lines.append('  Grid(["Grid<br/>任一级网格"])')
    for src, rel_type, dst in _edges():
        lines.append(f"  {src} -->|{rel_type}| {dst}")
    lines += ["```", ""]
    lines += ["## Kinds", ""]
    for kind in KINDS:
        labels = ":".join(kind.labels)
        lines += [f"### {kind.name} · {kind.zh}", "", f"{kind.en}. Labels `{labels}`; GraphQL list field "
                  f"`{kind.list_field}`.", "", "| property | type | 中文 | meaning | |", "| --- | --- | --- | --- | --- |"]
        for prop in kind.all_props:
            flags = ", ".join(f for f, on in (("required", prop.required), ("filter", prop.filterable),
                                              ("sort", prop.sortable), ("**sensitive**", prop.sensitive)) if on)
            lines.append(f"| `{prop.name}` | {_type_name(kind, prop.name)} | {prop.zh} | {prop.en} | {flags} |")
        if kind.rels:
            lines += ["", "| field | relationship | 中文 | meaning |", "| --- | --- | --- | --- |"]
            for rel in kind.rels:
                arrow = f"-[:{rel.type}]->({rel.target})" if rel.direction == "out" else f"<-[:{rel.type}]-({rel.target})"
                many = "many" if rel.many else "one"
                lines.append(f"| `{rel.field}` ({many}) | `(this){arrow}` | {rel.zh} | {rel.en} |")
        lines.append("")
    return "\n".join(lines)
