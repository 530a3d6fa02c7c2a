"""Authentication: bearer tokens (JWT) and long-lived API keys, turned into a :class:`Principal`
and the :class:`Scope` its store reads are limited to.

- **JWT**: HS256 with a shared secret, or RS256/ES256 with a key pair (the API only needs the
  public key). Claims: ``iss``, ``aud``, ``sub``, ``iat``, ``exp``, ``jti``, ``role`` and
  ``scope`` (``{"kind": "community", "ids": [...]}``). Expiry is required; a revoked ``jti``
  is refused.
- **API keys** for audit scripts: ``gak_<id>_<secret>``. The store keeps the id, role, scope
  and the SHA-256 of the secret, never the key; the secret is 32 random bytes, so a fast hash
  cannot be brute-forced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from graph_api.domain.access import SCOPE_KIND, Principal, Role, masks_for
from graph_api.domain.model import GRID_KINDS, KIND_BY_NAME
from graph_api.settings import Settings
from graph_api.store.base import EVERYTHING, GraphStore, Scope

API_KEY_PREFIX = "gak_"
SCOPE_KINDS = ("district", "street", "community", "grid")


class AuthError(Exception):
    """The request cannot be served for who is asking: 401 (who are you) or 403 (not allowed)."""

    def __init__(self, status: int, zh: str, en: str):
        self.status = status
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} · {en}")


class TokenConfigError(Exception):
    """The token settings are unusable (a missing or short key)."""


def _key_text(value: str) -> str:
    """PEM text given directly or as a path to a file."""
    if "-----BEGIN" in value:
        return value
    return Path(value).read_text(encoding="utf-8")


def development_secret(settings: Settings) -> str:
    """The HS256 secret of a development run: generated once into GRAPH_API_SECRET_FILE (mode 600)."""
    path = Path(settings.graph_api_secret_file)
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret + "\n")
    return secret


def parse_scope(text: str) -> tuple[str, tuple[str, ...]]:
    """``community:C1,C2`` -> ("community", ("C1", "C2"))."""
    kind, sep, ids = text.partition(":")
    kind = kind.strip().lower()
    keys = tuple(dict.fromkeys(i.strip() for i in ids.split(",") if i.strip()))
    if not sep or kind not in SCOPE_KINDS or not keys:
        raise ValueError(f"范围应写作 类型:编号[,编号…]，类型为 {'/'.join(SCOPE_KINDS)} · a scope is KIND:ID[,ID...] "
                         f"with KIND one of {', '.join(SCOPE_KINDS)} (got {text!r})")
    return kind, keys


def check_role_scope(role: Role, scope_kind: str) -> None:
    if scope_kind not in SCOPE_KIND[role]:
        allowed = "/".join(SCOPE_KIND[role])
        raise ValueError(f"{role.zh}的范围应为 {allowed} · a {role.en} token's scope is {allowed} (got {scope_kind})")


@dataclass
class IssuedKey:
    token: str
    token_id: str
    expires: dt.datetime | None


class TokenService:
    """Makes and checks tokens for one settings object; resolves a principal's store scope."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.algorithm = settings.graph_api_jwt_algorithm
        self._district_streets: dict[str, tuple[float, frozenset[str]]] = {}
        if self.algorithm == "HS256":
            secret = settings.graph_api_jwt_secret
            if secret is None:
                if settings.production:
                    raise TokenConfigError("生产环境必须设置 GRAPH_API_JWT_SECRET · production needs GRAPH_API_JWT_SECRET")
                secret = development_secret(settings)
            if len(secret.encode()) < 32:
                raise TokenConfigError("GRAPH_API_JWT_SECRET 至少 32 字节 · GRAPH_API_JWT_SECRET must be at least 32 bytes")
            self._sign_key: Any = secret
            self._verify_key: Any = secret
        else:
            if not settings.graph_api_jwt_public_key:
                raise TokenConfigError(f"{self.algorithm} 需要 GRAPH_API_JWT_PUBLIC_KEY · {self.algorithm} needs "
                                       f"GRAPH_API_JWT_PUBLIC_KEY")
            self._verify_key = _key_text(settings.graph_api_jwt_public_key)
            private = settings.graph_api_jwt_private_key
            self._sign_key = _key_text(private) if private else None

    # --- making ------------------------------------------------------------------------------
    def create_jwt(self, subject: str, role: Role, scope_kind: str, scope_ids: tuple[str, ...],
                   hours: float | None = None, now: dt.datetime | None = None) -> IssuedKey:
        check_role_scope(role, scope_kind)
        if self._sign_key is None:
            raise TokenConfigError("签发令牌需要 GRAPH_API_JWT_PRIVATE_KEY · making tokens needs GRAPH_API_JWT_PRIVATE_KEY")
        now = now or dt.datetime.now(dt.UTC)
        hours = self.settings.graph_api_token_hours if hours is None else hours
        expires = now + dt.timedelta(hours=hours)
        token_id = uuid.uuid4().hex
        claims = {"iss": self.settings.graph_api_jwt_issuer, "aud": self.settings.graph_api_jwt_audience,
                  "sub": subject, "iat": int(now.timestamp()), "nbf": int(now.timestamp()),
                  "exp": int(expires.timestamp()), "jti": token_id, "role": role.value,
                  "scope": {"kind": scope_kind, "ids": list(scope_ids)}}
        return IssuedKey(jwt.encode(claims, self._sign_key, algorithm=self.algorithm), token_id, expires)

    async def create_api_key(self, store: GraphStore, name: str, role: Role, scope_kind: str,
                             scope_ids: tuple[str, ...], days: float | None = None) -> IssuedKey:
        check_role_scope(role, scope_kind)
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        expires = None if days is None else now + dt.timedelta(days=days)
        await store.put_api_key({"id": key_id, "hash": _hash(secret), "role": role.value, "scopeKind": scope_kind,
                                 "scopeIds": list(scope_ids), "name": name, "createdAt": now, "expiresAt": expires})
        return IssuedKey(f"{API_KEY_PREFIX}{key_id}_{secret}", key_id, expires)

    # --- checking ----------------------------------------------------------------------------
    async def authenticate(self, store: GraphStore, authorization: str | None) -> Principal:
        """The principal of an ``Authorization: Bearer ...`` header; AuthError(401) otherwise."""
        if not authorization:
            raise AuthError(401, "需要登录：请在 Authorization 头中提供 Bearer 令牌",
                            "authentication required: send an Authorization: Bearer token")
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise AuthError(401, "Authorization 头应为 “Bearer 令牌”", "the Authorization header must be 'Bearer <token>'")
        if credential.startswith(API_KEY_PREFIX):
            return await self._api_key_principal(store, credential)
        try:
            claims = jwt.decode(credential, self._verify_key, algorithms=[self.algorithm],
                                audience=self.settings.graph_api_jwt_audience, issuer=self.settings.graph_api_jwt_issuer,
                                options={"require": ["exp", "iat", "jti", "sub", "iss", "aud"]}, leeway=5)
        except jwt.ExpiredSignatureError:
            raise AuthError(401, "令牌已过期", "the token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(401, "令牌无效", f"invalid token: {exc}") from None
        principal = _principal(str(claims["sub"]), claims.get("role"), claims.get("scope"), str(claims["jti"]))
        if await store.is_revoked(principal.token_id or ""):
            raise AuthError(401, "令牌已被吊销", "the token has been revoked")
        return principal

    async def _api_key_principal(self, store: GraphStore, credential: str) -> Principal:
        key_id, sep, secret = credential[len(API_KEY_PREFIX):].partition("_")
        record = await store.get_api_key(key_id) if sep and key_id and secret else None
        # the same answer for an unknown id and a wrong secret: nothing to probe ids with
        if record is None or not hmac.compare_digest(record["hash"], _hash(secret)):
            raise AuthError(401, "API 密钥无效", "invalid API key")
        if record.get("revoked"):
            raise AuthError(401, "API 密钥已被吊销", "the API key has been revoked")
        expires = record.get("expiresAt")
        if expires is not None and expires <= dt.datetime.now(dt.UTC):
            raise AuthError(401, "API 密钥已过期", "the API key has expired")
        return _principal(f"apikey:{record['name']}", record["role"],
                          {"kind": record["scopeKind"], "ids": record["scopeIds"]}, key_id)

    async def scope_of(self, store: GraphStore, principal: Principal) -> Scope:
        """The store scope of a principal: its rows (street, community or grids) and its masks."""
        if principal.role is None:
            return EVERYTHING
        masks = masks_for(principal.role)
        ids = frozenset(principal.scope_ids)
        if principal.scope_kind == "district":
            return Scope(street_ids=await self._streets_of(store, principal.scope_ids), masks=masks)
        if principal.scope_kind == "street":
            return Scope(street_ids=ids, masks=masks)
        if principal.scope_kind == "community":
            return Scope(community_ids=ids, masks=masks)
        if principal.scope_kind == "grid":
            return Scope(grid_ids=ids, masks=masks)
        raise AuthError(403, "令牌的范围无效", "the token's scope is not valid")

    async def _streets_of(self, store: GraphStore, districts: tuple[str, ...]) -> frozenset[str]:
        """The streets of districts (cached for 30 s: a district's streets rarely change)."""
        key = ",".join(sorted(districts))
        cached = self._district_streets.get(key)
        if cached is not None and time.monotonic() - cached[0] < 30:
            return cached[1]
        found = await store.neighbours("District", KIND_BY_NAME["District"].rel("streets"), list(districts), EVERYTHING)
        streets = frozenset(r["id"] for records in found.values() for r in records)
        self._district_streets[key] = (time.monotonic(), streets)
        return streets


async def check_scope_exists(store: GraphStore, scope_kind: str, ids: tuple[str, ...]) -> list[str]:
    """The ids of a token's scope that name nothing in the store (a typo makes a useless token)."""
    kinds = {"district": ("District",), "street": ("Street",), "community": ("Community",), "grid": GRID_KINDS}[scope_kind]
    missing = set(ids)
    for kind_name in kinds:
        missing -= set(await store.get_nodes(kind_name, list(missing), EVERYTHING))
        if not missing:
            break
    return sorted(missing)


def _principal(subject: str, role: Any, scope: Any, token_id: str) -> Principal:
    try:
        role_ = Role(role)
        kind, ids = scope["kind"], tuple(str(i) for i in scope["ids"])
        check_role_scope(role_, kind)
        if not ids:
            raise ValueError("empty scope")
    except (ValueError, KeyError, TypeError):
        raise AuthError(401, "令牌的角色或范围无效", "the token's role or scope is not valid") from None
    return Principal(subject=subject, role=role_, scope_kind=kind, scope_ids=ids, token_id=token_id)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
