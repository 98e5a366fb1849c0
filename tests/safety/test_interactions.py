"""Drug-drug interactions with real drug pairs, tiering and the ONC non-interruptive list."""

from __future__ import annotations

from huizhen.patient.model import Medication, Patient
from huizhen.safety import check


def summary(report) -> list[tuple[str, str, bool, list[str]]]:  # type: ignore[no-untyped-def]
    return [(a.type, a.severity, a.interrupt, a.drugs) for a in report.alerts]


def test_warfarin_nsaid_is_major_and_interrupts() -> None:
    report = check(Patient(), ["warfarin", "ibuprofen"])
    assert summary(report) == [("interaction", "major", True, ["warfarin", "ibuprofen"])]
    alert = report.alerts[0]
    assert alert.effect == "bleeding"
    assert alert.source.startswith("ANSM Thésaurus des interactions médicamenteuses, 10/2020")
    assert alert.source_ref == "ANTICOAGULANTS ORAUX + ANTI-INFLAMMATOIRES NON STÉROÏDIENS"
    assert alert.ingredients == ["Warfarin", "Ibuprofen"]
    assert report.unchecked == []


def test_simvastatin_clarithromycin_is_contraindicated() -> None:
    report = check(Patient(), ["simvastatin", "clarithromycin"])
    assert summary(report) == [("interaction", "contraindicated", True, ["simvastatin", "clarithromycin"])]
    assert report.alerts[0].effect == "myopathy / rhabdomyolysis"
    assert "ONC high-priority DDI list" in " ".join(report.alerts[0].notes)


def test_onc_pair_from_the_list_is_major() -> None:
    # ONC class 21 (QT prolonging agents): methadone + ondansetron
    report = check(Patient(), ["methadone", "ondansetron"])
    a = report.alerts[0]
    assert (a.type, a.severity, a.interrupt) == ("interaction", "major", True)
    assert a.source.startswith("ONC high-priority DDI list")
    assert a.effect == "additive QT prolongation, torsades de pointes"


def test_non_interruptive_pair_never_interrupts_even_when_major() -> None:
    # Lisinopril + irbesartan is graded major (ANSM) but is on the ONC non-interruptive list.
    report = check(Patient(), ["lisinopril", "irbesartan"])
    inter = [a for a in report.alerts if a.type == "interaction"]
    assert [(a.severity, a.interrupt) for a in inter] == [("major", False)]
    assert "on the ONC non-interruptive list: shown without interrupting" in inter[0].notes


def test_minor_and_moderate_never_interrupt() -> None:
    report = check(Patient(), ["digoxin", "verapamil"])
    assert summary(report) == [("interaction", "moderate", False, ["digoxin", "verapamil"])]


def test_unrelated_drugs_raise_nothing() -> None:
    report = check(Patient(), ["amoxicillin", "omeprazole", "atorvastatin"])
    assert report.alerts == []
    assert report.checked == {"amoxicillin": ["Amoxicillin"], "omeprazole": ["Omeprazole"],
                              "atorvastatin": ["Atorvastatin"]}


def test_unknown_drug_is_reported_never_treated_as_safe() -> None:
    report = check(Patient(), ["warfarin", "Simvistatin 10 MG", "zzqx"])
    assert report.unchecked == ["Simvistatin 10 MG", "zzqx"]
    assert report.suggestions["Simvistatin 10 MG"][0] == "simvastatin"
    assert report.suggestions["zzqx"] == []
    assert report.to_dict()["unchecked"] == ["Simvistatin 10 MG", "zzqx"]


def test_stopped_medications_are_not_checked() -> None:
    p = Patient(medications=[Medication("warfarin", status="stopped")])
    assert check(p, ["ibuprofen"]).alerts == []
    p.medications[0].status = "active"
    assert [a.type for a in check(p, ["ibuprofen"]).alerts] == ["interaction"]


def test_twenty_drug_list_is_checked_whole() -> None:
    names = ["warfarin", "ibuprofen", "simvastatin", "clarithromycin", "metformin", "lisinopril",
             "amlodipine", "digoxin", "furosemide", "omeprazole", "sertraline", "tramadol",
             "amiodarone", "levothyroxine", "prednisone", "ciprofloxacin", "spironolactone",
             "insulin glargine", "clopidogrel", "atorvastatin"]
    p = Patient(medications=[Medication(n) for n in names])
    report = check(p)
    # Speed (target 5 ms) is measured in BENCHMARKS.md, not here.
    assert len(report.checked) == 20 and report.unchecked == []


def test_onc_qt_drugs_do_not_inherit_the_ansm_torsades_class_rules() -> None:
    # Ondansetron is in ONC class 21 (QT prolonging) but not in the ANSM torsades class: the
    # thesaurus's "hypokalaemic drugs + torsades class" rule is not extended to it ...
    assert check(Patient(), ["ondansetron", "furosemide"]).alerts == []
    # ... while it holds for a substance the thesaurus lists (citalopram).
    report = check(Patient(), ["citalopram", "furosemide"])
    assert summary(report) == [("interaction", "moderate", False, ["citalopram", "furosemide"])]
    assert report.alerts[0].source_ref == ("HYPOKALIÉMIANTS + SUBSTANCES SUSCEPTIBLES DE DONNER DES "
                                           "TORSADES DE POINTES")


def test_onc_class_table_pair_missing_from_the_mapped_list() -> None:
    # ONC class 3 (stimulants + MAO inhibitors) lists lisdexamfetamine; the mapped pair list lacks it.
    report = check(Patient(), ["lisdexamfetamine", "phenelzine"])
    assert summary(report) == [("interaction", "major", True, ["lisdexamfetamine", "phenelzine"])]
    a = report.alerts[0]
    assert (a.effect, a.source_ref) == ("hypertensive crisis (stimulant with MAO inhibitor)",
                                        "class 3 (table): Lisdexamfetamine + Phenelzine")
    assert a.source == "ONC high-priority DDI list (Phansalkar et al., JAMIA 2012;19:735-43)"


