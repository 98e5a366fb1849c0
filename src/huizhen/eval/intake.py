"""Benchmarks of patient intake: free-text extraction against annotated notes,
and FHIR bundle parsing over a folder of bundles.

Why document-level sets: what the engines consume is the set of HPO ids a note
yields (present, excluded), not the spans; this is also how FastHPOCR and
others report GSC+ figures, so the numbers compare.  Alternative and obsolete
ids on either side are mapped to the current id first.  Scores are micro
averages over all documents (sum of true positives over sum of predictions).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huizhen.errors import InputError

KEYS = ("docs", "precision", "recall", "f1", "excluded_precision", "excluded_recall",
        "ms_per_doc")


@dataclass(slots=True)
class Note:
    id: str
    lang: str
    text: str
    present: set[str]
    excluded: set[str]


@dataclass
class DocResult:
    id: str
    lang: str
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)
    missed_excluded: list[str] = field(default_factory=list)
    spurious_excluded: list[str] = field(default_factory=list)
    #: Gold-excluded findings the system reported as present (wrong polarity).
    negation_errors: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    gold: list[str] = field(default_factory=list)


def read_notes(path: Path, *, lang: str | None = None) -> list[Note]:
    """Read a notes JSONL file; every malformed line is an ``InputError`` naming it."""
    from huizhen.knowledge.hpo import load_hpo

    hpo = load_hpo()
    src = str(path)
    if not path.is_file():
        raise InputError("no such file", source=src)
    notes: list[Note] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"invalid JSON: {err.msg}", source=src, field=f"line {n}") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InputError("each line needs a text string", source=src, field=f"line {n}.text")
        if row.get("lang") not in ("zh", "en"):
            raise InputError("lang must be zh or en", source=src, field=f"line {n}.lang",
                             value=row.get("lang"))
        sets: dict[str, set[str]] = {}
        for key in ("present", "excluded"):
            ids = row.get(key, [])
            if not isinstance(ids, list):
                raise InputError("must be a list of HPO ids", source=src, field=f"line {n}.{key}",
                                 value=ids)
            sets[key] = {hpo.resolve(str(i), source=src, field=f"line {n}.{key}[{j}]")[0]
                         for j, i in enumerate(ids)}
        if lang is None or row["lang"] == lang:
            notes.append(Note(str(row.get("id", n)), row["lang"], row["text"], sets["present"],
                              sets["excluded"]))
    if not notes:
        raise InputError("no notes" + (f" in language {lang}" if lang else ""), source=src)
    return notes


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def evaluate_notes(path: Path, *, lang: str | None = None) -> tuple[dict[str, float | int],
                                                                    list[DocResult]]:
    """Scores (exactly ``KEYS``) and per-document misses of free-text extraction."""
    from huizhen.knowledge.hpo import load_hpo
    from huizhen.patient.derive import derive
    from huizhen.patient.text import read_text

    hpo = load_hpo()
    notes = read_notes(path, lang=lang)
    derive(read_text(notes[0].text, lang=notes[0].lang))  # warm-up: lexicon and drug vocabulary
    tp = fp = fn = etp = efp = efn = 0
    results: list[DocResult] = []
    elapsed = 0.0
    for note in notes:
        t0 = time.perf_counter()
        patient = derive(read_text(note.text, lang=note.lang, source=note.id))
        elapsed += time.perf_counter() - t0
        pred = {hpo.resolve(i)[0] for i in patient.hpo_ids(present=True)}
        pred_x = {hpo.resolve(i)[0] for i in patient.hpo_ids(present=False)}
        tp += len(pred & note.present)
        fp += len(pred - note.present)
        fn += len(note.present - pred)
        etp += len(pred_x & note.excluded)
        efp += len(pred_x - note.excluded)
        efn += len(note.excluded - pred_x)
        results.append(DocResult(
            note.id, note.lang, sorted(note.present - pred), sorted(pred - note.present),
            sorted(note.excluded - pred_x), sorted(pred_x - note.excluded),
            sorted(note.excluded & pred), sorted(pred), sorted(note.present)))
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    scores: dict[str, float | int] = {
        "docs": len(notes), "precision": p, "recall": r,
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "excluded_precision": _ratio(etp, etp + efp), "excluded_recall": _ratio(etp, etp + efn),
        "ms_per_doc": round(elapsed * 1000 / len(notes), 2),
    }
    return scores, results


def lenient_scores(results: list[DocResult]) -> tuple[float, float]:
    """Precision and recall when a predicted term also counts if it is an ancestor or a
    descendant of a gold term (granularity disagreements: "moon facies" for "round
    face", "palpable purpura" for "purpura").  Reported beside the exact figures."""
    from huizhen.knowledge.hpo import load_hpo

    hpo = load_hpo()

    def related(a: str, b: str) -> bool:
        return a == b or hpo.is_ancestor(a, b) or hpo.is_ancestor(b, a)

    tp_p = sum(any(related(p, g) for g in r.gold) for r in results for p in r.predicted)
    tp_r = sum(any(related(p, g) for p in r.predicted) for r in results for g in r.gold)
    n_pred = sum(len(r.predicted) for r in results)
    n_gold = sum(len(r.gold) for r in results)
    return _ratio(tp_p, n_pred), _ratio(tp_r, n_gold)


def negation_accuracy(results: list[DocResult], path: Path, *, lang: str | None = None) -> float:
    """Share of gold-excluded findings that were found and marked excluded, among those
    found at all (either polarity): the ConText negation accuracy."""
    notes = {n.id: n for n in read_notes(path, lang=lang)}
    right = sum(len(notes[r.id].excluded) - len(r.missed_excluded) for r in results)
    wrong = sum(len(r.negation_errors) for r in results)
    return _ratio(right, right + wrong)


@dataclass
class FhirRun:
    files: int = 0
    megabytes: float = 0.0
    ms: list[float] = field(default_factory=list)
    #: CPU time of this process (less disturbed by other jobs on a shared machine).
    cpu_ms: list[float] = field(default_factory=list)
    parsed: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "megabytes": round(self.megabytes, 2),
                "ms_per_mb": round(sum(self.ms) / self.megabytes, 1) if self.megabytes else 0.0,
                "max_ms": round(max(self.ms), 1) if self.ms else 0.0,
                "cpu_ms_per_mb": round(sum(self.cpu_ms) / self.megabytes, 1)
                if self.megabytes else 0.0,
                "parsed": dict(sorted(self.parsed.items())),
                "rejected": dict(sorted(self.rejected.items())),
                "skipped": dict(sorted(self.skipped.items())),
                "reasons": dict(self.reasons.most_common(10))}


def evaluate_fhir(folder: Path) -> FhirRun:
    """Parse every ``*.json`` bundle under ``folder``; count resources per type."""
    from huizhen.patient.fhir import read_bundle

    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        raise InputError("no *.json bundles", source=str(folder))
    run = FhirRun()
    read_bundle(files[0].read_bytes(), source=files[0].name)  # warm-up: model classes
    for f in files:
        raw = f.read_bytes()
        t0, c0 = time.perf_counter(), time.process_time()
        patient, stats = read_bundle(raw, source=f.name)
        run.ms.append((time.perf_counter() - t0) * 1000)
        run.cpu_ms.append((time.process_time() - c0) * 1000)
        run.files += 1
        run.megabytes += len(raw) / 1e6
        run.parsed += stats.parsed
        run.rejected += stats.rejected
        run.skipped += stats.skipped
        for u in patient.unparsed:
            if "huizhen does not use" not in u.what:
                run.reasons[u.reason.split(": ")[-1][:80]] += 1
    return run
