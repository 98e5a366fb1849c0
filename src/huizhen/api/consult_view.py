"""The consult as ``POST /v1/consult`` serves it (the doctor's page and any REST client).

Why a module of its own: the page needs a few things the ``ConsultReport``
does not carry — the answer *values* of each next question (the report keeps
their wording only), the doctor's answers turned back into findings, and one
id per shown alert so a decision on it can come back as feedback.  All of it
is a thin layer over intake (``read_patient``), the consult and the DDXPlus
knowledge pack; nothing here scores, ranks or checks anything.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from huizhen.api import cards as cardlib
from huizhen.audit import ShownCard
from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.patient.casefile import MARKERS
from huizhen.patient.model import Code, CodeSystem, Finding, Patient
from huizhen.report.model import ConsultReport

#: The alert type under which the differential itself is recorded: the doctor's working
#: diagnosis comes back as feedback on it (accepted = one of the listed diagnoses).
DIFFERENTIAL = "differential"
FORMATS = ("fhir", "phenopacket", "case")

_knowledge_lock = threading.Lock()
_warmed = False


def knowledge() -> Any:
    """The consult's knowledge, loaded once per process (one thread loads, others wait).

    The first call also runs one tiny consult, so the lazily built parts (the
    Chinese tokenizer, the drug pack) are ready, built by one thread only.
    """
    global _warmed
    from huizhen.consult import consult, load_knowledge
    from huizhen.errors import HuizhenError
    from huizhen.patient.parse import read_patient

    with _knowledge_lock:
        know = load_knowledge()
        if not _warmed:
            _warmed = True
            try:
                consult(read_patient("发热，咳嗽，服用华法林。"), knowledge=know)
            except HuizhenError:
                pass  # the doctor's own consult will say what is wrong
        return know


@dataclass(frozen=True, slots=True)
class Answer:
    """The doctor's answer to a next question: a DDXPlus evidence code and its value."""

    code: str
    present: bool = True
    value: str | None = None


def _case_is_empty(case: dict[str, Any]) -> bool:
    return not any(case.get(k) not in (None, "", [], {}) for k in MARKERS)


def read_input(*, text: str | None = None, case: dict[str, Any] | None = None,
               patient: dict[str, Any] | None = None, document: str | None = None,
               filename: str | None = None) -> tuple[Patient, str]:
    """The patient from exactly one of a note, a form case, a JSON patient or an uploaded file.

    Content is read with ``read_patient``, which never takes text for a file path.
    """
    from huizhen.patient.parse import read_patient, sniff

    if text is not None:
        if not text.strip():
            raise InputError("the note is empty; paste or type the case", field="text")
        return read_patient(text), "text"
    if case is not None:
        if _case_is_empty(case):
            raise InputError("the case is empty; give at least a finding, a vital sign, a lab, "
                             "a medication or a note", field="case")
        return read_patient(json.dumps(case, ensure_ascii=False), name="case"), "case"
    name = filename or ("patient" if patient is not None else "upload")
    field_name = "patient" if patient is not None else "document"
    content = json.dumps(patient, ensure_ascii=False) if patient is not None else document or ""
    if "\x00" in content or "\ufffd" in content:
        raise UnsupportedFormatError("not a UTF-8 text file (an image, PDF or word document?); "
                                     "upload a FHIR R4 Bundle, a phenopacket or a case file "
                                     "(JSON or YAML)", source=name, field=field_name)
    if not content.strip():
        raise InputError("the uploaded file is empty", source=name, field=field_name)
    kind, _ = sniff(content, name)
    if kind not in FORMATS:
        raise UnsupportedFormatError("neither a FHIR R4 Bundle, a phenopacket nor a case file "
                                     "(JSON or YAML); paste a note in the note box instead",
                                     source=name, field=field_name)
    # A system's JSON patient is held to the FHIR checks (a failing resource is a 422); a
    # doctor's upload lists what failed among what was not understood and goes on.
    return read_patient(content, name=name, strict=patient is not None), kind


