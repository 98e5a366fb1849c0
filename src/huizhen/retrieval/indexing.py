"""From a parsed document to the rows the store indexes: chunks with per-field terms.

Why fields: the words of a title (the disease) and of a heading (symptoms,
treatment...) say what a passage is about far more reliably than its body, so
lexical search weights them separately (BM25 per field, see ``lexical``).
Headings that name a common section type also get that type's usual wording
(``SECTION_TERMS``), in English and Chinese, so a question phrased as "how is X
diagnosed" or "X怎么治疗" finds a section headed "exams and tests" or
"treatment" even when those exact words are absent.
"""

from __future__ import annotations

from huizhen.retrieval.chunking import chunk_section
from huizhen.retrieval.embedding import embedding_text, text_key
from huizhen.retrieval.tokenize import index_text, to_simplified
from huizhen.store.base import ChunkRow
from huizhen.store.model import Document, Section

#: Usual ways of naming or asking about a section type, keyed by the heading as
#: written (lower-case). Generic patient-information vocabulary, not tied to a corpus.
SECTION_TERMS: dict[str, str] = {
    "information": "information overview definition description what is 概述 定义 简介 是什么",
    "symptoms": "symptoms signs clinical features presentation 症状 体征 表现 临床表现",
    "treatment": "treatment treat therapy therapies management medication 治疗 疗法 用药 处理",
    "causes": "causes cause etiology why 病因 原因 引起 导致",
    "inheritance": "inheritance inherited hereditary genetic pattern passed down 遗传 遗传方式",
    "frequency": "frequency how common prevalence incidence people affected 发病率 患病率 多见 常见",
    "genetic changes": "genetic changes genes mutations variants 基因 突变 遗传改变",
    "exams and tests": "exams tests diagnosis diagnose diagnostic workup 检查 诊断 化验",
    "research": "research studies clinical trials 研究 临床试验",
    "outlook": "outlook prognosis survival course 预后 转归",
    "susceptibility": "susceptibility risk factors who is at risk 易感 危险因素 高危",
    "considerations": "considerations precautions 注意事项",
    "prevention": "prevention prevent avoid 预防",
    "stages": "stages staging 分期",
    "complications": "complications 并发症",
    "support groups": "support groups organizations resources 支持 组织",
    "diagnosis": "diagnosis diagnose tests exams 诊断 检查",
    "dosage": "dosage dose dosing 剂量 用法用量",
    "contraindications": "contraindications contraindicated 禁忌 禁忌证",
    "adverse reactions": "adverse reactions side effects 不良反应 副作用",
    "症状": "symptoms signs 症状 表现", "治疗": "treatment therapy 治疗", "诊断": "diagnosis 诊断",
    "病因": "causes 病因", "预防": "prevention 预防", "用法用量": "dosage 剂量 用法用量",
    "禁忌": "contraindications 禁忌", "不良反应": "adverse reactions side effects 不良反应",
}


def heading_terms(headings: tuple[str, ...]) -> str:
    """Terms of the headings below the title, plus their section type's usual wording
    (already word-separated, so it needs no Chinese segmenter)."""
    words: list[str] = []
    extras: list[str] = []
    for h in headings:
        words.append(h)
        extra = SECTION_TERMS.get(to_simplified(h).strip().lower().rstrip(":："))
        if extra:
            extras.append(extra)
    return " ".join(filter(None, [index_text(" ".join(words)),
                                  index_text(" ".join(extras), segment=False)]))


def section_embedding_text(sec: Section) -> str:
    """What the embedding model reads for a section (shared by all its chunks)."""
    return embedding_text(sec.heading_path, sec.text)


def chunk_rows(doc: Document) -> list[ChunkRow]:
    """Chunk every section of ``doc`` and compute the index terms of each chunk."""
    title_terms = index_text(" ".join([doc.title, *doc.synonyms]))
    rows: list[ChunkRow] = []
    for sec in doc.sections:
        sub = tuple(sec.heading_path[1:]) if sec.heading_path[:1] == (doc.title,) else sec.heading_path
        h_terms = heading_terms(sub)
        emb_text = section_embedding_text(sec)
        for ch in chunk_section(sec.text, sec.heading_path):
            rows.append(ChunkRow(
                anchor=sec.anchor, ordinal=ch.ordinal, heading_path=ch.heading_path, text=ch.text,
                title_terms=title_terms, heading_terms=h_terms, body_terms=index_text(ch.text),
                embed_text=emb_text, embed_key=text_key(emb_text)))
    return rows
