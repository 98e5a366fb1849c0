"""``huizhen meds check|import`` and ``huizhen eval meds`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run


def test_check_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["meds", "check", "warfarin", "ibuprofen 400 mg tid", "Simvistatin"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "checked: warfarin = Warfarin; ibuprofen 400 mg tid = Ibuprofen"
    assert lines[1] == "! STOP MAJOR interaction: warfarin + ibuprofen 400 mg tid"
    assert "?? NOT CHECKED (unknown drug): Simvistatin - did you mean: simvastatin" in out
    assert lines[-1].startswith("knowledge: drug pack ")


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["meds", "check", "--json", "Tylenol", "Percocet"], capsys)
    data = json.loads(out)
    assert code == 0
    assert [(a["type"], a["severity"], a["interrupt"]) for a in data["alerts"]] == [
        ("duplicate", "major", True)]
    assert data["checked"] == {"Tylenol": ["Acetaminophen"], "Percocet": ["Oxycodone", "Acetaminophen"]}
    assert data["unchecked"] == []


def test_check_with_a_patient_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"age": 70, "sex": "female", "allergies": ["penicillin"],
                                "medications": ["warfarin 5 mg qd"]}), encoding="utf-8")
    code, out, err = run(["meds", "check", "--json", "--patient", str(case), "amoxicillin"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert [(a["type"], a["severity"], a["drugs"]) for a in data["alerts"]] == [
        ("allergy", "contraindicated", ["amoxicillin"])]


def test_check_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["meds", "check"], capsys)
    assert (code, err.strip()) == (2, "huizhen: DRUG: give at least one drug or --patient FILE")
    code, _, err = run(["meds", "check", "--patient", str(tmp_path / "none.json")], capsys)
    assert code == 2 and "file not found" in err and "Traceback" not in err


def test_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HUIZHEN_DATA_DIR", str(tmp_path / "data"))
    src = tmp_path / "rules.csv"
    src.write_text("Drug_A,Drug_B,Level\namoxicillin,omeprazole,Moderate\nfoo,bar,Major\n", encoding="utf-8")
    code, out, _ = run(["meds", "import", str(src), "--format", "csv"], capsys)
    assert code == 0
    assert out.splitlines()[0] == f"loaded 1 rule(s) into {tmp_path / 'data' / 'drugs' / 'local_interactions.csv'}"
    assert out.splitlines()[1:] == ["skipped 1 bad row(s):", "  line 3: unknown drug 'foo'"]
    code, out, _ = run(["meds", "check", "--json", "amoxicillin", "omeprazole"], capsys)
    alert = json.loads(out)["alerts"][0]
    assert (alert["severity"], alert["local"]) == ("moderate", True)
    code, _, err = run(["meds", "import", str(src), "--format", "xlsx"], capsys)
    assert code == 2 and "unknown import format" in err


def test_eval_json_has_exactly_the_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = tmp_path / "ref.csv"
    ref.write_text("Drug_A,Drug_B,Level\nWarfarin,Ibuprofen,Major\nDigoxin,Verapamil,Moderate\n",
                   encoding="utf-8")
    code, out, _ = run(["eval", "meds", str(ref), "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert list(data) == ["pairs", "known_pairs", "recall_major", "recall_moderate",
                          "severity_agreement", "false_alert_rate"]
    assert (data["pairs"], data["known_pairs"], data["recall_major"], data["recall_moderate"],
            data["severity_agreement"]) == (2, 2, 1.0, 1.0, 1.0)


def test_eval_without_a_source_over_every_pair(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = tmp_path / "ref.csv"
    ref.write_text("Drug_A,Drug_B,Level\nWarfarin,Ibuprofen,Major\nDigoxin,Verapamil,Moderate\n",
                   encoding="utf-8")
    # warfarin + ibuprofen comes from the ANSM thesaurus alone; the 4 other pairs raise nothing.
    code, out, _ = run(["eval", "meds", str(ref), "--json", "--sample", "0", "--without", "ansm"], capsys)
    assert code == 0
    assert json.loads(out) == {"pairs": 2, "known_pairs": 2, "recall_major": 0.0, "recall_moderate": 1.0,
                               "severity_agreement": 0.5, "false_alert_rate": 0.0}
    code, _, err = run(["eval", "meds", str(ref), "--without", "ddinter"], capsys)
    assert code == 2 and "unknown source 'ddinter'; one of ansm, onc, fda" in err