def apply_answers(patient: Patient, answers: list[Answer], lang: str) -> list[dict[str, Any]]:
    """Add the doctor's answers to the patient as DDXPlus-coded findings.

    An answer replaces whatever intake read for the same code.  Returns the
    answers worded for display (question and answer in ``lang``).
    """
    from huizhen.knowledge.ddxplus import load_knowledge

    evidences = load_knowledge().evidences
    shown: list[dict[str, Any]] = []
    codes = set()
    for i, a in enumerate(answers):
        ev = evidences.get(a.code)
        if ev is None:
            raise InputError("no such question", field=f"answers[{i}].code", value=a.code)
        if a.code in codes:
            raise InputError("answered twice", field=f"answers[{i}].code", value=a.code)
        codes.add(a.code)
        if ev.kind == "B":
            if a.value is not None:
                raise InputError("a yes/no question takes present only, no value",
                                 field=f"answers[{i}].value", value=a.value)
            label = ("是" if lang == "zh" else "yes") if a.present else ("否" if lang == "zh" else "no")
        else:
            if a.value is None or a.value not in ev.values:
                raise InputError(f"not an answer to {a.code}; one of {', '.join(ev.values[:12])}",
                                 field=f"answers[{i}].value", value=a.value)
            label = ev.value_label(a.value, lang)
        shown.append({"code": a.code, "present": a.present, "value": a.value,
                      "question": ev.question(lang), "answer": label})
    patient.findings = [f for f in patient.findings
                        if not (f.code is not None and f.code.system is CodeSystem.DDXPLUS
                                and f.code.code in codes)]
    for a, s in zip(answers, shown, strict=True):
        patient.findings.append(Finding(
            label=f"{s['question']} {s['answer']}", code=Code(CodeSystem.DDXPLUS, a.code),
            present=a.present, value=a.value, origin="input"))
    return shown


def question_options(report: ConsultReport) -> list[dict[str, Any]]:
    """The report's next questions with their answer values, ready to answer in place.

    ``type`` is yes_no, choice, multi or scale; ``options`` are ``{value, label}``.
    """
    from huizhen.knowledge.ddxplus import load_knowledge

    evidences = load_knowledge().evidences
    out = []
    for q in report.questions:
        ev = evidences.get(q.id)
        kind = "yes_no"
        options: list[dict[str, str]] = []
        if ev is not None and ev.kind != "B":
            kind = "scale" if ev.is_scale else ("multi" if ev.kind == "M" else "choice")
            options = [{"value": v, "label": ev.value_label(v, report.lang)} for v in ev.values]
        out.append({"id": q.id, "text": q.text, "type": kind, "options": options,
                    "red_flag": q.red_flag, "gain": None if q.gain is None else round(q.gain, 4),
                    "reason": q.reason})
    return out


def shown_cards(report: ConsultReport, result: dict[str, Any]) -> tuple[str, list[ShownCard]]:
    """Give each alert (and the differential) an id, in ``result``, and the audit cards.

    The differential is a card of its own whose suggestions are the diagnoses:
    the doctor's working diagnosis comes back as feedback on it — accepted with
    the chosen diagnosis, or overridden with the doctor's own as the reason.
    """
    cards = []
    for alert, out in zip(report.alerts, result["alerts"], strict=True):
        out["alert_id"] = str(uuid.uuid4())
        cards.append(ShownCard(uuid=out["alert_id"], alert_type=alert.type,
                               indicator=cardlib.indicator(alert),
                               summary=cardlib.shorten(alert.message)))
    consult_id = str(uuid.uuid4())
    top = report.differential[0].name if report.differential else "(empty)"
    cards.append(ShownCard(uuid=consult_id, alert_type=DIFFERENTIAL, indicator="info",
                           summary=cardlib.shorten(f"Differential: {top}"),
                           suggestions=[d.id for d in report.differential]))
    return consult_id, cards


def audit_shown(result: dict[str, Any]) -> list[dict[str, Any]]:
    """What the page put in front of the doctor, for the audit log (no patient text)."""
    shown: list[dict[str, Any]] = [
        {"differential": d["id"], "probability": round(d["probability"], 4)}
        for d in result["differential"]]
    shown += [{"question": q["id"]} for q in result["questions"]]
    shown += [{"alert_id": a["alert_id"], "alert_type": a["type"], "severity": a["severity"]}
              for a in result["alerts"]]
    shown += [{"treatment": t["diagnosis_id"], "safe": t["safe"]} for t in result["treatments"]]
    shown += [{"citation": c["n"], "doc_id": c["doc_id"], "chunk_id": c["chunk_id"]}
              for c in result["citations"]]
    shown += [{"unchecked": name} for name in result["unchecked_drugs"]]
    return shown
