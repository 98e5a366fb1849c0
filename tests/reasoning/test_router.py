from __future__ import annotations

import pytest

from huizhen.knowledge.hpo import load_hpo
from huizhen.patient.model import Code, CodeSystem, Finding, Patient
from huizhen.reasoning.router import organ_systems, route


def _hpo(hid: str, label: str, origin: str = "text", certainty: str = "confirmed") -> Finding:
    return Finding(label=label, code=Code(CodeSystem.HPO, hid), origin=origin, certainty=certainty)


@pytest.fixture(scope="module")
def onto():  # type: ignore[no-untyped-def]
    return load_hpo()


def test_organ_systems_of_seizure_hypotonia_hypertelorism(onto) -> None:  # type: ignore[no-untyped-def]
    assert organ_systems(onto, ["HP:0001250", "HP:0001252", "HP:0000316"]) == [
        "HP:0000478",  # eye
        "HP:0000707",  # nervous system
        "HP:0033127",  # musculoskeletal system
    ]


def test_findings_derived_from_vitals_alone_never_call_the_rare_engine(onto) -> None:  # type: ignore[no-untyped-def]
    p = Patient(age_years=78, findings=[_hpo("HP:0001649", "Tachycardia", origin="derived"),
                                        _hpo("HP:0012213", "Decreased GFR", origin="derived")])
    r = route(p, onto, common_coverage=0.0, common_top=None)
    assert (r.use_common, r.use_rare, r.reasons) == (False, False, [])


def test_fever_and_cough_are_not_multisystem(onto) -> None:  # type: ignore[no-untyped-def]
    p = Patient(age_years=40, findings=[_hpo("HP:0001945", "Fever"), _hpo("HP:0012735", "Cough"),
                                        _hpo("HP:0012378", "Fatigue"),
                                        _hpo("HP:0001649", "Tachycardia", origin="derived")])
    r = route(p, onto, common_coverage=0.8, common_top=0.67)
    assert (r.use_rare, r.organ_systems) == (False, ["HP:0002086"])


def test_adult_with_common_findings_well_explained_stays_common(onto) -> None:  # type: ignore[no-untyped-def]
    p = Patient(age_years=45, findings=[_hpo("HP:0012735", "Cough"), _hpo("HP:0001945", "Fever")])
    r = route(p, onto, common_coverage=1.0, common_top=0.8)
    assert (r.use_common, r.use_rare, r.reasons, r.rare_weight) == (True, False, [], 0.0)


def test_child_with_multisystem_phenopacket_goes_rare(onto) -> None:  # type: ignore[no-untyped-def]
    p = Patient(age_years=3, findings=[_hpo("HP:0001250", "Seizure", origin="input"),
                                       _hpo("HP:0001252", "Hypotonia", origin="input"),
                                       _hpo("HP:0000316", "Hypertelorism", origin="input")])
    r = route(p, onto, common_coverage=None, common_top=None)
    assert r.use_rare and not r.use_common and r.rare_weight == 1.0
    assert r.reasons == ["phenotypes were given as HPO terms", "early onset", "3 organ systems involved",
                         "the common-disease model fits poorly"]


def test_family_history_and_poor_fit_mix_both_engines(onto) -> None:  # type: ignore[no-untyped-def]
    p = Patient(age_years=30, findings=[_hpo("HP:0001945", "Fever"), _hpo("HP:0002315", "Headache"),
                                        _hpo("HP:0001250", "Seizure", certainty="family")])
    r = route(p, onto, common_coverage=0.4, common_top=0.5)
    assert r.use_common and r.use_rare
    assert r.reasons == ["family history", "the common-disease model fits poorly"]
    assert r.rare_weight == pytest.approx(0.7)
