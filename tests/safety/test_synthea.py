"""A Synthea patient's real medication list, read from its FHIR bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from huizhen.safety import check
from huizhen.safety.fhir import detected_issues

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO.parent / "shared/data/synthea-fhir-r4/Christopher_Abshire_028250cc-cfc0-4dee-a771-78fde1275fcb.json"


@pytest.fixture()
def patient():  # type: ignore[no-untyped-def]
    if not BUNDLE.exists():
        pytest.skip(f"Synthea bundle not available at {BUNDLE}")
    from huizhen.patient.parse import load_patient

    return load_patient(BUNDLE)


def test_synthea_medication_list(patient) -> None:  # type: ignore[no-untyped-def]
    report = check(patient)
    assert report.unchecked == []
    assert list(report.checked) == [
        "Hydrochlorothiazide 25 MG", "Digoxin 0.125 MG Oral Tablet", "Warfarin Sodium 5 MG Oral Tablet",
        "Verapamil Hydrochloride 40 MG", "Simvastatin 20 MG Oral Tablet", "Amlodipine 5 MG Oral Tablet"]
    assert [(a.type, a.severity, a.interrupt, a.drugs) for a in report.alerts] == [
        ("interaction", "major", True, ["Verapamil Hydrochloride 40 MG", "Simvastatin 20 MG Oral Tablet"]),
        ("age", "moderate", False, ["Digoxin 0.125 MG Oral Tablet"]),
        ("interaction", "moderate", False, ["Digoxin 0.125 MG Oral Tablet", "Verapamil Hydrochloride 40 MG"]),
        ("interaction", "moderate", False, ["Hydrochlorothiazide 25 MG", "Digoxin 0.125 MG Oral Tablet"]),
        ("interaction", "moderate", False, ["Simvastatin 20 MG Oral Tablet", "Amlodipine 5 MG Oral Tablet"]),
        ("interaction", "moderate", False, ["Warfarin Sodium 5 MG Oral Tablet", "Simvastatin 20 MG Oral Tablet"]),
    ]
    assert report.alerts[0].source.startswith("ONC high-priority DDI list")


def test_synthea_proposed_drug_meets_conditions(patient) -> None:  # type: ignore[no-untyped-def]
    report = check(patient, ["sumatriptan"])
    cond = [a for a in report.alerts if a.type == "condition"]
    assert [(a.severity, a.trigger) for a in cond] == [
        ("contraindicated", "condition: Coronary Heart Disease (SNOMED 53741008)")]


def test_alerts_convert_to_valid_fhir_detected_issues(patient) -> None:  # type: ignore[no-untyped-def]
    from fhir.resources.R4B.detectedissue import DetectedIssue

    report = check(patient, ["sumatriptan"])
    issues = detected_issues(report, patient_ref="Patient/abshire")
    assert [(i["code"]["coding"][0]["code"], i["severity"]) for i in issues] == [
        ("COND", "high"), ("DRG", "high"), ("AGE", "moderate"), ("DRG", "moderate"),
        ("DRG", "moderate"), ("DRG", "moderate"), ("DRG", "moderate")]
    for issue in issues:
        model = DetectedIssue.model_validate(issue)
        assert model.patient.reference == "Patient/abshire"
        assert model.mitigation[0].action.text
