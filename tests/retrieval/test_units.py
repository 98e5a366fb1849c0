from __future__ import annotations

import numpy as np

from huizhen.retrieval.chunking import chunk_section, normalise_whitespace, split_text
from huizhen.retrieval.embedding import dequantize, embedding_text, quantize, text_key
from huizhen.retrieval.fusion import rrf
from huizhen.retrieval.lexical import fts_match_expression, query_terms
from huizhen.retrieval.tokenize import detect_language, tokens


def test_chunking_packs_paragraphs_and_splits_long_ones() -> None:
    assert normalise_whitespace("  a   b \n\n\n   c\t d  \n") == "a b\n\nc d"
    text = "\n".join([f"Paragraph {i} " + "word " * 40 for i in range(6)])
    chunks = split_text(text, max_chars=600, min_chars=100)
    assert [len(c) for c in chunks] == [423, 423, 423]
    assert chunks[0].startswith("Paragraph 0") and chunks[1].startswith("Paragraph 2")
    long = "This is a sentence about heparin. " * 40
    parts = split_text(long, max_chars=300, min_chars=50)
    assert all(len(p) <= 300 for p in parts) and all(p.endswith("heparin.") for p in parts)
    assert " ".join(parts) == long.strip()
    zh = "二甲双胍是一线药物。" * 50
    zparts = split_text(zh, max_chars=120, min_chars=20)
    assert "".join(zparts) == zh and all(len(p) <= 120 for p in zparts)
    [c] = chunk_section("short text", ("Doc", "Dosage"))
    assert (c.ordinal, c.text, c.heading_path) == (0, "short text", ("Doc", "Dosage"))


def test_tokens_english_and_chinese() -> None:
    assert tokens("What are the symptoms of Inherited hemochromatosis? Is it inherited?") == [
        "symptom", "inherit", "hemochromatosi", "inherit"]
    assert tokens("糖尿病患者的心肌梗死症狀") == ["糖尿", "糖尿病", "患者", "心肌", "梗死", "心肌梗死", "症状"]
    assert tokens("剂量 用法用量", segment=False) == ["剂量", "用法用量"]
    assert (detect_language("糖尿病患者 with a few English words"), detect_language("Gout")) == ("zh", "en")


def test_query_handling() -> None:
    assert query_terms("What is (are) Gout ?") == ["gout", "overview", "definit"]
    assert query_terms("What are the symptoms of Gout ?") == ["symptom", "gout"]
    assert query_terms("什么是痛风") == ["痛风", "gout", "overview", "definit"]
    assert fts_match_expression('the "gout" and') == '"gout"'
    assert fts_match_expression("the and of") is None


