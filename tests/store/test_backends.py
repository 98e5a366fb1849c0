"""The knowledge-store contract, checked on every backend (``store`` is parametrised
over a SQLite file and a PostgreSQL database in ``conftest.py``): both must give
the same answers, so these tests state one expected output for both."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from huizhen.errors import KnowledgeError
from huizhen.knowledge.corpus import ingest
from huizhen.retrieval import search
from huizhen.retrieval.lexical import fts_match_expression
from huizhen.store import ChunkRow, Document, Filters, KnowledgeStore, Section, open_store


def _doc(doc_id: str, scope: str, text: str, content_hash: str = "h1") -> tuple[Document, list[ChunkRow]]:
    doc = Document(doc_id=doc_id, title=f"Title {doc_id}", scope=scope, content_hash=content_hash,
                   sections=[Section("1", (f"Title {doc_id}", "Dosage"), text)], source="src",
                   url=f"file:///{doc_id}", license="CC0", language="en")
    rows = [ChunkRow("1", 0, (f"Title {doc_id}", "Dosage"), text, f"titl {doc_id.lower()}", "dosag",
                     " ".join(text.lower().split()), f"Title {doc_id} — Dosage: {text}", 7)]
    return doc, rows


def _ranked(store: KnowledgeStore, match: str, scopes: tuple[str, ...],
            weights: tuple[float, float, float] = (1, 1, 1)) -> list[tuple[str, float]]:
    hits = store.lexical(match, Filters(scopes), 10, weights)
    chunks = store.chunks([c for c, _ in hits])
    return [(chunks[c].doc_id, round(score, 6)) for c, score in hits]


def test_roundtrip_and_scoped_full_text(store: KnowledgeStore) -> None:
    assert isinstance(store, KnowledgeStore)
    store.put_documents([_doc("A", "public", "heparin bolus heparin"),
                         _doc("B", "hosp-b", "heparin infusion"),
                         _doc("C", "public", "aspirin tablet"),
                         _doc("D", "hosp-d", "heparin bolus"),
                         *(_doc(f"F{i}", "public", f"filler text {i}") for i in range(6))])
    # BM25 as FTS5 computes it: idf over every chunk, whoever may see it
    assert _ranked(store, '"heparin" OR "bolus"', ("public", "hosp-b"), (10, 5, 1)) == [
        ("A", 2.230638), ("B", 0.802455)]
    assert _ranked(store, '"bolus"', ("public",)) == [("A", 1.197982)]
    assert _ranked(store, '"bolus"', ("public", "hosp-d")) == [("D", 1.288509), ("A", 1.197982)]
    # a title term weighs what the caller says it weighs
    assert _ranked(store, '"c" OR "tablet"', ("public",), (10, 5, 1)) == [("C", 5.605333)]
    assert _ranked(store, '"infusion"', ("public",)) == []
    [(cid, _)] = store.lexical('"infusion"', Filters(("public", "hosp-b")), 10, (1, 1, 1))
    assert store.chunks([cid]) == {cid: store.chunks([cid])[cid]}
    chunk = store.chunks([cid])[cid]
    assert (chunk.doc_id, chunk.anchor, chunk.ordinal, chunk.heading_path, chunk.text, chunk.title,
            chunk.source, chunk.url, chunk.license, chunk.language, chunk.scope) == (
        "B", "1", 0, ("Title B", "Dosage"), "heparin infusion", "Title B", "src", "file:///B", "CC0",
        "en", "hosp-b")
    assert [(d.doc_id, d.scope, d.title, d.content_hash, d.sections, d.chunks, d.embedded)
            for d in store.list_documents()][:4] == [
        ("B", "hosp-b", "Title B", "h1", 1, 1, 0), ("D", "hosp-d", "Title D", "h1", 1, 1, 0),
        ("A", "public", "Title A", "h1", 1, 1, 0), ("C", "public", "Title C", "h1", 1, 1, 0)]
    assert [d.doc_id for d in store.list_documents("public")] == [
        "A", "C", *(f"F{i}" for i in range(6))]
    assert store.document_hash("public", "A") == "h1" and store.document_hash("hosp-b", "A") is None
    assert [row[1:] for row in store.index_terms()][:4] == [
        ("titl a", "dosag", "heparin bolus heparin", "public", "en", "src"),
        ("titl b", "dosag", "heparin infusion", "hosp-b", "en", "src"),
        ("titl c", "dosag", "aspirin tablet", "public", "en", "src"),
        ("titl d", "dosag", "heparin bolus", "hosp-d", "en", "src")]


def test_ranking_totals_follow_replacements_and_removals(store: KnowledgeStore) -> None:
    """idf and the average length count what is stored now, not what once was."""
    store.put_documents([_doc("A", "public", "heparin bolus"), _doc("B", "public", "heparin drip"),
                         _doc("C", "public", "warfarin tablet"),
                         *(_doc(f"F{i}", "public", f"filler text {i}") for i in range(4))])
    before = _ranked(store, '"heparin" OR "warfarin"', ("public",))
    store.put_documents([_doc("B", "public", "warfarin drip warfarin", "h2")])
    assert store.remove_document("public", "C")
    after = _ranked(store, '"heparin" OR "warfarin"', ("public",))
    assert (before, after) == ([("C", 1.530556), ("A", 0.822988), ("B", 0.822988)],
                               [("B", 1.772273), ("A", 1.379928)])
    assert store.integrity_errors() == []


def test_language_and_source_filters(store: KnowledgeStore) -> None:
    en, en_rows = _doc("E", "public", "heparin bolus")
    zh, zh_rows = _doc("Z", "public", "heparin bolus")
    zh.language, zh.source = "zh", "other"
    store.put_documents([(en, en_rows), (zh, zh_rows)])

    def ids(f: Filters) -> list[str]:
        hits = store.lexical('"heparin"', f, 10, (1, 1, 1))
        return sorted(store.chunks([c for c, _ in hits])[c].doc_id for c, _ in hits)

    assert ids(Filters(("public",))) == ["E", "Z"]
    assert ids(Filters(("public",), language="zh")) == ["Z"]
    assert ids(Filters(("public",), source="src")) == ["E"]
    assert ids(Filters(("public",), language="zh", source="src")) == []


def test_vectors_nearest_replace_and_remove(store: KnowledgeStore) -> None:
    store.put_documents([_doc("A", "public", "heparin bolus"), _doc("B", "hosp-b", "heparin drip")])
    missing = store.missing_embeddings(10)
    assert [(t, k) for _c, t, k in missing] == [("Title A — Dosage: heparin bolus", 7),
                                                ("Title B — Dosage: heparin drip", 7)]
    (a, _, _), (b, _, _) = missing
    store.put_embeddings([(a, np.array([127, 0, -127], dtype=np.int8), 0.01),
                          (b, np.array([0, 100, 0], dtype=np.int8), 0.02)])
    assert store.count_missing_embeddings() == 0
    vs = store.vectors()
    assert vs.chunk_ids.tolist() == [a, b] and vs.scopes.tolist() == ["public", "hosp-b"]
    assert (vs.languages.tolist(), vs.sources.tolist()) == (["en", "en"], ["src", "src"])
    np.testing.assert_allclose(vs.vectors, [[2 ** -0.5, 0, -(2 ** -0.5)], [0, 1, 0]], atol=1e-6)
    query = np.array([0.6, 0.8, 0], dtype=np.float32)

    def near(*scopes: str) -> list[tuple[int, float]]:
        return [(c, round(s, 5)) for c, s in store.nearest(query, Filters(scopes), 5)]

    assert near("public", "hosp-b") == [(b, 0.8), (a, 0.42426)]
    assert near("public") == [(a, 0.42426)]
    assert near("hosp-c") == []
    with pytest.raises(KnowledgeError) as err:
        store.nearest(np.array([1, 0], dtype=np.float32), Filters(("public",)), 5)
    assert str(err.value) == (f"{store.location}: vector='2 dimensions': vector search failed: "
                              "the query has 2 dimensions, the stored vectors 3")
    assert [d.embedded for d in store.list_documents()] == [1, 1]
    # a vector for a chunk that is gone is dropped, not stored
    store.put_embeddings([(b + 1000, np.array([1, 1, 1], dtype=np.int8), 1.0)])
    assert store.vectors().chunk_ids.tolist() == [a, b]
    # a changed document replaces its chunks (and drops their vectors) in one go
    store.put_documents([_doc("A", "public", "heparin infusion", "h2")])
    assert store.count_missing_embeddings() == 1 and store.vectors().chunk_ids.tolist() == [b]
    assert store.lexical('"bolus"', Filters(("public",)), 10, (1, 1, 1)) == []
    gen = store.generation()
    assert store.remove_document("public", "A") and not store.remove_document("public", "A")
    assert store.generation() == gen + 1
    store.clear_embeddings()
    assert store.vectors().chunk_ids.size == 0 and store.count_missing_embeddings() == 1
    assert [d.doc_id for d in store.list_documents()] == ["B"] and store.integrity_errors() == []


def test_meta_and_generation(store: KnowledgeStore) -> None:
    assert store.get_meta("missing") is None and store.generation() == 0
    assert len(store.get_meta("kb_id") or "") == 32
    store.set_meta("embedding_stamp", "m1")
    store.set_meta("embedding_stamp", "m2")
    assert store.get_meta("embedding_stamp") == "m2" and store.generation() == 0
    store.put_documents([_doc("A", "public", "heparin")])
    assert store.generation() == 1
    store.clear_embeddings()
    assert store.get_meta("embedding_stamp") is None and store.generation() == 2


def test_a_failed_batch_changes_nothing(store: KnowledgeStore) -> None:
    store.put_documents([_doc("A", "public", "heparin bolus")])
    new_a = _doc("A", "public", "heparin infusion", "h2")
    bad_doc, bad_rows = _doc("X", "public", "warfarin")
    bad = (bad_doc, [replace(bad_rows[0], anchor="no-such-section")])
    with pytest.raises(KeyError):
        store.put_documents([new_a, bad])
    assert store.document_hash("public", "A") == "h1" and store.document_hash("public", "X") is None
    assert [row[3] for row in store.index_terms()] == ["heparin bolus"]
    assert store.generation() == 1 and store.integrity_errors() == []


def test_threads_share_one_store_safely(store: KnowledgeStore) -> None:
    def work(t: int) -> None:
        for i in range(15):
            store.put_documents([_doc(f"D{t}-{i}", f"hosp-{t}", f"heparin dose {t} {i}")])
            store.lexical('"heparin"', Filters(("public", f"hosp-{t}")), 5, (1, 1, 1))
            if i % 3 == 0:
                store.remove_document(f"hosp-{t}", f"D{t}-{i}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    assert len(store.list_documents()) == 4 * 10 and store.integrity_errors() == []
    assert store.generation() == 4 * (15 + 5)


ZH_PROTOCOL = """# 糖尿病診療規範

