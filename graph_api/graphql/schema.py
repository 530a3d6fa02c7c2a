"""The strawberry schema with its guards."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from strawberry.schema.config import StrawberryConfig

from graph_api.graphql import types as _types  # noqa: F401  (registers every object type)
from graph_api.graphql.coverage import JSON, JSON_SCALAR
from graph_api.graphql.errors import should_mask
from graph_api.graphql.query import Mutation, Query
from graph_api.settings import Settings, get_settings


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or get_settings()
    # The depth and alias guards are validation rules. Their rule classes are made once here:
    # the validation cache is keyed by the rule classes, and a new class per request would
    # miss the cache every time.
    guard_rules = [
        *QueryDepthLimiter(max_depth=settings.graph_api_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graph_api_max_aliases).validation_rules,
    ]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=list(_types.TYPE_BY_KIND.values()),
        config=StrawberryConfig(scalar_map={JSON: JSON_SCALAR}),
        # factories: a fresh extension per request (the parse and validation caches are shared)
        extensions=[
            lambda: AddValidationRules(guard_rules),
            lambda: MaxTokensLimiter(max_token_count=settings.graph_api_max_tokens),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            lambda: MaskErrors(should_mask_error=should_mask, error_message="服务器内部错误 / Unexpected server error."),
        ],
    )
