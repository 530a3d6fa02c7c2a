"""Data files shipped with the package: schema/, queries/ and loaders/ of the repository.

In a source checkout (editable install) they are read from the repository's top-level
folders; in a wheel they are installed under ``graph_api/_data/`` (see pyproject.toml).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "_data", _PACKAGE.parent)


@cache
def data_root() -> Path:
    for root in _CANDIDATES:
        if (root / "schema").is_dir() and (root / "queries").is_dir():
            return root
    raise FileNotFoundError(f"graph_api data folders not found in {[str(c) for c in _CANDIDATES]}")


def data_path(relative: str) -> Path:
    return data_root() / relative


@cache
def read_text(relative: str) -> str:
    return data_path(relative).read_text(encoding="utf-8")


def static_path(relative: str = "") -> Path:
    return _PACKAGE / "static" / relative
