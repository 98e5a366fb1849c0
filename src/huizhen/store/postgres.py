"""The PostgreSQL backend: one database behind many API processes and hosts.

Why PostgreSQL: a regional network runs several stateless API processes (on
one host or many) over one database that a DBA backs up, replicates or rents
as a managed service. Everything the SQLite file holds lives here in the
schema ``huizhen_kb`` (beside the audit log's ``huizhen_audit``): documents,
sections, chunks with their heading paths, a full-text ``tsvector`` and
embeddings as pgvector ``vector`` columns.

Full text without a PostgreSQL dictionary: PostgreSQL has no jieba, so terms
are never parsed here. The store receives the index terms ingestion made
(jieba segmentation, Traditional→Simplified, English Snowball stems — the same
as for the SQLite file) and writes them as a ``tsvector`` literal
(:mod:`huizhen.store.pgterms`), lexemes
exactly as given, weighted A (title), B (heading path) and D (body). Ranking
(:meth:`PostgresStore.lexical`) is BM25 computed in SQL the way SQLite's FTS5
``bm25()`` computes it (weighted term frequency, idf over the whole index,
document length over the average), so both backends order hits alike.

Vectors are kept twice: as ``vector`` for pgvector's cosine operator
(:meth:`PostgresStore.nearest`; the int8 values, since cosine ignores the
scale) and as the int8 bytes with their scale that ingestion produced, so
:meth:`PostgresStore.vectors` returns exactly what the SQLite backend returns
for the in-memory search.

Concurrency: every write transaction first updates the ``generation`` row of
``meta``, so writers from any process serialise on that row lock (one writer
at a time, as in SQLite) while readers never wait; caches in every process
key on that counter. Within a process, one connection is shared by threads
under a lock.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

from huizhen.errors import KnowledgeError
from huizhen.store.base import ChunkRow, Filters, VectorSet, list_documents_sql
from huizhen.store.model import Document, DocumentInfo, StoredChunk
from huizhen.store.pgterms import distinct_terms, lexeme, match_terms, tsvector_literal

SCHEMA_NAME = "huizhen_kb"
SCHEMA_VERSION = "1"
#: Advisory-lock key for creating the schema (several processes may start at once).
_INIT_LOCK = 0x68757A10
#: BM25 constants of SQLite FTS5's bm25(), so both backends rank alike.
K1, B = 1.2, 0.75
T = TypeVar("T")

_TABLES = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA_NAME};
CREATE TABLE IF NOT EXISTS {SCHEMA_NAME}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {SCHEMA_NAME}.documents (
    id BIGSERIAL PRIMARY KEY,
    doc_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    license TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    synonyms JSONB NOT NULL DEFAULT '[]',
    ingested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (scope, doc_id)
);
CREATE TABLE IF NOT EXISTS {SCHEMA_NAME}.sections (
    id BIGSERIAL PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES {SCHEMA_NAME}.documents(id) ON DELETE CASCADE,
    anchor TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    heading_path TEXT[] NOT NULL
);
CREATE INDEX IF NOT EXISTS sections_doc ON {SCHEMA_NAME}.sections(document_id);
CREATE TABLE IF NOT EXISTS {SCHEMA_NAME}.chunks (
    id BIGSERIAL PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES {SCHEMA_NAME}.documents(id) ON DELETE CASCADE,
    section_id BIGINT NOT NULL REFERENCES {SCHEMA_NAME}.sections(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    heading_path TEXT[] NOT NULL,
    text TEXT NOT NULL,
    scope TEXT NOT NULL,
    language TEXT NOT NULL,
    source TEXT NOT NULL,
    embed_text TEXT NOT NULL,
    embed_key BIGINT NOT NULL,
    title_terms TEXT NOT NULL,
    heading_terms TEXT NOT NULL,
    body_terms TEXT NOT NULL,
    n_title INTEGER NOT NULL,
    n_heading INTEGER NOT NULL,
    n_terms INTEGER NOT NULL,
    fts TSVECTOR NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA_NAME}.term_df (term TEXT PRIMARY KEY, n BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON {SCHEMA_NAME}.chunks(document_id);
CREATE INDEX IF NOT EXISTS chunks_scope ON {SCHEMA_NAME}.chunks(scope);
CREATE INDEX IF NOT EXISTS chunks_fts ON {SCHEMA_NAME}.chunks USING gin (fts);
CREATE TABLE IF NOT EXISTS {SCHEMA_NAME}.embeddings (
    chunk_id BIGINT PRIMARY KEY REFERENCES {SCHEMA_NAME}.chunks(id) ON DELETE CASCADE,
    embedding vector NOT NULL,
    q BYTEA NOT NULL,
    scale REAL NOT NULL
);
"""

