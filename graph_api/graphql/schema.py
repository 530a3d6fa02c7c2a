"""The strawberry schema with its guards."""

from __future__ import annotations

import datetime as dt

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
from graphql import FieldNode, GraphQLError, ValidationRule
from graphql.language import SKIP

from graph_api.graphql import types as _types  # noqa: F401  (registers every object type)
from graph_api.graphql.audit_reads import AuditSensitiveReads
from graph_api.graphql.auditlog import DATETIME_SCALAR
from graph_api.graphql.cost import CostLimits, QueryCostVariables, query_cost_rule
from graph_api.graphql.coverage import JSON, JSON_SCALAR
from graph_api.graphql.errors import should_mask
from graph_api.graphql.query import Mutation, Query
from graph_api.settings import Settings, get_settings


class NoIntrospection(ValidationRule):
    """Refuses ``__schema`` and ``__type`` (the only ways into introspection); ``__typename`` is
    allowed. A module-level class, so the validation cache keeps hitting."""

    def enter_field(self, node: FieldNode, *_args: object) -> object:
        name = node.name.value
        if name in ("__schema", "__type"):
            self.report_error(GraphQLError(f"内省查询已关闭（字段 {name}）· introspection is disabled (field {name})",
                                           node))
            return SKIP
        return None


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or get_settings()
    # The depth, alias, cost and introspection guards are validation rules. Their rule classes
    # are made once here: the validation cache is keyed by the rule classes, and a new class per
    # request would miss the cache every time.
    cost_limits = CostLimits.from_settings(settings)
    guard_rules = [
        *QueryDepthLimiter(max_depth=settings.graph_api_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graph_api_max_aliases).validation_rules,
        query_cost_rule(cost_limits),
    ]
    if not settings.switch(settings.graph_api_introspection):
        guard_rules.append(NoIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=list(_types.TYPE_BY_KIND.values()),
        config=StrawberryConfig(scalar_map={JSON: JSON_SCALAR, dt.datetime: DATETIME_SCALAR}),
        # factories: a fresh extension per request (the parse and validation caches are shared)
        extensions=[
            lambda: AddValidationRules(guard_rules),
            lambda: MaxTokensLimiter(max_token_count=settings.graph_api_max_tokens),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            # the cost of operations whose page sizes are variables (the cache cannot see them)
            lambda: QueryCostVariables(cost_limits),
            AuditSensitiveReads,
            lambda: MaskErrors(should_mask_error=should_mask, error_message="服务器内部错误 / Unexpected server error."),
        ],
    )
