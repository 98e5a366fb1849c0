from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from huizhen.errors import InputError, KnowledgeError
from huizhen.knowledge.corpus import ingest
from huizhen.retrieval import search
from huizhen.retrieval.dense import STAMP_KEY, dense_search, embed_missing
from huizhen.retrieval.fusion import rrf
from huizhen.retrieval.lexical import lexical_search
from huizhen.retrieval.search import (
    FUSION_WEIGHTS,
    dense_ready,
    filters_for,
    lexically_decided,
    ranked_ids,
)
from huizhen.store.sqlite import SQLiteStore

_spec = importlib.util.spec_from_file_location("kb_fixture", Path(__file__).with_name("kb_fixture.py"))
assert _spec and _spec.loader
kbf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kbf)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    root = tmp_path_factory.mktemp("kb")
    files = kbf.write_good(root / "a")
    store = SQLiteStore(root / "kb.sqlite")
    assert ingest([files["jsonl"]], store).added == 2
    hosp_a = [p for k, p in files.items() if k != "jsonl"]
    assert ingest(hosp_a, store, "hosp-a").added == 6
    (root / "b").mkdir()
    (root / "b" / "b.md").write_text("# Hospital B formulary\n\n## Antibiotics\n\n"
                                     "Amoxicillin is restricted to infectious disease approval.\n")
    assert ingest([root / "b"], store, "hosp-b").added == 1
    return store


def _where(hits: list) -> list[tuple[str, tuple[str, ...]]]:  # type: ignore[type-arg]
    return [(h.scope, h.heading_path) for h in hits]


def test_question_finds_the_section_of_its_type(kb: SQLiteStore) -> None:
    hits = search("What are the symptoms of gout?", kb=kb, mode="lexical", top=2)
    assert _where(hits) == [("public", ("Gout", "symptoms")), ("public", ("Asthma", "symptoms"))]
    assert _where(search("What is (are) Asthma ?", kb=kb, mode="lexical", top=1)) == [
        ("public", ("Asthma", "information"))]
    h = hits[0].to_dict()
    assert h == {
        "doc_id": "T-1", "title": "Gout", "heading_path": ["Gout", "symptoms"], "anchor": "2",
        "snippet": "Sudden severe pain, swelling and redness of the big toe joint.",
        "score": h["score"], "source": "TestSource", "url": "https://example.org/gout",
        "license": "CC BY 4.0 (MedQuAD, Ben Abacha & Demner-Fushman 2019)", "scope": "public",
        "language": "en", "chunk_id": h["chunk_id"],
        "text": "Sudden severe pain, swelling and redness of the big toe joint."}


def test_tenant_sees_public_and_its_own_never_another(kb: SQLiteStore) -> None:
    q = "amoxicillin"
    assert _where(search(q, kb=kb, tenant="hosp-a", mode="lexical")) == [
        ("hosp-a", ("Community-acquired pneumonia protocol", "Treatment"))]
    assert _where(search(q, kb=kb, tenant="hosp-b", mode="lexical")) == [
        ("hosp-b", ("Hospital B formulary", "Antibiotics"))]
    assert search(q, kb=kb, mode="lexical") == []
    assert search(q, kb=kb, tenant="public", mode="lexical") == []
    with pytest.raises(InputError, match="tenant='../etc'"):
        search(q, kb=kb, tenant="../etc")


def test_chinese_traditional_and_simplified_meet(kb: SQLiteStore) -> None:
    for q in ("二甲双胍减量", "二甲雙胍", "糖尿病治疗"):
        hits = search(q, kb=kb, tenant="hosp-a", mode="lexical", top=1)
        assert _where(hits) == [("hosp-a", ("糖尿病診療規範", "治療"))], q
    assert search("二甲双胍", kb=kb, tenant="hosp-a", mode="lexical", lang="en") == []


def test_every_format_is_searchable(kb: SQLiteStore) -> None:
    cases = {"alteplase blood pressure": ("Acute stroke pathway", "page 2"),
             "aPTT after dose change": ("Heparin dosing", "Dosage", "Monitoring"),
             "lactate blood cultures": ("Sepsis bundle", "First hour"),
             "vitamin K INR": ("Warfarin counselling sheet",),
             "doxycycline penicillin allergy": ("Community-acquired pneumonia protocol", "Treatment",
                                                "Penicillin allergy")}
    for q, path in cases.items():
        assert _where(search(q, kb=kb, tenant="hosp-a", mode="lexical", top=1)) == [("hosp-a", path)], q