#: BM25 as FTS5 computes it: idf over every chunk (whatever the caller may see), the
#: weighted frequency of each term over the three fields, length over the average.
#: Document frequencies and the totals are kept up to date by every write (``term_df``,
#: ``meta``), so a query reads them instead of counting. Per candidate, only the query's
#: lexemes are unnested (``setweight`` marks them C, ``ts_filter`` keeps them); a
#: position says the field: title first, then the heading path, then the body.
_BM25 = f"""
WITH idf AS (SELECT * FROM unnest(%(terms)s::text[], %(idf)s::float8[]) AS t(term, idf)),
freq AS (
    SELECT c.id, c.n_terms, u.lexeme,
           (SELECT sum(CASE WHEN p <= c.n_title THEN %(wa)s::float8
                            WHEN p <= c.n_title + c.n_heading THEN %(wb)s::float8
                            ELSE %(wd)s::float8 END) FROM unnest(u.positions) AS p) AS f
    FROM chunks c, unnest(ts_filter(setweight(c.fts, 'C', %(terms)s::text[]), '{{C}}')) AS u
    WHERE c.fts @@ %(query)s::tsquery AND c.scope = ANY(%(scopes)s) {{narrow}})
SELECT freq.id, sum(idf.idf * freq.f * ({K1} + 1)
                    / (freq.f + {K1} * (1 - {B} + {B} * freq.n_terms / %(avgdl)s::float8))) AS score
FROM freq JOIN idf ON idf.term = freq.lexeme
GROUP BY freq.id ORDER BY score DESC, freq.id LIMIT %(limit)s
"""

def redact(url: str) -> str:
    """The URL without its password, for messages and ``location``."""
    url = re.sub(r"//([^:/@?]*):[^@/?]*@", r"//\1:***@", url)
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", url)


