from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.patient.fhir import read_bundle
from huizhen.patient.model import Sex

BUNDLE = Path(__file__).resolve().parents[1] / "data" / "fhir" / "synthea_clint_champlin_trimmed.json"


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return json.loads(BUNDLE.read_text())


def test_trimmed_synthea_bundle_golden(bundle: dict[str, Any]) -> None:
    p, stats = read_bundle(bundle, source="clint.json")
    assert (p.id, p.sex, p.birth_date) == ("7e285e08-34a4-4b3b-aff6-60f48a3c7cd3", Sex.MALE,
                                           date(1967, 12, 18))
    assert dict(stats.parsed) == {"Patient": 1, "AllergyIntolerance": 1, "Condition": 4,
                                  "MedicationRequest": 3, "Observation": 15}
    assert dict(stats.rejected) == {}
    assert dict(stats.skipped) == {"Encounter": 2, "Claim": 1}
    assert [(c.label, str(c.code), c.status) for c in p.conditions] == [
        ("Prediabetes", "SNOMED:15777000", "active"),
        ("Anemia (disorder)", "SNOMED:271737000", "active"),
        ("Viral sinusitis (disorder)", "SNOMED:444814009", "resolved"),
        ("Hyperlipidemia", "SNOMED:55822004", "active")]
    assert [(m.written, [str(c) for c in m.codes], m.status, m.per_day) for m in p.medications] == [
        ("Simvistatin 10 MG", ["RxNorm:316672"], "stopped", 1.0),
        ("Simvistatin 10 MG", ["RxNorm:316672"], "stopped", 1.0),
        ("Simvistatin 10 MG", ["RxNorm:316672"], "active", 1.0)]
    assert [(a.substance, str(a.code), a.criticality, a.category, a.status) for a in p.allergies] \
        == [("Allergy to eggs", "SNOMED:91930004", "low", "food", "active")]
    assert [(m.code.code, round(m.value, 2), m.unit) for m in p.measurements
            if m.code and m.value is not None] == [
        ("2339-0", 92.09, "mg/dL"), ("29463-7", 87.12, "kg"), ("2947-0", 137.59, "mmol/L"),
        ("33914-3", 67.77, "mL/min"), ("38483-4", 3.37, "mg/dL"), ("39156-5", 28.87, "kg/m2"),
        ("49765-1", 9.2, "mg/dL"), ("8462-4", 78.78, "mm[Hg]"), ("8480-6", 128.75, "mm[Hg]"),
        ("6298-4", 4.53, "mmol/L"), ("6299-2", 15.95, "mg/dL"), ("6690-2", 3.83, "10*3/uL"),
        ("718-7", 16.88, "g/dL"), ("72514-3", 2.42, "{score}"), ("777-3", 150.81, "10*3/uL"),
        ("8302-2", 173.72, "cm")]
    assert [(u.what, u.reason) for u in p.unparsed] == [
        ("clint.json: 3 resources of types huizhen does not use", "Claim 1, Encounter 2")]


def _entry(b: dict[str, Any], rtype: str, n: int = 0) -> dict[str, Any]:
    return [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == rtype][n]


def _obs(b: dict[str, Any], loinc: str) -> dict[str, Any]:
    return next(e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Observation"
                and e["resource"]["code"]["coding"][0]["code"] == loinc)


def test_bad_resources_are_rejected_listed_and_counted(bundle: dict[str, Any]) -> None:
    b = copy.deepcopy(bundle)
    ids = {_entry(b, "AllergyIntolerance")["id"]: "a", _obs(b, "29463-7")["id"]: "w",
           _obs(b, "38483-4")["id"]: "cr", _obs(b, "2947-0")["id"]: "na",
           _entry(b, "Condition", 1)["id"]: "c"}
    _entry(b, "AllergyIntolerance")["criticality"] = "very-high"
    _obs(b, "38483-4")["valueQuantity"]["code"] = "mg"  # creatinine in mg: no such unit
    _obs(b, "38483-4")["valueQuantity"]["unit"] = "mg"
    _obs(b, "29463-7")["valueQuantity"]["value"] = -5  # negative weight
    _entry(b, "Condition", 1)["code"]["coding"][0]["system"] = "http://example.org/my-codes"
    del _obs(b, "2947-0")["code"]
    p, stats = read_bundle(b, source="bad.json")
    assert dict(stats.rejected) == {"AllergyIntolerance": 1, "Observation": 3}
    assert stats.parsed["Observation"] == 12
    assert stats.parsed["Condition"] == 4  # the unknown system is noted; the text is kept
    reasons = [u.reason for u in p.unparsed]
    for rid, short in ids.items():
        reasons = [r.replace(rid, short) for r in reasons]
    assert reasons == [
        ("bad.json: AllergyIntolerance/a: criticality='very-high': not in the required FHIR value "
        "set (high, low, unable-to-assess)"),
        "code system not recognised: 'http://example.org/my-codes' (code '271737000')",
        ("bad.json: Observation/w: valueQuantity='-5 kg': impossible Body weight: outside "
        "0.2-700 kg"),
        "bad.json: Observation/na: code: Field required",
        ("bad.json: Observation/cr: valueQuantity='mg': unit not understood for Creatinine "
        "[Mass/volume] in Serum or Plasma (expected one of mg/dL, umol/L, mmol/L)"),
        "Claim 1, Encounter 2"]
    assert p.unparsed[1].what == "bad.json: Condition/c code.coding[0]".replace(
        "/c", "/" + _entry(b, "Condition", 1)["id"])
    assert p.conditions[1].label == "Anemia (disorder)" and p.conditions[1].code is None


