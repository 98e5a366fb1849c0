"""The one storage interface every knowledge-base backend implements.

Why a Protocol: callers (ingestion, retrieval, the CLI, the API) depend on this
and nothing else, so the default embedded SQLite file and a later PostgreSQL
backend (``huizhen.store.postgres``) are interchangeable; :func:`open_store`
(``huizhen.store.factory``) picks one from a path or a database URL. A backend persists what it is given; it does not
parse documents, tokenise or embed — those stay in ``knowledge`` and
``retrieval``, so every backend indexes exactly the same terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from huizhen.store.model import Document, DocumentInfo, StoredChunk


def list_documents_sql(*, scoped: bool, placeholder: str, collate: str = "") -> str:
    """The one query behind ``list_documents`` on every SQL backend: each document with its
    section, chunk and embedded-chunk counts, by scope then id.  ``placeholder`` is the
    driver's parameter mark; ``collate`` makes the order bytewise where the default is not."""
    where = f"WHERE d.scope = {placeholder}" if scoped else ""
    return ("SELECT d.doc_id, d.title, d.source, d.url, d.license, d.language, d.version,"
            " d.scope, d.content_hash,"
            " (SELECT COUNT(*) FROM sections s WHERE s.document_id = d.id),"
            " (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id),"
            " (SELECT COUNT(*) FROM chunks c JOIN embeddings e ON e.chunk_id = c.id"
            "  WHERE c.document_id = d.id)"
            f" FROM documents d {where} ORDER BY d.scope{collate}, d.doc_id{collate}")


@dataclass(frozen=True)
class ChunkRow:
    """A chunk ready to store: its text plus the index terms of each lexical field."""

    anchor: str
    ordinal: int
    heading_path: tuple[str, ...]
    text: str
    title_terms: str
    heading_terms: str
    body_terms: str
    embed_text: str
    embed_key: int


@dataclass(frozen=True)
class Filters:
    """Who may see what, and optional narrowing. ``scopes`` always includes ``public``
    and at most the caller's own tenant, so isolation is enforced in one place."""

    scopes: tuple[str, ...]
    language: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class VectorSet:
    """All stored vectors with the attributes dense search filters on."""

    chunk_ids: np.ndarray  # int64
    vectors: np.ndarray  # float32, L2-normalised rows
    scopes: np.ndarray  # object (str)
    languages: np.ndarray
    sources: np.ndarray


@runtime_checkable
class KnowledgeStore(Protocol):
    """Documents, sections, chunks, a full-text index and embeddings."""

    location: str

    def document_hash(self, scope: str, doc_id: str) -> str | None:
        """Content hash of a stored document, or None when it is not stored."""

    def put_documents(self, items: Sequence[tuple[Document, Sequence[ChunkRow]]]) -> None:
        """Insert or replace documents and their chunks, all in one transaction."""

    def remove_document(self, scope: str, doc_id: str) -> bool:
        """Delete a document with its chunks and vectors; False if it was not there."""

    def list_documents(self, scope: str | None = None) -> list[DocumentInfo]:
        """Stored documents, of one scope or all."""

    def lexical(self, match: str, filters: Filters, limit: int,
                weights: tuple[float, float, float]) -> list[tuple[int, float]]:
        """(chunk_id, score) by weighted BM25 over (title, heading, body); higher is better."""

    def index_terms(self) -> list[tuple[int, str, str, str, str, str, str]]:
        """(chunk_id, title terms, heading terms, body terms, scope, language, source) of
        every chunk: what an in-memory lexical index is built from."""

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunks by id, joined with their document's citation fields."""

    def missing_embeddings(self, limit: int) -> list[tuple[int, str, int]]:
        """(chunk_id, embedding text, embed_key) of chunks without a vector yet."""

    def count_missing_embeddings(self) -> int: ...

    def put_embeddings(self, rows: Sequence[tuple[int, np.ndarray, float]]) -> None:
        """Store int8 vectors with their scale, keyed by chunk id."""

    def clear_embeddings(self) -> None:
        """Drop every vector and the embedding stamp (before re-embedding)."""

    def vectors(self) -> VectorSet:
        """Every stored vector, for exact (numpy) dense search."""

    def nearest(self, vector: np.ndarray, filters: Filters, limit: int) -> list[tuple[int, float]]:
        """(chunk_id, cosine similarity) of the ``limit`` stored vectors nearest to the
        L2-normalised ``vector`` that ``filters`` allow, best first, ties by chunk id:
        dense search done by the store (pgvector's ``<=>`` on PostgreSQL)."""

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def generation(self) -> int:
        """A counter that changes whenever chunks or vectors change: caches key on it."""

    def integrity_errors(self) -> list[str]:
        """Inconsistencies (orphan chunks, index rows without chunks...); empty when sound."""

    def close(self) -> None: ...