def error_line(err: BaseException) -> str:
    """A driver error's first line: one clear message, never a driver traceback."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def _locked(method: Callable[..., T]) -> Callable[..., T]:
    """Serialise calls on the shared connection. When the server went away (a restart, a
    fail-over to a promoted replica, an idle connection cut by a proxy), reconnect and
    run the call once more: a transaction the server lost was rolled back, and every
    write here is safe to repeat (a document or vector replaces itself)."""

    @functools.wraps(method)
    def wrapper(self: PostgresStore, *args: Any, **kwargs: Any) -> T:
        import psycopg

        with self._lock:
            try:
                if self._db.closed or self._db.broken:
                    self._connect()
                try:
                    return method(self, *args, **kwargs)
                except psycopg.OperationalError:
                    if not self._db.broken:
                        raise
                    self._connect()
                    return method(self, *args, **kwargs)
            except psycopg.Error as err:  # one clear line, never a driver traceback
                raise KnowledgeError(f"database error: {error_line(err)}",
                                     source=self.location) from None

    return wrapper


class PostgresStore:
    """:class:`~huizhen.store.base.KnowledgeStore` in a PostgreSQL database with pgvector."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.location = redact(url)
        self._lock = threading.RLock()
        import psycopg

        self._connect()
        try:
            if not self._schema_exists():
                if not create:
                    raise KnowledgeError("no knowledge base in this database; create it with "
                                         "`huizhen kb init` or `huizhen kb ingest`",
                                         source=self.location)
                self._create_schema()
            schema = self.get_meta("schema")
            if schema != SCHEMA_VERSION:
                raise KnowledgeError(f"knowledge base schema {schema}, this huizhen reads "
                                     f"{SCHEMA_VERSION}", source=self.location)
        except psycopg.Error as err:  # e.g. a user who may not create the schema
            self._db.close()
            raise KnowledgeError(f"cannot open the knowledge base: {error_line(err)}",
                                 source=self.location) from None
        except BaseException:
            self._db.close()
            raise

    # -- connection ---------------------------------------------------------------------
    def _connect(self) -> None:
        import psycopg

        try:
            self._db = psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as err:
            raise KnowledgeError(f"cannot connect to PostgreSQL: {error_line(err)}",
                                 source=self.location) from None
        try:
            self._search_path()
        except BaseException:
            self._db.close()
            raise

    def _search_path(self) -> None:
        """Our schema first, then the one pgvector's types live in."""
        row = self._db.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
        path = [SCHEMA_NAME, row[0] if row else "public"]
        self._db.execute("SELECT set_config('search_path', %s, false)", (", ".join(path),))

    def _schema_exists(self) -> bool:
        row = self._db.execute("SELECT to_regclass(%s)", (f"{SCHEMA_NAME}.meta",)).fetchone()
        return row is not None and row[0] is not None

    def _create_schema(self) -> None:
        import psycopg

        self._db.execute("SELECT pg_advisory_lock(%s)", (_INIT_LOCK,))
        try:
            try:
                self._db.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.Error as err:
                raise KnowledgeError(
                    "the pgvector extension is missing and this user may not create it; ask the "
                    f"database administrator to run CREATE EXTENSION vector ({error_line(err)})",
                    source=self.location) from None
            self._search_path()
            with self._db.transaction():
                self._db.execute(_TABLES)
                for key, value in (("schema", SCHEMA_VERSION), ("generation", "0"),
                                   ("kb_id", uuid.uuid4().hex), ("chunk_count", "0"),
                                   ("term_count", "0")):
                    self._db.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                     (key, value))
        finally:
            self._db.execute("SELECT pg_advisory_unlock(%s)", (_INIT_LOCK,))

    @contextmanager
    def _write(self) -> Iterator[None]:
        """A write transaction; taking the generation row first makes writers queue."""
        with self._db.transaction():
            self._db.execute("UPDATE meta SET value = (value::bigint + 1)::text "
                             "WHERE key = 'generation'")
            yield

    # -- meta ---------------------------------------------------------------------------
    @_locked
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return None if row is None else str(row[0])

    @_locked
    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) "
                         "DO UPDATE SET value = excluded.value", (key, value))

    @_locked
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    # -- documents ----------------------------------------------------------------------
    @_locked
    def document_hash(self, scope: str, doc_id: str) -> str | None:
        row = self._db.execute("SELECT content_hash FROM documents WHERE scope = %s AND doc_id = %s",
                               (scope, doc_id)).fetchone()
        return None if row is None else str(row[0])

    def _delete(self, keys: Sequence[tuple[str, str]], stats: _Stats) -> int:
        """Delete documents by (scope, doc_id), counting what leaves the ranking totals."""
        if not keys:
            return 0
        pairs = ([k[0] for k in keys], [k[1] for k in keys])
        wanted = ("SELECT d.id FROM documents d JOIN unnest(%s::text[], %s::text[]) AS k(scope, doc_id)"
                  " ON d.scope = k.scope AND d.doc_id = k.doc_id")
        rows = self._db.execute(
            "SELECT title_terms, heading_terms, body_terms, n_terms FROM chunks"
            f" WHERE document_id IN ({wanted})", pairs).fetchall()
        for title, heading, body, n_terms in rows:
            stats.add(distinct_terms(title, heading, body), n_terms, -1)
        return self._db.execute(f"DELETE FROM documents WHERE id IN ({wanted})", pairs).rowcount

    def _apply(self, stats: _Stats) -> None:
        """Fold a write's changes into the document frequencies and totals (same transaction)."""
        if stats.df:
            terms = sorted(stats.df)
            self._db.execute(
                "INSERT INTO term_df (term, n) SELECT * FROM unnest(%s::text[], %s::bigint[])"
                " ON CONFLICT (term) DO UPDATE SET n = term_df.n + excluded.n",
                (terms, [stats.df[t] for t in terms]))
            self._db.execute("DELETE FROM term_df WHERE n <= 0 AND term = ANY(%s::text[])", (terms,))
        for key, delta in (("chunk_count", stats.chunks), ("term_count", stats.terms)):
            if delta:
                self._db.execute("UPDATE meta SET value = (value::bigint + %s)::text WHERE key = %s",
                                 (delta, key))

    @_locked
    def put_documents(self, items: Sequence[tuple[Document, Sequence[ChunkRow]]]) -> None:
        # the last version of a document given twice wins, as if put one after the other
        latest = {(doc.scope, doc.doc_id): (doc, rows) for doc, rows in items}
        stats = _Stats()
        with self._write(), self._db.cursor() as cur:  # old chunks go and new ones arrive together
            self._delete(list(latest), stats)
            if not latest:
                return
            cur.executemany(
                "INSERT INTO documents (doc_id, scope, title, source, url, license, language,"
                " version, content_hash, synonyms) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                " RETURNING id",
                [_no_nul((doc.doc_id, doc.scope, doc.title, doc.source, doc.url, doc.license,
                          doc.language, doc.version, doc.content_hash,
                          json.dumps(doc.synonyms, ensure_ascii=False)))
                 for doc, _rows in latest.values()], returning=True)
            doc_pks = _returned(cur)
            cur.executemany(
                "INSERT INTO sections (document_id, anchor, ordinal, heading_path)"
                " VALUES (%s,%s,%s,%s) RETURNING id",
                [_no_nul((pk, sec.anchor, i, list(sec.heading_path)))
                 for pk, (doc, _rows) in zip(doc_pks, latest.values(), strict=True)
                 for i, sec in enumerate(doc.sections)], returning=True)
            section_pks = iter(_returned(cur))
            params = []
            for pk, (doc, rows) in zip(doc_pks, latest.values(), strict=True):
                section_ids: dict[str, int] = {}
                for sec in doc.sections:
                    section_ids.setdefault(sec.anchor, next(section_pks))
                for row in rows:
                    fts, (n_title, n_heading, n_body) = tsvector_literal(
                        row.title_terms, row.heading_terms, row.body_terms)
                    n_terms = n_title + n_heading + n_body
                    stats.add(distinct_terms(row.title_terms, row.heading_terms, row.body_terms),
                              n_terms, 1)
                    params.append(_no_nul((
                        pk, section_ids[row.anchor], row.ordinal, list(row.heading_path), row.text,
                        doc.scope, doc.language, doc.source, row.embed_text, row.embed_key,
                        row.title_terms, row.heading_terms, row.body_terms, n_title, n_heading,
                        n_terms, fts)))
            cur.executemany(
                "INSERT INTO chunks (document_id, section_id, ordinal, heading_path, text,"
                " scope, language, source, embed_text, embed_key, title_terms,"
                " heading_terms, body_terms, n_title, n_heading, n_terms, fts)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s::tsvector)", params)
            self._apply(stats)

    @_locked
    def remove_document(self, scope: str, doc_id: str) -> bool:
        import psycopg

        try:
            with self._write():
                stats = _Stats()
                if not self._delete([(scope, doc_id)], stats):
                    raise _NothingRemoved
                self._apply(stats)
        except _NothingRemoved:  # roll back the generation bump: nothing changed
            return False
        except psycopg.Error as err:  # pragma: no cover - server-side failure
            raise KnowledgeError(f"remove failed: {err}", source=self.location) from None
        return True

    @_locked
    def list_documents(self, scope: str | None = None) -> list[DocumentInfo]:
        sql = list_documents_sql(scoped=scope is not None, placeholder="%s", collate=' COLLATE "C"')
        rows = self._db.execute(sql, () if scope is None else (scope,)).fetchall()
        return [DocumentInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], int(r[9]),
                             int(r[10]), int(r[11])) for r in rows]

    # -- search -------------------------------------------------------------------------
    @_locked
    def lexical(self, match: str, filters: Filters, limit: int,
                weights: tuple[float, float, float]) -> list[tuple[int, float]]:
        terms = match_terms(match)
        if not terms:
            raise KnowledgeError("full-text query has no terms", field="query", value=match)
        meta: dict[str, str] = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN"
                                     " ('chunk_count', 'term_count')").fetchall())
        n, tokens = float(meta.get("chunk_count", 0)), float(meta.get("term_count", 0))
        df: dict[str, int] = dict(self._db.execute("SELECT term, n FROM term_df WHERE term = ANY(%s::text[])",
                                   (terms,)).fetchall())
        idf = [max(math.log((n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)), 1e-6) for t in terms]
        args: dict[str, object] = {
            "terms": terms, "idf": idf, "avgdl": max(tokens / max(n, 1.0), 1e-9),
            "query": " | ".join(lexeme(t) for t in terms), "scopes": list(filters.scopes),
            "wa": float(weights[0]), "wb": float(weights[1]), "wd": float(weights[2]),
            "limit": limit}
        narrow = _narrowing(filters, args)
        rows = self._db.execute(_BM25.replace("{narrow}", narrow), args).fetchall()  # type: ignore[arg-type]
        return [(int(i), float(s)) for i, s in rows]

    @_locked
    def nearest(self, vector: np.ndarray, filters: Filters, limit: int) -> list[tuple[int, float]]:
        """(chunk_id, cosine similarity) of the ``limit`` nearest stored vectors the filters
        allow, best first: pgvector's ``<=>`` (cosine distance), exact."""
        import psycopg

        sql = ("SELECT e.chunk_id, 1 - (e.embedding <=> %(v)s::vector) AS s FROM embeddings e"
               " JOIN chunks c ON c.id = e.chunk_id WHERE c.scope = ANY(%(scopes)s)")
        args: dict[str, object] = {"v": _vector_literal(vector), "scopes": list(filters.scopes),
                                   "limit": limit}
        sql += _narrowing(filters, args)
        sql += " ORDER BY e.embedding <=> %(v)s::vector, e.chunk_id LIMIT %(limit)s"
        try:
            rows = self._db.execute(sql, args).fetchall()  # type: ignore[arg-type]
        except psycopg.errors.DataException:
            row = self._db.execute("SELECT vector_dims(embedding) FROM embeddings LIMIT 1").fetchone()
            raise KnowledgeError(f"vector search failed: the query has {len(vector)} dimensions, "
                                 f"the stored vectors {row[0] if row else 0}", source=self.location,
                                 field="vector", value=f"{len(vector)} dimensions") from None
        return [(int(i), float(s)) for i, s in rows]

    @_locked
    def index_terms(self) -> list[tuple[int, str, str, str, str, str, str]]:
        rows = self._db.execute(
            "SELECT id, title_terms, heading_terms, body_terms, scope, language, source"
            " FROM chunks ORDER BY id").fetchall()
        return [(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    @_locked
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        rows = self._db.execute(
            "SELECT c.id, d.doc_id, s.anchor, c.ordinal, c.heading_path, c.text, d.title,"
            " d.source, d.url, d.license, d.language, d.scope FROM chunks c"
            " JOIN documents d ON d.id = c.document_id JOIN sections s ON s.id = c.section_id"
            " WHERE c.id = ANY(%s)", ([int(i) for i in chunk_ids],)).fetchall()
        return {int(r[0]): StoredChunk(int(r[0]), r[1], r[2], int(r[3]), tuple(r[4]), r[5], r[6],
                                       r[7], r[8], r[9], r[10], r[11]) for r in rows}

    # -- embeddings ---------------------------------------------------------------------
    @_locked
    def missing_embeddings(self, limit: int) -> list[tuple[int, str, int]]:
        rows = self._db.execute(
            "SELECT c.id, c.embed_text, c.embed_key FROM chunks c"
            " LEFT JOIN embeddings e ON e.chunk_id = c.id WHERE e.chunk_id IS NULL"
            " ORDER BY c.id LIMIT %s", (limit,)).fetchall()
        return [(int(i), t, int(k)) for i, t, k in rows]

    @_locked
    def count_missing_embeddings(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM chunks c LEFT JOIN embeddings e"
                               " ON e.chunk_id = c.id WHERE e.chunk_id IS NULL").fetchone()
        return int(row[0]) if row else 0

    @_locked
    def put_embeddings(self, rows: Sequence[tuple[int, np.ndarray, float]]) -> None:
        params = []
        for cid, v, s in rows:
            q = np.asarray(v, dtype=np.int8)
            # the int8 values themselves: cosine ignores the scale, and integers print fast
            params.append((int(cid), "[" + ",".join(map(str, q.tolist())) + "]", q.tobytes(),
                           float(s), int(cid)))
        with self._write(), self._db.cursor() as cur:
            cur.executemany(
                "INSERT INTO embeddings (chunk_id, embedding, q, scale)"
                " SELECT %s, %s::vector, %s, %s WHERE EXISTS (SELECT 1 FROM chunks WHERE id = %s)"
                " ON CONFLICT (chunk_id) DO UPDATE SET embedding = excluded.embedding,"
                " q = excluded.q, scale = excluded.scale", params)

    @_locked
    def clear_embeddings(self) -> None:
        with self._write():
            self._db.execute("DELETE FROM embeddings")
            self._db.execute("DELETE FROM meta WHERE key = 'embedding_stamp'")

    @_locked
    def vectors(self) -> VectorSet:
        rows = self._db.execute(
            "SELECT e.chunk_id, e.q, e.scale, c.scope, c.language, c.source"
            " FROM embeddings e JOIN chunks c ON c.id = e.chunk_id ORDER BY e.chunk_id").fetchall()
        if not rows:
            empty = np.zeros(0, dtype=object)
            return VectorSet(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32),
                             empty, empty, empty)
        q = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.int8).reshape(len(rows), -1)
        scales = np.array([r[2] for r in rows], dtype=np.float32)
        vecs = q.astype(np.float32) * scales[:, None]
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs /= np.where(norms == 0, 1, norms)
        return VectorSet(np.array([r[0] for r in rows], dtype=np.int64), vecs,
                         np.array([r[3] for r in rows], dtype=object),
                         np.array([r[4] for r in rows], dtype=object),
                         np.array([r[5] for r in rows], dtype=object))

    # -- health -------------------------------------------------------------------------
    @_locked
    def integrity_errors(self) -> list[str]:
        errors: list[str] = []
        checks = {
            "chunks without a document": "SELECT COUNT(*) FROM chunks c LEFT JOIN documents d"
                                          " ON d.id = c.document_id WHERE d.id IS NULL",
            "chunks missing from the full-text index": "SELECT COUNT(*) FROM chunks"
                                                       " WHERE length(fts) = 0 AND n_terms > 0",
            "documents without chunks": "SELECT COUNT(*) FROM documents d WHERE NOT EXISTS"
                                        " (SELECT 1 FROM chunks c WHERE c.document_id = d.id)",
            "vectors without a chunk": "SELECT COUNT(*) FROM embeddings e LEFT JOIN chunks c"
                                       " ON c.id = e.chunk_id WHERE c.id IS NULL",
            "vectors whose two copies differ in length": "SELECT COUNT(*) FROM embeddings"
                                                         " WHERE vector_dims(embedding) <> length(q)",
            "chunks miscounted in the ranking totals": "SELECT abs((SELECT value::bigint FROM meta"
                                                       " WHERE key = 'chunk_count') - COUNT(*))"
                                                       " FROM chunks",
            "terms miscounted in the ranking totals": "SELECT abs((SELECT value::bigint FROM meta"
                                                      " WHERE key = 'term_count')"
                                                      " - coalesce(sum(n_terms), 0)) FROM chunks",
        }
        for what, sql in checks.items():
            row = self._db.execute(sql).fetchone()
            n = int(row[0]) if row else 0
            if n:
                errors.append(f"{n} {what}")
        return errors

    @_locked
    def vacuum(self) -> None:
        """Reclaim space and refresh the planner's statistics (after a bulk build)."""
        self._db.execute("VACUUM ANALYZE documents, sections, chunks, embeddings")

    @_locked
    def close(self) -> None:
        self._db.close()


