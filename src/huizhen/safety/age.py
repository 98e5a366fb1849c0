"""Age cautions: paediatric contraindications and Beers Criteria for older adults."""

from __future__ import annotations

from huizhen.knowledge.drugs.pack import DrugPack, DrugRule
from huizhen.patient.model import Patient
from huizhen.safety.context import Drug, alert_from, rules_for
from huizhen.safety.model import Alert


def in_age(age: float, rule: DrugRule) -> bool:
    """``age_from <= age < age_to`` (years)."""
    lo = float(rule.data["age_from"]) if rule.data.get("age_from") else float("-inf")
    hi = float(rule.data["age_to"]) if rule.data.get("age_to") else float("inf")
    return lo <= age < hi


def check_age(drugs: list[Drug], patient: Patient, pack: DrugPack) -> list[Alert]:
    if patient.age_years is None:
        return []
    age = float(patient.age_years)
    alerts = []
    for drug in drugs:
        for ing, rule in rules_for(drug, pack.age, pack):
            if in_age(age, rule):
                span = (f"age >= {rule.data['age_from']}" if rule.data.get("age_from")
                        else f"age < {rule.data['age_to']}")
                alerts.append(alert_from("age", drug, ing, rule, f"age {age:g} years", pack,
                                         effect=span))
    return alerts
