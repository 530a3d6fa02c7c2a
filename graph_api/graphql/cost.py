"""The query cost guard: refuse operations that would fetch too much before running them.

The estimate, for one operation (named and inline fragments followed):

* every selected field costs 1 (``__typename`` too; introspection is not priced, the
  introspection switch governs it);
* the cost of a field's sub-selection is multiplied by the number of items the field may return:

  - a field taking ``first``/``last`` (a connection): the larger of the two when given (a literal,
    or the variable's value), the default page size when neither is given, the maximum page size
    when a value cannot be resolved; always capped at the maximum page size, which the resolvers
    enforce anyway. The multiplier applies to the list fields of the connection (``edges``,
    ``nodes``), not to ``totalCount`` or ``pageInfo``, which are computed once per page;
  - any other list-typed field (relationship lists such as ``leaders``): ``LIST_SIZE_ESTIMATE``.

So ``{ communities(first: 20) { totalCount nodes { name leaders { name } } } }`` costs
1 + 1 + 1 + 20 × (1 + 1 + 10 × 1) = 243.

Variables and the validation cache: the rule (:func:`query_cost_rule`) runs inside the cached
validation, which is keyed by the document and the rules, never by the variables. So it prices
only what the document fixes; an operation whose page sizes come from variables is left to
:class:`QueryCostVariables`, an extension that prices the operation being executed with the
request's variables, after validation and before execution, with the same error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.language import SKIP, ValueNode
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from graph_api.settings import Settings

LIST_SIZE_ESTIMATE = 10
"""Items assumed for a list field without paging arguments (a relationship list)."""

PAGE_ARGUMENTS = ("first", "last")


@dataclass(frozen=True)
class CostLimits:
    max_cost: int
    max_page_size: int
    default_page_size: int
    list_size: int = LIST_SIZE_ESTIMATE

    @classmethod
    def from_settings(cls, settings: Settings) -> CostLimits:
        return cls(max_cost=settings.graph_api_max_query_cost, max_page_size=settings.graph_api_max_page_size,
                   default_page_size=settings.graph_api_default_page_size)

    def error(self, cost: int, operation: OperationDefinitionNode) -> GraphQLError:
        return GraphQLError(f"查询成本 {cost} 超过上限 {self.max_cost} · "
                            f"query cost {cost} exceeds the limit {self.max_cost}", operation)


class _Unresolved:
    """A page size given by a variable whose value is not known (validation has no variables)."""


UNRESOLVED = _Unresolved()


class CostEstimate:
    """Prices one operation; ``variables`` None means "not known" (inside validation)."""

    def __init__(self, schema: GraphQLSchema, limits: CostLimits,
                 fragment: Callable[[str], FragmentDefinitionNode | None],
                 variables: Mapping[str, Any] | None):
        self.schema = schema
        self.limits = limits
        self.fragment = fragment
        self.variables = variables
        self.uses_variables = False  # a page size came from a variable
        self._defaults: dict[str, ValueNode | None] = {}
        self._fragment_costs: dict[tuple[str, int | None], int] = {}
        self._open_fragments: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> int:
        self._defaults = {d.variable.name.value: d.default_value for d in operation.variable_definitions or ()}
        root = self.schema.get_root_type(operation.operation)
        return 0 if root is None else self._selections(operation.selection_set, root, None)

    def _selections(self, selection_set: SelectionSetNode, parent: Any, page: int | None) -> int:
        """Cost of a selection set on ``parent``; ``page`` is the page size of the connection
        ``parent`` is (it multiplies the connection's list fields), None elsewhere."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                typ = self.schema.get_type(condition.name.value) if condition else parent
                total += self._selections(selection.selection_set, typ or parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._spread(selection.name.value, page)
        return total

    def _spread(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key in self._fragment_costs:
            return self._fragment_costs[key]
        fragment = self.fragment(name)
        if fragment is None or name in self._open_fragments:  # unknown or cyclic: other rules report it
            return 0
        self._open_fragments.add(name)
        typ = self.schema.get_type(fragment.type_condition.name.value)
        cost = 0 if typ is None else self._selections(fragment.selection_set, typ, page)
        self._open_fragments.discard(name)
        self._fragment_costs[key] = cost
        return cost

    def _field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        name = node.name.value
        if node.selection_set is None or name.startswith("__"):
            return 1
        fields = parent.fields if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) else {}
        definition = fields.get(name)
        if definition is None:  # unknown field: the standard rules report it
            return 1
        named = get_named_type(definition.type)
        is_list = is_list_type(get_nullable_type(definition.type))
        size = self._page_size(node) if any(a in definition.args for a in PAGE_ARGUMENTS) else None
        if size is not None and not is_list:  # a connection: its list fields hold the page
            return 1 + self._selections(node.selection_set, named, size)
        if size is None and is_list:
            size = page if page is not None else self.limits.list_size
        multiplier = size if is_list else 1
        return 1 + multiplier * self._selections(node.selection_set, named, None)

    def _page_size(self, node: FieldNode) -> int:
        limits = self.limits
        sizes: list[int] = []
        for argument in node.arguments or ():
            if argument.name.value in PAGE_ARGUMENTS:
                value = self._value(argument.value)
                if value is UNRESOLVED:
                    sizes.append(limits.max_page_size)
                elif value is not None:
                    sizes.append(value if isinstance(value, int) and not isinstance(value, bool)
                                 else limits.max_page_size)
        if not sizes:
            return limits.default_page_size
        return min(max(max(sizes), 0), limits.max_page_size)

    def _value(self, value: ValueNode | None) -> Any:
        """The literal or variable value of a page argument: an int, None (not given) or UNRESOLVED."""
        if value is None or isinstance(value, NullValueNode):
            return None
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            self.uses_variables = True
            name = value.name.value
            if self.variables is None:
                return UNRESOLVED
            if name in self.variables:
                return self.variables[name]
            return self._value(self._defaults.get(name))
        return UNRESOLVED  # a wrong literal: the standard rules report it


def query_cost_rule(limits: CostLimits) -> type[ValidationRule]:
    """The validation rule class; make it once per schema (the validation cache is keyed by it)."""

    class QueryCostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
            estimate = CostEstimate(self.context.schema, limits, self.context.get_fragment, None)
            cost = estimate.operation(node)
            # page sizes from variables: priced with their values by QueryCostVariables
            if cost > limits.max_cost and not estimate.uses_variables:
                self.report_error(limits.error(cost, node))
            return SKIP

    return QueryCostRule


class QueryCostVariables(SchemaExtension):
    """Prices the executed operation with the request's variables when its page sizes use them
    (the cached validation cannot); an operation over the limit is not executed."""

    def __init__(self, limits: CostLimits):
        self.limits = limits

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if operation is not None and operation.variable_definitions and not context.result:
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            estimate = CostEstimate(context.schema._schema, self.limits, fragments.get, context.variables or {})
            cost = estimate.operation(operation)
            if cost > self.limits.max_cost:
                context.result = ExecutionResult(data=None, errors=[self.limits.error(cost, operation)])
        yield
