"""Request guards in front of the application, as ASGI middleware: body size, rate limit, CORS.

:func:`install_request_guards` adds them to an app, outermost first:

1. CORS (only when origins are configured), so that the refusals below carry CORS headers too
   and a browser client can read them;
2. :class:`RateLimitMiddleware`: token buckets per caller on the /graphql paths, 429 above;
3. :class:`BodySizeLimitMiddleware`: 413 above the largest body accepted.

Refusals have the GraphQL error shape, ``{"errors": [{"message": "中文 · English"}]}``.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.middleware.cors import CORSMiddleware

from graph_api.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LIMITED_PATH = "/graphql"
MAX_REMEMBERED_CALLERS = 100_000


async def send_error(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A JSON ``{"errors": [{"message": ...}]}`` response."""
    body = json.dumps({"errors": [{"message": message}]}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode("latin-1")), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value
    return None


# --- body size ---------------------------------------------------------------------------------

class _BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """413 for a body above ``max_bytes``: at once when Content-Length says so, otherwise as soon
    as the bytes received exceed it (chunked bodies, or a Content-Length that understates)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def message(self) -> str:
        return f"请求体过大（上限 {self.max_bytes} 字节）· request body too large (limit {self.max_bytes} bytes)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            await send_error(send, 413, self.message(), [(b"connection", b"close")])
            return

        received = 0
        too_large = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                return  # whatever the app answers to the cut-off body, the client gets the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not too_large or started:
                raise
        if too_large and not started:
            await send_error(send, 413, self.message(), [(b"connection", b"close")])


# --- rate limit --------------------------------------------------------------------------------

class RateLimiter:
    """Token buckets per caller key: ``per_minute`` tokens at most, refilled continuously at
    ``per_minute / 60`` a second; a request takes one. ``per_minute`` 0 turns it off.

    At most ``max_keys`` callers are remembered; the least recently seen is forgotten first (a
    forgotten caller starts again with a full bucket). Buckets live in this process only.
    """

    def __init__(self, per_minute: int, *, max_keys: int = MAX_REMEMBERED_CALLERS,
                 clock: Callable[[], float] = time.monotonic):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 if allowed, else the seconds until one is available."""
        now = self.clock()
        tokens, at = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + max(0.0, now - at) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)  # (re)inserted last: the most recently seen
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def caller_key(scope: Scope) -> str:
    """SHA-256 of the Authorization header when there is one, else the client address."""
    authorization = _header(scope, b"authorization")
    if authorization:
        return "token:" + hashlib.sha256(authorization).hexdigest()
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


def _route_path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class RateLimitMiddleware:
    """429 with Retry-After when a caller's bucket is empty; only the /graphql paths count."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, path: str = LIMITED_PATH):
        self.app = app
        self.limiter = limiter
        self.path = path

    def limited(self, scope: Scope) -> bool:
        if scope["type"] != "http" or not self.limiter.enabled:
            return False
        path = _route_path(scope)
        return path == self.path or path.startswith(self.path + "/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limited(scope):
            wait = self.limiter.take(caller_key(scope))
            if wait > 0:
                retry = max(1, math.ceil(wait - 1e-9))  # whole seconds, never 0; no rounding noise
                limit = int(self.limiter.capacity)
                await send_error(send, 429, f"请求过于频繁，请 {retry} 秒后重试（每分钟上限 {limit} 次）· "
                                            f"too many requests, retry in {retry} s (limit {limit} per minute)",
                                 [(b"retry-after", str(retry).encode("latin-1"))])
                return
        await self.app(scope, receive, send)


# --- wiring ------------------------------------------------------------------------------------

def install_request_guards(app: Any, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
    """Adds the guards to a Starlette/FastAPI app; the rate limiter is ``app.state.rate_limiter``
    (its ``clock`` can be replaced in tests)."""
    # add_middleware puts each new one outside the ones before it: innermost first
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.graph_api_max_body_bytes)
    limiter = RateLimiter(settings.graph_api_rate_limit, clock=clock)
    app.state.rate_limiter = limiter
    app.add_middleware(RateLimitMiddleware, limiter=limiter)
    if settings.graph_api_cors_origins:  # none configured: no CORS headers at all
        app.add_middleware(CORSMiddleware, allow_origins=settings.graph_api_cors_origins,
                           allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["Authorization", "Content-Type"],
                           expose_headers=["Retry-After"])
