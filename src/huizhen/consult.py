"""The consult: one patient in, one ConsultReport out.

It runs the engines the router picks (common-disease model, HPO phenotype
engine), fuses their rankings, proposes the next questions, gathers treatment
options for the leading diagnoses, checks every medication (current and
proposed) for risk, and cites knowledge-base passages.  Every piece is the
output of a deterministic engine; this module only orchestrates and records
provenance.  A missing knowledge base or an engine that cannot run becomes a
note in the report, never a silent gap.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huizhen import __version__
from huizhen.patient.model import Finding, Patient
from huizhen.report.model import (
    DISCLAIMER_EN,
    DISCLAIMER_ZH,
    Alert,
    ConsultReport,
    DifferentialEntry,
    QuestionSuggestion,
)

#: Entries shown in the differential.
TOP = 10
#: Diagnoses whose treatment options and passages are gathered.
TREAT_TOP = 3


@dataclass
class Knowledge:
    """Everything a consult reads, loaded once per process."""

    onto: Any
    ranker: Any
    common: Any
    ddx: Any
    cards: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


_KNOWLEDGE: dict[str, Knowledge] = {}
_KNOWLEDGE_LOCK = threading.Lock()


def load_knowledge(*, hpo_dir: Path | str | None = None, model: Path | str | None = None) -> Knowledge:
    """Load (once per process, by one thread) the HPO release, the rare ranker, the
    common model, its pack and the disease cards.  The knowledge base is not part of
    it: each consult names its own (``kb``), so tenants can differ."""
    key = f"{hpo_dir}|{model}"
    with _KNOWLEDGE_LOCK:
        if key not in _KNOWLEDGE:
            _KNOWLEDGE[key] = _load(hpo_dir, model)
        return _KNOWLEDGE[key]


def _load(hpo_dir: Path | str | None, model: Path | str | None) -> Knowledge:
    from huizhen.knowledge.ddxplus import load_knowledge as load_ddx
    from huizhen.reasoning.common import load_common_model
    from huizhen.reasoning.rare import load_ranker

    ranker = load_ranker(hpo_dir)
    common = load_common_model(model)
    ddx = load_ddx()
    versions = {"huizhen": __version__, "hpo": ranker.onto.release, "ddxplus": ddx.version}
    from huizhen.knowledge.disease_cards import load_cards

    return Knowledge(onto=ranker.onto, ranker=ranker, common=common, ddx=ddx, cards=load_cards(),
                     versions=versions)


#: The consult's own notes, in the report's language.
_NOTES = {
    "unread": {"en": "the common-disease model cannot read these findings, so its ranking does "
                     "not weigh them: ",
               "zh": "常见病模型无法识别以下表现，其排序未考虑这些表现："},
    "empty": {"en": "no usable findings: the differential is empty; answer the questions below",
              "zh": "没有可用的临床表现，鉴别诊断为空；请回答下面的问题"},
    "no_fit": {"en": "no condition of the common-disease model ({n} conditions) stands out (the "
                     "best has {p:.0%}): conditions outside the model are not in this list, and "
                     "its probabilities are relative among its own conditions only",
               "zh": "常见病模型（共 {n} 种疾病）中没有明显吻合本例的疾病（最高 {p:.0%}）：模型未"
                     "收录的疾病不会出现在列表中，其概率仅为这些疾病之间的相对值"},
}
#: Below this top probability the report says that no common condition stands out.
NO_CLEAR_FIT = 0.5


def _lang(patient: Patient, lang: str | None) -> str:
    if lang in ("zh", "en"):
        return lang
    return "zh" if patient.lang == "zh" else "en"


def finding_names(patient: Patient, lang: str, onto: Any = None) -> dict[str, str]:
    """Code → the name a report shows for each coded finding: in a Chinese report an HPO
    term's official Chinese label where ``onto`` has one, else the finding's own label."""
    names: dict[str, str] = {}
    for f in patient.findings:
        if f.code is None:
            continue
        term = onto.terms.get(str(f.code)) if (lang == "zh" and onto is not None) else None
        names.setdefault(str(f.code), term.zh[0] if term is not None and term.zh else f.label)
    return names


def _show(f: Finding, names: dict[str, str]) -> str:
    return f"{names.get(str(f.code), f.label)} ({f.code})" if f.code else f.label


def summarise(patient: Patient, *, lang: str = "en", onto: Any = None) -> dict[str, Any]:
    """The patient as the report shows it (what intake understood), findings named as
    :func:`finding_names` says."""
    names = finding_names(patient, lang, onto)
    return {
        "id": patient.id,
        "age": None if patient.age_years is None else round(patient.age_years, 1),
        "sex": patient.sex.value,
        "pregnant": patient.pregnant,
        "findings": [_show(f, names) for f in _unique(patient.present_findings())],
        "excluded": [_show(f, names) for f in _unique(patient.excluded_findings())],
        "conditions": [c.label for c in patient.conditions],
        "medications": [m.written for m in patient.medications],
        "allergies": [a.substance for a in patient.allergies],
        "derived": dict(patient.derived),
        "unparsed": [f"{u.what}: {u.reason}" for u in patient.unparsed],
    }


def _coverage(model: Any, patient: Patient) -> float | None:
    """Share of the patient's distinct present findings the common model can read."""
    from huizhen.reasoning.common_cases import reads_finding

    present = _unique(patient.present_findings())
    if not present:
        return None
    return sum(reads_finding(model, f) for f in present) / len(present)


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for f in findings:
        seen.setdefault(str(f.code) if f.code else f.label.lower(), f)
    return list(seen.values())


