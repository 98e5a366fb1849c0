"""Patient model and the parsers that build it from raw input."""

from __future__ import annotations

from huizhen.patient.model import (
    Allergy,
    Code,
    CodeSystem,
    Condition,
    Finding,
    Ingredient,
    Measurement,
    Medication,
    Patient,
    Sex,
    Span,
    Unparsed,
)

__all__ = [
    "Allergy",
    "Code",
    "CodeSystem",
    "Condition",
    "Finding",
    "Ingredient",
    "Measurement",
    "Medication",
    "Patient",
    "Sex",
    "Span",
    "Unparsed",
]
