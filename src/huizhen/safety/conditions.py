"""Drug-condition contraindications, matched on ICD-10 (prefix), SNOMED CT or HPO codes."""

from __future__ import annotations

from huizhen.knowledge.drugs.pack import DrugPack, DrugRule
from huizhen.patient.model import CodeSystem, Patient
from huizhen.safety.context import Drug, alert_from, rules_for
from huizhen.safety.model import Alert

_INACTIVE = frozenset({"resolved", "inactive", "remission", "entered-in-error", "refuted"})


def patient_codes(patient: Patient) -> list[tuple[str, str, str]]:
    """(system, code, label) for active conditions and present HPO findings."""
    out = []
    for c in patient.conditions:
        if c.code is not None and c.status not in _INACTIVE:
            out.append((c.code.system.value, c.code.code, c.label))
    for f in patient.present_findings():
        if f.code is not None and f.code.system is CodeSystem.HPO and f.certainty != "possible":
            out.append(("HPO", f.code.code, f.label))
    return out


def matches(rule: DrugRule, system: str, code: str) -> bool:
    if system == CodeSystem.ICD10.value:
        norm = code.upper()
        return any(norm.startswith(p) for p in rule.data.get("icd10", "").split("|") if p)
    if system == CodeSystem.SNOMED.value:
        return code in rule.data.get("snomed", "").split("|")
    if system == CodeSystem.HPO.value:
        return code in rule.data.get("hpo", "").split("|")
    return False


def check_conditions(drugs: list[Drug], patient: Patient, pack: DrugPack) -> list[Alert]:
    codes = patient_codes(patient)
    if not codes:
        return []
    alerts = []
    for drug in drugs:
        for ing, rule in rules_for(drug, pack.conditions, pack):
            hit = next(((s, c, label) for s, c, label in codes if matches(rule, s, c)), None)
            if hit:
                alerts.append(alert_from("condition", drug, ing, rule,
                                         f"condition: {hit[2]} ({hit[0]} {hit[1]})", pack,
                                         effect=rule.data.get("condition", "")))
    return alerts
