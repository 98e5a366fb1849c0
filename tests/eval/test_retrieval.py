from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from huizhen.errors import InputError
from huizhen.eval.retrieval import KEYS, load_questions, metrics, run
from huizhen.knowledge.corpus import ingest
from huizhen.store.sqlite import SQLiteStore

_spec = importlib.util.spec_from_file_location(
    "kb_fixture", Path(__file__).parents[1] / "retrieval" / "kb_fixture.py")
assert _spec and _spec.loader
kbf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kbf)


def test_metrics_on_known_answers(tmp_path: Path) -> None:
    files = kbf.write_good(tmp_path)
    store = SQLiteStore(tmp_path / "kb.sqlite")
    ingest([files["jsonl"]], store)
    qfile = tmp_path / "q.jsonl"
    qs = [("What are the symptoms of Gout ?", "T-1", "2"),     # rank 1
          ("What is (are) Asthma ?", "T-2", "1"),              # rank 1
          ("What are the treatments for Gout ?", "T-1", "1"),  # the overview: ranked lower
          ("unrelated zzzz words", "T-2", "3")]                 # no hit at all
    qfile.write_text("\n".join(json.dumps({"question": q, "doc_id": d, "pid": p}) for q, d, p in qs))
    outcomes = run(store, load_questions(qfile), "lexical")
    ranks = [o.rank for o in outcomes]
    assert ranks[:2] == [1, 1] and ranks[2] is not None and ranks[2] > 1 and ranks[3] is None
    m = metrics(outcomes)
    assert list(m) == list(KEYS)
    r3 = ranks[2]
    assert {k: v for k, v in m.items() if k != "ms_per_query"} == {
        "questions": 4, "recall@1": 0.5, "recall@5": 0.75 if r3 <= 5 else 0.5, "recall@10": 0.75,
        "mrr@10": round((2 + 1 / r3) / 4, 4),
        "ndcg@10": round((2 + 1 / __import__("math").log2(r3 + 1)) / 4, 4)}
    store.close()


def test_bad_question_file(tmp_path: Path) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "x", "doc_id": "1"}\n')
    with pytest.raises(InputError, match=r"q.jsonl:1: pid: missing field"):
        load_questions(bad)
