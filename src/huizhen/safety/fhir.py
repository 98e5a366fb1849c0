"""Alerts as FHIR R4 ``DetectedIssue`` resources (plain dicts, valid against R4B models).

Codes come from HL7 v3 ActCode (``_ActDetectedIssueCode``): DRG drug
interaction, ALGY allergy, DUPTHPY duplicate therapy, COND condition, AGE,
PREG, LACT, DOSEH high dose, DOSE dosage problem.  Severity maps
contraindicated/major -> high, moderate -> moderate, minor -> low.
"""

from __future__ import annotations

from typing import Any

from huizhen.safety.model import Alert, SafetyReport

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CODES = {
    "interaction": ("DRG", "Drug Interaction Alert"),
    "allergy": ("ALGY", "Allergy Alert"),
    "duplicate": ("DUPTHPY", "Duplicate Therapy Alert"),
    "condition": ("COND", "Condition Alert"),
    "renal": ("COND", "Condition Alert"),
    "age": ("AGE", "Age Alert"),
    "pregnancy": ("PREG", "Pregnancy Alert"),
    "lactation": ("LACT", "Lactation Alert"),
    "dose": ("DOSE", "Dosage problem"),
}
_SEVERITY = {"contraindicated": "high", "major": "high", "moderate": "moderate", "minor": "low"}


def detected_issue(alert: Alert, *, patient_ref: str | None = None,
                   medication_refs: dict[str, str] | None = None) -> dict[str, Any]:
    """One alert as a DetectedIssue dict; ``medication_refs`` maps written names to references."""
    code, display = _CODES.get(alert.type, ("DOSE", "Dosage problem"))
    if alert.type == "dose" and "above the maximum" in alert.effect:
        code, display = "DOSEH", "High Dose Alert"
    refs = medication_refs or {}
    implicated = [{"reference": refs[d]} if d in refs else {"display": d} for d in alert.drugs]
    detail = (f"{alert.severity}: {alert.effect or alert.type} ({' + '.join(alert.drugs)}); "
              f"trigger: {alert.trigger}; source: {alert.source}")
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "status": "preliminary",
        "code": {"coding": [{"system": ACT_CODE, "code": code, "display": display}],
                 "text": alert.type},
        "severity": _SEVERITY.get(alert.severity, "moderate"),
        "implicated": implicated,
        "detail": detail,
        "mitigation": [{"action": {"text": alert.management}}],
    }
    if patient_ref:
        issue["patient"] = {"reference": patient_ref}
    return issue


def detected_issues(report: SafetyReport, *, patient_ref: str | None = None) -> list[dict[str, Any]]:
    return [detected_issue(a, patient_ref=patient_ref) for a in report.alerts]
