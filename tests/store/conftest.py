"""The store suite runs every test on both backends: a SQLite file and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_support import new_database, pg_admin_url

from huizhen.store import KnowledgeStore, open_store

__all__ = ["kb_location", "pg_admin_url", "pg_url", "store"]


@pytest.fixture(params=["sqlite", "postgresql"])
def kb_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh knowledge base goes: a file path, or a URL of an empty database."""
    if request.param == "sqlite":
        return str(tmp_path / "kb.sqlite")
    return new_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def pg_url(pg_admin_url: str) -> str:
    """An empty PostgreSQL database, for what only that backend does."""
    return new_database(pg_admin_url)


@pytest.fixture
def store(kb_location: str) -> Iterator[KnowledgeStore]:
    opened = open_store(kb_location)
    try:
        yield opened
    finally:
        opened.close()