def test_label_rule_written_for_a_retired_drugbank_id_fires() -> None:
    # The NLM corpus maps aliskiren to DB01258, since merged into DB09026.
    report = check(Patient(), ["aliskiren", "candesartan"])
    assert summary(report) == [("interaction", "moderate", False, ["aliskiren", "candesartan"])]
    assert report.alerts[0].source == ("FDA label ATACAND (DailyMed setid "
                                       "a73e1339-9643-4eea-2cbe-e879c88fb50e), NLM DDI corpus")


def test_ansm_a_prendre_en_compte_is_minor_and_says_what_the_source_means() -> None:
    report = check(Patient(), ["aspirin", "deferasirox"])
    assert summary(report) == [("interaction", "minor", False, ["aspirin", "deferasirox"])]
    a = report.alerts[0]
    assert (a.effect, a.source_ref) == ("bleeding", "ACIDE ACETYLSALICYLIQUE + DEFERASIROX")
    assert a.management == ("A real risk, most often adverse effects that add up, with no practical "
                            "precaution that prevents it: judge whether the combination is "
                            "appropriate; only another drug avoids the risk.")


def test_combination_product_rules_need_the_whole_combination() -> None:
    # ANSM grades co-trimoxazole with QT-prolonging drugs; it grades trimethoprim alone apart,
    # so trimethoprim alone does not inherit the combination's rule ...
    assert check(Patient(), ["trimethoprim", "citalopram"]).alerts == []
    report = check(Patient(), ["Bactrim", "citalopram"])
    assert summary(report) == [("interaction", "major", True, ["Bactrim", "citalopram"])]
    assert report.alerts[0].source_ref == ("SUBSTANCES SUSCEPTIBLES DE DONNER DES TORSADES DE POINTES + "
                                           "SULFAMÉTHOXAZOLE + TRIMÉTHOPRIME")
    # ... while glecaprevir, which the thesaurus names only within glecaprevir + pibrentasvir,
    # keeps the product's rules when written alone.
    report = check(Patient(), ["glecaprevir", "atorvastatin"])
    assert summary(report) == [("interaction", "contraindicated", True, ["glecaprevir", "atorvastatin"])]
    assert report.alerts[0].source_ref == "ATORVASTATINE + GLÉCAPRÉVIR + PIBRENTASVIR"


def test_ansm_grade_limited_to_a_patient_subgroup_is_one_grade_lower() -> None:
    # The thesaurus contraindicates telithromycin + strong CYP3A4 inhibitors only in severe renal
    # or hepatic impairment, which a drug pair does not show: major, the condition named.
    report = check(Patient(), ["telithromycin", "itraconazole"])
    assert summary(report) == [("interaction", "major", True, ["telithromycin", "itraconazole"])]
    a = report.alerts[0]
    assert (a.effect, a.source_ref) == ("cardiac arrhythmia", "INHIBITEURS PUISSANTS DU CYP3A4 + TELITHROMYCINE")
    assert a.management.endswith("(The source grades this pair contraindicated in patients with severe "
                                 "renal or hepatic impairment.)")


def test_live_vaccines_of_the_ansm_index_are_in_its_class() -> None:
    # "virus de la fièvre jaune" is a member of ANSM's live attenuated vaccines class.
    report = check(Patient(), ["methotrexate", "yellow fever vaccine"])
    assert summary(report) == [("interaction", "contraindicated", True, ["methotrexate", "yellow fever vaccine"])]
    assert (report.alerts[0].effect, report.alerts[0].source_ref) == (
        "generalised vaccine disease", "CYTOTOXIQUES + VACCINS VIVANTS ATTÉNUÉS")
    # Salts whose DrugBank parent is a bare cation are left out: rules keyed on "sodium" would
    # reach every sodium salt.  The thesaurus's lithium + sodium chloride entry is not shipped.
    assert check(Patient(), ["lithium", "sodium chloride"]).alerts == []


def test_member_named_in_a_stricter_grade_of_a_class_entry_gets_that_grade() -> None:
    # ANSM "inducteurs enzymatiques anticonvulsivants + voriconazole": contre-indication for
    # carbamazepine, phenobarbital, primidone; association déconseillée for the others (phenytoin).
    report = check(Patient(), ["carbamazepine", "voriconazole"])
    assert summary(report) == [("interaction", "contraindicated", True, ["carbamazepine", "voriconazole"])]
    assert report.alerts[0].source_ref == ("ANTICONVULSIVANTS INDUCTEURS ENZYMATIQUES + VORICONAZOLE "
                                           "(CONTRE-INDICATION: carbamazépine, phénobarbital, primidone)")
    report = check(Patient(), ["phenytoin", "voriconazole"])
    assert summary(report) == [("interaction", "major", True, ["phenytoin", "voriconazole"])]
    assert report.alerts[0].source_ref == "ANTICONVULSIVANTS INDUCTEURS ENZYMATIQUES + VORICONAZOLE"
    # A bullet with a condition stays at the class grade: fesoterodine is contraindicated with
    # strong CYP3A4 inhibitors only in renal or hepatic impairment; darifenacin always.
    assert [a.severity for a in check(Patient(), ["darifenacin", "clarithromycin"]).alerts] == [
        "contraindicated"]
    assert [a.severity for a in check(Patient(), ["fesoterodine", "clarithromycin"]).alerts] == ["major"]
