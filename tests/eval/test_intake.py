from __future__ import annotations

import json
from pathlib import Path

import pytest

from huizhen.errors import InputError
from huizhen.eval.intake import KEYS, evaluate_fhir, evaluate_notes, negation_accuracy, read_notes

NOTES = Path(__file__).resolve().parents[1] / "data" / "notes"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_annotated_notes_layout() -> None:
    notes = read_notes(NOTES / "notes.jsonl")
    assert len(notes) == 60
    assert sum(n.lang == "zh" for n in notes) == sum(n.lang == "en" for n in notes) == 30
    assert len(read_notes(NOTES / "heldout.jsonl")) == 40
    assert len(read_notes(NOTES / "heldout2.jsonl")) == 20
    assert len(read_notes(NOTES / "heldout3.jsonl")) == 20
    assert len(read_notes(NOTES / "heldout4.jsonl")) == 20
    for name, size in (("heldout5.jsonl", 44), ("heldout6.jsonl", 44), ("heldout7.jsonl", 40),
                       ("heldout8.jsonl", 40), ("heldout9.jsonl", 42)):
        later = read_notes(NOTES / name)
        assert len(later) == size
        assert sum(n.lang == "zh" for n in later) == sum(n.lang == "en" for n in later) == size // 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scores_on_the_annotated_notes_meet_the_targets(lang: str) -> None:
    scores, results = evaluate_notes(NOTES / "notes.jsonl", lang=lang)
    assert tuple(scores) == KEYS
    assert scores["docs"] == 30
    assert scores["precision"] >= 0.90 and scores["recall"] >= 0.80
    assert negation_accuracy(results, NOTES / "notes.jsonl", lang=lang) >= 0.95


def test_scoring_counts_misses(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    rows = [{"text": "Fever and cough. No rash.", "lang": "en",
             "present": ["HP:0001945", "HP:0002315"], "excluded": ["HP:0000988"]},
            {"text": "头痛，无发热。", "lang": "zh", "present": ["HP:0002315"],
             "excluded": ["HP:0001945", "HP:0012735"]}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    scores, results = evaluate_notes(path)
    # present: predicted {fever, cough} + {headache}; gold {fever, headache} + {headache}
    assert {k: scores[k] for k in KEYS if k != "ms_per_doc"} == {
        "docs": 2, "precision": 0.6667, "recall": 0.6667, "f1": 0.6667,
        "excluded_precision": 1.0, "excluded_recall": 0.6667}
    assert [(r.missed, r.spurious, r.missed_excluded) for r in results] == [
        (["HP:0002315"], ["HP:0012735"], []), ([], [], ["HP:0012735"])]


def test_alternative_ids_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    # HP:0001275 is an alternative id of Seizure (HP:0001250) in HPO 2025-01-16
    path.write_text(json.dumps({"text": "seizures", "lang": "en", "present": ["HP:0001275"]}))
    scores, _ = evaluate_notes(path)
    assert (scores["precision"], scores["recall"]) == (1.0, 1.0)


@pytest.mark.parametrize(("line", "message"), [
    ('{"text": "x", "lang": "fr"}', "n.jsonl: line 1.lang='fr': lang must be zh or en"),
    ('{"text": "x", "lang": "en", "present": ["HP:12"]}',
     "n.jsonl: line 1.present[0]='HP:12': malformed HPO id (expected HP:nnnnnnn)"),
    ("{oops", "n.jsonl: line 1: invalid JSON: Expecting property name enclosed in double quotes"),
])
def test_bad_notes_file(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text(line)
    with pytest.raises(InputError) as err:
        read_notes(path)
    assert str(err.value).replace(str(tmp_path) + "/", "") == message


def test_fhir_folder_counts(tmp_path: Path) -> None:
    bundle = (NOTES.parent / "fhir" / "synthea_clint_champlin_trimmed.json").read_text()
    (tmp_path / "a.json").write_text(bundle)
    (tmp_path / "b.json").write_text(bundle.replace('"gender": "male"', '"gender": "M"'))
    run = evaluate_fhir(tmp_path).to_dict()
    assert (run["files"], run["parsed"], run["rejected"], run["skipped"]) == (
        2, {"AllergyIntolerance": 2, "Condition": 8, "MedicationRequest": 6, "Observation": 30,
            "Patient": 1}, {"Patient": 1}, {"Claim": 2, "Encounter": 4})
    assert list(run["reasons"]) == [
        "not in the required FHIR value set (female, male, other, unknown)"]


def test_lenient_scores_count_ancestors_and_descendants(tmp_path: Path) -> None:
    from huizhen.eval.intake import lenient_scores

    path = tmp_path / "n.jsonl"
    # Fever (found) is an ancestor of Recurrent fever (gold); cough is simply spurious
    path.write_text(json.dumps({"text": "Fever and cough.", "lang": "en",
                                "present": ["HP:0001954"]}))
    scores, results = evaluate_notes(path)
    assert (scores["precision"], scores["recall"]) == (0.0, 0.0)
    assert lenient_scores(results) == (0.5, 1.0)
