"""``huizhen learn``, ``huizhen ask`` and ``huizhen eval ddxplus`` end to end."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from cli_support import run as _run
from typer.testing import CliRunner

from huizhen.cli import _register
from huizhen.cli.app import app
from huizhen.eval.ddxplus import METRIC_KEYS
from huizhen.reasoning.common import Answers, load_common_model

_spec = importlib.util.spec_from_file_location(
    "ddxplus_fixture", Path(__file__).resolve().parents[1] / "eval" / "ddxplus_fixture.py")
assert _spec and _spec.loader
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)




def test_learn_generic_csv_and_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = tmp_path / "cases.csv"
    csv_path.write_text(
        "id,diagnosis,findings,absent,age,sex\n"
        "1,flu,HP:0001945;HP:0012735,,30,F\n"
        "2,flu,HP:0001945,,41,M\n"
        "3,cold,HP:0031417,HP:0001945,25,F\n", encoding="utf-8")
    out = tmp_path / "m.json"
    code, stdout, _ = _run(["learn", str(csv_path), "--out", str(out)], capsys)
    assert code == 0
    assert stdout == f"learned 3 cases, 2 of 2 diseases, 3 findings (generic layout) -> {out}\n"
    model = load_common_model(out)
    post = model.posterior(Answers({"HP:0001945": True}))
    assert [d.id for d in model.diseases] == ["cold", "flu"] and post[1] > 0.8
    jsonl = tmp_path / "cases.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"diagnosis": "flu", "findings": ["fever", {"code": "travel", "value": "asia"}]},
        {"diagnosis": "cold", "findings": ["runny nose"], "absent": ["fever"]},
    ]) + "\n", encoding="utf-8")
    code, stdout, _ = _run(["learn", str(jsonl), "--out", str(tmp_path / "j.json.gz")], capsys)
    assert code == 0 and "learned 2 cases, 2 of 2 diseases, 3 findings" in stdout


def test_learn_and_eval_ddxplus_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    patients = fixture.write(tmp_path / "p.csv")
    model = tmp_path / "m.json.gz"
    code, stdout, _ = _run(["learn", str(patients), "--out", str(model)], capsys)
    assert code == 0 and "learned 6 cases, 3 of 49 diseases, 223 findings (DDXPlus layout)" in stdout
    code, stdout, _ = _run(["eval", "ddxplus", str(patients), "--model", str(model), "--json"], capsys)
    assert code == 0
    metrics = json.loads(stdout)
    assert tuple(metrics) == METRIC_KEYS
    assert (metrics["patients"], metrics["gtpa1"], metrics["gtpa"], metrics["il"]) == (6, 1.0, 1.0, 0.0)
    code, stdout, _ = _run(["eval", "ddxplus", str(patients), "--model", str(model), "--json",
                            "--interactive", "--max-questions", "3"], capsys)
    metrics = json.loads(stdout)
    assert code == 0 and tuple(metrics) == METRIC_KEYS and metrics["il"] <= 3


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(fixture.ROWS)
    rows[1] = rows[1][:4] + ("['E_181', 'E_999']", "E_181")
    bad = fixture.write(tmp_path / "bad.csv", rows)
    code, _, err = _run(["eval", "ddxplus", str(bad), "--json"], capsys)
    assert (code, err) == (2, f"huizhen: {bad}:3: evidence='E_999': unknown DDXPlus evidence code\n")
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"format": "huizhen.common-model", "version": 0}))
    good = fixture.write(tmp_path / "good.csv")
    code, _, err = _run(["eval", "ddxplus", str(good), "--model", str(old)], capsys)
    assert code == 2
    assert err == (f"huizhen: {old}: version=0: model file version is not supported: this huizhen "
                   "reads version 2; learn the model again with `huizhen learn`\n")
    code, _, err = _run(["learn", str(tmp_path / "none.csv"), "--out", str(tmp_path / "x")], capsys)
    assert (code, err) == (2, f"huizhen: {tmp_path / 'none.csv'}: file not found\n")


def test_ask_session_in_english() -> None:
    _register()
    result = CliRunner().invoke(app, ["ask", "--lang", "en", "--age", "35", "--sex", "F",
                                      "--finding", "E_201", "--max-questions", "3"],
                                input="n\n?\ny\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert sum(1 for ln in lines if ln.endswith(("?", ":"))) >= 3
    assert "Differential:" in lines
    assert lines[-1] == "This supports, and does not replace, the doctor's judgement."
    ranked = [ln for ln in lines[lines.index("Differential:") + 1:-1]]
    assert len(ranked) == 5 and all("%" in ln for ln in ranked)
    probs = [float(ln.split("%")[0]) for ln in ranked]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 100.5
