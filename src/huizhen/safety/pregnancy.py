"""Pregnancy and lactation cautions from labels and FDA safety communications."""

from __future__ import annotations

from huizhen.knowledge.drugs.pack import DrugPack
from huizhen.patient.model import Patient
from huizhen.safety.context import Drug, alert_from, rules_for
from huizhen.safety.model import Alert


def check_pregnancy(drugs: list[Drug], patient: Patient, pack: DrugPack) -> list[Alert]:
    alerts = []
    weeks = patient.gestational_weeks
    for drug in drugs:
        for ing, rule in rules_for(drug, pack.pregnancy, pack):
            state = rule.data.get("state")
            if state == "pregnancy" and patient.pregnant:
                start = float(rule.data["from_week"]) if rule.data.get("from_week") else None
                notes = []
                if start is not None:
                    if weeks is not None and weeks < start:
                        continue
                    if weeks is None:
                        notes.append(f"applies from week {start:g}; gestational age not given")
                trigger = "pregnant" + (f" ({weeks:g} weeks)" if weeks is not None else "")
                alerts.append(alert_from("pregnancy", drug, ing, rule, trigger, pack, notes=notes))
            elif state == "lactation" and patient.lactating:
                alerts.append(alert_from("lactation", drug, ing, rule, "breastfeeding", pack))
    return alerts