def test_unknown_subject_matches_nothing_lexically(kb: SQLiteStore) -> None:
    # "symptoms" alone is a fair query; "symptoms of <unknown word>" must not return
    # every symptoms section as if it matched
    assert len(search("symptoms", kb=kb, mode="lexical", top=5)) == 2
    assert search("What are the symptoms of zzyzxitis?", kb=kb, mode="lexical") == []
    assert search("某某病的症状", kb=kb, mode="lexical") == []


def test_chinese_question_finds_english_passages_through_the_bridge(kb: SQLiteStore) -> None:
    # 痛风 → Gout (official Chinese HPO label); 症状 is indexed with English "symptoms" headings
    assert _where(search("痛风的症状是什么", kb=kb, mode="lexical", top=2)) == [
        ("public", ("Gout", "symptoms")), ("public", ("Gout", "information"))]
    # 哮喘 → Asthma (HPO); 治疗 → treatment
    assert _where(search("哮喘怎么治疗", kb=kb, mode="lexical", top=1)) == [
        ("public", ("Asthma", "treatment"))]
    # a Chinese drug name bridges to its English ingredient: 多西环素 → doxycycline
    assert _where(search("青霉素过敏 多西环素", kb=kb, tenant="hosp-a", mode="lexical", top=1)) == [
        ("hosp-a", ("Community-acquired pneumonia protocol", "Treatment", "Penicillin allergy"))]


def test_source_filter_and_bad_queries(kb: SQLiteStore) -> None:
    assert {h.source for h in search("treatment", kb=kb, tenant="hosp-a", mode="lexical",
                                     source="TestSource", top=10)} == {"TestSource"}
    assert search("zzzqqxx", kb=kb, mode="lexical") == []
    with pytest.raises(InputError, match="the query is empty"):
        search("  ", kb=kb)
    with pytest.raises(InputError, match="mode='fuzzy'"):
        search("gout", kb=kb, mode="fuzzy")


def test_dense_and_hybrid_after_embedding_and_stamp_check(kb: SQLiteStore) -> None:
    with pytest.raises(KnowledgeError, match="no embeddings"):
        search("gout", kb=kb, mode="dense")
    assert not dense_ready(kb, filters_for("hosp-a"))
    assert embed_missing(kb) == 21
    assert dense_ready(kb, filters_for("hosp-a")) and dense_ready(kb, filters_for(None))
    dense = search("painful swollen big toe", kb=kb, mode="dense", top=1)
    assert _where(dense) == [("public", ("Gout", "symptoms"))]
    hybrid = search("wheezing and shortness of breath", kb=kb, top=1)
    assert _where(hybrid) == [("public", ("Asthma", "symptoms"))]
    # English question, Chinese passage: only the multilingual embedding can bridge it
    cross = search("first-line oral drug for diabetes", kb=kb, tenant="hosp-a", mode="dense", top=1)
    assert _where(cross) == [("hosp-a", ("糖尿病診療規範", "治療"))]
    assert "糖尿病診療規範" not in {h.title for h in search(
        "first-line oral drug for diabetes", kb=kb, tenant="hosp-a", mode="lexical", top=50)}
    # hybrid embeds the query only when lexical scores leave the answer open
    f = filters_for("hosp-a")
    decided = lexical_search(kb, "What are the symptoms of Gout?", f)
    assert lexically_decided(kb, decided)
    assert ranked_ids(kb, "What are the symptoms of Gout?", f, "hybrid") == decided
    close = lexical_search(kb, "gout", f)
    assert not lexically_decided(kb, close)
    assert ranked_ids(kb, "gout", f, "hybrid") == rrf(
        [close, dense_search(kb, "gout", f)], weights=FUSION_WEIGHTS)
    assert not lexically_decided(kb, lexical_search(kb, "first-line oral drug for diabetes", f))
    # a Chinese question is fused even when its (partly bridged) lexical scores look decided
    zh = lexical_search(kb, "痛风的症状是什么", f)
    assert lexically_decided(kb, zh)
    assert ranked_ids(kb, "痛风的症状是什么", f, "hybrid") == rrf(
        [zh, dense_search(kb, "痛风的症状是什么", f)], weights=FUSION_WEIGHTS) != zh
    kb.set_meta(STAMP_KEY, "some-other-model/v0")
    try:
        with pytest.raises(KnowledgeError, match="embedding_stamp='some-other-model/v0'"):
            search("gout", kb=kb)
    finally:
        from huizhen.retrieval.embedding import stamp
        kb.set_meta(STAMP_KEY, stamp())
