from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from huizhen.errors import InputError
from huizhen.patient.casefile import read_case, to_case
from huizhen.patient.derive import derive
from huizhen.patient.model import Sex

CASE = Path(__file__).resolve().parents[1] / "data" / "cases" / "case.yaml"


def test_case_file_golden() -> None:
    p = derive(read_case(yaml.safe_load(CASE.read_text()), source="case.yaml"))
    assert (p.id, p.sex, p.age_years) == ("case-7", Sex.FEMALE, 67.0)
    assert [(f.code.code if f.code else None, f.present, f.onset, f.origin)
            for f in p.findings] == [
        ("HP:0001945", True, None, "input"), ("HP:0002315", False, None, "input"),
        ("HP:0002094", True, None, "input"), ("HP:0031245", True, "P3D", "input"),
        ("HP:0012735", True, None, "text"), ("HP:0100749", False, None, "text"),
        ("HP:0001649", True, None, "derived"), ("HP:0000822", True, None, "derived"),
        ("HP:0012418", True, None, "derived"), ("HP:0001903", True, None, "derived"),
        ("HP:0012213", True, None, "derived")]
    assert [(m.code.code, m.value, m.unit) for m in p.measurements if m.code] == [
        ("8310-5", 38.6, "Cel"), ("8867-4", 112.0, "/min"), ("8480-6", 150.0, "mm[Hg]"),
        ("8462-4", 95.0, "mm[Hg]"), ("59408-5", 93.0, "%"), ("2160-0", 120.0, "umol/L"),
        ("718-7", 10.9, "g/dL")]
    # 120 µmol/L = 1.357 mg/dL; CKD-EPI 2021, woman of 67: 42.8
    assert p.derived == {"age_years": 67.0, "egfr": 42.8, "creatinine_mg_dl": 1.357}
    assert [(c.label, str(c.code)) for c in p.conditions] == [
        ("ICD-10:E11.9", "ICD-10:E11.9"), ("hypertension", "SNOMED:38341003")]
    assert [(m.written, m.dose_value, m.dose_unit, m.per_day) for m in p.medications] == [
        ("metformin 500 mg bid", 500.0, "mg", 2.0), ("warfarin", 5.0, "mg", 1.0)]
    assert [(a.substance, a.reaction, a.severity) for a in p.allergies] == [
        ("penicillin", None, None), ("sulfa", "rash", "moderate")]
    assert [(u.what, u.reason) for u in p.unparsed] == [
        ("case.yaml: ward", "field not in the case format")]


def test_round_trip_through_the_case_format() -> None:
    p = derive(read_case(yaml.safe_load(CASE.read_text()), source="case.yaml"))
    again = derive(read_case(yaml.safe_load(yaml.safe_dump(to_case(p), allow_unicode=True, sort_keys=False)),
                             source="again"))
    key = lambda q: ([(f.code.code if f.code else f.label, f.present, f.onset, f.certainty)
                      for f in q.findings],
                     [(m.code.code, m.value, m.unit) for m in q.measurements if m.code],
                     [(c.label, str(c.code), c.status) for c in q.conditions],
                     [(m.written, m.dose_value, m.per_day) for m in q.medications],
                     [(a.substance, a.severity) for a in q.allergies], q.derived, q.sex)
    assert key(again) == key(p)


@pytest.mark.parametrize(("data", "message"), [
    ({"sex": "x"}, "c.yaml: sex='x': sex must be male, female, other or unknown"),
    ({"age": 200}, "c.yaml: age=200: impossible age"),
    ({"findings": ["HP:9999999"]},
     "c.yaml: findings[0].id='HP:9999999': unknown HPO id (not in HPO release 2025-01-16)"),
    ({"vitals": {"temperature": 80}},
     "c.yaml: vitals.temperature='80 Cel': impossible Body temperature: outside 20-46 Cel"),
    ({"labs": {"creatinine": {"value": 1.1, "unit": "mg"}}},
     ("c.yaml: labs.creatinine='mg': unit not understood for Creatinine [Mass/volume] in Serum "
     "or Plasma (expected one of mg/dL, umol/L, mmol/L)")),
    ({"medications": [{"name": "warfarin", "dose": -5}]},
     "c.yaml: medications[0].dose=-5: negative dose"),
    ({"conditions": ["XYZ:123"]},
     ("c.yaml: conditions[0]='XYZ:123': unknown code system (use one of HP, ICD-10, ICD10, "
     "SNOMED, SCTID, OMIM, ORPHA, LOINC, RXNORM, ATC)")),
    ({"findings": "fever"}, "c.yaml: findings='fever': must be a list"),
])
def test_bad_case_fields(data: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as err:
        read_case(data, source="c.yaml")
    assert str(err.value) == message


def test_fhir_bundle_round_trips_through_the_case_format() -> None:
    from huizhen.patient.parse import load_patient

    bundle = Path(__file__).resolve().parents[1] / "data" / "fhir" / \
        "synthea_clint_champlin_trimmed.json"
    p = load_patient(bundle)
    again = derive(read_case(yaml.safe_load(yaml.safe_dump(to_case(p), sort_keys=False)),
                             source="again"))
    assert again.derived == p.derived == {"age_years": p.age_years, "bmi": 28.9, "egfr": 21.1,
                                          "creatinine_mg_dl": 3.371}
    assert [(c.label, str(c.code), c.status) for c in again.conditions] == [
        (c.label, str(c.code), c.status) for c in p.conditions]
    assert [(m.written, m.status, m.per_day) for m in again.medications] == [
        (m.written, m.status, m.per_day) for m in p.medications]
