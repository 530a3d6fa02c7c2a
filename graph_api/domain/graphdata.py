"""A batch of nodes and edges, as data sets, loaders and stores exchange them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class GraphData:
    """A batch of nodes and edges to write, in the sample file's shape."""

    nodes: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (kind, id, props)
    edges: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (kind, id, TYPE, kind, id)
    meta: dict[str, Any] = field(default_factory=dict)
