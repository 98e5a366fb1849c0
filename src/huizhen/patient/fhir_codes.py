"""The code systems and value sets the FHIR parser checks against.

Why a module of its own: these are data from the FHIR R4 specification and HL7
terminology (required bindings of Patient.gender, Observation.status, Condition
clinical and verification status, MedicationRequest status and intent,
MedicationStatement status, AllergyIntolerance status, type, category,
criticality and reaction severity: https://hl7.org/fhir/R4/terminologies-binding-strength.html),
kept apart from the parsing logic.
"""

from __future__ import annotations

from huizhen.patient.model import CodeSystem

#: Code system URI -> huizhen code system (https://terminology.hl7.org/external_terminologies.html).
SYSTEMS: dict[str, CodeSystem] = {
    "http://snomed.info/sct": CodeSystem.SNOMED,
    "http://loinc.org": CodeSystem.LOINC,
    "http://hl7.org/fhir/sid/icd-10": CodeSystem.ICD10,
    "http://hl7.org/fhir/sid/icd-10-cm": CodeSystem.ICD10,
    "http://www.nlm.nih.gov/research/umls/rxnorm": CodeSystem.RXNORM,
    "http://www.whocc.no/atc": CodeSystem.ATC,
    "http://purl.obolibrary.org/obo/hp.owl": CodeSystem.HPO,
    "http://human-phenotype-ontology.org": CodeSystem.HPO,
    "https://hpo.jax.org": CodeSystem.HPO,
    "https://omim.org": CodeSystem.OMIM,
    "http://www.orpha.net": CodeSystem.ORPHA,
    "http://www.drugbank.ca": CodeSystem.DRUGBANK,
    "https://go.drugbank.com": CodeSystem.DRUGBANK,
}
#: Code systems we recognise but do not map to a huizhen system (kept as text).
KNOWN_OTHER = {"http://hl7.org/fhir/sid/ndc", "http://unitsofmeasure.org",
               "http://terminology.hl7.org/CodeSystem/data-absent-reason"}
UCUM = "http://unitsofmeasure.org"

#: Required (binding strength "required") value sets of FHIR R4.
REQUIRED: dict[str, set[str]] = {
    "gender": {"male", "female", "other", "unknown"},
    "observation.status": {"registered", "preliminary", "final", "amended", "corrected",
                           "cancelled", "entered-in-error", "unknown"},
    "condition.clinical": {"active", "recurrence", "relapse", "inactive", "remission", "resolved"},
    "condition.verification": {"unconfirmed", "provisional", "differential", "confirmed",
                               "refuted", "entered-in-error"},
    "medicationrequest.status": {"active", "on-hold", "cancelled", "completed",
                                 "entered-in-error", "stopped", "draft", "unknown"},
    "medicationrequest.intent": {"proposal", "plan", "order", "original-order", "reflex-order",
                                 "filler-order", "instance-order", "option"},
    "medicationstatement.status": {"active", "completed", "entered-in-error", "intended",
                                   "stopped", "on-hold", "unknown", "not-taken"},
    "allergy.clinical": {"active", "inactive", "resolved"},
    "allergy.verification": {"unconfirmed", "confirmed", "refuted", "entered-in-error"},
    "allergy.criticality": {"low", "high", "unable-to-assess"},
    "allergy.category": {"food", "medication", "environment", "biologic"},
    "allergy.severity": {"mild", "moderate", "severe"},
    "allergy.type": {"allergy", "intolerance"},
}
#: Pregnancy in FHIR: Condition "Pregnant" (77386006) or "Normal pregnancy" (72892002);
#: Observation "Pregnancy status" (LOINC 82810-3, 11449-6) valued 77386006 / 60001007
#: (not pregnant); gestational age (LOINC 49051-6, 11884-4, 18185-9) in wk or d.
PREGNANT_SNOMED = {"77386006", "72892002"}
PREGNANCY_STATUS = {"82810-3", "11449-6"}
GESTATIONAL_AGE = {"49051-6", "11884-4", "18185-9"}
ACTIVE = {"active", "recurrence", "relapse"}
PERIOD_PER_DAY = {"s": 86400.0, "min": 1440.0, "h": 24.0, "d": 1.0, "wk": 1 / 7, "mo": 1 / 30,
                   "a": 1 / 365}
