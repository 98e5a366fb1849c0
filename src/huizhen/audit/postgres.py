"""The PostgreSQL audit backend: one database behind many API processes and hosts.

Same tables and SQL as SQLite (``huizhen.audit.sql``), in their own schema
``huizhen_audit`` so they sit beside the knowledge store in one database.
The write lock is a transaction-scoped advisory lock: appends from every
process serialise on it, which keeps the hash chain linear, while readers
never wait.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from huizhen.audit.sql import APPEND_ONLY, SQLAuditStore, tables_ddl
from huizhen.errors import ConfigError

SCHEMA_NAME = "huizhen_audit"
#: Arbitrary, fixed advisory-lock keys: schema creation and appends.
_INIT_LOCK, _WRITE_LOCK = 0x68757A01, 0x68757A02

SCHEMA = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA_NAME};
SET search_path TO {SCHEMA_NAME};
{tables_ddl("BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION")}
CREATE OR REPLACE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$;
"""


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


class PostgresAuditStore(SQLAuditStore):
    def __init__(self, url: str) -> None:
        super().__init__()
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError:  # pragma: no cover - psycopg is a dependency
            raise ConfigError("PostgreSQL needs the psycopg package", field="audit.url") from None
        self.where = _redact(url)
        try:
            self._db = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        except psycopg.Error as err:
            raise ConfigError(f"cannot connect: {str(err).strip().splitlines()[0]}",
                              field="audit.url", value=self.where) from None
        with self._lock:
            self._db.execute("SELECT pg_advisory_lock(%s)", (_INIT_LOCK,))
            try:
                self._db.execute(SCHEMA)
                for table in APPEND_ONLY:
                    self._db.execute(
                        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE "
                        f"ON {table} FOR EACH ROW EXECUTE FUNCTION append_only()")
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('pseudonym_key', %s) "
                    "ON CONFLICT DO NOTHING", (secrets.token_hex(32),))
                row = self._db.execute(
                    "SELECT value FROM meta WHERE key = 'pseudonym_key'").fetchone()
            finally:
                self._db.execute("SELECT pg_advisory_unlock(%s)", (_INIT_LOCK,))
        assert row is not None
        self._key = bytes.fromhex(row["value"])

    def _run(self, sql: str, args: Sequence[Any] = ()) -> Any:
        return self._db.execute(sql.replace("?", "%s"), tuple(args))  # type: ignore[arg-type]

    @contextmanager
    def _write(self) -> Iterator[None]:
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield

    def close(self) -> None:
        with self._lock:
            self._db.close()
