"""The audit store suite runs on SQLite and on a real PostgreSQL (see ``pg_support``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pg_support import new_database, pg_admin_url

__all__ = ["audit_url", "pg_admin_url"]


@pytest.fixture(params=["sqlite", "postgresql"])
def audit_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return new_database(request.getfixturevalue("pg_admin_url"))
