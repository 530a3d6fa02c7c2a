"""Pausing Python's cyclic garbage collector while building many long-lived objects.

Loading a graph or planning an import allocates millions of objects that live on and form no
cycles; the collector would walk all of them again and again, doubling the time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
