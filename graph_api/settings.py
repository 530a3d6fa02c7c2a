"""Configuration from environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting can be set as an environment variable of the same name (upper case)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    graph_api_store: Literal["embedded", "neo4j"] = Field(
        "embedded", description="store backend: embedded (networkx in memory, durable in SQLite) or neo4j")
    graph_api_db: str = Field(".data/graph.sqlite3", description="file of the embedded store")
    neo4j_uri: str = Field("bolt://127.0.0.1:7687", description="Bolt URI of Neo4j")
    neo4j_user: str = Field("neo4j", description="Neo4j user")
    neo4j_password: str = Field("neo4j", description="Neo4j password (ignored when auth is off)")
    neo4j_database: str = Field("neo4j", description="Neo4j database name")

    graph_api_host: str = Field("127.0.0.1", description="address the API listens on")
    graph_api_port: int = Field(8000, description="port the API listens on")
    graph_api_max_page_size: int = Field(500, description="hard maximum of `first`/`last` on list fields")
    graph_api_default_page_size: int = Field(20, description="page size when `first`/`last` is not given")
    graph_api_max_depth: int = Field(10, description="maximum query depth")
    graph_api_max_aliases: int = Field(30, description="maximum aliases in one document")
    graph_api_max_tokens: int = Field(4000, description="maximum tokens in one document")
    graph_api_load_sample: bool = Field(False, description="load the sample data at start if the store is empty")
    graph_api_read_only: bool = Field(False, description="refuse every mutation, whatever the token's role")
    graph_api_audit_history: str = Field(".data/audit-history", description="folder of saved audit snapshots "
                                         "(`graph-api audit --save`), read for the trend in reports")

    # --- security (issue 7) ------------------------------------------------------------------
    graph_api_env: Literal["development", "production"] = Field(
        "development", description="development: introspection, GraphiQL and a printed development token on by "
        "default, and a JWT secret generated into GRAPH_API_SECRET_FILE; production: all off, a key is required")
    graph_api_jwt_algorithm: Literal["HS256", "RS256", "ES256"] = Field("HS256", description="JWT signature algorithm")
    graph_api_jwt_secret: str | None = Field(None, description="HS256 shared secret (at least 32 bytes)")
    graph_api_jwt_public_key: str | None = Field(None, description="RS256/ES256 public key: PEM text or a file path")
    graph_api_jwt_private_key: str | None = Field(None, description="RS256/ES256 private key, PEM text or a file "
                                                  "path: only `graph-api token create` needs it")
    graph_api_jwt_issuer: str = Field("graph-api", description="JWT issuer (iss) made and required")
    graph_api_jwt_audience: str = Field("graph-api", description="JWT audience (aud) made and required")
    graph_api_token_hours: float = Field(12.0, description="lifetime of a bearer token made by `graph-api token create`")
    graph_api_secret_file: str = Field(".data/jwt-secret", description="development only: where the generated "
                                       "HS256 secret is kept (mode 600)")
    graph_api_introspection: bool | None = Field(None, description="allow schema introspection (default: on in "
                                                 "development, off in production)")
    graph_api_graphiql: bool | None = Field(None, description="serve GraphiQL at /graphql (default: on in "
                                            "development, off in production)")
    graph_api_dev_token: bool | None = Field(None, description="print a district administrator token at start and "
                                             "preset it in GraphiQL (default: on in development, never in production)")
    graph_api_cors_origins: list[str] = Field(default_factory=list, description="origins allowed by CORS "
                                              "(JSON list, e.g. [\"https://staff.example\"]); empty: none")
    graph_api_max_body_bytes: int = Field(1_000_000, description="largest request body accepted (413 above)")
    graph_api_rate_limit: int = Field(600, description="requests per minute per token (429 above); 0: no limit")
    graph_api_max_query_cost: int = Field(50_000, description="largest estimated query cost (fields times page sizes)")

    @property
    def production(self) -> bool:
        return self.graph_api_env == "production"

    def switch(self, value: bool | None) -> bool:
        """A switch left unset: on in development, off in production."""
        return (not self.production) if value is None else value


@lru_cache
def get_settings() -> Settings:
    return Settings()
