"""Every read of a sensitive field shown in full goes to the audit log: one entry per kind and
community of the records read, written when the request's execution ends."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from graph_api.store.base import AuditEntry


class AuditSensitiveReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        yield
        context = self.execution_context.context
        reads = getattr(context, "sensitive_reads", None)
        if not reads:
            return
        principal = context.principal
        now = dt.datetime.now(dt.UTC)
        operation = self.execution_context.operation_name or "anonymous"
        entries = [AuditEntry(id=uuid.uuid4().hex, at=now, actor=principal.subject,
                              role=principal.role.value if principal.role else "OPERATOR",
                              operation=f"read:{operation}", kind=kind, record_ids=tuple(sorted(ids)),
                              street_id=street, community_id=community, fields=tuple(sorted(fields)))
                   for (kind, street, community), (ids, fields) in sorted(reads.items(), key=str)]
        reads.clear()
        # not counted as the request's round trips; a failure fails the request: no unlogged read
        await context.raw_store.append_audit(entries)
