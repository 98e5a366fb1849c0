from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huizhen.errors import KnowledgeError
from huizhen.store import ChunkRow, Document, Filters, KnowledgeStore, Section
from huizhen.store.sqlite import SQLiteStore


def _doc(doc_id: str, scope: str, text: str, content_hash: str = "h1") -> tuple[Document, list[ChunkRow]]:
    doc = Document(doc_id=doc_id, title=f"Title {doc_id}", scope=scope, content_hash=content_hash,
                   sections=[Section("1", (f"Title {doc_id}", "Dosage"), text)], source="src",
                   url=f"file:///{doc_id}", license="CC0", language="en")
    rows = [ChunkRow("1", 0, (f"Title {doc_id}", "Dosage"), text, f"titl {doc_id.lower()}", "dosag",
                     " ".join(text.lower().split()), f"Title {doc_id} — Dosage: {text}", 7)]
    return doc, rows


def test_store_roundtrip_and_scoped_fts(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "kb.sqlite")
    assert isinstance(store, KnowledgeStore)
    store.put_documents([_doc("A", "public", "heparin bolus"), _doc("B", "hosp-b", "heparin infusion")])
    public = Filters(scopes=("public",))
    both = Filters(scopes=("public", "hosp-b"))
    assert [store.chunks([c])[c].doc_id for c, _ in store.lexical('"heparin"', public, 10, (1, 1, 1))] == ["A"]
    assert sorted(store.chunks([c])[c].doc_id
                  for c, _ in store.lexical('"heparin"', both, 10, (1, 1, 1))) == ["A", "B"]
    [(cid, _)] = store.lexical('"infusion"', both, 10, (1, 1, 1))
    chunk = store.chunks([cid])[cid]
    assert (chunk.doc_id, chunk.anchor, chunk.heading_path, chunk.text, chunk.scope, chunk.url) == (
        "B", "1", ("Title B", "Dosage"), "heparin infusion", "hosp-b", "file:///B")
    infos = store.list_documents()
    assert [(d.doc_id, d.scope, d.sections, d.chunks, d.embedded) for d in infos] == [
        ("B", "hosp-b", 1, 1, 0), ("A", "public", 1, 1, 0)]
    assert store.document_hash("public", "A") == "h1" and store.document_hash("hosp-b", "A") is None
    store.close()


def test_vectors_replace_and_remove(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "kb.sqlite")
    store.put_documents([_doc("A", "public", "heparin bolus")])
    [(cid, text, key)] = store.missing_embeddings(10)
    assert (text, key) == ("Title A — Dosage: heparin bolus", 7)
    store.put_embeddings([(cid, np.array([127, 0, -127], dtype=np.int8), 0.01)])
    vs = store.vectors()
    assert vs.chunk_ids.tolist() == [cid] and vs.scopes.tolist() == ["public"]
    np.testing.assert_allclose(vs.vectors, [[2 ** -0.5, 0, -(2 ** -0.5)]], atol=1e-6)
    # a changed document replaces its chunks (and drops their vectors) in one go
    store.put_documents([_doc("A", "public", "heparin infusion", "h2")])
    assert store.count_missing_embeddings() == 1 and store.vectors().chunk_ids.size == 0
    assert store.lexical('"bolus"', Filters(("public",)), 10, (1, 1, 1)) == []
    gen = store.generation()
    assert store.remove_document("public", "A") and not store.remove_document("public", "A")
    assert store.generation() > gen
    assert store.list_documents() == [] and store.integrity_errors() == []
    store.close()


def test_not_a_knowledge_base(tmp_path: Path) -> None:
    bad = tmp_path / "junk.sqlite"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(KnowledgeError, match="not a huizhen knowledge base"):
        SQLiteStore(bad)


def test_threads_share_one_store_safely(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = SQLiteStore(tmp_path / "kb.sqlite")

    def work(t: int) -> None:
        for i in range(15):
            store.put_documents([_doc(f"D{t}-{i}", f"hosp-{t}", f"heparin dose {t} {i}")])
            store.lexical('"heparin"', Filters(("public", f"hosp-{t}")), 5, (1, 1, 1))
            if i % 3 == 0:
                store.remove_document(f"hosp-{t}", f"D{t}-{i}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    assert len(store.list_documents()) == 4 * 10 and store.integrity_errors() == []
    store.close()