## 治療

二甲雙胍是第一線口服降糖藥，腎功能不全時需減量。

## 併發症篩查

每年檢查眼底與尿微量白蛋白。
"""

EN_PROTOCOL = """# Heparin protocol

## Dosage

Give an 80 units/kg heparin bolus, then an infusion of 18 units/kg/h.

## Monitoring

Check the aPTT six hours after every dose change.
"""


def _write_protocols(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    zh, en = folder / "diabetes.md", folder / "heparin.md"
    zh.write_text(ZH_PROTOCOL, encoding="utf-8")
    en.write_text(EN_PROTOCOL, encoding="utf-8")
    return zh, en


def _search(store: KnowledgeStore, query: str, tenant: str | None) -> list[tuple[str, ...]]:
    return [(h.scope, Path(h.doc_id).name, " › ".join(h.heading_path))
            for h in search(query, kb=store, tenant=tenant, mode="lexical", top=5)]


def test_ingest_chinese_and_english_with_tenant_isolation(store: KnowledgeStore,
                                                          tmp_path: Path) -> None:
    zh, en = _write_protocols(tmp_path / "docs")
    public = ingest([en], store, None)
    hospital = ingest([zh], store, "hosp-a")
    assert (public.added, public.chunks, hospital.added, hospital.chunks) == (1, 2, 1, 2)
    # Traditional is searched as Simplified, segmented by jieba with the medical lexicon
    assert _search(store, "二甲双胍", "hosp-a") == [
        ("hosp-a", "diabetes.md", "糖尿病診療規範 › 治療")]
    assert _search(store, "糖尿病并发症筛查", "hosp-a") == [
        ("hosp-a", "diabetes.md", "糖尿病診療規範 › 併發症篩查"),
        ("hosp-a", "diabetes.md", "糖尿病診療規範 › 治療")]
    # another tenant, and the public, never see hosp-a's protocol
    assert _search(store, "二甲双胍", "hosp-b") == [] and _search(store, "二甲双胍", None) == []
    # English terms are stemmed alike in documents and queries ("monitored" meets "Monitoring")
    assert _search(store, "how is heparin monitored", "hosp-b") == [
        ("public", "heparin.md", "Heparin protocol › Monitoring"),
        ("public", "heparin.md", "Heparin protocol › Dosage")]
    # the store's own full-text ranking reads the same terms
    match = fts_match_expression("二甲雙胍")
    assert match is not None
    hits = store.lexical(match, Filters(("public", "hosp-a")), 5, (10, 5, 1))
    assert [store.chunks([c])[c].heading_path for c, _ in hits] == [("糖尿病診療規範", "治療")]


def test_reingest_is_a_no_op_and_a_change_replaces(store: KnowledgeStore, tmp_path: Path) -> None:
    zh, en = _write_protocols(tmp_path / "docs")
    first = ingest([zh, en], store, "hosp-a")
    gen = store.generation()
    again = ingest([zh, en], store, "hosp-a")
    assert (first.added, again.added, again.updated, again.unchanged) == (2, 0, 0, 2)
    assert store.generation() == gen
    en.write_text(EN_PROTOCOL.replace("six hours", "four hours").replace(
        "## Monitoring", "## Monitoring\n\nDaily platelets.\n\n## Reversal"), encoding="utf-8")
    changed = ingest([zh, en], store, "hosp-a")
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 1)
    assert [(Path(d.doc_id).name, d.sections, d.chunks) for d in store.list_documents("hosp-a")] == [
        ("diabetes.md", 2, 2), ("heparin.md", 3, 3)]
    assert _search(store, "aPTT", "hosp-a") == [("hosp-a", "heparin.md",
                                                 "Heparin protocol › Reversal")]
    assert [h.text for h in search("aPTT", kb=store, tenant="hosp-a", mode="lexical")] == [
        "Check the aPTT four hours after every dose change."]
    assert store.integrity_errors() == []


def test_reopening_finds_everything(kb_location: str) -> None:
    first = open_store(kb_location)
    first.put_documents([_doc("A", "public", "heparin bolus")])
    first.set_meta("embedding_stamp", "m1")
    kb_id = first.get_meta("kb_id")
    first.close()
    again = open_store(kb_location, must_exist=True)
    try:
        assert ([d.doc_id for d in again.list_documents()], again.get_meta("kb_id"),
                again.get_meta("embedding_stamp"), again.generation()) == (["A"], kb_id, "m1", 1)
    finally:
        again.close()


def test_a_nul_character_does_not_fail_the_batch(store: KnowledgeStore, tmp_path: Path) -> None:
    doc = tmp_path / "odd.txt"
    doc.write_text("heparin\x00 bolus for adults\n", encoding="utf-8")
    report = ingest([doc], store, "hosp-a")
    assert (report.added, report.failed) == (1, [])
    texts = [h.text for h in search("heparin", kb=store, tenant="hosp-a", mode="lexical")]
    # PostgreSQL text cannot hold NUL: that backend drops the character, SQLite keeps it
    assert texts == (["heparin\x00 bolus for adults"] if store.location.endswith(".sqlite")
                     else ["heparin bolus for adults"])
