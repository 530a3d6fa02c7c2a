"""Smoke test of the import benchmark (graph_api.ledger.bench_import): the embedded part on tier S.

No Neo4j and no timing thresholds: the figures are there and positive, the child's peak memory
is measured, and re-importing the same files creates and updates nothing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from graph_api.ledger.bench_import import cached_tier, run_import_bench


def test_the_embedded_part_on_tier_s(tmp_path: Path) -> None:
    out = io.StringIO()
    figures = run_import_bench(["S"], None, backends=["embedded"], cache_dir=tmp_path / "tiers",
                               console=Console(file=out, width=140), json_out=tmp_path / "figures.json")
    tier = figures["tiers"]["S"]
    files = tier["files"]
    assert not files["cached"] and files["generate_seconds"] > 0
    assert cached_tier(tmp_path / "tiers", "S", figures["seed"]) is not None  # the next run reuses them

    e = tier["embedded"]
    assert e["rows"] == tier["tier_nodes"] > 20_000
    assert e["created"] == e["rows"] and e["updated"] == 0
    assert e["write_rows"] == e["nodes"] + e["edges"] > e["rows"]
    assert e["parse_check_rows_per_s"] > 0
    assert e["read_parse_check_rows_per_s"] > 0
    assert e["write_rows_per_s"] > 0
    assert e["maxrss"] > 0
    assert sum(e["counts"].values()) == tier["tier_nodes"]
    again = e["reimport"]
    assert (again["created"], again["updated"], again["write_rows"]) == (0, 0, 0)
    assert again["unchanged"] == e["rows"]
    assert not figures["problems"]
    assert "neo4j" not in tier

    text = out.getvalue()
    assert "tier S" in text and "re-import" in text
    written = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    assert written["tiers"]["S"]["embedded"]["rows"] == e["rows"]
