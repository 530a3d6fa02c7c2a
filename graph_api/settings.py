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
    graph_api_read_only: bool = Field(False, description="refuse every mutation (acceptMatches); who may write "
                                      "what comes with roles")
    graph_api_audit_history: str = Field(".data/audit-history", description="folder of saved audit snapshots "
                                         "(`graph-api audit --save`), read for the trend in reports")


@lru_cache
def get_settings() -> Settings:
    return Settings()
