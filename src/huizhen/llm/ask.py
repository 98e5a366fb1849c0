"""Grounded questions: ``ask_kb(question)`` answers only from knowledge-base passages.

Retrieval picks the passages; a configured model writes an answer citing them
as [n]; the citation checker then removes (or marks) every sentence its cited
passage does not support, and says so when nothing is left.  Without a model —
or when the endpoint is down — the answer is extractive: the best passages with
their headings, which is never wrong about what the sources say.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from huizhen.errors import ExternalServiceError
from huizhen.llm.client import ChatClient, total_usage
from huizhen.llm.config import HOW_TO_CONFIGURE
from huizhen.llm.grounding import SentenceCheck, check_answer, has_instructions
from huizhen.llm.prompts import ask_messages
from huizhen.patient.model import Patient
from huizhen.retrieval.tokenize import detect_language
from huizhen.store.base import KnowledgeStore
from huizhen.store.model import Hit

NO_PASSAGES = {"en": "No passage in the knowledge base matches this question.",
               "zh": "知识库中没有与该问题相关的资料。"}
NOT_SUPPORTED = {"en": "The retrieved passages do not support an answer to this question; "
                       "the closest passages are listed below.",
                 "zh": "检索到的资料不足以回答这个问题；下面列出最接近的资料。"}
_REFUSAL = re.compile(r"passages do not answer|do not support an answer|资料不足以回答|无法根据资料回答", re.IGNORECASE)


@dataclass(slots=True)
class Source:
    """A passage shown with an answer, numbered as the answer cites it."""

    n: int
    title: str
    heading: str
    snippet: str
    text: str
    source: str
    url: str
    license: str
    scope: str
    doc_id: str
    chunk_id: int
    cited: bool = False


@dataclass(slots=True)
class Answer:
    question: str
    lang: str
    #: "model" (checked model answer), "extractive" (passages only) or "none" (no passages).
    mode: str
    text: str
    #: False when the passages did not support an answer (or there were none).
    supported: bool
    sources: list[Source] = field(default_factory=list)
    sentences: list[SentenceCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)

    @property
    def removed(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.supported]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _source(n: int, h: Hit) -> Source:
    return Source(n=n, title=h.title, heading=" › ".join(h.heading_path), snippet=h.snippet,
                  text=h.text, source=h.source, url=h.url, license=h.license, scope=h.scope,
                  doc_id=h.doc_id, chunk_id=h.chunk_id)


def passage_for_checking(h: Hit) -> str:
    """What a citation is checked against: the heading path (it names the topic) and the text."""
    return " › ".join(h.heading_path) + ": " + h.text


def extractive(sources: list[Source], lang: str) -> str:
    """The passages themselves, each under its heading: what answers without a model."""
    lines = []
    for s in sources:
        lines.append(f"[{s.n}] {s.heading or s.title}\n{s.snippet or s.text}")
    return "\n\n".join(lines)


def patient_summary(patient: Patient) -> str:
    from huizhen.consult import summarise

    s = summarise(patient)
    parts = [f"age {s['age']}" if s["age"] is not None else "", f"sex {s['sex']}"]
    for key in ("findings", "excluded", "conditions", "medications", "allergies"):
        if s[key]:
            parts.append(f"{key}: " + ", ".join(map(str, s[key])))
    return "; ".join(p for p in parts if p)


def ask_kb(question: str, *, kb: KnowledgeStore | Path | str | None = None, tenant: str | None = None,
           patient: Patient | None = None, client: ChatClient | None = None, top: int = 5,
           lang: str | None = None, mark: bool = False, search_mode: str = "hybrid") -> Answer:
    """Answer ``question`` from the passages ``tenant`` may see; see the module docstring."""
    from huizhen.retrieval import search

    lang = lang if lang in ("zh", "en") else detect_language(question)
    hits = search(question, kb=kb, tenant=tenant, top=top, mode=search_mode)
    sources = [_source(n, h) for n, h in enumerate(hits, 1)]
    if not hits:
        return Answer(question, lang, "none", NO_PASSAGES[lang], False)
    if client is None:
        return Answer(question, lang, "extractive", extractive(sources, lang), True, sources,
                      notes=[HOW_TO_CONFIGURE])
    tainted = [s.n for s in sources if has_instructions(passage_for_checking(hits[s.n - 1]))]
    listed = ", ".join(f"[{n}]" for n in tainted)
    warn = [(f"passage(s) {listed} contain instructions addressed to a model: shown, never accepted "
             "as support")] if tainted else []
    start = len(client.usage)
    summary = patient_summary(patient) if patient is not None else None
    try:
        reply = client.chat(ask_messages(question, hits, lang, summary), purpose="ask-kb").text
    except ExternalServiceError as err:
        return Answer(question, lang, "extractive", extractive(sources, lang), True, sources,
                      notes=[f"language model unavailable, passages shown instead: {err.render()}",
                             *warn],
                      model=client.config.model, usage=total_usage(client.usage[start:]))
    usage = total_usage(client.usage[start:])
    report = check_answer(reply, [passage_for_checking(h) for h in hits])
    kept = report.text(mark=mark, lang=lang)
    notes: list[str] = list(warn)
    if report.unsupported:
        verb = "marked" if mark else "removed"
        notes.append(f"{len(report.unsupported)} sentence(s) {verb}: not supported by the passage "
                     "they cite (see sentences)")
    supported = bool(report.supported) and not _REFUSAL.search(reply)
    if not supported:
        text = NOT_SUPPORTED[lang] + "\n\n" + extractive(sources, lang)
        if mark and report.sentences:
            text = kept + "\n\n" + text
    else:
        text = kept
        for s in report.supported:
            for n in s.citations:
                sources[n - 1].cited = True
    return Answer(question, lang, "model", text, supported, sources, report.sentences, notes,
                  model=client.config.model, usage=usage)
