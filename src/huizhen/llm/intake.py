"""Assisted intake: findings a model reads from the note, merged with the dictionary's.

Why every finding must quote the note: a span is the only thing that lets a
doctor check a finding at a glance, and a model that invents a symptom cannot
quote it.  So each model finding is kept only if its quote is found in the note
(it gets that span), its code is a real HPO term (or the dictionary recognises
the quote), and it is not already there; whether it is present or absent is
decided by the same ConText rules the dictionary extractor uses, not by the model.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from huizhen.llm.client import ChatClient, total_usage
from huizhen.llm.prompts import extract_messages
from huizhen.patient.model import Code, CodeSystem, Finding, Patient, Span

_HPO = re.compile(r"^HP:\d{7}$")


class ModelFinding(BaseModel):
    label: str = Field(min_length=1, max_length=200)
    hpo: str | None = None
    present: bool = True
    quote: str = Field(min_length=1, max_length=500)


class Extraction(BaseModel):
    findings: list[ModelFinding] = Field(default_factory=list, max_length=100)


@dataclass(slots=True)
class IntakeResult:
    patient: Patient
    added: list[Finding] = field(default_factory=list)
    #: Model findings not kept, each with why: {"label", "quote", "reason"}.
    dropped: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` is in ``text``: exactly, else ignoring case and runs of spaces."""
    i = text.find(quote)
    if i >= 0:
        return i, i + len(quote)
    words = [re.escape(w) for w in quote.split()]
    if not words:
        return None
    m = re.search(r"\s+".join(words), text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def _code(mf: ModelFinding, quote: str, onto: Any) -> str | None:
    if mf.hpo and _HPO.match(mf.hpo.strip()) and mf.hpo.strip() in onto:
        return mf.hpo.strip()
    from huizhen.patient.text.matcher import find_mentions

    mentions = find_mentions(quote)
    return mentions[0].hpo_id if mentions else None


def merge_findings(patient: Patient, extraction: Extraction, onto: Any) -> IntakeResult:
    """The patient (a copy) with the model's findings that pass every check added."""
    from huizhen.patient.text.context import FAMILY, HISTORY, NEGATED, POSSIBLE, classify, find_cues

    out = copy.deepcopy(patient)
    text = patient.text or ""
    result = IntakeResult(patient=out)
    cues = find_cues(text, []) if text else []
    have = {f.code.code for f in out.findings if f.code is not None}
    spans = [(f.source.start, f.source.end) for f in out.findings
             if f.source is not None and f.source.start is not None and f.source.end is not None]
    for mf in extraction.findings:
        where = locate(text, mf.quote) if text else None
        if where is None:
            result.dropped.append({"label": mf.label, "quote": mf.quote,
                                   "reason": "quote not found in the note"})
            continue
        start, end = where
        hpo = _code(mf, text[start:end], onto)
        if hpo is None:
            result.dropped.append({"label": mf.label, "quote": mf.quote,
                                   "reason": "no HPO term for it (model's id unknown, dictionary silent)"})
            continue
        if hpo in have or any(a is not None and b is not None and a < end and start < b for a, b in spans):
            continue  # the dictionary already has it
        ctx = classify(text, start, end, cues)
        present = NEGATED not in ctx
        if present != mf.present:
            result.notes.append(f"{mf.label!r}: the model said {'present' if mf.present else 'absent'}, "
                                f"the note's wording says {'present' if present else 'absent'}; "
                                "the note's wording is kept")
        certainty = ("family" if FAMILY in ctx else "history" if HISTORY in ctx
                     else "possible" if POSSIBLE in ctx else "confirmed")
        name = onto.name(hpo)
        f = Finding(label=name, code=Code(CodeSystem.HPO, hpo, name), present=present,
                    certainty=certainty, origin="llm",
                    source=Span(start=start, end=end, text=text[start:end]))
        out.findings.append(f)
        result.added.append(f)
        have.add(hpo)
        spans.append((start, end))
    return result


def assisted_intake(patient: Patient, client: ChatClient, onto: Any) -> IntakeResult:
    """Ask the model for the note's findings and merge those that pass (see the module doc).

    Raises ExternalServiceError when the endpoint fails and ModelOutputError when its
    reply stays malformed after one repair; callers keep the dictionary's findings."""
    if not patient.text:
        return IntakeResult(patient=patient, notes=["no free text to read: nothing extracted"])
    start = len(client.usage)
    lang = patient.lang or "en"
    extraction, _ = client.chat_json(extract_messages(patient.text, lang), Extraction,
                                     purpose="intake")
    result = merge_findings(patient, extraction, onto)
    result.usage = total_usage(client.usage[start:])
    return result
