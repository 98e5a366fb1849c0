"""Retrieval benchmark: recall@k, MRR@10, nDCG@10 and latency on questions with known answers.

Each question line names the MedQuAD section that answers it (``doc_id``,
``pid``); a retrieved chunk is relevant when it belongs to that section. The
section counts once, at the rank of its first chunk (later chunks of the same
section are neither rewarded nor penalised), so nDCG@10 with one relevant item
is ``1 / log2(rank + 1)``. Recall@k is the share of questions whose section is
among the first k hits. Latency is wall time per query, query embedding included.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from huizhen.errors import InputError
from huizhen.retrieval.search import filters_for, ranked_ids
from huizhen.store.base import KnowledgeStore

KEYS = ("questions", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "ms_per_query")


@dataclass(frozen=True)
class Question:
    question: str
    doc_id: str
    pid: str


@dataclass
class Outcome:
    """One question's result: the rank of its section (None if not in the top 10)."""

    question: Question
    rank: int | None
    ms: float
    top: list[tuple[str, str]]


def load_questions(path: Path) -> list[Question]:
    """Questions from a jsonl file; a bad line is reported with its number and field."""
    if not path.exists():
        raise InputError("no such file", source=str(path))
    out: list[Question] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"not JSON ({err.msg})", source=f"{path}:{n}") from err
            for key in ("question", "doc_id", "pid"):
                if not isinstance(rec, dict) or key not in rec:
                    raise InputError("missing field", source=f"{path}:{n}", field=key)
            out.append(Question(str(rec["question"]), str(rec["doc_id"]), str(rec["pid"])))
    if not out:
        raise InputError("no questions in it", source=str(path))
    return out


def run(store: KnowledgeStore, questions: list[Question], mode: str = "hybrid",
        progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    filters = filters_for(None)
    outcomes: list[Outcome] = []
    for n, q in enumerate(questions, 1):
        t0 = time.perf_counter()
        ranked = ranked_ids(store, q.question, filters, mode)[:10]
        ms = (time.perf_counter() - t0) * 1000
        chunks = store.chunks([cid for cid, _ in ranked])
        top = [(chunks[cid].doc_id, chunks[cid].anchor) for cid, _ in ranked if cid in chunks]
        rank = None
        seen: list[tuple[str, str]] = []
        for key in top:  # a section counts at its first chunk
            if key in seen:
                continue
            seen.append(key)
            if key == (q.doc_id, q.pid):
                rank = top.index(key) + 1
                break
        outcomes.append(Outcome(q, rank, ms, top))
        if progress:
            progress(n, len(questions))
    return outcomes


def metrics(outcomes: list[Outcome]) -> dict[str, float | int]:
    n = len(outcomes)
    ranks = [o.rank for o in outcomes]
    return {
        "questions": n,
        "recall@1": round(sum(1 for r in ranks if r is not None and r <= 1) / n, 4),
        "recall@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 4),
        "recall@10": round(sum(1 for r in ranks if r is not None and r <= 10) / n, 4),
        "mrr@10": round(sum(1 / r for r in ranks if r is not None) / n, 4),
        "ndcg@10": round(sum(1 / math.log2(r + 1) for r in ranks if r is not None) / n, 4),
        "ms_per_query": round(sum(o.ms for o in outcomes) / n, 2),
    }


def p95_ms(outcomes: list[Outcome]) -> float:
    ms = sorted(o.ms for o in outcomes)
    return round(ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)], 2)
