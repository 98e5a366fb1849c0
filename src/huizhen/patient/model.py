"""The one ``Patient`` every engine sees, whatever the input format was.

Parsers (FHIR, phenopacket, case file, free text) are the only code that sees
raw input; they build these plain dataclasses.  Derived facts (age, BMI, eGFR,
findings implied by vitals and labs) are computed once by ``patient.derive``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import Enum
from typing import Any


class Sex(str, Enum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class CodeSystem(str, Enum):
    HPO = "HPO"
    SNOMED = "SNOMED"
    ICD10 = "ICD-10"
    LOINC = "LOINC"
    DDXPLUS = "DDXPlus"
    RXNORM = "RxNorm"
    ATC = "ATC"
    DRUGBANK = "DrugBank"
    OMIM = "OMIM"
    ORPHA = "ORPHA"
    UNCODED = "uncoded"


@dataclass(slots=True)
class Span:
    """Where in the source an item came from: character offsets into a text,
    or a pointer into a structured document (e.g. ``Bundle.entry[3]``)."""

    start: int | None = None
    end: int | None = None
    text: str | None = None
    pointer: str | None = None


@dataclass(slots=True)
class Code:
    system: CodeSystem
    code: str
    display: str | None = None

    def __str__(self) -> str:
        return self.code if self.system is CodeSystem.HPO else f"{self.system.value}:{self.code}"


@dataclass(slots=True)
class Finding:
    """A sign, symptom or phenotype, present or explicitly excluded."""

    label: str
    code: Code | None = None
    present: bool = True
    #: ISO 8601 duration (P3Y), HPO onset term id (HP:0003577) or free text.
    onset: str | None = None
    #: "confirmed", "possible" (hedged), "history" or "family" (about a relative).
    certainty: str = "confirmed"
    source: Span | None = None
    #: How it was obtained: "input", "text", "derived" (from vitals / labs).
    origin: str = "input"
    #: For a DDXPlus categorical or multi-choice evidence, the answer value.
    value: str | None = None


@dataclass(slots=True)
class Measurement:
    """A vital sign or a laboratory result."""

    name: str
    value: float | None
    unit: str | None = None  # UCUM
    code: Code | None = None  # LOINC
    time: str | None = None  # ISO 8601
    interpretation: str | None = None  # H, L, N, HH, LL, A ...
    kind: str = "laboratory"  # or "vital-signs"
    #: For blood pressure and other two-valued observations.
    components: dict[str, float] = field(default_factory=dict)
    text: str | None = None  # non-numeric result
    source: Span | None = None


@dataclass(slots=True)
class Condition:
    label: str
    code: Code | None = None
    status: str = "active"  # active, resolved, inactive ...
    onset: str | None = None
    source: Span | None = None


@dataclass(slots=True)
class Ingredient:
    """A normalised active ingredient, with a stable id (DrugBank) when known."""

    name: str
    drugbank_id: str | None = None
    codes: list[Code] = field(default_factory=list)


@dataclass(slots=True)
class Medication:
    written: str
    ingredients: list[Ingredient] = field(default_factory=list)
    dose_value: float | None = None
    dose_unit: str | None = None
    route: str | None = None
    frequency: str | None = None  # as written, e.g. "bid", "q8h"
    #: Doses per day when the frequency could be parsed.
    per_day: float | None = None
    status: str = "active"  # active, proposed, stopped, completed ...
    codes: list[Code] = field(default_factory=list)  # RxNorm / ATC from input
    source: Span | None = None


@dataclass(slots=True)
class Allergy:
    substance: str
    code: Code | None = None
    reaction: str | None = None
    severity: str | None = None  # mild, moderate, severe
    criticality: str | None = None  # low, high, unable-to-assess
    category: str | None = None  # medication, food, environment, biologic
    status: str = "active"
    source: Span | None = None


@dataclass(slots=True)
class Unparsed:
    """Input that was seen but not understood: listed, never silently dropped."""

    what: str
    reason: str
    source: Span | None = None


@dataclass(slots=True)
class Patient:
    id: str | None = None
    sex: Sex = Sex.UNKNOWN
    birth_date: date | None = None
    #: Age in years as given or derived from the birth date.
    age_years: float | None = None
    pregnant: bool | None = None
    lactating: bool | None = None
    gestational_weeks: float | None = None
    findings: list[Finding] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    #: Derived facts computed once (bmi, egfr, ...), each a number.
    derived: dict[str, float] = field(default_factory=dict)
    unparsed: list[Unparsed] = field(default_factory=list)
    #: Free text the patient came from, if any (spans point into it).
    text: str | None = None
    lang: str | None = None  # "zh" or "en"
    #: Where the patient came from (file name, "text", ...).
    source: str | None = None
    #: Date of death when the record says so; ages are computed on it, not today.
    deceased_date: date | None = None

    def present_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.present and f.certainty != "family"]

    def excluded_findings(self) -> list[Finding]:
        return [f for f in self.findings if not f.present]

    def hpo_ids(self, *, present: bool = True) -> list[str]:
        """HPO ids of present (or excluded) findings, in input order, without repeats."""
        seen: dict[str, None] = {}
        for f in self.findings:
            if (
                f.code is not None
                and f.code.system is CodeSystem.HPO
                and f.present is present
                and f.certainty != "family"
            ):
                seen.setdefault(f.code.code, None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (enums as values, dates as ISO strings)."""
        return _jsonable(asdict(self))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, date):
        return obj.isoformat()
    return obj
