"""Ablations of the rare-disease ranker on a phenopacket folder (not a test).

    .venv/bin/python benchmarks/rare_ablation.py ../shared/data/phenopackets-dev

Each row switches one modelling choice of ``huizhen.reasoning.rare`` back to
LIRICAL's (or off) and re-runs ``huizhen eval rare``; the last rows split the
cohorts in two halves (alphabetical, alternating) to show how much the figures
move between disjoint sets of genes.
"""

from __future__ import annotations

import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from huizhen.eval import rare as ev
from huizhen.knowledge.annotations import load_annotations
from huizhen.knowledge.hpo import load_hpo
from huizhen.reasoning import rare, rare_onset
from huizhen.reasoning.rare_model import load_model


@contextmanager
def patched(obj: Any, **values: Any) -> Iterator[None]:
    old = {k: getattr(obj, k) for k in values}
    for k, v in values.items():
        setattr(obj, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(obj, k, v)


def row(name: str, bench: ev.RareBenchmark) -> None:
    s = bench.summary()
    print(f"| {name} | {s['ranked']} | {s['top1']:.3f} | {s['top3']:.3f} | {s['top10']:.3f} "
          f"| {s['mrr']:.3f} |", flush=True)


def main(folder: str) -> None:
    onto, ann = load_hpo(), load_annotations()

    def run(name: str, default_frequency: float | None = None,
            root: Path | None = None) -> None:
        ranker = rare.RareRanker(onto, ann, load_model(None, default_frequency))
        row(name, ev.evaluate(root or folder, ranker=ranker))

    print("| variant | ranked | top1 | top3 | top10 | mrr |\n|---|---|---|---|---|---|")
    run("huizhen (default)")
    with patched(rare, KAPPA=1.0, MIN_ABSENT=0.01):
        run("excluded terms as LIRICAL's 1 − F penalty (κ = 1, floor 0.01)")
    with patched(rare, KAPPA=1.0, MIN_ABSENT=1.0):
        run("excluded terms ignored")
    with patched(rare, KAPPA=2.0):
        run("κ = 2")
    with patched(rare, KAPPA=10.0):
        run("κ = 10")
    with patched(rare, MIN_ABSENT=0.01):
        run("absent floor 0.01")
    with patched(rare, RHO=0.0):
        run("no unreported-feature term (ρ = 0)")
    with patched(rare, RHO=0.2):
        run("ρ = 0.2")
    with patched(rare, PARENT_CREDIT=True):
        run("parent-term credit (LIRICAL subclass case)")
    with patched(rare, LR_FEMALE_XLR=1.0, LR_FEMALE_YL=1.0), \
            patched(rare_onset, LR_TOO_EARLY=1.0):
        run("no sex / onset LRs")
    run("missing frequency = 1.0 (LIRICAL)", default_frequency=1.0)
    run("missing frequency = 0.545 (HPO 'Frequent' midpoint)", default_frequency=0.545)
    import tempfile

    cohorts = sorted(p for p in Path(folder).iterdir() if p.is_dir())
    for half in (0, 1):
        with tempfile.TemporaryDirectory() as tmp:
            for c in cohorts[half::2]:
                shutil.copytree(c, Path(tmp) / c.name)
            run(f"cohort half {half + 1} of 2 ({len(cohorts[half::2])} cohorts)", root=Path(tmp))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/phenopackets-dev")
