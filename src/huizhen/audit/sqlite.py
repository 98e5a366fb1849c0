"""The SQLite audit backend: one file for a clinic laptop or one host.

WAL mode and a busy timeout let several API processes on one host share the
file; ``BEGIN IMMEDIATE`` takes the write lock before the last hash is read.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from huizhen.audit.sql import APPEND_ONLY, SQLAuditStore, tables_ddl

SCHEMA = tables_ddl("INTEGER PRIMARY KEY AUTOINCREMENT", "REAL")


class SQLiteAuditStore(SQLAuditStore):
    """One SQLite file; safe to share between threads (one lock) and processes (WAL)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.where = str(path)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            self._db.executescript(SCHEMA)
            for table in APPEND_ONLY:
                for verb in ("UPDATE", "DELETE"):
                    self._db.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} "
                        f"ON {table} BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
                    )
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('pseudonym_key', ?)",
                             (secrets.token_hex(32),))
            row = self._db.execute("SELECT value FROM meta WHERE key = 'pseudonym_key'").fetchone()
        self._key = bytes.fromhex(row[0])

    def _run(self, sql: str, args: Sequence[Any] = ()) -> Any:
        return self._db.execute(sql, tuple(args))

    @contextmanager
    def _write(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
