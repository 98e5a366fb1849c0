from __future__ import annotations

from pathlib import Path

import pytest

from huizhen.consult import consult, load_knowledge
from huizhen.patient.model import Allergy, Code, CodeSystem, Finding, Medication, Patient, Sex
from huizhen.patient.parse import load_patient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def know():  # type: ignore[no-untyped-def]
    return load_knowledge()


def test_chinese_note_gets_a_common_differential_in_chinese(know) -> None:  # type: ignore[no-untyped-def]
    report = consult(load_patient(EXAMPLES / "consult" / "zh_fever_cough.txt"), knowledge=know)
    assert report.lang == "zh" and report.disclaimer.startswith("会诊")
    assert report.routing["use_common"] and not report.routing["use_rare"]
    top3 = [d.id for d in report.differential[:3]]
    assert "ddxplus:Pneumonia" in top3 and "ddxplus:URTI" in top3
    assert all(d.engines == ["common"] for d in report.differential)
    assert abs(sum(d.probability for d in report.differential) - 1) < 0.05
    pneu = next(d for d in report.differential if d.id == "ddxplus:Pneumonia")
    assert pneu.name_zh == "肺炎" and pneu.evidence_for
    assert report.questions and all(q.text for q in report.questions)
    assert report.knowledge["hpo"] == "2025-01-16" and "drugs" in report.knowledge


def test_fhir_bundle_with_risky_medications_raises_interrupting_alerts(know) -> None:  # type: ignore[no-untyped-def]
    report = consult(load_patient(EXAMPLES / "consult" / "elderly_risky_meds.fhir.json"), knowledge=know)
    assert report.differential == [] and not report.routing["use_rare"]
    assert any("no usable findings" in n for n in report.notes)
    pairs = {(a.type, a.severity, frozenset(a.drugs)) for a in report.alerts if a.interrupt}
    assert ("interaction", "major", frozenset({"warfarin 5 mg tablet", "ibuprofen 400 mg tablet"})) in pairs
    assert ("interaction", "contraindicated",
            frozenset({"simvastatin 40 mg tablet", "clarithromycin 500 mg tablet"})) in pairs
    assert report.unchecked_drugs == []


def test_proposed_penicillin_in_penicillin_allergy_is_flagged(know) -> None:  # type: ignore[no-untyped-def]
    patient = Patient(sex=Sex.MALE, age_years=40, allergies=[Allergy(substance="penicillin")],
                      medications=[Medication(written="metformin")])
    report = consult(patient, knowledge=know, proposed=["amoxicillin"])
    allergy = [a for a in report.alerts if a.type == "allergy"]
    assert allergy and allergy[0].interrupt and allergy[0].drugs == ["amoxicillin"]


def test_phenopacket_style_patient_goes_to_the_rare_engine(know) -> None:  # type: ignore[no-untyped-def]
    terms = [("HP:0001250", "Seizure"), ("HP:0001252", "Hypotonia"), ("HP:0001263", "Global developmental delay"),
             ("HP:0000316", "Hypertelorism")]
    patient = Patient(age_years=2, findings=[Finding(label=n, code=Code(CodeSystem.HPO, h), origin="input")
                                             for h, n in terms])
    report = consult(patient, knowledge=know)
    assert report.routing["use_rare"] and "phenotypes were given as HPO terms" in report.routing["reasons"]
    assert report.differential and "rare" in report.differential[0].engines
    assert report.differential[0].evidence_for


def test_treatment_option_unsafe_for_allergy_and_low_egfr_is_kept_with_reasons(know) -> None:  # type: ignore[no-untyped-def]
    from huizhen.report.model import DifferentialEntry
    from huizhen.treatment.options import treatment_options

    entry = DifferentialEntry(id="ddxplus:Pneumonia", name="Pneumonia", name_zh="肺炎", probability=0.9,
                              engines=["common"])
    healthy = Patient(sex=Sex.FEMALE, age_years=50)
    allergic = Patient(sex=Sex.FEMALE, age_years=50, allergies=[Allergy(substance="penicillin")])
    ok = {o.text: o.safe for o in treatment_options([entry], healthy)}
    flagged = {o.text: (o.safe, [a.type for a in o.alerts]) for o in treatment_options([entry], allergic)}
    amox = next(text for text in ok if "amoxicillin" in text.lower())
    assert ok[amox] is True
    assert flagged[amox] == (False, ["allergy"])
    [why] = next(o.alerts for o in treatment_options([entry], allergic) if o.text == amox)
    assert (why.message, why.trigger) == ("amoxicillin: hypersensitivity reaction",
                                          "allergy: penicillin")
    doxy = next(text for text in flagged if "doxycycline" in text.lower())
    assert flagged[doxy] == (True, [])


