"""Records the knowledge base stores and returns, independent of any backend.

Why plain dataclasses: parsers build them, every store backend persists them,
and retrieval returns :class:`Hit` — none of them sees a database row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Scope of documents everyone may see; any other scope is a hospital tenant id.
PUBLIC = "public"


@dataclass
class Section:
    """A section of a document: an anchor (MedQuAD's ``pid``), its heading path and text."""

    anchor: str
    heading_path: tuple[str, ...]
    text: str


@dataclass
class Document:
    """A parsed document with its provenance. ``doc_id`` is stable across re-ingests
    (MedQuAD's id, or the file's resolved path), ``content_hash`` says whether it changed."""

    doc_id: str
    title: str
    sections: list[Section]
    source: str = ""
    url: str = ""
    license: str = ""
    language: str = ""
    version: str = ""
    scope: str = PUBLIC
    content_hash: str = ""
    synonyms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentInfo:
    """What ``kb list`` shows about a stored document."""

    doc_id: str
    title: str
    source: str
    url: str
    license: str
    language: str
    version: str
    scope: str
    content_hash: str
    sections: int
    chunks: int
    embedded: int


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the store holds it, joined with what a hit needs to cite it."""

    chunk_id: int
    doc_id: str
    anchor: str
    ordinal: int
    heading_path: tuple[str, ...]
    text: str
    title: str
    source: str
    url: str
    license: str
    language: str
    scope: str


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with everything needed to cite it."""

    doc_id: str
    title: str
    heading_path: tuple[str, ...]
    snippet: str
    text: str
    score: float
    source: str
    url: str
    license: str
    scope: str
    chunk_id: int
    anchor: str = ""
    language: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id, "title": self.title, "heading_path": list(self.heading_path),
            "anchor": self.anchor, "snippet": self.snippet, "score": round(self.score, 6),
            "source": self.source, "url": self.url, "license": self.license,
            "scope": self.scope, "language": self.language, "chunk_id": self.chunk_id,
            "text": self.text,
        }
