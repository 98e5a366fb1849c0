"""Benchmark of the rare-disease ranker on a folder tree of phenopackets.

Each case is ranked from its phenotypic features, sex and onset alone (the
parser never reads the answer); only here, after ranking, is the diagnosis read
from ``interpretations[].diagnosis.disease`` (or ``diseases[].term``) to score
the rank.  A case whose diagnosis is not annotated in the loaded HPO release
cannot be ranked and is counted apart as ``not_in_kb``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from huizhen.errors import HuizhenError, InputError
from huizhen.patient.phenopacket import load_json, parse_phenopacket
from huizhen.reasoning.rare import RareRanker, load_ranker, query_from_patient


def diagnoses(data: Any) -> list[str]:
    """The answer of a phenopacket: disease ids of its interpretations (or diseases)."""
    out: list[str] = []
    for interp in data.get("interpretations") or []:
        did = ((interp.get("diagnosis") or {}).get("disease") or {}).get("id")
        if isinstance(did, str):
            out.append(did)
    if not out:
        for dis in data.get("diseases") or []:
            did = (dis.get("term") or {}).get("id")
            if isinstance(did, str) and not dis.get("excluded"):
                out.append(did)
    return list(dict.fromkeys(out))


@dataclass(slots=True)
class CaseResult:
    path: str
    truth: list[str]
    rank: int | None  # None: not in the knowledge base
    error: str | None = None
    #: Post-test probability of the top-ranked disease (for calibration).
    top_probability: float | None = None


@dataclass(slots=True)
class RareBenchmark:
    cases: int
    ranked: int
    not_in_kb: int
    top1: float
    top3: float
    top10: float
    mrr: float
    ms_per_case: float
    details: list[CaseResult] = field(default_factory=list)

    def summary(self) -> dict[str, float | int]:
        """The figures, exactly the keys the ``--json`` output promises."""
        return {"cases": self.cases, "ranked": self.ranked, "not_in_kb": self.not_in_kb,
                "top1": self.top1, "top3": self.top3, "top10": self.top10, "mrr": self.mrr,
                "ms_per_case": self.ms_per_case}


@dataclass(slots=True)
class CalibrationBin:
    low: float
    high: float
    cases: int
    mean_probability: float
    top1_accuracy: float


def calibration(bench: RareBenchmark, edges: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8,
                                                                  0.95, 1.0)
                ) -> tuple[list[CalibrationBin], float]:
    """Reliability of the top-1 post-test probability: per probability bin, the mean
    probability and how often the top-ranked disease was the diagnosis; and the
    expected calibration error (case-weighted mean gap)."""
    pairs = [(c.top_probability, c.rank == 1) for c in bench.details
             if c.rank is not None and c.top_probability is not None]
    bins: list[CalibrationBin] = []
    gap = 0.0
    for lo, hi in pairwise(edges):
        inside = [(p, h) for p, h in pairs if lo <= p < hi or (hi == edges[-1] and p == hi)]
        if not inside:
            continue
        mp = sum(p for p, _ in inside) / len(inside)
        acc = sum(h for _, h in inside) / len(inside)
        gap += abs(mp - acc) * len(inside)
        bins.append(CalibrationBin(lo, hi, len(inside), round(mp, 3), round(acc, 3)))
    return bins, round(gap / max(len(pairs), 1), 3)


def evaluate(folder: Path | str, ranker: RareRanker | None = None,
             hpo_dir: Path | str | None = None) -> RareBenchmark:
    """Rank every ``*.json`` phenopacket under ``folder`` and score the diagnosis rank."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError("not a folder", source=str(root))
    ranker = ranker or load_ranker(hpo_dir)
    files = sorted(root.rglob("*.json"))
    if not files:
        raise InputError("no *.json phenopackets in the folder", source=str(root))
    details: list[CaseResult] = []
    elapsed = 0.0
    timed = 0
    for path in files:
        data = load_json(path)
        truth = diagnoses(data) if isinstance(data, dict) else []
        in_kb = any(t in ranker.ann.index for t in truth)
        try:
            patient, notes = parse_phenopacket(data, ranker.onto, str(path), strict=False)
        except HuizhenError as err:
            # Unreadable case: a miss if its answer could have been ranked.
            details.append(CaseResult(str(path), truth, 10**9 if in_kb else None, err.render()))
            continue
        if not in_kb:
            details.append(CaseResult(str(path), truth, None))
            continue
        t0 = time.perf_counter()
        scored = ranker.score_answer(query_from_patient(patient, notes), truth)
        elapsed += time.perf_counter() - t0
        timed += 1
        # A case with no usable phenotype ranks nothing: scored as a miss.
        rank, p_top = scored if scored is not None else (10**9, None)
        details.append(CaseResult(str(path), truth, rank, top_probability=p_top))
    ranked = [c.rank for c in details if c.rank is not None]
    n = len(ranked) or 1
    return RareBenchmark(
        cases=len(files), ranked=len(ranked),
        not_in_kb=sum(1 for c in details if c.rank is None),
        top1=round(sum(r <= 1 for r in ranked) / n, 4),
        top3=round(sum(r <= 3 for r in ranked) / n, 4),
        top10=round(sum(r <= 10 for r in ranked) / n, 4),
        mrr=round(sum(1.0 / r for r in ranked) / n, 4),
        ms_per_case=round(1000 * elapsed / max(timed, 1), 2),
        details=details)
