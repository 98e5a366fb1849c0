"""Renal dose bands: a drug whose band contains the patient's eGFR raises an alert.

Bands are half-open, ``egfr_from <= eGFR < egfr_to`` (``to_inclusive`` closes
the upper edge for sources that write "<= 80").  The Beers Criteria give
creatinine clearance thresholds; huizhen applies them to the eGFR it has,
which the alert says, because the two are close but not equal.
"""

from __future__ import annotations

from huizhen.knowledge.drugs.pack import DrugPack, DrugRule
from huizhen.patient.model import Patient
from huizhen.safety.context import Drug, alert_from, rules_for
from huizhen.safety.model import Alert

#: LOINC codes of eGFR results, used when no derived eGFR is present.
EGFR_LOINC = frozenset({"33914-3", "62238-1", "48642-3", "48643-1", "98979-8", "69405-9", "50044-7"})


def patient_egfr(patient: Patient) -> float | None:
    """The derived eGFR, else the latest eGFR laboratory value."""
    if patient.derived.get("egfr") is not None:
        return float(patient.derived["egfr"])
    values = [m for m in patient.measurements
              if m.value is not None and m.code is not None and m.code.code in EGFR_LOINC]
    if not values:
        return None
    values.sort(key=lambda m: m.time or "")
    return float(values[-1].value)  # type: ignore[arg-type]


def in_band(egfr: float, rule: DrugRule) -> bool:
    lo = float(rule.data["egfr_from"]) if rule.data.get("egfr_from") else float("-inf")
    hi = float(rule.data["egfr_to"]) if rule.data.get("egfr_to") else float("inf")
    if egfr < lo:
        return False
    return egfr <= hi if rule.data.get("to_inclusive") == "yes" else egfr < hi


def band_text(rule: DrugRule) -> str:
    lo, hi = rule.data.get("egfr_from"), rule.data.get("egfr_to")
    upper = f"{'<=' if rule.data.get('to_inclusive') == 'yes' else '<'} {hi}" if hi else ""
    if lo and hi:
        return f"{lo}-{hi}" if rule.data.get("to_inclusive") == "yes" else f">= {lo} and {upper}"
    return f">= {lo}" if lo else upper


def check_renal(drugs: list[Drug], patient: Patient, pack: DrugPack) -> list[Alert]:
    egfr = patient_egfr(patient)
    if egfr is None:
        return []
    alerts = []
    for drug in drugs:
        for ing, rule in rules_for(drug, pack.renal, pack):
            if in_band(egfr, rule):
                alerts.append(alert_from(
                    "renal", drug, ing, rule, f"eGFR {egfr:g} mL/min/1.73m2", pack,
                    effect=f"renal band {band_text(rule)}",
                    notes=["threshold given as creatinine clearance in the source; applied to eGFR"]
                    if "Beers" in rule.source else []))
    return alerts
