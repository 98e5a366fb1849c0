"""Medication safety: every drug a patient takes or a plan proposes is checked here.

``check(patient, proposed)`` runs each rule type (interactions, allergy and
cross-reactivity, duplicate therapy, drug-condition contraindications, renal
bands, age, pregnancy and lactation, maximum daily dose) over the medication
list and returns a ``SafetyReport``.  Nothing bypasses it.
"""

from __future__ import annotations

from huizhen.safety.checker import check
from huizhen.safety.model import Alert, SafetyReport

__all__ = ["Alert", "SafetyReport", "check"]
