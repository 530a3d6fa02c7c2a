"""A batch of nodes and edges, as data sets, loaders and stores exchange them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class GraphData:
    """A batch of nodes and edges to write, in the sample file's shape.

    A node's props are merged into the stored node (``SET n += props``): a ``None`` value
    removes that property. ``cleared_edges`` lists ``(kind, id, TYPE, target kinds)``: the
    node's outgoing TYPE edges to nodes of those kinds are removed before ``edges`` are
    added, so an import can replace a relationship column's value.
    """

    nodes: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (kind, id, props)
    edges: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (kind, id, TYPE, kind, id)
    meta: dict[str, Any] = field(default_factory=dict)
    cleared_edges: list[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Rows to write: nodes, edges and cleared relationship fields."""
        return len(self.nodes) + len(self.edges) + len(self.cleared_edges)