class _Stats:
    """What a write changes in the totals BM25 reads: chunks, terms, document frequencies."""

    def __init__(self) -> None:
        self.chunks = 0
        self.terms = 0
        self.df: dict[str, int] = {}

    def add(self, distinct: set[str], n_terms: int, sign: int) -> None:
        self.chunks += sign
        self.terms += sign * n_terms
        for t in distinct:
            self.df[t] = self.df.get(t, 0) + sign


class _NothingRemoved(Exception):
    """Rolls back a removal's transaction when there was nothing to remove."""


def _no_nul(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """PostgreSQL text cannot hold NUL: a NUL character in a document (valid UTF-8, and
    kept by SQLite) is dropped here rather than failing the whole batch."""
    return tuple(v.replace("\x00", "") if isinstance(v, str)
                 else [x.replace("\x00", "") for x in v] if isinstance(v, list) else v
                 for v in values)


def _returned(cur: Any) -> list[int]:
    """The ids an ``executemany(..., returning=True)`` inserted, in order."""
    ids = []
    while True:
        row = cur.fetchone()
        if row is not None:
            ids.append(int(row[0]))
        if not cur.nextset():
            return ids


def _narrowing(filters: Filters, args: dict[str, object]) -> str:
    """The SQL conditions (on chunks ``c``) of the language and source filters; their values
    go into ``args``."""
    narrow = ""
    if filters.language:
        narrow += " AND c.language = %(language)s"
        args["language"] = filters.language
    if filters.source:
        narrow += " AND c.source = %(source)s"
        args["source"] = filters.source
    return narrow


def _vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(repr(float(x)) for x in np.asarray(vector, dtype=np.float32)) + "]"
