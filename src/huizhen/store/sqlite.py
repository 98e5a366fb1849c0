"""The default backend: one SQLite file with an FTS5 index and vectors as blobs.

Why SQLite: a clinic laptop needs no server, one file is easy to copy and back
up, and transactions make a killed ingest leave the file as it was before the
interrupted document. This Python cannot load SQLite extensions, so vectors are
int8 blobs searched with numpy (exact search over tens of thousands of chunks
takes a few milliseconds).
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from huizhen.errors import KnowledgeError
from huizhen.store.base import ChunkRow, Filters, VectorSet, list_documents_sql
from huizhen.store.model import Document, DocumentInfo, StoredChunk

SCHEMA_VERSION = "1"
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    license TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    synonyms TEXT NOT NULL DEFAULT '[]',
    ingested_at TEXT NOT NULL DEFAULT (datetime('now')),
    UNIQUE (scope, doc_id)
);
CREATE TABLE IF NOT EXISTS sections (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    anchor TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    heading_path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sections_doc ON sections(document_id);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    section_id INTEGER NOT NULL REFERENCES sections(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    heading_path TEXT NOT NULL,
    text TEXT NOT NULL,
    scope TEXT NOT NULL,
    language TEXT NOT NULL,
    source TEXT NOT NULL,
    embed_text TEXT NOT NULL,
    embed_key INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(document_id);
CREATE TABLE IF NOT EXISTS embeddings (
    chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    vector BLOB NOT NULL,
    scale REAL NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(
    title, heading, body, tokenize = 'unicode61 remove_diacritics 0'
);
"""


