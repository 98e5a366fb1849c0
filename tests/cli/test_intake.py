from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run as _run

DATA = Path(__file__).resolve().parents[1] / "data"




def test_intake_text_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["intake", "女，30岁，发热2天，T 39.1℃，无咳嗽。", "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert (d["sex"], d["age_years"], d["lang"]) == ("female", 30.0, "zh")
    assert [(f["code"]["code"], f["present"], f["origin"]) for f in d["findings"]] == [
        ("HP:0001945", True, "text"), ("HP:0012735", False, "text")]
    assert [(m["code"]["code"], m["value"], m["unit"]) for m in d["measurements"]] == [
        ("8310-5", 39.1, "Cel")]


def test_intake_table_shows_everything(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["intake", str(DATA / "cases" / "case.yaml")], capsys)
    assert code == 0
    for text in ("case-7", "egfr 42.8", "Decreased glomerular", "Tachycardia", "metformin 500 mg",
                 "sulfa", "not understood", "ward"):
        assert text in out


def test_intake_bad_input_exits_2_with_one_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "b.json"
    bad.write_text('{"resourceType": "Bundle",')
    code, _out, err = _run(["intake", str(bad)], capsys)
    assert code == 2
    assert err == f"huizhen: {bad}: invalid JSON: Expecting property name enclosed in double " \
                  "quotes at line 1 column 27\n"


def test_intake_strict_fhir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = (DATA / "fhir" / "synthea_clint_champlin_trimmed.json").read_text()
    path = tmp_path / "b.json"
    path.write_text(bundle.replace('"gender": "male"', '"gender": "M"'))
    code, _, err = _run(["intake", str(path), "--strict"], capsys)
    assert code == 2
    assert err == (f"huizhen: {path}: Patient/7e285e08-34a4-4b3b-aff6-60f48a3c7cd3: gender='M': "
                   "not in the required FHIR value set (female, male, other, unknown)\n")


def test_eval_intake_json_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "n.jsonl"
    notes.write_text(json.dumps({"text": "Fever, no rash.", "lang": "en",
                                 "present": ["HP:0001945"], "excluded": ["HP:0000988"]}))
    code, out, _ = _run(["eval", "intake", str(notes), "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert list(d) == ["docs", "precision", "recall", "f1", "excluded_precision",
                       "excluded_recall", "ms_per_doc"]
    assert {k: v for k, v in d.items() if k != "ms_per_doc"} == {
        "docs": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0, "excluded_precision": 1.0,
        "excluded_recall": 1.0}


def test_eval_fhir_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.json").write_text(
        (DATA / "fhir" / "synthea_clint_champlin_trimmed.json").read_text())
    code, out, _ = _run(["eval", "fhir", str(tmp_path), "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert (d["files"], d["parsed"]["Observation"], d["rejected"]) == (1, 15, {})
