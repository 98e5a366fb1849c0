"""Query latency of knowledge-base search, per mode: wall and CPU percentiles.

    huizhen kb init --kb /tmp/kb.sqlite
    .venv/bin/python benchmarks/retrieval_latency.py ../shared/data/medquad/dev_questions.jsonl \\
        --kb /tmp/kb.sqlite --mode lexical --mode dense --mode hybrid [--limit N] [--json]

``huizhen eval retrieval`` reports quality and the mean (and p95) wall time per
query; this script times the same call (``ranked_ids``: what the evaluation
scores, query embedding included, hit assembly excluded) and also the full
``search()`` a user gets (top 5 hits with snippets), and gives for each:

* wall milliseconds per query (mean, p50, p95, max): what a user waits;
* CPU milliseconds of the searching thread per query (``time.thread_time``;
  mean, p50, p95): the part that does not depend on what else the machine
  runs, so figures taken on a shared machine can be compared;
* the load average before and after each mode, and how many hybrid queries
  computed a query embedding (hybrid embeds only when lexical scores leave the
  answer open, see ``retrieval.search.lexically_decided``).

One warm-up query per mode runs first (index loads, model load) and is not
counted. Questions are jsonl with a ``question`` field (other fields ignored).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _summary(values: list[float]) -> dict[str, float]:
    return {"mean": round(sum(values) / len(values), 2), "p50": round(_pct(values, 0.5), 2),
            "p95": round(_pct(values, 0.95), 2), "max": round(max(values), 2)}


def measure(store: Any, questions: list[str], mode: str) -> dict[str, Any]:
    from huizhen.retrieval import dense
    from huizhen.retrieval.search import filters_for, ranked_ids, search

    filters = filters_for(None)
    ranked_ids(store, questions[0], filters, mode)  # warm-up: indexes and model
    search(questions[0], kb=store, mode=mode)
    embedded = 0
    original = dense.query_vector

    def counting(query: str, embedder: Any = None) -> Any:
        nonlocal embedded
        embedded += 1
        return original(query, embedder)

    dense.query_vector = counting
    load_before = os.getloadavg()
    wall: list[float] = []
    cpu: list[float] = []
    try:
        for q in questions:
            w, c = time.perf_counter(), time.thread_time()
            ranked_ids(store, q, filters, mode)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
        queries_embedded = embedded
        full: list[float] = []
        for q in questions:
            w = time.perf_counter()
            search(q, kb=store, mode=mode, top=5)
            full.append((time.perf_counter() - w) * 1000)
    finally:
        dense.query_vector = original
    return {"mode": mode, "questions": len(questions), "wall_ms": _summary(wall),
            "cpu_ms": _summary(cpu), "search_top5_wall_ms": _summary(full),
            "queries_embedded": queries_embedded,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--mode", action="append", choices=("lexical", "dense", "hybrid"))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.kb.exists():
        sys.exit(f"{args.kb}: no knowledge base here; build one with `huizhen kb init --kb {args.kb}`")
    from huizhen.errors import HuizhenError
    from huizhen.eval.retrieval import load_questions
    from huizhen.retrieval.search import open_kb

    store = open_kb(args.kb, must_exist=True)
    try:
        questions = [q.question for q in load_questions(args.questions)]
    except HuizhenError as err:
        sys.exit(str(err))
    questions = questions[:args.limit] if args.limit else questions
    if not questions:
        sys.exit(f"{args.questions}: no questions")
    results = [measure(store, questions, mode) for mode in args.mode or ["hybrid"]]
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for r in results:
        w, c, f = r["wall_ms"], r["cpu_ms"], r["search_top5_wall_ms"]
        print(f"{r['mode']:>8}  {r['questions']} questions, {r['queries_embedded']} embedded; "
              f"load {r['load_before'][0]:.1f} -> {r['load_after'][0]:.1f}")
        print(f"          wall ms  mean {w['mean']:.2f}  p50 {w['p50']:.2f}  p95 {w['p95']:.2f}  "
              f"max {w['max']:.2f}")
        print(f"          cpu ms   mean {c['mean']:.2f}  p50 {c['p50']:.2f}  p95 {c['p95']:.2f}  "
              f"max {c['max']:.2f}")
        print(f"          search() top 5, wall ms  mean {f['mean']:.2f}  p50 {f['p50']:.2f}  "
              f"p95 {f['p95']:.2f}")


if __name__ == "__main__":
    main()
