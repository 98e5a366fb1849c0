"""The tenant registry in PostgreSQL: hospitals' settings in the database every API process reads.

Why: a network of API processes can take its tenants (API-key digests, JWT
issuers with inline JWKS, knowledge base, audit settings) from the database it
already shares instead of a file copied to every host. One row per tenant, its
settings as the same mapping a tenants file holds, validated by
:mod:`huizhen.tenants` when a process loads its configuration. The registry
holds no secrets in clear: API keys are SHA-256 digests, JWKS are public keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from huizhen.errors import ConfigError
from huizhen.store.postgres import error_line, redact

SCHEMA_NAME = "huizhen_tenants"
FIELD = "tenant_registry.url"
_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA_NAME};
CREATE TABLE IF NOT EXISTS {SCHEMA_NAME}.tenants (
    id TEXT PRIMARY KEY,
    config JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""


@contextmanager
def _connect(url: str) -> Iterator[Any]:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as db:
            yield db
    except psycopg.Error as err:
        raise ConfigError(f"tenant registry: {error_line(err)}", field=FIELD, value=redact(url)) from None


def _table_exists(db: Any) -> bool:
    """Whether anything was ever registered (the table is created by the first push)."""
    row = db.execute("SELECT to_regclass(%s)", (f"{SCHEMA_NAME}.tenants",)).fetchone()
    return row is not None and row[0] is not None


def read_tenants(url: str) -> list[dict[str, Any]]:
    """Every registered tenant's settings, by id; empty when nothing was registered yet."""
    with _connect(url) as db:
        if not _table_exists(db):
            return []
        rows = db.execute(f"SELECT id, config FROM {SCHEMA_NAME}.tenants ORDER BY id").fetchall()
    return [{**config, "id": tid} for tid, config in rows]


def write_tenants(url: str, tenants: Sequence[dict[str, Any]], *, replace_all: bool = False) -> None:
    """Register tenants (insert or replace each by id), all in one transaction; with
    ``replace_all`` the registry afterwards holds exactly these. Validate them first
    (:func:`huizhen.tenants.validate_tenant`): a process refuses to start on a bad row."""
    ids = [str(t["id"]) for t in tenants]
    if len(set(ids)) != len(ids):
        raise ConfigError("duplicate tenant id", field="tenants",
                          value=next(i for i in ids if ids.count(i) > 1))
    with _connect(url) as db, db.transaction():
        db.execute(_DDL)
        if replace_all:
            db.execute(f"DELETE FROM {SCHEMA_NAME}.tenants WHERE NOT (id = ANY(%s::text[]))", (ids,))
        for tenant in tenants:
            config = {k: v for k, v in tenant.items() if k != "id"}
            db.execute(
                f"INSERT INTO {SCHEMA_NAME}.tenants (id, config) VALUES (%s, %s::jsonb)"
                " ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = now()",
                (str(tenant["id"]), json.dumps(config, ensure_ascii=False)))


def delete_tenant(url: str, tenant_id: str) -> bool:
    """Remove a tenant from the registry; False when it was not registered."""
    with _connect(url) as db:
        if not _table_exists(db):
            return False
        cur = db.execute(f"DELETE FROM {SCHEMA_NAME}.tenants WHERE id = %s", (tenant_id,))
        return bool(cur.rowcount)