def test_strict_mode_raises_naming_resource_field_value(bundle: dict[str, Any]) -> None:
    b = copy.deepcopy(bundle)
    obs = _obs(b, "29463-7")
    obs["valueQuantity"]["value"] = 800
    with pytest.raises(InputError) as err:
        read_bundle(b, source="x.json", strict=True)
    assert str(err.value) == (f"x.json: Observation/{obs['id']}: valueQuantity='800 kg': "
                              "impossible Body weight: outside 0.2-700 kg")


def test_impossible_temperature_and_negative_dose(bundle: dict[str, Any]) -> None:
    b = copy.deepcopy(bundle)
    b["entry"].append({"resource": {
        "resourceType": "Observation", "id": "t1", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "valueQuantity": {"value": 80, "unit": "°C", "system": "http://unitsofmeasure.org",
                          "code": "Cel"}}})
    b["entry"].append({"resource": {
        "resourceType": "MedicationStatement", "id": "m1", "status": "active",
        "subject": {"reference": "Patient/x"},
        "medicationCodeableConcept": {"text": "warfarin 5 mg"},
        "dosage": [{"doseAndRate": [{"doseQuantity": {"value": -5, "unit": "mg"}}]}]}})
    p, stats = read_bundle(b, source="y.json")
    assert stats.rejected == {"Observation": 1, "MedicationStatement": 1}
    assert [u.reason for u in p.unparsed if u.what in ("y.json: Observation/t1",
                                                       "y.json: MedicationStatement/m1")] == [
        ("y.json: Observation/t1: valueQuantity='80 Cel': impossible Body temperature: "
        "outside 20-46 Cel"),
        ("y.json: MedicationStatement/m1: dosage[0].doseAndRate[0].doseQuantity.value=-5: "
        "negative dose")]


def test_hpo_coded_condition_becomes_a_finding() -> None:
    b = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "gender": "female",
                      "birthDate": "2010-03-04"}},
        {"resource": {"resourceType": "Condition", "id": "c",
                      "subject": {"reference": "Patient/p"},
                      "verificationStatus": {"coding": [{"code": "refuted"}]},
                      "code": {"coding": [{"system": "http://purl.obolibrary.org/obo/hp.owl",
                                           "code": "HP:0001250", "display": "Seizure"}]}}}]}
    p, _ = read_bundle(b)
    assert [(f.code.code, f.present) for f in p.findings if f.code] == [("HP:0001250", False)]
    assert p.conditions[0].status == "refuted"