def test_treatment_options_follow_renal_function(know) -> None:  # type: ignore[no-untyped-def]
    from huizhen.report.model import DifferentialEntry
    from huizhen.treatment.options import treatment_options

    entry = DifferentialEntry(id="ddxplus:Pericarditis", name="Pericarditis", probability=0.9,
                              engines=["common"])
    normal = Patient(sex=Sex.MALE, age_years=60, derived={"egfr": 90.0})
    low = Patient(sex=Sex.MALE, age_years=60, derived={"egfr": 20.0})
    seen = {o.drugs[0]: (o.safe, [(a.type, a.severity) for a in o.alerts])
            for o in treatment_options([entry], low) if o.drugs}
    assert seen["ibuprofen"] == (False, [("renal", "major")])
    assert seen["colchicine"] == (True, [("renal", "moderate")])
    assert all(o.safe and not o.alerts for o in treatment_options([entry], normal))


def test_cites_passages_that_name_the_diagnosis_and_a_tenant_sees_its_own(know, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from huizhen.knowledge.corpus import ingest
    from huizhen.store.sqlite import SQLiteStore

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pneumonia.md").write_text("# Pneumonia\n\n## Treatment\n\nMost community-acquired pneumonia is "
                                       "treated at home with antibiotics.\n", encoding="utf-8")
    (docs / "cold-agglutinin.md").write_text("# Cold agglutinin disease\n\n## Treatment\n\nKeep warm; "
                                             "rituximab for severe anaemia.\n", encoding="utf-8")
    hosp = tmp_path / "hosp"
    hosp.mkdir()
    (hosp / "cap-protocol.md").write_text("# Pneumonia protocol\n\n## Treatment\n\nWard protocol for "
                                          "pneumonia: amoxicillin first.\n", encoding="utf-8")
    kb = tmp_path / "kb.sqlite"
    store = SQLiteStore(kb)
    ingest([docs], store)
    ingest([hosp], store, "hosp-a")
    patient = load_patient(EXAMPLES / "consult" / "zh_fever_cough.txt")
    public = consult(patient, knowledge=know, kb=kb)
    assert [(c.title, c.heading, c.scope) for c in public.citations] == [
        ("Pneumonia", "Pneumonia › Treatment", "public")]
    mine = consult(patient, knowledge=know, kb=kb, tenant="hosp-a")
    assert sorted((c.title, c.scope) for c in mine.citations) == [
        ("Pneumonia", "public"), ("Pneumonia protocol", "hosp-a")]


def test_alert_without_an_effect_names_its_trigger_and_keeps_the_engine_notes(know) -> None:  # type: ignore[no-untyped-def]
    patient = Patient(sex=Sex.FEMALE, age_years=32, pregnant=True, medications=[Medication(written="ibuprofen")])
    report = consult(patient, knowledge=know)
    preg = [a for a in report.alerts if a.type == "pregnancy"]
    assert [(a.severity, a.interrupt, a.message) for a in preg] == [("major", True, "ibuprofen: pregnant")]
    assert preg[0].management.endswith("(applies from week 20; gestational age not given)")


def test_the_report_says_when_no_common_condition_stands_out(know) -> None:  # type: ignore[no-untyped-def]
    from huizhen.patient.parse import read_patient

    vague = consult(read_patient("35 year old woman, headache and nausea for two days, no fever."),
                    knowledge=know)
    top = vague.differential[0]
    assert top.engines == ["common"] and top.probability < 0.5
    assert vague.notes[0] == (
        f"no condition of the common-disease model (49 conditions) stands out (the best has "
        f"{top.probability:.0%}): conditions outside the model are not in this list, and its "
        "probabilities are relative among its own conditions only")
    clear = consult(load_patient(EXAMPLES / "consult" / "zh_fever_cough.txt"), knowledge=know)
    assert clear.differential[0].probability > 0.5
    assert not any(n.startswith("常见病模型（共 49 种疾病）") for n in clear.notes)
