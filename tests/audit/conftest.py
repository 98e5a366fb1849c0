"""The audit store suite runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from ``HUIZHEN_TEST_PG_URL`` when set, otherwise from the
``pgserver`` wheel (PostgreSQL 16 bundled), started once per test session in
a temporary directory and stopped at the end; each test gets a new database.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    url = os.environ.get("HUIZHEN_TEST_PG_URL")
    if url:
        yield url
        return
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir, which warns when XDG_RUNTIME_DIR is unset.
        warnings.simplefilter("ignore")
        import pgserver

        # Its own directory, not pytest's basetemp: concurrent pytest runs prune old
        # basetemps, which would pull the data directory from under a running server.
        data = Path(tempfile.mkdtemp(prefix="huizhen-pg-"))
        server = pgserver.get_server(data, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


def _database(admin_url: str) -> str:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"huizhen_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(admin_url)
    params["dbname"] = name
    info = make_conninfo(**params)
    return "postgresql://?" + "&".join(f"{k}={v}" for k, v in conninfo_to_dict(info).items())


@pytest.fixture(params=["sqlite", "postgresql"])
def audit_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return _database(request.getfixturevalue("pg_admin_url"))
