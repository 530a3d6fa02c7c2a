"""`graph-api token create/revoke`, and tokens signed with key pairs (RS256, ES256)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from typer.testing import CliRunner

from graph_api.auth import AuthError, TokenConfigError, TokenService
from graph_api.cli import app
from graph_api.domain.access import Role
from graph_api.settings import Settings, get_settings
from graph_api.store.base import AuditQuery, EVERYTHING
from graph_api.store.embedded.store import EmbeddedStore
from tests.conftest import TEST_JWT_SECRET

COMMUNITY = "210905001001"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    db = tmp_path / "graph.sqlite3"
    monkeypatch.setenv("GRAPH_API_STORE", "embedded")
    monkeypatch.setenv("GRAPH_API_DB", str(db))
    monkeypatch.setenv("GRAPH_API_JWT_SECRET", TEST_JWT_SECRET)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["load-sample"]).exit_code == 0
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def _open(settings: Settings) -> EmbeddedStore:
    return EmbeddedStore(settings.graph_api_db)


def test_token_create_checks_scope_and_the_token_authenticates(cli: Any) -> None:
    made = cli("token", "create", "--role", "community_staff", "--scope", f"community:{COMMUNITY}")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    settings = get_settings()

    async def check() -> Any:
        store = _open(settings)
        try:
            principal = await TokenService(settings).authenticate(store, f"Bearer {token}")
            log = await store.audit_log(AuditQuery(operation="token.create"), EVERYTHING, 0, 5)
            return principal, log
        finally:
            await store.close()

    principal, log = asyncio.run(check())
    assert principal.role is Role.COMMUNITY_STAFF and principal.scope_ids == (COMMUNITY,)
    assert log.total == 1 and log.records[0]["recordIds"] == [principal.token_id]
    # a typo in the scope, or a scope kind the role cannot have, makes no token
    typo = cli("token", "create", "--role", "community_staff", "--scope", "community:999")
    assert typo.exit_code == 2 and "999" in typo.output
    wrong = cli("token", "create", "--role", "grid_worker", "--scope", f"community:{COMMUNITY}")
    assert wrong.exit_code == 2 and "grid" in wrong.output
    unknown = cli("token", "create", "--role", "root", "--scope", f"community:{COMMUNITY}")
    assert unknown.exit_code == 2


def test_api_key_create_and_revoke(cli: Any) -> None:
    made = cli("token", "create", "--api-key", "--name", "nightly-audit", "--role", "auditor", "--scope", "street:210905001")
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("gak_")
    settings = get_settings()

    async def authenticate() -> Any:
        store = _open(settings)
        try:
            return await TokenService(settings).authenticate(store, f"Bearer {key}")
        finally:
            await store.close()

    assert asyncio.run(authenticate()).subject == "apikey:nightly-audit"
    revoked = cli("token", "revoke", key)
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(AuthError, match="revoked"):
        asyncio.run(authenticate())


def _pem_pair(private: Any) -> tuple[str, str]:
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
async def test_key_pair_tokens(algorithm: str, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if algorithm == "RS256" \
        else ec.generate_private_key(ec.SECP256R1())
    private_pem, public_pem = _pem_pair(key)
    (tmp_path / "public.pem").write_text(public_pem)
    signer = Settings(graph_api_jwt_algorithm=algorithm, graph_api_jwt_public_key=public_pem,
                      graph_api_jwt_private_key=private_pem)
    verifier = Settings(graph_api_jwt_algorithm=algorithm, graph_api_jwt_public_key=str(tmp_path / "public.pem"))
    issued = TokenService(signer).create_jwt("s", Role.AUDITOR, "street", ("210905001",))
    store = EmbeddedStore(tmp_path / "g.sqlite3")
    try:
        principal = await TokenService(verifier).authenticate(store, f"Bearer {issued.token}")
        assert principal.role is Role.AUDITOR
        with pytest.raises(TokenConfigError):  # the API side cannot make tokens without the private key
            TokenService(verifier).create_jwt("s", Role.AUDITOR, "street", ("210905001",))
        # an HS256 token signed with the public key text as secret (the classic confusion) is refused
        import jwt

        now = dt.datetime.now(dt.UTC)
        forged = jwt.encode({"iss": "graph-api", "aud": "graph-api", "sub": "x", "iat": int(now.timestamp()),
                             "exp": int(now.timestamp()) + 600, "jti": "f", "role": "DISTRICT_ADMIN",
                             "scope": {"kind": "district", "ids": ["210905"]}}, "x" * 40, algorithm="HS256")
        with pytest.raises(AuthError):
            await TokenService(verifier).authenticate(store, f"Bearer {forged}")
    finally:
        await store.close()


def test_production_needs_a_configured_key() -> None:
    with pytest.raises(TokenConfigError):
        TokenService(Settings(graph_api_env="production", graph_api_jwt_secret=None))
    with pytest.raises(TokenConfigError):
        TokenService(Settings(graph_api_jwt_secret="short"))
