"""One place that turns a ``--kb`` value or a tenant's ``knowledge_base`` into a store.

Why a factory: callers (the CLI, the API, the reasoners) hold a location, not a
backend. A path or ``sqlite:///path`` opens the embedded SQLite file; a
``postgresql://`` URL opens the knowledge base in that database, so a network of
API processes can share one. Adding a backend means adding a branch here.
"""

from __future__ import annotations

import re
from pathlib import Path

from huizhen.errors import KnowledgeError
from huizhen.store.base import KnowledgeStore

POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: A URL that went through ``pathlib.Path`` loses one slash of its ``//``.
_MANGLED = re.compile(r"^(postgresql|postgres|sqlite):/(?!/)")


def is_database_url(location: str | Path | None) -> bool:
    """True for a ``postgresql://`` URL (a server, not a file on this machine)."""
    if location is None or isinstance(location, Path):
        return False
    m = _SCHEME.match(str(location))
    return m is not None and m.group(1).lower() in POSTGRES_SCHEMES


def sqlite_path(location: str | Path) -> Path | None:
    """The file a path or ``sqlite:///`` URL names; None for a database URL.

    ``sqlite:///kb.sqlite`` is relative, ``sqlite:////var/kb.sqlite`` absolute
    (SQLAlchemy's spelling). Any other scheme is refused by name."""
    if isinstance(location, Path):
        text = str(location)
        if _MANGLED.match(text):
            raise KnowledgeError("this database URL was read as a file path and lost a '/' of "
                                 "its '//'; pass it as text", field="kb", value=text)
        return location
    m = _SCHEME.match(location)
    if m is None:
        return Path(location)
    scheme = m.group(1).lower()
    if scheme == "sqlite":
        return Path(location[len("sqlite:///"):]) if location.startswith("sqlite:///") else Path(
            location[len("sqlite://"):])
    if scheme in POSTGRES_SCHEMES:
        return None
    raise KnowledgeError("unknown knowledge base URL scheme; use a file path, sqlite:///path or "
                         "postgresql://...", field="kb", value=location)


def store_key(location: str | Path) -> str:
    """What identifies a location for a per-process cache of open stores."""
    path = sqlite_path(location)
    return str(path.resolve()) if path is not None else str(location)


#: Databases known to hold a knowledge base: asked once per process, not per request.
_found: set[str] = set()


def store_exists(location: str | Path) -> bool:
    """Whether a knowledge base is there: the file exists, or the database has one."""
    path = sqlite_path(location)
    if path is not None:
        return path.exists()
    if str(location) in _found:
        return True
    try:
        open_store(location, must_exist=True).close()
    except KnowledgeError:
        return False
    _found.add(str(location))
    return True


def open_store(location: str | Path, *, must_exist: bool = False) -> KnowledgeStore:
    """The knowledge base at ``location``: SQLite for a path or ``sqlite:///`` URL,
    PostgreSQL for a ``postgresql://`` URL. With ``must_exist``, a missing one is
    refused instead of created."""
    path = sqlite_path(location)
    if path is None:
        from huizhen.store.postgres import PostgresStore

        return PostgresStore(str(location), create=not must_exist)
    if must_exist and not path.exists():
        raise KnowledgeError("no knowledge base here; create it with `huizhen kb init` "
                             "or `huizhen kb ingest`", source=str(path))
    from huizhen.store.sqlite import SQLiteStore

    return SQLiteStore(path)
