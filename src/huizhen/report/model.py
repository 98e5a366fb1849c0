"""The ConsultReport: everything one consult produced, with its provenance.

Plain dataclasses, so every renderer (terminal, JSON, Markdown, HTML, CDS Hooks
cards) reads the same object and no renderer computes clinical content.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DISCLAIMER_EN = (
    "huizhen supports, and does not replace, the doctor's judgement. Every suggestion "
    "must be checked against the patient and the cited sources."
)
DISCLAIMER_ZH = "会诊（huizhen）仅辅助而不替代医生的临床判断；所有建议须结合患者情况并核对所引来源。"


@dataclass(slots=True)
class Evidence:
    """One reason for or against a diagnosis."""

    label: str
    code: str | None = None
    #: Likelihood ratio (or its log) the engine attached, when it has one.
    weight: float | None = None
    note: str | None = None


@dataclass(slots=True)
class DifferentialEntry:
    id: str
    name: str
    probability: float
    engines: list[str]
    name_zh: str | None = None
    icd10: str | None = None
    cannot_miss: bool = False
    severity: str | None = None
    evidence_for: list[Evidence] = field(default_factory=list)
    evidence_against: list[Evidence] = field(default_factory=list)
    #: Per-engine probability before fusion.
    engine_scores: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class QuestionSuggestion:
    id: str
    text: str
    kind: str = "question"  # or "test"
    red_flag: bool = False
    gain: float | None = None
    reason: str | None = None
    answers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Alert:
    """A medication alert as the report shows it (copied from the safety report)."""

    type: str
    severity: str
    interrupt: bool
    drugs: list[str]
    message: str
    trigger: str | None = None
    management: str | None = None
    source: str | None = None

    @classmethod
    def from_safety(cls, a: Any) -> Alert:
        """The report's view of a :class:`huizhen.safety.model.Alert` — one wording for
        the consult's alerts and the treatment options' checks alike."""
        return cls(type=a.type, severity=a.severity, interrupt=a.interrupt, drugs=list(a.drugs),
                   message=f"{' + '.join(a.drugs)}: {a.effect or a.trigger}", trigger=a.trigger,
                   management=a.management + "".join(f" ({n})" for n in a.notes),
                   source=a.source + (f" — {a.source_ref}" if a.source_ref else ""))


@dataclass(slots=True)
class TreatmentOption:
    diagnosis_id: str
    diagnosis: str
    line: str  # "first-line" | "alternative" | "protocol"
    text: str
    drugs: list[str] = field(default_factory=list)
    dose: str | None = None
    source: str | None = None
    safe: bool = True
    alerts: list[Alert] = field(default_factory=list)
    citations: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Citation:
    n: int
    title: str
    heading: str
    snippet: str
    source: str | None = None
    url: str | None = None
    license: str | None = None
    doc_id: str | None = None
    chunk_id: str | None = None
    scope: str | None = None


@dataclass(slots=True)
class ConsultReport:
    patient: dict[str, Any]
    differential: list[DifferentialEntry] = field(default_factory=list)
    questions: list[QuestionSuggestion] = field(default_factory=list)
    treatments: list[TreatmentOption] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    unchecked_drugs: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    knowledge: dict[str, str] = field(default_factory=dict)
    #: Things the doctor should know about the consult itself (no findings, engine skipped...).
    notes: list[str] = field(default_factory=list)
    routing: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"
    disclaimer: str = DISCLAIMER_EN
    created_at: str | None = None
    elapsed_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
