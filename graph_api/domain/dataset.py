"""Reading a data set file (the sample's JSON shape) into a validated :class:`GraphData`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graph_api.domain.graphdata import GraphData
from graph_api.domain.model import KIND_BY_NAME
from graph_api.domain.values import InvalidData, Problem, check_edge, coerce_props
from graph_api.resources import data_path

SAMPLE_FILE = "loaders/sample/qinghemen.json"


def validate(raw: dict[str, Any], source: str) -> GraphData:
    """Check every node and edge; raise :class:`InvalidData` listing all problems at once."""
    problems: list[Problem] = []
    data = GraphData(meta=dict(raw.get("meta") or {}))
    seen: set[tuple[str, str]] = set()
    for index, node in enumerate(raw.get("nodes") or []):
        kind_name, node_id = node.get("kind"), node.get("id")
        label = f"{source} nodes[{index}]"
        kind = KIND_BY_NAME.get(kind_name)  # type: ignore[arg-type]
        if kind is None:
            problems.append(Problem(label, "kind", kind_name, "未知的记录类型", "unknown kind"))
            continue
        if not isinstance(node_id, str) or not node_id:
            problems.append(Problem(f"{label} {kind_name}", "id", node_id, "缺少业务编号", "missing business key"))
            continue
        if (kind_name, node_id) in seen:
            problems.append(Problem(f"{kind_name} {node_id}", "id", node_id, "业务编号重复", "duplicate business key"))
            continue
        seen.add((kind_name, node_id))
        props = coerce_props(kind, node_id, dict(node.get("props") or {}), problems)
        data.nodes.append((kind_name, node_id, props))
    for edge in raw.get("edges") or []:
        if not (isinstance(edge, list) and len(edge) == 5 and all(isinstance(x, str) for x in edge)):
            problems.append(Problem(f"{source} edge", "edge", edge, "关系应为 [类型, 编号, 关系, 类型, 编号]",
                                    "an edge must be [kind, id, TYPE, kind, id]"))
            continue
        check_edge(tuple(edge), seen, problems)  # type: ignore[arg-type]
        data.edges.append(tuple(edge))  # type: ignore[arg-type]
    if problems:
        raise InvalidData(problems)
    return data


def read_dataset(path: str | Path) -> GraphData:
    path = Path(path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    return validate(raw, path.name)


def read_sample() -> GraphData:
    return read_dataset(data_path(SAMPLE_FILE))
