"""Renal bands (at their edges), age, pregnancy, lactation, conditions and doses."""

from __future__ import annotations

import pytest

from huizhen.patient.model import Code, CodeSystem, Condition, Finding, Medication, Patient
from huizhen.safety import check


def kinds(report, kind: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(a.drugs[0], a.severity, a.trigger) for a in report.alerts if a.type == kind]


@pytest.mark.parametrize(("egfr", "expected"), [
    (29.9, [("metformin", "contraindicated", "eGFR 29.9 mL/min/1.73m2")]),
    (30, [("metformin", "moderate", "eGFR 30 mL/min/1.73m2")]),
    (44.9, [("metformin", "moderate", "eGFR 44.9 mL/min/1.73m2")]),
    (45, []),
    (90, []),
])
def test_metformin_renal_bands_at_their_edges(egfr: float, expected: list[tuple[str, str, str]]) -> None:
    assert kinds(check(Patient(derived={"egfr": egfr}), ["metformin"]), "renal") == expected


@pytest.mark.parametrize(("egfr", "severity"), [(80, "moderate"), (80.1, None)])
def test_inclusive_upper_edge(egfr: float, severity: str | None) -> None:
    found = kinds(check(Patient(derived={"egfr": egfr}), ["levetiracetam"]), "renal")
    assert [s for _, s, _ in found] == ([severity] if severity else [])


@pytest.mark.parametrize(("egfr", "severity"), [(14.9, "major"), (15, "moderate"), (50, "moderate"),
                                                 (50.1, None)])
def test_rivaroxaban_two_bands(egfr: float, severity: str | None) -> None:
    found = kinds(check(Patient(derived={"egfr": egfr}), ["rivaroxaban"]), "renal")
    assert [s for _, s, _ in found] == ([severity] if severity else [])


def test_renal_class_rule_and_beers_note() -> None:
    report = check(Patient(derived={"egfr": 25}), ["naproxen"])
    renal = [a for a in report.alerts if a.type == "renal"]
    assert [(a.severity, a.source_ref) for a in renal] == [("major", "class:hz:nsaids")]
    assert renal[0].notes == ["threshold given as creatinine clearance in the source; applied to eGFR"]


def test_no_egfr_no_renal_alert() -> None:
    assert kinds(check(Patient(), ["metformin"]), "renal") == []


def test_children_codeine_and_older_adults_beers() -> None:
    assert kinds(check(Patient(age_years=8), ["codeine"]), "age") == [
        ("codeine", "contraindicated", "age 8 years")]
    assert kinds(check(Patient(age_years=12), ["codeine"]), "age") == []
    assert kinds(check(Patient(age_years=78), ["diazepam", "amlodipine"]), "age") == [
        ("diazepam", "moderate", "age 78 years")]
    assert kinds(check(Patient(age_years=64.9), ["diazepam"]), "age") == []


def test_pregnancy_and_lactation() -> None:
    report = check(Patient(pregnant=True), ["warfarin", "lisinopril", "acetaminophen"])
    assert kinds(report, "pregnancy") == [("warfarin", "contraindicated", "pregnant"),
                                          ("lisinopril", "major", "pregnant")]
    early = check(Patient(pregnant=True, gestational_weeks=12), ["ibuprofen"])
    late = check(Patient(pregnant=True, gestational_weeks=24), ["ibuprofen"])
    assert kinds(early, "pregnancy") == []
    assert kinds(late, "pregnancy") == [("ibuprofen", "major", "pregnant (24 weeks)")]
    assert kinds(check(Patient(lactating=True), ["codeine"]), "lactation") == [
        ("codeine", "major", "breastfeeding")]
    assert kinds(check(Patient(pregnant=False), ["warfarin"]), "pregnancy") == []


def test_condition_contraindications_by_icd10_snomed_and_hpo() -> None:
    icd = Patient(conditions=[Condition("Asthma", Code(CodeSystem.ICD10, "J45.909"))])
    assert kinds(check(icd, ["propranolol"]), "condition") == [
        ("propranolol", "contraindicated", "condition: Asthma (ICD-10 J45.909)")]
    snomed = Patient(conditions=[Condition("Chronic congestive heart failure",
                                           Code(CodeSystem.SNOMED, "88805009"))])
    assert kinds(check(snomed, ["pioglitazone"]), "condition")[0][:2] == ("pioglitazone",
                                                                          "contraindicated")
    hpo = Patient(findings=[Finding("Seizure", Code(CodeSystem.HPO, "HP:0001250"))])
    assert kinds(check(hpo, ["bupropion"]), "condition") == [
        ("bupropion", "contraindicated", "condition: Seizure (HPO HP:0001250)")]
    resolved = Patient(conditions=[Condition("Asthma", Code(CodeSystem.ICD10, "J45"),
                                             status="resolved")])
    assert kinds(check(resolved, ["propranolol"]), "condition") == []


def test_dose_above_maximum_and_impossible_doses() -> None:
    over = Medication("acetaminophen", dose_value=1000, dose_unit="mg", per_day=6)
    report = check(Patient(medications=[over]))
    assert kinds(report, "dose") == [("acetaminophen", "major", "6000 mg/day")]
    assert report.alerts[0].management == "Reduce to at most 4000 mg a day."
    ucum = {"value": 4000.0, "unit": "mg/d", "system": "http://unitsofmeasure.org", "code": "mg/d"}
    assert report.alerts[0].max_daily_dose == ucum
    assert report.to_dict()["alerts"][0]["max_daily_dose"] == ucum
    # Only dose alerts carry it, and the JSON of other alerts does not grow the key.
    other = check(Patient(), ["warfarin", "ibuprofen"])
    assert other.alerts[0].max_daily_dose is None and "max_daily_dose" not in other.to_dict()["alerts"][0]
    unit_error = Medication("metformin", dose_value=500, dose_unit="g", per_day=2)
    assert check(Patient(medications=[unit_error])).alerts[0].notes == [
        "more than ten times the maximum: probable unit error"]
    zero = Medication("metformin", dose_value=0, dose_unit="mg")
    bad_unit = Medication("metformin", dose_value=500, dose_unit="furlong")
    assert kinds(check(Patient(medications=[zero, bad_unit])), "dose") == [
        ("metformin", "major", "dose 0 is not a positive amount"),
        ("metformin", "major", "unit 'furlong' is not a dose unit")]
    assert kinds(check(Patient(medications=[bad_unit])), "dose") == [
        ("metformin", "major", "unit 'furlong' is not a dose unit")]
    ok = Medication("metformin", dose_value=500, dose_unit="mg", per_day=2)
    assert kinds(check(Patient(medications=[ok])), "dose") == []


def test_daily_methotrexate_is_a_frequency_error() -> None:
    daily = Medication("methotrexate", dose_value=7.5, dose_unit="mg", frequency="qd", per_day=1)
    weekly = Medication("methotrexate", dose_value=15, dose_unit="mg", frequency="weekly", per_day=1 / 7)
    assert kinds(check(Patient(medications=[daily])), "dose") == [
        ("methotrexate", "major", "1 doses a day (qd)")]
    assert kinds(check(Patient(medications=[weekly])), "dose") == []
