from __future__ import annotations

from pathlib import Path

import pytest

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.patient.parse import load_patient, read_patient, sniff

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_chooses_the_parser_by_content(tmp_path: Path) -> None:
    fhir = tmp_path / "bundle.txt"  # the extension does not matter
    fhir.write_text((DATA / "fhir" / "synthea_clint_champlin_trimmed.json").read_text())
    assert sniff(fhir.read_text())[0] == "fhir"
    p = load_patient(fhir)
    assert (p.id, len(p.conditions), p.derived["egfr"] > 0) == (
        "7e285e08-34a4-4b3b-aff6-60f48a3c7cd3", 4, True)
    case = load_patient(str(DATA / "cases" / "case.yaml"))
    assert case.id == "case-7"
    case_json = tmp_path / "c.json"
    case_json.write_text('{"sex": "male", "age": 70, "findings": ["HP:0001945"]}')
    assert load_patient(case_json).hpo_ids() == ["HP:0001945"]
    text = load_patient("发热3天，无咳嗽")
    assert (text.source, text.hpo_ids(), text.hpo_ids(present=False)) == (
        "text", ["HP:0001945"], ["HP:0012735"])
    assert sniff("CC: fever\nHPI: 3 days")[0] == "text"  # YAML-looking notes stay notes


def test_phenopacket_from_the_dev_set() -> None:
    path = SHARED / "phenopackets-dev" / "AAGAB" / "PMID_24573067_CASE_REPORT.json"
    if not path.is_file():
        pytest.skip("shared data not present (../shared/data/phenopackets-dev)")
    p = load_patient(path)
    assert (p.id, p.sex.value) == ("PMID_24573067_CASE_REPORT", "female")
    assert [(f.code.code, f.present) for f in p.findings if f.code] == [
        ("HP:0006482", False), ("HP:0007530", True), ("HP:0001595", False),
        ("HP:0001597", False), ("HP:0045059", True), ("HP:0025114", True),
        ("HP:0001036", False)]


@pytest.mark.parametrize(("content", "error", "message"), [
    ('{"resourceType": "Bundle", ', InputError,
     "x.json: invalid JSON: Expecting property name enclosed in double quotes at line 1 column 28"),
    ('{"foo": 1}', UnsupportedFormatError,
     "x.json: keys=['foo']: JSON that is neither a FHIR Bundle, a phenopacket nor a case file"),
    ("[1, 2]", UnsupportedFormatError, "x.json: a JSON list is not a patient (expected an object)"),
    ('{"resourceType": "Observation"}', UnsupportedFormatError,
     "x.json: resourceType='Observation': a single FHIR resource; send a Bundle"),
    ("   ", InputError, "x.json: empty input"),
])
def test_bad_input(tmp_path: Path, content: str, error: type[Exception], message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(error) as err:
        load_patient(path)
    assert str(err.value).replace(str(tmp_path) + "/", "") == message


def test_a_mistyped_path_is_not_read_as_a_note() -> None:
    with pytest.raises(InputError) as err:
        load_patient("no/such/case.yaml")
    assert str(err.value) == "no/such/case.yaml: no such file"


def test_read_patient_never_opens_a_file(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("age: 40\nsex: female\nfindings: [HP:0001945]\n", encoding="utf-8")
    assert load_patient(str(path)).age_years == 40.0  # the command line: a path is that file
    note = read_patient(str(path))  # a form or a network caller: the text is the note
    assert (note.age_years, note.findings, note.source) == (None, [], "text")
    with pytest.raises(InputError) as err:
        read_patient('{"resourceType": "Bundle"', name="patient")
    assert str(err.value) == "patient: invalid JSON: Expecting ',' delimiter at line 1 column 26"
