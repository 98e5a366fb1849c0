"""Assisted consult (opt-in): the model reads the note and reviews the differential.

What the model may do, and what stops it doing more:

* add findings — each must quote the note (``llm.intake``);
* suggest missing diagnoses — each must cite a retrieved passage whose text
  supports its reason (citation checker), and is then scored by the
  deterministic engines for this patient; the model's opinion of its likelihood
  is never used, and the differential itself stays the engines';
* suggest drugs — each must cite a passage too, and every one goes through the
  medication checker with the patient's own and the doctor's proposed drugs.

It can remove nothing: the alerts of the deterministic consult are all still in
the assisted one (checked, and restored if ever missing).  When the endpoint is
down or its output stays malformed, the deterministic consult is returned with
a visible note.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from huizhen.errors import ExternalServiceError, HuizhenError
from huizhen.llm.ask import passage_for_checking
from huizhen.llm.client import ChatClient, total_usage
from huizhen.llm.config import HOW_TO_CONFIGURE
from huizhen.llm.grounding import check_answer, has_instructions
from huizhen.llm.intake import IntakeResult, assisted_intake
from huizhen.llm.prompts import review_messages
from huizhen.patient.model import Patient
from huizhen.report.model import ConsultReport
from huizhen.store.model import Hit

#: Passages the review may cite.
REVIEW_PASSAGES = 6


class Suggestion(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    citations: list[int] = Field(default_factory=list, max_length=10)
    reason: str = Field(default="", max_length=1000)


class Review(BaseModel):
    candidates: list[Suggestion] = Field(default_factory=list, max_length=10)
    drugs: list[Suggestion] = Field(default_factory=list, max_length=10)


@dataclass(slots=True)
class ReviewedCandidate:
    name: str
    #: "scored" (an engine knows it), "unscored" (no engine knows it), "dropped" (see reason).
    status: str
    citations: list[int]
    reason: str
    engine: str | None = None
    disease_id: str | None = None
    #: The engine's own probability and rank for this patient (before fusion).
    probability: float | None = None
    rank: int | None = None
    in_differential: bool = False
    why_dropped: str | None = None


@dataclass(slots=True)
class ProposedDrug:
    name: str
    citations: list[int]
    reason: str
    status: str  # "checked" | "dropped"
    why_dropped: str | None = None


@dataclass(slots=True)
class AssistedConsult:
    report: ConsultReport
    intake: IntakeResult | None = None
    candidates: list[ReviewedCandidate] = field(default_factory=list)
    drugs: list[ProposedDrug] = field(default_factory=list)
    passages: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.intake is not None:
            out["intake"] = {"added": [asdict(f) for f in self.intake.added],
                             "dropped": self.intake.dropped, "notes": self.intake.notes}
        return out


def _norm(s: str) -> str:
    return " ".join(s.casefold().replace("-", " ").split())


def engine_score(name: str, patient: Patient, know: Any) -> tuple[str, str, float, int] | None:
    """(engine, disease id, probability, rank) the deterministic engines give ``name`` for
    ``patient``, or None when neither engine knows a disease of that name or id."""
    from huizhen.reasoning.common_cases import answers_from_patient

    key = _norm(name)
    common = know.common
    for i, d in enumerate(common.diseases):
        if key in (_norm(d.id), _norm(d.name_en), _norm(d.name_zh), _norm(f"ddxplus:{d.id}")):
            post = common.posterior(answers_from_patient(common, patient))
            rank = int((post > post[i]).sum() + (post[:i] == post[i]).sum()) + 1
            return "common", f"ddxplus:{d.id}", float(post[i]), rank
    ann = know.ranker.ann
    for j, d in enumerate(ann.diseases):
        if key in (_norm(d.id), _norm(d.name)):
            return _rare_score(know.ranker, patient, d.id, j)
    return None


def _rare_score(ranker: Any, patient: Patient, disease_id: str, j: int
                ) -> tuple[str, str, float, int] | None:
    from huizhen.reasoning.rare import TEMPERATURE, query_from_patient

    q = query_from_patient(patient)
    present, excluded, _ = ranker.prune(q)
    if not present:
        return "rare", disease_id, 0.0, len(ranker.ann.diseases)
    lp, le, other = ranker.log_lrs(present, excluded, q.sex, q.onset_years)
    total = lp.sum(axis=0) + le.sum(axis=0) + other
    z = (total - total.max()) * TEMPERATURE
    prob = float(np.exp(z[j]) / np.exp(z).sum())
    # the engine's own order: by score, ties in index order (a stable sort)
    rank = int((total > total[j]).sum() + (total[:j] == total[j]).sum()) + 1
    return "rare", disease_id, prob, rank


def _passages(patient: Patient, report: ConsultReport, kb: Path | str | None, tenant: str | None
              ) -> list[Hit]:
    from huizhen.retrieval import search

    queries = [d.name for d in report.differential[:3]]
    labels = [f.label for f in patient.present_findings()][:8]
    if labels:
        queries.insert(0, " ".join(labels))
    out: dict[int, Hit] = {}
    for q in queries:
        for h in search(q, kb=kb, tenant=tenant, top=3):
            out.setdefault(h.chunk_id, h)
    return list(out.values())[:REVIEW_PASSAGES]


def _grounded(s: Suggestion, hits: list[Hit]) -> str | None:
    """Why ``s`` cannot be shown, or None when its citations support its reason."""
    if not s.citations:
        return "cites no passage"
    bad = [n for n in s.citations if not 1 <= n <= len(hits)]
    if bad:
        return f"cites passages that do not exist: {bad}"
    texts = [passage_for_checking(h) for h in hits]
    if all(has_instructions(texts[n - 1]) for n in s.citations):
        return "cites only passages that contain instructions to a model"
    reason = s.reason.strip() or s.name
    marks = "".join(f"[{n}]" for n in s.citations)
    check = check_answer(f"{s.name}: {reason.rstrip('.。')} {marks}.", texts)
    if not check.sentences or check.unsupported:
        why = check.unsupported[0].reason if check.unsupported else "empty reason"
        return f"its reason is not supported by the cited passage ({why})"
    return None


def review(patient: Patient, report: ConsultReport, client: ChatClient, know: Any, hits: list[Hit]
           ) -> tuple[list[ReviewedCandidate], list[ProposedDrug]]:
    from huizhen.llm.ask import patient_summary

    listed = [f"{d.name} ({d.probability:.0%})" for d in report.differential]
    value, _ = client.chat_json(review_messages(patient_summary(patient), listed, hits), Review,
                                purpose="review")
    shown = {d.id for d in report.differential} | {_norm(d.name) for d in report.differential}
    cands: list[ReviewedCandidate] = []
    for s in value.candidates:
        why = _grounded(s, hits)
        if why:
            cands.append(ReviewedCandidate(s.name, "dropped", s.citations, s.reason, why_dropped=why))
            continue
        scored = engine_score(s.name, patient, know)
        if scored is None:
            cands.append(ReviewedCandidate(s.name, "unscored", s.citations, s.reason))
            continue
        engine, did, p, rank = scored
        cands.append(ReviewedCandidate(s.name, "scored", s.citations, s.reason, engine, did,
                                       round(p, 6), rank, did in shown or _norm(s.name) in shown))
    drugs = []
    for s in value.drugs:
        why = _grounded(s, hits)
        drugs.append(ProposedDrug(s.name, s.citations, s.reason, "dropped" if why else "checked", why))
    return cands, drugs


def _keep_alerts(base: ConsultReport, final: ConsultReport) -> None:
    """Every alert of the deterministic consult is in the final one, unchanged."""
    have = {(a.type, tuple(sorted(a.drugs)), a.trigger, a.severity, a.interrupt) for a in final.alerts}
    for a in base.alerts:
        if (a.type, tuple(sorted(a.drugs)), a.trigger, a.severity, a.interrupt) not in have:
            final.alerts.append(copy.deepcopy(a))


def assisted_consult(patient: Patient, *, client: ChatClient | None, knowledge: Any = None,
                     kb: Path | str | None = None, tenant: str | None = None, lang: str | None = None,
                     proposed: list[str] | None = None, top: int = 10) -> AssistedConsult:
    """The consult, with the model's help where configured (see the module docstring)."""
    from huizhen.consult import consult, load_knowledge

    know = knowledge or load_knowledge()
    proposed = list(proposed or [])
    base = consult(patient, knowledge=know, tenant=tenant, lang=lang, proposed=proposed, top=top, kb=kb)
    if client is None:
        base.notes.append(HOW_TO_CONFIGURE)
        return AssistedConsult(report=base)
    start = len(client.usage)
    result = AssistedConsult(report=base, model=client.config.model)
    tag = f"language model {client.config.model}"
    stage = "deterministic result shown"
    try:
        intake = assisted_intake(patient, client, know.onto)
        result.intake = intake
        merged = intake.patient
        report = consult(merged, knowledge=know, tenant=tenant, lang=lang, proposed=proposed, top=top,
                         kb=kb) if intake.added else base
        report.notes += [f"{tag}: {len(intake.added)} finding(s) added from the note, each with its "
                         f"quote: " + ", ".join(f"{f.label} «{f.source.text if f.source else ''}»"
                                                for f in intake.added)] if intake.added else []
        report.notes += [f"{tag}: finding dropped ({d['reason']}): {d['label']} «{d['quote']}»"
                         for d in intake.dropped] + [f"{tag}: {n}" for n in intake.notes]
        result.report = report
        stage = "differential not reviewed"
        try:
            hits = _passages(merged, report, kb, tenant)
        except HuizhenError as err:
            hits = []
            report.notes.append(f"{tag}: differential not reviewed, no passages: {err.render()}")
        if hits:
            result.passages = [{"n": n, "title": h.title, "heading": " › ".join(h.heading_path),
                                "doc_id": h.doc_id, "chunk_id": h.chunk_id, "scope": h.scope}
                               for n, h in enumerate(hits, 1)]
            cands, drugs = review(merged, report, client, know, hits)
            result.candidates, result.drugs = cands, drugs
            extra = [d.name for d in drugs if d.status == "checked"]
            if extra:
                report = consult(merged, knowledge=know, tenant=tenant, lang=lang,
                                 proposed=proposed + extra, top=top, kb=kb)
                report.notes = result.report.notes
                report.notes.append(f"{tag}: drugs suggested by the model, checked for safety: "
                                    + ", ".join(extra))
                result.report = report
            for c in cands:
                if c.status == "scored" and not c.in_differential:
                    report.notes.append(f"{tag}: suggested {c.name}; the {c.engine} engine gives it "
                                        f"{c.probability:.1%} (rank {c.rank}) for this patient")
                elif c.status == "unscored":
                    report.notes.append(f"{tag}: suggested {c.name}; no engine knows it, not scored")
    except ExternalServiceError as err:
        result.report.notes.append(f"{tag} unavailable, {stage}: {err.render()}")
    _keep_alerts(base, result.report)
    result.usage = total_usage(client.usage[start:])
    return result