def consult(patient: Patient, *, knowledge: Knowledge | None = None, tenant: str | None = None,
            lang: str | None = None, proposed: list[str] | None = None, top: int = TOP,
            kb: Path | str | None = None) -> ConsultReport:
    """Run a whole consult for ``patient``."""
    from huizhen.reasoning import fusion
    from huizhen.reasoning.common_cases import answers_from_patient
    from huizhen.reasoning.next_question import next_questions
    from huizhen.reasoning.rare import query_from_patient
    from huizhen.reasoning.router import route
    from huizhen.retrieval.citations import cite_diagnoses
    from huizhen.safety import check

    started = time.perf_counter()
    know = knowledge or load_knowledge()
    lang = _lang(patient, lang)
    notes: list[str] = []

    # Common model: how much of the patient it understands decides its fit.
    answers = answers_from_patient(know.common, patient)
    coverage = _coverage(know.common, patient)
    common_cands = know.common.rank_answers(answers, top=top) if answers.values else []
    common_top = common_cands[0].probability if common_cands else None
    routing = route(patient, know.onto, common_coverage=coverage, common_top=common_top)
    if answers.unknown:
        names = finding_names(patient, lang, know.onto)
        unread = [names.get(u, u) for u in dict.fromkeys(answers.unknown)]
        notes.append(_NOTES["unread"][lang] + ", ".join(unread[:20]))

    entries_common: list[DifferentialEntry] = []
    if routing.use_common and common_cands:
        entries_common = fusion.common_entries(common_cands, know.common, lang, weight=1 - routing.rare_weight
                                               if routing.use_rare else 1.0)
    if entries_common and common_top is not None and common_top < NO_CLEAR_FIT:
        notes.append(_NOTES["no_fit"][lang].format(n=len(know.common.diseases), p=common_top))
    entries_rare: list[DifferentialEntry] = []
    if routing.use_rare:
        rres = know.ranker.rank(query_from_patient(patient), top=top)
        notes += rres.notes
        entries_rare = fusion.rare_entries(rres.results, weight=routing.rare_weight)
    differential = fusion.fuse(entries_common, entries_rare, top)
    if not differential:
        notes.append(_NOTES["empty"][lang])

    questions = [
        QuestionSuggestion(id=q.code, text=q.text, kind="question", red_flag=q.red_flag, gain=q.gain,
                           reason=q.about_name, answers=[label for _, label in q.options])
        for q in next_questions(know.common, answers, k=5, lang=lang)
    ]

    safety = check(patient, proposed or [])

    from huizhen.treatment.options import treatment_options

    treatments = treatment_options(differential[:TREAT_TOP], patient, lang=lang, cards=know.cards)
    citations = cite_diagnoses(differential[:TREAT_TOP], tenant=tenant, kb=kb, notes=notes)

    return ConsultReport(
        patient=summarise(patient, lang=lang, onto=know.onto),
        differential=differential,
        questions=questions,
        treatments=treatments,
        alerts=[Alert.from_safety(a) for a in safety.alerts],
        unchecked_drugs=list(safety.unchecked),
        citations=citations,
        knowledge={**know.versions, "drugs": safety.knowledge_version},
        notes=notes,
        routing={"use_common": routing.use_common, "use_rare": routing.use_rare,
                 "rare_weight": routing.rare_weight, "reasons": routing.reasons,
                 "organ_systems": routing.organ_systems, "common_coverage": coverage},
        lang=lang,
        disclaimer=DISCLAIMER_ZH if lang == "zh" else DISCLAIMER_EN,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )
