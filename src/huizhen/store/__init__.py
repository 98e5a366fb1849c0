"""Storage backends for the knowledge base, behind one interface (:mod:`huizhen.store.base`)."""

from __future__ import annotations

from huizhen.store.base import ChunkRow, Filters, KnowledgeStore, VectorSet
from huizhen.store.factory import is_database_url, open_store, store_exists, store_key
from huizhen.store.model import PUBLIC, Document, DocumentInfo, Hit, Section, StoredChunk

__all__ = ["PUBLIC", "ChunkRow", "Document", "DocumentInfo", "Filters", "Hit", "KnowledgeStore",
           "Section", "StoredChunk", "VectorSet", "is_database_url", "open_store", "store_exists",
           "store_key"]