def test_dense_index_scores_each_distinct_vector_once() -> None:
    from huizhen.retrieval.dense import BLOCK, _dense_index
    from huizhen.store.base import VectorSet

    rng = np.random.default_rng(1)
    distinct = rng.normal(size=(40, 8)).astype(np.float32)
    distinct /= np.linalg.norm(distinct, axis=1, keepdims=True)
    pick = np.array([i // 2 for i in range(70)] + [39, 0])  # chunks share their section's row
    labels = np.array(["public"] * len(pick), dtype=object)
    vs = VectorSet(np.arange(100, 100 + len(pick), dtype=np.int64), distinct[pick], labels,
                   labels, labels)
    index = _dense_index(vs)
    assert index.blocks.shape == (2, BLOCK, 8)  # 36 distinct rows used, padded to 64
    q = distinct[3]
    assert np.allclose(index.scores(q), vs.vectors @ q, atol=1e-6)
    assert len(np.unique(index.row)) == 36


def test_bridge_finds_the_longest_chinese_names_in_the_licensed_lexicons() -> None:
    from huizhen.retrieval.bridge import alignment, bridge_terms, english_names

    # HPO official labels, longest match first (2型糖尿病 inside the longer text)
    assert english_names("2型糖尿病伴肾功能不全怎么办") == [
        ("2型糖尿病", ("Type II diabetes mellitus",)), ("肾功能不全", ("Renal insufficiency",))]
    # Traditional characters are looked up in Simplified; drug names bridge to ingredients
    assert english_names("痛風 阿莫西林克拉維酸鉀") == [
        ("痛风", ("Gout",)), ("阿莫西林克拉维酸钾", ("amoxicillin", "clavulanic acid"))]
    # DDXPlus condition names, with the parenthesised English eponym dropped
    assert english_names("自发性食管破裂") == [("自发性食管破裂", ("Boerhaave",))]
    assert bridge_terms("二甲双胍 肾功能不全") == ["metformin", "renal", "insuffici"]
    assert bridge_terms("What are the symptoms of gout?") == []
    # words outside whole names go through the alignment learned from the label pairs;
    # a stem common to many labels ("concentration", for 肉碱) is not linked
    assert (alignment()["先天性"], alignment()["胰腺"], alignment().get("肉碱")) == (
        ("congenit",), ("pancreat",), None)
    assert bridge_terms("哪些人容易患胰腺癌？") == ["pancreat", "adenocarcinoma"]
    assert bridge_terms("先天性肉碱缺乏") == ["congenit"]
    # section-type words are left to the headings' Chinese wording
    assert bridge_terms("症状") == []
    assert bridge_terms("某某病") == []


def test_snippet_starts_at_the_sentence_with_most_query_terms() -> None:
    from huizhen.retrieval.search import snippet

    text = ("Gout is a common form of arthritis. It affects the joints of the foot. " * 3
            + "The inherited forms are rare; most cases are caused by diet and kidney function. "
            "Treatment with colchicine or NSAIDs ends an attack, and allopurinol lowers urate.")
    assert snippet(text, set(tokens("colchicine allopurinol"))) == (
        "… Treatment with colchicine or NSAIDs ends an attack, and allopurinol lowers urate.")
    assert snippet(text, set(tokens("kidney diet")), width=60) == (
        "… most cases are caused by diet and kidney function. …")
    assert snippet(text, set(tokens("zzz")), width=40) == "Gout is a common form of arthritis. It …"
    # Chinese: no spaces between sentences; Traditional text matches Simplified terms
    zh = "痛風是一種關節炎。" * 20 + "秋水仙鹼可以治療急性發作。" + "多喝水。" * 10
    assert snippet(zh, set(tokens("秋水仙碱 治疗")), width=20) == "… 秋水仙鹼可以治療急性發作。多喝水。多喝水 …"
    assert snippet("Short text.", {"x"}) == "Short text."


def test_rrf_and_quantisation() -> None:
    assert rrf([[(1, 9.0), (2, 8.0)], [(2, 0.9), (3, 0.8)]], k=60) == [
        (2, 1 / 62 + 1 / 61), (1, 1 / 61), (3, 1 / 62)]
    v = np.random.default_rng(0).normal(size=(4, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q, s = quantize(v)
    assert q.dtype == np.int8 and np.abs(dequantize(q, s) - v).max() < 0.01
    assert embedding_text(("Gout", "symptoms"), "Sudden   pain\n in the toe. " * 20, head_chars=30) == (
        "Gout — symptoms: Sudden pain in the toe.")
    assert embedding_text(("痛風", "治療"), "秋水仙鹼") == "痛风 — 治疗: 秋水仙碱"
    assert text_key("a") == text_key("a") != text_key("b") and 0 <= text_key("a") < 2 ** 63


def test_a_recreated_kb_never_reuses_the_old_cached_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from huizhen.knowledge.corpus import ingest
    from huizhen.retrieval.lexical import lexical_search
    from huizhen.retrieval.search import filters_for
    from huizhen.store.sqlite import SQLiteStore

    path = tmp_path / "kb.sqlite"
    for word in ("heparin", "warfarin"):
        (tmp_path / "a.md").write_text(f"# Doc\n\n## Dosage\n\n{word} dose.\n")
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / f"kb.sqlite{suffix}").unlink(missing_ok=True)
        store = SQLiteStore(path)
        ingest([tmp_path / "a.md"], store)
        assert len(lexical_search(store, word, filters_for(None))) == 1, word
        store.close()
