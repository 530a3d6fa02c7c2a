"""SQLite file behind the embedded store: every write commits here before it is acknowledged.

WAL journal with ``synchronous=FULL``: a committed transaction survives a crash of the
process or of the machine. Edges reference nodes by foreign key, and unique constraints
other than the business key live in ``unique_values``, so the file itself refuses what
the model forbids. The audit log (append-only: triggers refuse UPDATE and DELETE), API keys
and revoked token ids live in the same file, so one backup holds them all.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graph_api.domain.model import KIND_BY_NAME
from graph_api.store.base import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  props TEXT NOT NULL,            -- JSON object; dates as YYYY-MM-DD
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edges (
  src_kind TEXT NOT NULL, src_id TEXT NOT NULL, type TEXT NOT NULL,
  dst_kind TEXT NOT NULL, dst_id TEXT NOT NULL,
  PRIMARY KEY (src_kind, src_id, type, dst_kind, dst_id),
  FOREIGN KEY (src_kind, src_id) REFERENCES nodes (kind, id),
  FOREIGN KEY (dst_kind, dst_id) REFERENCES nodes (kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_by_dst ON edges (dst_kind, dst_id);
CREATE TABLE IF NOT EXISTS unique_constraints (
  label TEXT NOT NULL, prop TEXT NOT NULL, statement TEXT NOT NULL,
  PRIMARY KEY (label, prop)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unique_values (
  label TEXT NOT NULL, prop TEXT NOT NULL, value TEXT NOT NULL,
  kind TEXT NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY (label, prop, value),
  FOREIGN KEY (kind, id) REFERENCES nodes (kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unique_values_by_node ON unique_values (kind, id);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL, role TEXT NOT NULL, scope_kind TEXT NOT NULL,
  scope_ids TEXT NOT NULL,        -- JSON list
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,       -- ISO, UTC
  expires_at TEXT,
  revoked_at TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revoked_tokens (
  id TEXT PRIMARY KEY,            -- a JWT jti or an API key id
  at TEXT NOT NULL
) WITHOUT ROWID;
"""

#: the audit log, append-only: triggers refuse UPDATE and DELETE (wipe drops and recreates the
#: table, which fires no trigger)
AUDIT_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at TEXT NOT NULL,               -- ISO, UTC, fixed width (sorts as the instants do)
  actor TEXT NOT NULL, role TEXT NOT NULL, operation TEXT NOT NULL, kind TEXT,
  record_ids TEXT NOT NULL,       -- JSON list
  street_id TEXT, community_id TEXT,
  before TEXT, after TEXT,        -- JSON objects or NULL
  fields TEXT NOT NULL            -- JSON list
)""",
    "CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at, id)",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
SCHEMA += ";\n".join(AUDIT_SCHEMA) + ";\n"


def _date_props(kind: str) -> frozenset[str]:
    return frozenset(p.name for p in KIND_BY_NAME[kind].all_props if p.type is dt.date)


_DATE_PROPS = {name: _date_props(name) for name in KIND_BY_NAME}


def encode_props(props: dict[str, Any]) -> str:
    return json.dumps(props, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                      default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v))


def decode_props(kind: str, text: str) -> dict[str, Any]:
    props = json.loads(text)
    for name in _DATE_PROPS[kind]:
        value = props.get(name)
        if value is not None:
            props[name] = dt.date.fromisoformat(value)
    return props


class DurableFile:
    """The SQLite database file; one connection, used by one writer at a time."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one owning process: another one's writes would never reach this one's memory
        self._lock_file = open(self.path.with_name(self.path.name + ".lock"), "a+")  # noqa: SIM115
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreError(f"the embedded store {self.path} is open in another process; "
                             f"stop it first (one process owns the file at a time)") from None
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()
        self._lock_file.close()  # releases the lock

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One SQLite transaction: committed on success, rolled back on any error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:  # SQLite may already have rolled back by itself
                self.conn.execute("ROLLBACK")
            raise

    def read_nodes(self) -> Iterable[tuple[str, str, dict[str, Any]]]:
        for kind, node_id, props in self.conn.execute("SELECT kind, id, props FROM nodes"):
            yield kind, node_id, decode_props(kind, props)

    def read_edges(self) -> Iterable[tuple[str, str, str, str, str]]:
        yield from self.conn.execute("SELECT src_kind, src_id, type, dst_kind, dst_id FROM edges")

    def unique_constraints(self) -> list[tuple[str, str]]:
        return [(label, prop) for label, prop in self.conn.execute("SELECT label, prop FROM unique_constraints")]