def _locked(method: Callable[..., T]) -> Callable[..., T]:
    """Serialise calls: one connection is shared by the threads of a server, and a
    transaction must not pick up another thread's statements."""

    @functools.wraps(method)
    def wrapper(self: SQLiteStore, *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class SQLiteStore:
    """:class:`~huizhen.store.base.KnowledgeStore` on one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            with self._db:
                self._db.executescript(_SCHEMA)
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
                # identifies this base in caches: a file deleted and re-created at the same
                # path must not pick up the old one's cached index
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('kb_id', ?)", (uuid.uuid4().hex,))
        except sqlite3.DatabaseError as err:
            raise KnowledgeError(f"not a huizhen knowledge base ({err})", source=str(path)) from err
        schema = self.get_meta("schema")
        if schema != SCHEMA_VERSION:
            raise KnowledgeError(f"knowledge base schema {schema}, this huizhen reads {SCHEMA_VERSION}",
                                 source=str(path))

    # -- meta ---------------------------------------------------------------------------
    @_locked
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @_locked
    def set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @_locked
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def _bump(self) -> None:
        self._db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    # -- documents ----------------------------------------------------------------------
    @_locked
    def document_hash(self, scope: str, doc_id: str) -> str | None:
        row = self._db.execute("SELECT content_hash FROM documents WHERE scope = ? AND doc_id = ?",
                               (scope, doc_id)).fetchone()
        return None if row is None else str(row[0])

    def _delete(self, scope: str, doc_id: str) -> bool:
        row = self._db.execute("SELECT id FROM documents WHERE scope = ? AND doc_id = ?",
                               (scope, doc_id)).fetchone()
        if row is None:
            return False
        self._db.execute("DELETE FROM chunk_fts WHERE rowid IN "
                         "(SELECT id FROM chunks WHERE document_id = ?)", (row[0],))
        self._db.execute("DELETE FROM documents WHERE id = ?", (row[0],))
        return True

    @_locked
    def put_documents(self, items: Sequence[tuple[Document, Sequence[ChunkRow]]]) -> None:
        with self._db:  # one transaction: old chunks go and new ones arrive together, or neither
            for doc, rows in items:
                self._delete(doc.scope, doc.doc_id)
                cur = self._db.execute(
                    "INSERT INTO documents (doc_id, scope, title, source, url, license, language,"
                    " version, content_hash, synonyms) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (doc.doc_id, doc.scope, doc.title, doc.source, doc.url, doc.license,
                     doc.language, doc.version, doc.content_hash,
                     json.dumps(doc.synonyms, ensure_ascii=False)))
                doc_pk = cur.lastrowid
                section_ids: dict[str, int] = {}
                for i, sec in enumerate(doc.sections):
                    cur = self._db.execute(
                        "INSERT INTO sections (document_id, anchor, ordinal, heading_path)"
                        " VALUES (?,?,?,?)",
                        (doc_pk, sec.anchor, i, json.dumps(list(sec.heading_path), ensure_ascii=False)))
                    section_ids.setdefault(sec.anchor, int(cur.lastrowid or 0))
                for row in rows:
                    cur = self._db.execute(
                        "INSERT INTO chunks (document_id, section_id, ordinal, heading_path, text,"
                        " scope, language, source, embed_text, embed_key)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (doc_pk, section_ids[row.anchor], row.ordinal,
                         json.dumps(list(row.heading_path), ensure_ascii=False), row.text,
                         doc.scope, doc.language, doc.source, row.embed_text, row.embed_key))
                    self._db.execute(
                        "INSERT INTO chunk_fts (rowid, title, heading, body) VALUES (?,?,?,?)",
                        (cur.lastrowid, row.title_terms, row.heading_terms, row.body_terms))
            self._bump()

    @_locked
    def remove_document(self, scope: str, doc_id: str) -> bool:
        with self._db:
            removed = self._delete(scope, doc_id)
            if removed:
                self._bump()
        return removed

    @_locked
    def list_documents(self, scope: str | None = None) -> list[DocumentInfo]:
        sql = list_documents_sql(scoped=scope is not None, placeholder="?")
        rows = self._db.execute(sql, () if scope is None else (scope,))
        return [DocumentInfo(*r) for r in rows]

    # -- search -------------------------------------------------------------------------
    @_locked
    def lexical(self, match: str, filters: Filters, limit: int,
                weights: tuple[float, float, float]) -> list[tuple[int, float]]:
        marks = ",".join("?" * len(filters.scopes))
        sql = (f"SELECT c.id, bm25(chunk_fts, ?, ?, ?) AS r FROM chunk_fts"
               f" JOIN chunks c ON c.id = chunk_fts.rowid"
               f" WHERE chunk_fts MATCH ? AND c.scope IN ({marks})")
        args: list[object] = [*weights, match, *filters.scopes]
        if filters.language:
            sql += " AND c.language = ?"
            args.append(filters.language)
        if filters.source:
            sql += " AND c.source = ?"
            args.append(filters.source)
        sql += " ORDER BY r LIMIT ?"
        args.append(limit)
        try:
            return [(int(i), -float(r)) for i, r in self._db.execute(sql, args)]
        except sqlite3.OperationalError as err:
            raise KnowledgeError(f"full-text query failed: {err}", field="query", value=match) from err

    @_locked
    def index_terms(self) -> list[tuple[int, str, str, str, str, str, str]]:
        rows = self._db.execute(
            "SELECT c.id, f.title, f.heading, f.body, c.scope, c.language, c.source"
            " FROM chunks c JOIN chunk_fts f ON f.rowid = c.id ORDER BY c.id")
        return [tuple(r) for r in rows]  # type: ignore[misc]

    @_locked
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        out: dict[int, StoredChunk] = {}
        ids = list(chunk_ids)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = self._db.execute(
                "SELECT c.id, d.doc_id, s.anchor, c.ordinal, c.heading_path, c.text, d.title,"
                " d.source, d.url, d.license, d.language, d.scope FROM chunks c"
                " JOIN documents d ON d.id = c.document_id JOIN sections s ON s.id = c.section_id"
                f" WHERE c.id IN ({','.join('?' * len(part))})", part)
            for r in rows:
                out[int(r[0])] = StoredChunk(int(r[0]), r[1], r[2], int(r[3]),
                                             tuple(json.loads(r[4])), r[5], r[6], r[7], r[8], r[9],
                                             r[10], r[11])
        return out

    # -- embeddings ---------------------------------------------------------------------
    @_locked
    def missing_embeddings(self, limit: int) -> list[tuple[int, str, int]]:
        rows = self._db.execute(
            "SELECT c.id, c.embed_text, c.embed_key FROM chunks c"
            " LEFT JOIN embeddings e ON e.chunk_id = c.id WHERE e.chunk_id IS NULL"
            " ORDER BY c.id LIMIT ?", (limit,))
        return [(int(i), t, int(k)) for i, t, k in rows]

    @_locked
    def count_missing_embeddings(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM chunks c LEFT JOIN embeddings e"
                               " ON e.chunk_id = c.id WHERE e.chunk_id IS NULL").fetchone()
        return int(row[0])

    @_locked
    def put_embeddings(self, rows: Sequence[tuple[int, np.ndarray, float]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (chunk_id, vector, scale) SELECT ?, ?, ?"
                " WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?)",
                [(cid, np.asarray(v, dtype=np.int8).tobytes(), float(s), cid) for cid, v, s in rows])
            self._bump()

    @_locked
    def clear_embeddings(self) -> None:
        """Drop every vector (before re-embedding with another model)."""
        with self._db:
            self._db.execute("DELETE FROM embeddings")
            self._db.execute("DELETE FROM meta WHERE key = 'embedding_stamp'")
            self._bump()

    @_locked
    def vectors(self) -> VectorSet:
        rows = self._db.execute(
            "SELECT e.chunk_id, e.vector, e.scale, c.scope, c.language, c.source"
            " FROM embeddings e JOIN chunks c ON c.id = e.chunk_id ORDER BY e.chunk_id").fetchall()
        if not rows:
            empty = np.zeros(0, dtype=object)
            return VectorSet(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32),
                             empty, empty, empty)
        q = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.int8).reshape(len(rows), -1)
        scales = np.array([r[2] for r in rows], dtype=np.float32)
        vecs = q.astype(np.float32) * scales[:, None]
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs /= np.where(norms == 0, 1, norms)
        return VectorSet(np.array([r[0] for r in rows], dtype=np.int64), vecs,
                         np.array([r[3] for r in rows], dtype=object),
                         np.array([r[4] for r in rows], dtype=object),
                         np.array([r[5] for r in rows], dtype=object))

    def nearest(self, vector: np.ndarray, filters: Filters, limit: int) -> list[tuple[int, float]]:
        """Exact cosine search with numpy over every stored vector (this Python cannot
        load a vector extension into SQLite)."""
        vs = self.vectors()
        if vs.chunk_ids.size == 0 or limit < 1:
            return []
        allowed = np.isin(vs.scopes, np.array(filters.scopes, dtype=object))
        if filters.language:
            allowed &= vs.languages == filters.language
        if filters.source:
            allowed &= vs.sources == filters.source
        q = np.asarray(vector, dtype=np.float32)
        if q.shape != (vs.vectors.shape[1],):
            raise KnowledgeError(f"vector search failed: the query has {q.size} dimensions, the "
                                 f"stored vectors {vs.vectors.shape[1]}", source=self.location,
                                 field="vector", value=f"{q.size} dimensions")
        ids, scores = vs.chunk_ids[allowed], vs.vectors[allowed] @ q
        order = np.lexsort((ids, -scores))[:limit]
        return [(int(ids[i]), float(scores[i])) for i in order]

    # -- health -------------------------------------------------------------------------
    @_locked
    def integrity_errors(self) -> list[str]:
        errors: list[str] = []
        ok = self._db.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            errors.append(f"sqlite integrity_check: {ok}")
        checks = {
            "chunks without a document": "SELECT COUNT(*) FROM chunks c LEFT JOIN documents d"
                                          " ON d.id = c.document_id WHERE d.id IS NULL",
            "full-text rows without a chunk": "SELECT COUNT(*) FROM chunk_fts f LEFT JOIN chunks c"
                                              " ON c.id = f.rowid WHERE c.id IS NULL",
            "chunks missing from the full-text index": "SELECT COUNT(*) FROM chunks c WHERE c.id"
                                                       " NOT IN (SELECT rowid FROM chunk_fts)",
            "documents without chunks": "SELECT COUNT(*) FROM documents d WHERE NOT EXISTS"
                                        " (SELECT 1 FROM chunks c WHERE c.document_id = d.id)",
            "vectors without a chunk": "SELECT COUNT(*) FROM embeddings e LEFT JOIN chunks c"
                                       " ON c.id = e.chunk_id WHERE c.id IS NULL",
        }
        for what, sql in checks.items():
            n = self._db.execute(sql).fetchone()[0]
            if n:
                errors.append(f"{n} {what}")
        return errors

    @_locked
    def vacuum(self) -> None:
        """Merge the full-text index and reclaim space (after a bulk build)."""
        with self._db:
            self._db.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('optimize')")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")

    @_locked
    def close(self) -> None:
        try:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass
        self._db.close()
