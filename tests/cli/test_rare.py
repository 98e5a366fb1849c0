"""``huizhen rare``, ``huizhen eval rare`` and ``huizhen demo`` as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_support import run

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rare" / "KCNT1-PMID_23086397_Patient_4.json"
SHARED = REPO.parent / "shared" / "data"




def test_rare_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["rare", str(EXAMPLE), "--top", "3", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["hpo_release", "n_diseases", "used_present", "used_excluded",
                          "notes", "results"]
    assert data["hpo_release"] == "2025-01-16"
    assert data["n_diseases"] == 12687
    assert len(data["results"]) == 3
    top = data["results"][0]
    assert (top["rank"], top["id"], top["name"]) == (
        1, "OMIM:614959", "Developmental and epileptic encephalopathy 14")
    assert [m["patient_term"] for m in top["matched"]] == [
        "HP:0012736", "HP:0033725", "HP:0011153", "HP:0008936", "HP:0000252", "HP:0200134"]
    assert top["unexplained"] == []
    assert 0.5 < top["probability"] <= 1.0
    assert sum(r["probability"] for r in data["results"]) <= 1.0 + 1e-9


def test_rare_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rare", str(EXAMPLE), "--top", "2"], capsys)
    assert code == 0
    assert "Rare-disease differential (12687 diseases scored)" in out
    assert "OMIM:614959" in out
    assert "This product uses the Human Phenotype Ontology (version 2025-01-16)" in " ".join(
        out.split())


def test_rare_chinese_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["rare", str(REPO / "examples" / "rare" / "zh-list.txt"), "--json",
                          "--top", "1"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["used_present"] == ["HP:0001250", "HP:0001263", "HP:0000252", "HP:0001252"]
    assert data["used_excluded"] == ["HP:0000365"]


def test_rare_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"phenotypicFeatures": [{"type": {"id": "HP:0000000x"}}]}')
    code, out, err = run(["rare", str(bad)], capsys)
    assert code == 2
    assert out == ""
    assert err == (f"huizhen: {bad}: phenotypicFeatures[0].type.id='HP:0000000x': "
                   "malformed HPO id (expected HP:nnnnnnn)\n")


def test_rare_obsolete_id_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.txt"
    case.write_text("HP:0000057\nHP:0007757\n")
    code, out, _ = run(["rare", str(case), "--json", "--top", "1"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["notes"] == [
        "line 1: HP:0000057 is an alternative id of HP:0008665 (Clitoral hypertrophy)",
        "line 2: HP:0007757 (obsolete Hypoplasia of choroid) is obsolete, replaced by "
        "HP:0000610 (Abnormal choroid morphology)"]
    assert data["used_present"] == ["HP:0008665", "HP:0000610"]


def test_rare_obsolete_without_replacement(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.json"
    case.write_text('["HP:0001726"]')
    code, out, err = run(["rare", str(case)], capsys)
    assert (code, out) == (2, "")
    assert err == (f"huizhen: {case}: [0]='HP:0001726': obsolete HPO term without replacement "
                   "(obsolete Increased prevalence of valvular disease); consider HP:0001654\n")


def test_rare_nothing_ranked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.txt"
    case.write_text("HP:0000006\n")  # Autosomal dominant inheritance: not a phenotype
    code, out, _ = run(["rare", str(case), "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["results"] == []
    assert data["notes"][-1] == "no observed phenotypic abnormality to rank on: nothing ranked"


@pytest.mark.skipif(not (SHARED / "phenopackets-dev").is_dir(), reason="no shared data")
def test_eval_rare_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dev = SHARED / "phenopackets-dev"
    (tmp_path / "a").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "a" / "kcnt1.json")
    shutil.copy(sorted((dev / "CBS").glob("*.json"))[0], tmp_path / "a" / "cbs.json")
    unknown = json.loads(EXAMPLE.read_text())
    unknown["interpretations"][0]["diagnosis"]["disease"]["id"] = "OMIM:999999"
    (tmp_path / "unknown.json").write_text(json.dumps(unknown))
    # Diagnosis in the KB but nothing to rank on: a miss, not "not in KB".
    empty = json.loads(EXAMPLE.read_text())
    del empty["phenotypicFeatures"]
    (tmp_path / "empty.json").write_text(json.dumps(empty))
    code, out, err = run(["eval", "rare", str(tmp_path), "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["cases", "ranked", "not_in_kb", "top1", "top3", "top10", "mrr",
                          "ms_per_case"]
    del data["ms_per_case"]
    assert data == {"cases": 4, "ranked": 3, "not_in_kb": 1, "top1": 0.6667, "top3": 0.6667,
                    "top10": 0.6667, "mrr": 0.6667}


def test_eval_rare_not_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["eval", "rare", str(tmp_path / "nope")], capsys)
    assert code == 2
    assert err == f"huizhen: {tmp_path / 'nope'}: not a folder\n"


def test_demo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["demo", "--top", "1"], capsys)
    assert code == 0
    assert "OMIM:614959" in out and "Medication alerts" in out


def test_rare_hpo_dir_option_and_env(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Another release folder, by option or by HUIZHEN_HPO_DIR: results name its release."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "hpo_fixture", REPO / "tests" / "knowledge" / "hpo_fixture.py")
    assert spec and spec.loader
    fixture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixture)
    release = fixture.write_release(tmp_path / "hpo")
    case = tmp_path / "case.txt"
    case.write_text("Small head\n- Short limb\n")
    code, out, err = run(["rare", str(case), "--json", "--hpo-dir", str(release)], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert (data["hpo_release"], data["n_diseases"]) == ("2099-01-01", 3)
    assert [r["id"] for r in data["results"]] == ["OMIM:100002", "ORPHA:300", "OMIM:100001"]
    monkeypatch.setenv("HUIZHEN_HPO_DIR", str(release))
    code, out, _ = run(["rare", str(case), "--json", "--top", "1"], capsys)
    assert code == 0 and json.loads(out)["hpo_release"] == "2099-01-01"
