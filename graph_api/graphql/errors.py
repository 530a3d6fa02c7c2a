"""Errors a GraphQL client can act on; everything else is masked as unexpected."""

from __future__ import annotations

from graphql import GraphQLError

from graph_api.domain.coverage import CheckError
from graph_api.domain.values import InvalidData
from graph_api.store.base import StoreError


class UserError(Exception):
    """A request the caller can correct (bad id, page too large...). Shown, never masked."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")


class Forbidden(UserError):
    """The caller's role may not do this (shown, never masked)."""


EXPECTED = (UserError, StoreError, InvalidData, CheckError)


def should_mask(error: GraphQLError) -> bool:
    """Mask only unexpected errors; syntax and validation errors have no original error."""
    original = error.original_error
    return original is not None and not isinstance(original, EXPECTED)
