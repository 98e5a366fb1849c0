"""Time `consult` per patient with all knowledge loaded (no language model).

    .venv/bin/python benchmarks/bench_consult.py [--kb PATH] [--repeat 3]

Patients: the bundled examples, the 25 Synthea FHIR bundles and the annotated
intake notes (when ../shared/data and tests/data are present).  Prints the
number of consults, p50, p95 and max in milliseconds as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from huizhen.consult import consult, load_knowledge
from huizhen.patient.parse import load_patient

REPO = Path(__file__).resolve().parents[1]


def patients() -> list:  # type: ignore[type-arg]
    sources: list[str | Path] = sorted((REPO / "examples" / "consult").glob("*"))
    sources += sorted((REPO.parent / "shared" / "data" / "synthea-fhir-r4").glob("*.json"))
    notes = sorted((REPO / "tests" / "data" / "notes").glob("*.jsonl"))
    for path in notes:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                sources.append(json.loads(line)["text"])
    return [load_patient(s) for s in sources]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    know = load_knowledge()
    cases = patients()
    consult(cases[0], knowledge=know, kb=args.kb)  # warm the lazy caches
    times: list[float] = []
    for _ in range(args.repeat):
        for p in cases:
            t0 = time.perf_counter()
            consult(p, knowledge=know, kb=args.kb)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(json.dumps({
        "consults": len(times), "patients": len(cases),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
    }))


if __name__ == "__main__":
    main()
