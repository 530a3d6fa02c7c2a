"""Ground truth computed in plain Python from the sample file, to compare the store's answers with."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from graph_api.domain.model import KIND_BY_NAME, Rel, target_kinds
from graph_api.store.base import GraphData


class Truth:
    def __init__(self, data: GraphData):
        self.data = data
        self.nodes: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for kind, node_id, props in data.nodes:
            self.nodes[kind][node_id] = props
        self.out: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
        self.inc: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
        for sk, si, rt, dk, di in data.edges:
            self.out[(sk, si, rt)].append((dk, di))
            self.inc[(dk, di, rt)].append((sk, si))

    def of(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.nodes[kind]

    def neighbours(self, kind: str, node_id: str, rel: Rel) -> list[str]:
        table = self.out if rel.direction == "out" else self.inc
        targets = set(target_kinds(rel.target))
        return sorted(i for k, i in table[(kind, node_id, rel.type)] if k in targets)

    def rel(self, kind: str, field: str) -> Rel:
        return KIND_BY_NAME[kind].rel(field)
