"""Phenopacket v2 and plain-list input for the rare-disease ranker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.knowledge.hpo import Ontology, load_hpo
from huizhen.patient.hpo_list import read_case
from huizhen.patient.model import Code, CodeSystem, Finding, Patient, Sex, Span
from huizhen.patient.phenopacket import read_phenopacket

PACKET = {
    "id": "case-1",
    "subject": {"id": "P1", "sex": "FEMALE", "timeAtLastEncounter": {"age": {
        "iso8601duration": "P2Y6M"}}},
    "phenotypicFeatures": [
        {"type": {"id": "HP:0001250", "label": "Seizure"},
         "onset": {"age": {"iso8601duration": "P3M"}}},
        {"type": {"id": "HP:0001275", "label": "Seizures (old id)"}},
        {"type": {"id": "HP:0000252", "label": "Microcephaly"}, "excluded": True,
         "onset": {"ontologyClass": {"id": "HP:0003577", "label": "Congenital onset"}}},
    ],
    "interpretations": [{"diagnosis": {"disease": {"id": "OMIM:000000"}}}],
}


@pytest.fixture(scope="module")
def onto() -> Ontology:
    return load_hpo()


def _write(tmp_path: Path, data: object, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_phenopacket_whole_patient(tmp_path: Path, onto: Ontology) -> None:
    path = _write(tmp_path, PACKET)
    patient, notes = read_phenopacket(path, onto)
    assert patient == Patient(
        id="case-1", sex=Sex.FEMALE, age_years=2.5, source=str(path),
        findings=[
            Finding("Seizure", Code(CodeSystem.HPO, "HP:0001250", "Seizure"), onset="P3M",
                    source=Span(pointer="phenotypicFeatures[0]", text="HP:0001250")),
            Finding("Seizure", Code(CodeSystem.HPO, "HP:0001250", "Seizure"),
                    source=Span(pointer="phenotypicFeatures[1]", text="HP:0001275")),
            Finding("Microcephaly", Code(CodeSystem.HPO, "HP:0000252", "Microcephaly"),
                    present=False, onset="HP:0003577",
                    source=Span(pointer="phenotypicFeatures[2]", text="HP:0000252")),
        ])
    assert notes == ["phenotypicFeatures[1]: HP:0001275 is an alternative id of HP:0001250 "
                     "(Seizure)"]


@pytest.mark.parametrize(("data", "message"), [
    ("{not json", "{p}: line 1 column 2: invalid JSON: Expecting property name enclosed in "
                  "double quotes"),
    ({"id": "x", "subject": {"sex": "MALE"}}, "{p}: phenotypicFeatures: phenopacket without "
                                               "phenotypic features"),
    ({"id": "x", "phenotypicFeatures": []}, "{p}: phenotypicFeatures=[]: phenopacket without "
                                             "phenotypic features"),
    ({"resourceType": "Bundle"}, "{p}: neither a GA4GH phenopacket nor a JSON list of HPO terms"),
    ({"phenotypicFeatures": [{"type": {"id": "HP:123"}}]},
     "{p}: phenotypicFeatures[0].type.id='HP:123': malformed HPO id (expected HP:nnnnnnn)"),
    ({"phenotypicFeatures": [{"type": {"id": "HP:9999999"}}]},
     "{p}: phenotypicFeatures[0].type.id='HP:9999999': unknown HPO id (not in HPO release "
     "2025-01-16)"),
    ({"subject": {"sex": "M"}, "phenotypicFeatures": [{"type": {"id": "HP:0001250"}}]},
     "{p}: subject.sex='M': unknown sex (expected MALE, FEMALE, OTHER_SEX or UNKNOWN_SEX)"),
    (["HP:0001250", "no such phenotype"],
     "{p}: [1]='no such phenotype': not an HPO id, label or synonym"),
])
def test_bad_input_one_line(tmp_path: Path, onto: Ontology, data: object, message: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(InputError) as err:
        read_case(path, onto)
    assert err.value.render() == message.format(p=path)
    assert err.value.exit_code == 2


def test_not_a_phenopacket_is_unsupported(tmp_path: Path, onto: Ontology) -> None:
    with pytest.raises(UnsupportedFormatError):
        read_case(_write(tmp_path, {"resourceType": "Bundle"}), onto)


def test_text_list_chinese_and_excluded(tmp_path: Path, onto: Ontology) -> None:
    path = _write(tmp_path, "# comment\n癲癇發作\n小头畸形  # Simplified\n- Hypotonia\n"
                            "HP:0001263\n", name="case.txt")
    patient, notes = read_case(path, onto)
    assert [(f.code.code, f.present, f.source.pointer, f.source.text)  # type: ignore[union-attr]
            for f in patient.findings] == [
        ("HP:0001250", True, "line 2", "癲癇發作"),
        ("HP:0000252", True, "line 3", "小头畸形"),
        ("HP:0001252", False, "line 4", "Hypotonia"),
        ("HP:0001263", True, "line 5", "HP:0001263"),
    ]
    assert notes == []


def test_text_list_bad_line(tmp_path: Path, onto: Ontology) -> None:
    path = _write(tmp_path, "Seizure\nHP:0000057\nfoo bar\n", name="case.txt")
    with pytest.raises(InputError) as err:
        read_case(path, onto)
    assert err.value.render() == f"{path}: line 3='foo bar': not an HPO id, label or synonym"


def test_lenient_parse_skips_unknown(onto: Ontology) -> None:
    from huizhen.patient.phenopacket import parse_phenopacket

    data = {"phenotypicFeatures": [{"type": {"id": "HP:9999999"}},
                                   {"type": {"id": "HP:0001250"}}]}
    patient, notes = parse_phenopacket(data, onto, "x.json", strict=False)
    assert patient.hpo_ids() == ["HP:0001250"]
    assert notes == ["skipped: x.json: phenotypicFeatures[0].type.id='HP:9999999': unknown "
                     "HPO id (not in HPO release 2025-01-16)"]


def test_answer_is_never_read(onto: Ontology) -> None:
    """Interpretations, diseases, genes and variants (the answer) change nothing."""
    from huizhen.patient.phenopacket import parse_phenopacket

    bare = {k: v for k, v in PACKET.items() if k != "interpretations"}
    loaded = dict(PACKET, diseases=[{"term": {"id": "OMIM:154700"}}],
                  interpretations=[{"diagnosis": {"disease": {"id": "OMIM:154700"},
                                                  "genomicInterpretations": [{"x": 1}]}}])
    assert parse_phenopacket(bare, onto, "c.json") == parse_phenopacket(loaded, onto, "c.json")
