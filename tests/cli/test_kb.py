from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from cli_support import run as _run

_spec = importlib.util.spec_from_file_location(
    "kb_fixture", Path(__file__).parents[1] / "retrieval" / "kb_fixture.py")
assert _spec and _spec.loader
kbf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kbf)




def test_kb_commands_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from huizhen.retrieval.search import close_all

    kb = str(tmp_path / "kb.sqlite")
    good = kbf.write_good(tmp_path / "docs")
    bad = kbf.write_bad(tmp_path / "docs" / "bad")
    code, out, err = _run(["kb", "ingest", str(good["jsonl"]), "--kb", kb, "--no-embed"], capsys)
    assert (code, out) == (0, f"2 added, 0 updated, 0 unchanged, 6 chunks, 0 failed [public in {kb}]\n")
    code, out, err = _run(["kb", "ingest", str(good["md"]), str(good["txt"]), str(bad["latin1"]),
                           str(bad["unknown"]), "--tenant", "hosp-a", "--kb", kb, "--no-embed"], capsys)
    assert code == 1
    assert out == f"2 added, 0 updated, 0 unchanged, 5 chunks, 2 failed [hosp-a in {kb}]\n"
    assert err.splitlines() == [
        f"huizhen: skipped {bad['latin1']}: encoding='utf-8': not valid UTF-8 (byte 0xe8 at offset 2); "
        "save it as UTF-8",
        f"huizhen: skipped {bad['unknown']}: suffix='.tiff': unknown format; huizhen reads .md .html "
        ".htm .txt .pdf .docx and MedQuAD .jsonl",
        "huizhen: 2 of 4 inputs failed"]

    code, out, _ = _run(["kb", "search", "amoxicillin", "--tenant", "hosp-a", "--kb", kb, "--json",
                         "--top", "1"], capsys)
    hit = json.loads(out)["hits"][0]
    assert (code, hit["heading_path"], hit["scope"], hit["source"], hit["anchor"]) == (
        0, ["Community-acquired pneumonia protocol", "Treatment"], "hosp-a", "pneumonia.md", "3")
    code, out, _ = _run(["kb", "search", "amoxicillin", "--kb", kb], capsys)
    assert (code, out) == (0, "no passages match 'amoxicillin'\n")
    code, out, _ = _run(["kb", "search", "What are the symptoms of gout?", "--kb", kb, "--top", "1"],
                        capsys)
    assert out.splitlines()[0].startswith("1. Gout › symptoms  [")
    assert out.splitlines()[2] == ("   public · T-1 · TestSource, https://example.org/gout, "
                                   "CC BY 4.0 (MedQuAD, Ben Abacha & Demner-Fushman 2019)")

    code, out, _ = _run(["kb", "list", "--kb", kb, "--json"], capsys)
    listed = [(d["scope"], d["title"], d["chunks"]) for d in json.loads(out)]
    assert listed == [("hosp-a", "Community-acquired pneumonia protocol", 4),
                      ("hosp-a", "Warfarin counselling sheet", 1), ("public", "Gout", 3),
                      ("public", "Asthma", 3)]
    code, out, _ = _run(["kb", "remove", str(good["txt"]), "--tenant", "hosp-a", "--kb", kb], capsys)
    assert (code, out) == (0, f"removed {good['txt']} [hosp-a]\n")
    code, _, err = _run(["kb", "remove", "nope", "--kb", kb], capsys)
    assert (code, err) == (2, "huizhen: doc_id='nope': no such document in scope public\n")

    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"question": "What are the symptoms of Gout ?", "doc_id": "T-1",
                             "pid": "2"}) + "\n")
    code, out, _ = _run(["eval", "retrieval", str(q), "--kb", kb, "--mode", "lexical", "--json"], capsys)
    figures = json.loads(out)
    assert list(figures) == ["questions", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10",
                             "ms_per_query"]
    assert {k: v for k, v in figures.items() if k != "ms_per_query"} == {
        "questions": 1, "recall@1": 1.0, "recall@5": 1.0, "recall@10": 1.0, "mrr@10": 1.0,
        "ndcg@10": 1.0}
    # hybrid falls back to lexical while nothing is embedded; dense says why it cannot run
    code, _, err = _run(["kb", "search", "gout", "--kb", kb, "--mode", "dense"], capsys)
    assert code == 3 and "no embeddings" in err
    code, _, err = _run(["kb", "search", "gout", "--kb", str(tmp_path / "none.sqlite")], capsys)
    assert code == 3 and "no knowledge base here" in err
    close_all()
