"""Allergies and cross-reactivity, with real allergy entries."""

from __future__ import annotations

from huizhen.patient.model import Allergy, Patient
from huizhen.safety import check


def allergy_alerts(substance: str, drugs: list[str], **kw: str) -> list[tuple[str, str, bool, str]]:
    report = check(Patient(allergies=[Allergy(substance=substance, **kw)]), drugs)
    return [(a.drugs[0], a.severity, a.interrupt, a.source.split(" ")[0])
            for a in report.alerts if a.type == "allergy"]


def test_penicillin_allergy_amoxicillin_contraindicated_cephalosporin_caution() -> None:
    assert allergy_alerts("Penicillin", ["amoxicillin", "cefuroxime", "meropenem", "azithromycin"]) == [
        ("amoxicillin", "contraindicated", True, "Penicillin"),
        ("cefuroxime", "moderate", False, "Khan"),
        ("meropenem", "minor", False, "Khan"),
    ]


def test_allergy_wording_and_chinese() -> None:
    expected = [("Augmentin", "contraindicated", True, "Penicillin")]
    assert allergy_alerts("Allergy to penicillin", ["Augmentin"]) == expected
    assert allergy_alerts("青霉素过敏", ["Augmentin"]) == expected


def test_same_ingredient_is_contraindicated() -> None:
    report = check(Patient(allergies=[Allergy(substance="sulfamethoxazole", reaction="rash")]),
                   ["Bactrim"])
    a = report.alerts[0]
    assert (a.type, a.severity, a.interrupt, a.trigger) == (
        "allergy", "contraindicated", True, "allergy: sulfamethoxazole (rash)")
    assert a.ingredients == ["Sulfamethoxazole"]


def test_aspirin_allergy_flags_nsaids() -> None:
    assert allergy_alerts("aspirin", ["naproxen", "acetaminophen"]) == [
        ("naproxen", "contraindicated", True, "NSAID")]


def test_food_and_inactive_allergies_are_ignored() -> None:
    assert allergy_alerts("Shellfish allergy", ["amoxicillin"], category="food") == []
    assert allergy_alerts("penicillin", ["amoxicillin"], status="refuted") == []


def test_rxnorm_coded_allergy_is_read_from_its_code() -> None:
    from huizhen.patient.model import Code, CodeSystem

    # The text alone names no drug; RxCUI 7980 is benzylpenicillin (penicillin G).
    drugs = ["penicillin G", "amoxicillin", "cefuroxime"]
    assert allergy_alerts("PCN-G (old chart)", drugs) == []
    coded = Allergy(substance="PCN-G (old chart)", code=Code(CodeSystem.RXNORM, "7980"))
    report = check(Patient(allergies=[coded]), drugs)
    assert [(a.drugs[0], a.severity, a.interrupt, a.ingredients, a.source.split(" ")[0])
            for a in report.alerts if a.type == "allergy"] == [
        ("amoxicillin", "contraindicated", True, ["Amoxicillin"], "Penicillin"),
        ("penicillin G", "contraindicated", True, ["Benzylpenicillin"], "Product"),
        ("cefuroxime", "moderate", False, ["Cefuroxime"], "Khan"),
    ]