@pytest.mark.parametrize(("data", "error", "message"), [
    ("{not json", InputError, ("b.json: invalid JSON: Expecting property name enclosed in double "
     "quotes at line 1 column 2")),
    ('{"resourceType": "Patient"}', UnsupportedFormatError,
     "b.json: resourceType='Patient': not a FHIR Bundle"),
    ('{"resourceType": "Bundle", "type": "weird"}', InputError,
     "b.json: type='weird': not a FHIR Bundle type"),
])
def test_not_a_bundle(data: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as err:
        read_bundle(data, source="b.json")
    assert str(err.value) == message


def test_searchset_with_statements_references_and_coded_values() -> None:
    b = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female",
                      "birthDate": "1950-01-01", "deceasedDateTime": "2020-06-01T00:00:00Z"}},
        {"fullUrl": "urn:uuid:m1",
         "resource": {"resourceType": "Medication", "id": "m1", "code": {"coding": [
             {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "855332",
              "display": "warfarin sodium 5 MG Oral Tablet"}]}}},
        {"resource": {"resourceType": "MedicationStatement", "id": "s1", "status": "active",
                      "subject": {"reference": "Patient/p1"},
                      "medicationReference": {"reference": "urn:uuid:m1"},
                      "dosage": [{"route": {"text": "oral"}, "timing": {"repeat": {
                          "frequency": 2, "period": 1, "periodUnit": "d"}},
                          "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg"}}]}]}},
        {"resource": {"resourceType": "MedicationRequest", "id": "r1", "status": "active",
                      "intent": "proposal", "subject": {"reference": "Patient/p1"},
                      "contained": [{"resourceType": "Medication", "id": "c1",
                                     "code": {"text": "amiodarone 200 mg"}}],
                      "medicationReference": {"reference": "#c1"}}},
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "72166-2"}],
                               "text": "Tobacco smoking status"},
                      "valueCodeableConcept": {"text": "Former smoker"}}},
        {"resource": {"resourceType": "Observation", "id": "o2", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
                      "effectiveDateTime": "2019-12-01",
                      "valueQuantity": {"value": 150, "unit": "µmol/L",
                                        "system": "http://unitsofmeasure.org",
                                        "code": "umol/L"}}},
    ]}
    from huizhen.patient.derive import derive

    p, stats = read_bundle(b, source="s.json")
    assert dict(stats.parsed) == {"Patient": 1, "MedicationStatement": 1, "MedicationRequest": 1,
                                  "Observation": 2}
    assert [(m.written, [str(c) for c in m.codes], m.dose_value, m.dose_unit, m.route,
             m.per_day, m.status) for m in p.medications] == [
        ("warfarin sodium 5 MG Oral Tablet", ["RxNorm:855332"], 5.0, "mg", "oral", 2.0, "active"),
        ("amiodarone 200 mg", [], None, None, None, None, "proposed")]
    assert [(m.name, m.value, m.text) for m in p.measurements] == [
        ("Tobacco smoking status", None, "Former smoker"),
        ("Creatinine [Mass/volume] in Serum or Plasma", 150.0, None)]
    derive(p, today=date(2024, 1, 1))
    # age on the date of death (70), eGFR at the age when the creatinine was drawn (69)
    assert p.age_years == 70.0
    assert p.derived["egfr"] == 32.3


def test_pregnancy_from_conditions_and_observations() -> None:
    def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "collection",
                "entry": [{"resource": r} for r in resources]}

    preg = {"resourceType": "Condition", "id": "c",
            "subject": {"reference": "Patient/p"},
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "72892002",
                                 "display": "Normal pregnancy"}]}}
    ga = {"resourceType": "Observation", "id": "g", "status": "final",
          "code": {"coding": [{"system": "http://loinc.org", "code": "49051-6"}]},
          "valueQuantity": {"value": 140, "unit": "d", "system": "http://unitsofmeasure.org",
                            "code": "d"}}
    p, _ = read_bundle(bundle(preg, ga))
    assert (p.pregnant, p.gestational_weeks) == (True, 20.0)
    resolved = copy.deepcopy(preg)
    resolved["clinicalStatus"]["coding"][0]["code"] = "resolved"
    assert read_bundle(bundle(resolved))[0].pregnant is None
    bad = copy.deepcopy(ga)
    bad["valueQuantity"]["value"] = 60
    bad["valueQuantity"]["code"] = "wk"
    p, stats = read_bundle(bundle(bad), source="g.json")
    assert stats.rejected == {"Observation": 1}
    assert p.unparsed[0].reason == ("g.json: Observation/g: valueQuantity='60 wk': gestational "
                                    "age must be 0-45 weeks, in wk or d")


def test_malformed_entries_are_listed_not_fatal() -> None:
    b = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": "x"}, "y",
        {"resource": {"resourceType": "Observation", "id": "o", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
                      "valueQuantity": {"value": "abc"}}}]}
    p, stats = read_bundle(b, source="m.json")
    assert dict(stats.rejected) == {"(no resource)": 2, "Observation": 1}
    assert [u.reason for u in p.unparsed] == [
        "entry without a resource", "entry without a resource",
        "m.json: Observation/o: valueQuantity.value='abc': Value error, Decimal value string "
        "does not match spec regex."]
    with pytest.raises(InputError) as err:
        read_bundle({"resourceType": "Bundle", "type": "collection", "entry": {}}, source="e.json")
    assert str(err.value) == "e.json: entry='dict': Bundle.entry must be a list"
    empty, _ = read_bundle({"resourceType": "Bundle", "type": "collection"}, source="e.json")
    assert [(u.what, u.reason) for u in empty.unparsed] == [
        ("e.json: Bundle", "the bundle has no entries")]
