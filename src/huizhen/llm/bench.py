"""Benchmark of the citation checker: how well it flags unsupported sentences.

Sets are YAML files (``benchmarks/data/citations/*.yaml``): numbered passages
and an answer written sentence by sentence, each labelled ``ok`` (supported by
the passage it cites) or not, with the way it was planted (``kind``).  The
answer is joined as a model would write it and split again by the checker, so
sentence splitting is part of what is measured.  The positive class is
"unsupported": precision is the share of flagged sentences that were planted,
recall the share of planted sentences that were flagged.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from huizhen.errors import InputError
from huizhen.llm.grounding import check_answer, join_sentences


@dataclass(slots=True)
class CitationFigures:
    sets: int
    sentences: int
    planted: int
    precision: float
    recall: float
    f1: float
    by_lang: dict[str, dict[str, float]] = field(default_factory=dict)
    recall_by_kind: dict[str, float] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]


def load_sets(path: Path) -> list[dict[str, Any]]:
    """Every set in ``path`` (a YAML file, or a folder of them), validated."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise InputError("no benchmark file here", source=str(path))
    out: list[dict[str, Any]] = []
    for f in files:
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise InputError("expected a list of sets", source=str(f))
        for i, s in enumerate(data):
            if not isinstance(s, dict) or not s.get("passages") or not s.get("sentences"):
                raise InputError("a set needs passages and sentences", source=str(f), field=f"[{i}]")
            for x in s["sentences"]:
                if not isinstance(x, dict) or "text" not in x or "ok" not in x:
                    raise InputError("a sentence needs text and ok", source=str(f),
                                     field=f"{s.get('id', i)}", value=str(x)[:60])
            s.setdefault("lang", "zh" if str(s.get("id", "")).startswith("zh") else "en")
            out.append(s)
    return out


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def run(path: Path) -> CitationFigures:
    started = time.perf_counter()
    sets = load_sets(path)
    tp = fp = fn = n = planted = 0
    lang_counts: dict[str, Counter[str]] = {}
    kinds: Counter[str] = Counter()
    kinds_hit: Counter[str] = Counter()
    misses: list[dict[str, Any]] = []
    for s in sets:
        labelled = s["sentences"]
        answer = join_sentences([x["text"] for x in labelled])
        report = check_answer(answer, [str(p) for p in s["passages"]])
        if len(report.sentences) != len(labelled):
            raise InputError(f"the checker split the answer into {len(report.sentences)} sentences, "
                             f"the set has {len(labelled)}", field=str(s.get("id")))
        c = lang_counts.setdefault(s["lang"], Counter())
        for x, check in zip(labelled, report.sentences):
            n += 1
            bad, flagged = not x["ok"], not check.supported
            planted += bad
            if bad:
                kinds[x.get("kind", "?")] += 1
                kinds_hit[x.get("kind", "?")] += flagged
            tp += bad and flagged
            fp += flagged and not bad
            fn += bad and not flagged
            c["tp"] += bad and flagged
            c["fp"] += flagged and not bad
            c["fn"] += bad and not flagged
            if bad != flagged:
                misses.append({"set": s.get("id"), "sentence": x["text"],
                               "planted": bad, "flagged": flagged, "reason": check.reason,
                               "coverage": check.coverage})
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return CitationFigures(
        sets=len(sets), sentences=n, planted=planted, precision=p, recall=r,
        f1=round(2 * p * r / (p + r), 4) if p + r else 0.0,
        by_lang={lang: {"precision": _ratio(c["tp"], c["tp"] + c["fp"]),
                        "recall": _ratio(c["tp"], c["tp"] + c["fn"])}
                 for lang, c in sorted(lang_counts.items())},
        recall_by_kind={k: _ratio(kinds_hit[k], v) for k, v in sorted(kinds.items())},
        misses=misses, elapsed_s=round(time.perf_counter() - started, 2))
