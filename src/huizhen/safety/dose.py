"""Doses: impossible values or units, and daily totals above the labelled maximum.

Only mass doses are compared with ``max_dose.csv``; a dose in tablets or mL
cannot be converted without the strength, so it is checked for plausibility
only.  A daily total above ten times the maximum is reported as a probable
unit error (mg written for µg, or g for mg).
"""

from __future__ import annotations

import math

from huizhen.knowledge.drugs.pack import DrugPack, DrugRule
from huizhen.patient.model import Patient
from huizhen.safety.context import Drug, alert_from, rules_for
from huizhen.safety.model import Alert

#: Mass units -> factor to milligrams (UCUM and common spellings).
MASS_TO_MG = {"mg": 1.0, "g": 1000.0, "gm": 1000.0, "gram": 1000.0, "grams": 1000.0, "mcg": 0.001,
              "ug": 0.001, "µg": 0.001, "μg": 0.001, "microgram": 0.001, "ng": 1e-6, "kg": 1e6,
              "毫克": 1.0, "克": 1000.0, "微克": 0.001}
#: Units that are valid but not mass (count, volume, activity).
OTHER_UNITS = frozenset(["ml", "l", "[iu]", "iu", "u", "unit", "units", "{tablet}", "tablet", "tablets", "tab", "tabs", "{capsule}", "capsule", "capsules", "cap", "caps", "puff", "puffs", "{puff}", "actuat", "{actuat}", "drop", "drops", "{drop}", "gtt", "patch", "{patch}", "spray", "sprays", "application", "{application}", "meq", "mmol", "[drp]", "suppository", "sachet", "vial", "ampoule", "片", "粒", "支", "袋", "毫升", "单位", "喷", "滴", "贴"])
DOSE_SOURCE = "huizhen input check: dose value and unit must be a positive amount in a known unit"


def mg_per_day(drug: Drug) -> float | None:
    med = drug.med
    if med.dose_value is None or not med.dose_unit:
        return None
    factor = MASS_TO_MG.get(med.dose_unit.strip().lower())
    if factor is None:
        return None
    return med.dose_value * factor * (med.per_day if med.per_day else 1.0)


def implausible(drug: Drug) -> str | None:
    """Why the written dose cannot be right, or None."""
    med = drug.med
    if med.dose_value is None:
        return None
    if math.isnan(med.dose_value) or med.dose_value <= 0:
        return f"dose {med.dose_value:g} is not a positive amount"
    if med.dose_unit:
        unit = med.dose_unit.strip().lower()
        if unit not in MASS_TO_MG and unit not in OTHER_UNITS:
            return f"unit '{med.dose_unit}' is not a dose unit"
    if med.per_day is not None and (med.per_day <= 0 or med.per_day > 48):
        return f"{med.per_day:g} doses a day is not possible"
    return None


def check_doses(drugs: list[Drug], patient: Patient, pack: DrugPack) -> list[Alert]:
    alerts: list[Alert] = []
    for drug in drugs:
        why = implausible(drug)
        if why:
            alerts.append(Alert(
                type="dose", severity="major", interrupt=True, drugs=[drug.written],
                ingredients=[pack.vocab.name_of(i) for i in drug.ids], trigger=why,
                effect="impossible dose", management="Correct the dose or unit before ordering.",
                source=DOSE_SOURCE))
            continue
        per_day = drug.med.per_day
        if per_day is not None:
            for ing, rule in rules_for(drug, pack.dose_frequency, pack):
                if per_day > float(rule.data["max_per_day"]):
                    alerts.append(alert_from("dose", drug, ing, rule,
                                             f"{per_day:g} doses a day ({drug.med.frequency or 'as written'})",
                                             pack, effect="dosing frequency error"))
        daily = mg_per_day(drug)
        if daily is None:
            continue
        for ing, rule in rules_for(drug, pack.max_dose, pack):
            if len(drug.ids) > 1:
                continue  # a combination's dose is per product, not per ingredient
            limit = float(rule.data["max_mg_per_day"])
            if daily > limit:
                unit_error = daily > 10 * limit
                alerts.append(_over(drug, ing, rule, daily, limit, unit_error, pack))
    return alerts


def _over(drug: Drug, ing: str, rule: DrugRule, daily: float, limit: float, unit_error: bool,
          pack: DrugPack) -> Alert:
    alert = alert_from("dose", drug, ing, rule, f"{daily:g} mg/day", pack,
                       effect=f"above the maximum of {limit:g} mg/day"
                       + (f" ({rule.data['note']})" if rule.data.get("note") else ""),
                       notes=["more than ten times the maximum: probable unit error"] if unit_error else [])
    alert.severity = "major"
    alert.interrupt = True
    alert.management = f"Reduce to at most {limit:g} mg a day" + (
        "; check the unit" if unit_error else "") + "."
    alert.max_daily_dose = {"value": limit, "unit": "mg/d", "system": "http://unitsofmeasure.org",
                            "code": "mg/d"}
    return alert
