from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import run as _run

if "llm_test_server" in sys.modules:
    srv = sys.modules["llm_test_server"]
else:
    _spec = importlib.util.spec_from_file_location(
        "llm_test_server", Path(__file__).parents[1] / "llm" / "server.py")
    assert _spec and _spec.loader
    srv = importlib.util.module_from_spec(_spec)
    sys.modules["llm_test_server"] = srv
    _spec.loader.exec_module(srv)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "consult" / "zh_fever_cough.txt"




@pytest.fixture(autouse=True)
def _no_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HUIZHEN_LLM_BASE_URL", "HUIZHEN_LLM_MODEL", "HUIZHEN_LLM_API_KEY", "HUIZHEN_LLM_API_KEY_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from huizhen.knowledge.corpus import ingest
    from huizhen.retrieval.search import close_all
    from huizhen.store.sqlite import SQLiteStore

    root = tmp_path_factory.mktemp("clikb")
    doc = root / "gout.md"
    doc.write_text("# Gout\n\n## Symptoms\n\nGout attacks cause sudden severe pain and swelling of the big "
                   "toe joint.\n\n## Treatment\n\nColchicine or NSAIDs treat acute attacks.\n", encoding="utf-8")
    store = SQLiteStore(root / "kb.sqlite")
    assert ingest([doc], store).added == 1
    store.close()
    yield root / "kb.sqlite"
    close_all()


def test_llm_status_without_an_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["llm-status", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["configured"] is False and "HUIZHEN_LLM_BASE_URL" in data["how_to"]


def test_ask_kb_without_a_model_is_extractive_and_says_how_to_configure(
        kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["ask-kb", "symptoms of gout", "--kb", str(kb), "--top", "1"], capsys)
    assert code == 0
    assert out == ("[1] Gout › Symptoms\nGout attacks cause sudden severe pain and swelling of the big toe "
                   "joint.\n")
    assert err.startswith("note: no language model is configured: set HUIZHEN_LLM_BASE_URL")


def test_ask_kb_with_a_model_prints_the_checked_answer_and_its_sources(
        kb: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with srv.FakeLLM() as fake:
        fake.push("Gout attacks cause sudden severe pain of the big toe joint [1]. Gout is caused by stress [1].")
        monkeypatch.setenv("HUIZHEN_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("HUIZHEN_LLM_MODEL", "test-model")
        code, out, err = _run(["ask-kb", "symptoms of gout", "--kb", str(kb), "--top", "1"], capsys)
        assert code == 0
        assert out == ("Gout attacks cause sudden severe pain of the big toe joint [1].\n\nSources:\n"
                       f"[1] Gout › Symptoms (gout.md) — {(kb.parent / 'gout.md').as_uri()}\n")
        assert err == "note: 1 sentence(s) removed: not supported by the passage they cite (see sentences)\n"
        fake.push("Gout causes pain [1].")
        audit = kb.parent / "audit.db"
        code, out, _ = _run(["ask-kb", "symptoms of gout", "--kb", str(kb), "--top", "1", "--json",
                             "--audit", str(audit), "--tenant", "hosp-a"], capsys)
        data = json.loads(out)
        assert data["mode"] == "model" and data["usage"]["total_tokens"] == 18
        assert data["sentences"][0]["supported"] is True
    from huizhen.audit import open_audit_store

    store = open_audit_store(audit)
    try:
        events = [e.to_dict() for e in store.events("hosp-a", action="llm.request")]
    finally:
        store.close()
    assert [(e["service"], e["knowledge"]["usage"]["total_tokens"]) for e in events] == [("llm:ask-kb", 18)]


def test_draft_note_from_a_chinese_note_and_decisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dec = tmp_path / "decisions.yaml"
    dec.write_text("diagnoses: [社区获得性肺炎]\nprescriptions: [多西环素 100 mg 口服 每日两次]\n", encoding="utf-8")
    code, out, _ = _run(["draft-note", str(EXAMPLE), "--decisions", str(dec), "--kb", str(tmp_path / "none.sqlite")],
                        capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("【草稿】") and lines[2] == "主诉：咳嗽、发热3天。"
    assert "初步诊断：1. 社区获得性肺炎。" in lines and lines[-1].startswith("医生签名")
    code, out, err = _run(["draft-note", str(EXAMPLE), "--style", "letter"], capsys)
    assert code == 2 and err == "huizhen: style='letter': style must be outpatient or soap\n"


def test_eval_citations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "sets.yaml"
    f.write_text(
        "- id: en-x\n  passages: ['Gout › Symptoms: sudden severe pain of the big toe joint.']\n"
        "  sentences:\n    - {text: 'Gout brings sudden severe pain of the big toe joint [1].', ok: true}\n"
        "    - {text: 'Gout is caused by a virus [1].', ok: false, kind: unsupported}\n", encoding="utf-8")
    code, out, _ = _run(["eval", "citations", str(f), "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and (data["sets"], data["sentences"], data["precision"], data["recall"]) == (1, 2, 1.0, 1.0)
    code, _, err = _run(["eval", "citations", str(tmp_path / "missing.yaml")], capsys)
    assert code == 2 and "no benchmark file here" in err


def test_assist_without_a_model_is_the_consult_and_says_how_to_configure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["assist", str(EXAMPLE), "--kb", str(tmp_path / "none.sqlite"), "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and err.startswith("note: no language model is configured")
    assert data["model"] is None and data["candidates"] == [] and data["intake"] is None
    assert data["report"]["differential"] and data["report"]["notes"][-1].startswith(
        "no language model is configured")
