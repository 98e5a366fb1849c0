"""A fluent note with a model: the narrative sections rewritten, every sentence checked.

The model gets the draft's narrative lines as numbered facts and must cite
them; the citation checker keeps only sentences their facts support (so a
sentence that adds a symptom, a number or a drug is dropped), and a section
with nothing left keeps its template lines.  Findings, diagnoses, orders,
drugs and doses are never sent for rewriting.  When the endpoint fails or its
reply stays malformed, the template draft is returned with a note.
"""

from __future__ import annotations

import copy

from pydantic import BaseModel, Field

from huizhen.errors import ExternalServiceError
from huizhen.llm.client import ChatClient, total_usage
from huizhen.llm.grounding import check_answer, parse_citations
from huizhen.llm.prompts import note_messages
from huizhen.notes.draft import NARRATIVE, NoteDraft, NoteLine


class FluentSections(BaseModel):
    sections: dict[str, str] = Field(default_factory=dict)


def fluent_note(draft: NoteDraft, client: ChatClient) -> NoteDraft:
    """A copy of ``draft`` whose narrative sections the model has made fluent (checked)."""
    out = copy.deepcopy(draft)
    targets = [s for s in out.sections if s.key in NARRATIVE or s.key == "S"]
    facts: list[tuple[str, str]] = []
    sources: list[str] = []
    for s in targets:
        for ln in s.lines:
            facts.append((s.title, ln.text))
            sources.append(ln.source)
    if not facts:
        return out
    start = len(client.usage)
    try:
        value, _ = client.chat_json(note_messages(out.style, out.lang, facts), FluentSections,
                                    purpose="note")
    except ExternalServiceError as err:
        out.notes.append(f"language model unavailable, template draft kept: {err.render()}")
        return out
    finally:
        out.usage = total_usage(client.usage[start:])
    out.model = client.config.model
    texts = [t for _, t in facts]
    for s in targets:
        written = value.sections.get(s.title)
        if not written:
            continue
        report = check_answer(written, texts)
        kept: list[NoteLine] = []
        for c in report.supported:
            claim, cites = parse_citations(c.text)
            if claim and cites:
                kept.append(NoteLine(claim, "model from " + ", ".join(sources[n - 1] for n in cites)))
        if report.unsupported:
            out.notes.append(f"{s.title}: {len(report.unsupported)} sentence(s) from the model dropped "
                             "(not supported by the recorded facts): "
                             + " | ".join(c.claim for c in report.unsupported))
        if kept:
            s.lines, s.written_by = kept, "model"
    return out
