"""Per-request context: the store (with a round-trip counter), the caller's scope and the DataLoaders."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from graph_api.domain.access import OPERATOR, Principal, may
from graph_api.domain.model import KIND_BY_NAME
from graph_api.graphql.errors import Forbidden
from graph_api.settings import Settings
from graph_api.store.base import EVERYTHING, GraphStore, Record, Scope


class CountingStore:
    """Wraps a store and counts the calls (each store method is one round trip)."""

    def __init__(self, store: GraphStore):
        self._store = store
        self.round_trips = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        @functools.wraps(attr)
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.round_trips += 1
            return await attr(*args, **kwargs)

        return counted


class Loaders:
    """DataLoaders of one request: by id per kind, and per relationship field."""

    def __init__(self, store: CountingStore, scope: Scope):
        self._store = store
        self._scope = scope
        self._loaders: dict[tuple[str, str], DataLoader[str, Any]] = {}

    def node(self, kind: str) -> DataLoader[str, Record | None]:
        key = (kind, "")
        if key not in self._loaders:
            async def load(ids: list[str]) -> list[Record | None]:
                found = await self._store.get_nodes(kind, ids, self._scope)
                return [found.get(i) for i in ids]
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def rel(self, kind: str, field_name: str) -> DataLoader[str, list[Record]]:
        key = (kind, field_name)
        if key not in self._loaders:
            rel = KIND_BY_NAME[kind].rel(field_name)

            async def load(ids: list[str]) -> list[list[Record]]:
                found = await self._store.neighbours(kind, rel, ids, self._scope)
                return [found.get(i, []) for i in ids]
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]


class GraphContext(BaseContext):
    """What every resolver sees as ``info.context``: who asks (``principal``), what they may see
    (``scope``: rows and masks, applied by the store), the store and the loaders."""

    def __init__(self, store: GraphStore, settings: Settings, scope: Scope = EVERYTHING,
                 principal: Principal = OPERATOR):
        super().__init__()
        self.raw_store = store  # for the audit log: not counted as the request's round trips
        self.store = CountingStore(store)
        self.settings = settings
        self.scope = scope
        self.principal = principal
        self.loaders = Loaders(self.store, scope)
        self.audits = 0  # coverage audits run by this request (each reads the whole scope)
        self.matchings = 0  # matching runs (proposeMatches, acceptMatches) of this request
        #: sensitive fields shown in full by this request: (kind, streetId, communityId) -> ids, fields
        self.sensitive_reads: dict[tuple[str, str | None, str | None], tuple[set[str], set[str]]] = {}

    def require(self, capability: str) -> None:
        """Refuse the operation unless the caller's role has the capability."""
        if not may(self.principal.role, capability):
            role = self.principal.role
            raise Forbidden(f"{role.zh if role else ''}无权执行此操作（{capability}）",
                            f"a {role.en if role else 'caller'} may not do this ({capability})")

    def note_sensitive(self, kind: str, key: str, field: str, street: str | None, community: str | None) -> None:
        ids, fields = self.sensitive_reads.setdefault((kind, street, community), (set(), set()))
        ids.add(key)
        fields.add(field)

    def fresh_loaders(self) -> None:
        """Forget what the loaders cached (after a write in this request)."""
        self.loaders = Loaders(self.store, self.scope)


def make_context(store: GraphStore, settings: Settings, scope: Scope = EVERYTHING,
                 principal: Principal = OPERATOR) -> GraphContext:
    return GraphContext(store, settings, scope, principal)
