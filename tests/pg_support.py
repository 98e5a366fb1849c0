"""A real PostgreSQL (with pgvector) for the tests of every store that has a PostgreSQL backend.

``HUIZHEN_TEST_PG_URL`` names a server to use when set; otherwise the ``pgserver``
wheel (PostgreSQL 16 with pgvector 0.6 bundled) is started once per test
session in a temporary directory and stopped at the end. Each test gets a new,
empty database, so tests never see each other's rows.

Import the fixtures into a ``conftest.py`` (``from pg_support import pg_admin_url``):
the server behind them is shared, however many conftests import them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_lock = threading.Lock()
_server: dict[str, Any] = {"users": 0}


def _start() -> str:
    with _lock:
        if _server["users"] == 0:
            with warnings.catch_warnings():
                # pgserver asks platformdirs for a runtime dir, which warns when
                # XDG_RUNTIME_DIR is unset.
                warnings.simplefilter("ignore")
                import pgserver

                # Its own directory, not pytest's basetemp: concurrent pytest runs prune old
                # basetemps, which would pull the data directory from under a running server.
                data = Path(tempfile.mkdtemp(prefix="huizhen-pg-"))
                server = pgserver.get_server(data, cleanup_mode="stop")
            _server.update(server=server, data=data, url=server.get_uri())
        _server["users"] += 1
        return str(_server["url"])


def _stop() -> None:
    with _lock:
        _server["users"] -= 1
        if _server["users"] == 0:
            _server.pop("server").cleanup()
            shutil.rmtree(_server.pop("data"), ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A superuser URL of the test server."""
    url = os.environ.get("HUIZHEN_TEST_PG_URL")
    if url:
        yield url
        return
    url = _start()
    try:
        yield url
    finally:
        _stop()


def new_database(admin_url: str) -> str:
    """Create an empty database on the server and return a URL that connects to it."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"huizhen_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(admin_url)
    params["dbname"] = name
    info = make_conninfo(**params)
    return "postgresql://?" + "&".join(f"{k}={v}" for k, v in conninfo_to_dict(info).items())
