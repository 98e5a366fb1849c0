"""Share of random pairs of commonly used drugs that raise an interaction alert.

    .venv/bin/python benchmarks/meds/random_pairs.py [pairs] [seed]

The pool is the ingredients of the Chinese generic-name table (the most used
drugs, 540+); pairs are drawn at random whatever a reference says, so the
share includes real interactions: it bounds the alert burden, it is not a
false alert rate.
"""

from __future__ import annotations

import collections
import csv
import random
import sys

from huizhen.knowledge.drugs.vocabulary import DRUG_DATA
from huizhen.safety.checker import get_pack
from huizhen.safety.interactions import best_rule


def main(n: int = 5000, seed: int = 1) -> None:
    pack = get_pack()
    with open(DRUG_DATA / "zh_names.csv", newline="", encoding="utf-8") as fh:
        pool = sorted({pack.vocab.parent(i) for r in csv.DictReader(fh) for i in r["drugbank_ids"].split("+")})
    rng = random.Random(seed)
    by_level: collections.Counter[str] = collections.Counter()
    by_source: collections.Counter[str] = collections.Counter()
    for _ in range(n):
        x, y = rng.sample(pool, 2)
        rule, _ = best_rule(pack, x, y)
        if rule:
            by_level[rule.level] += 1
            by_source[rule.source.split(" ")[0]] += 1
    worse = sum(by_level[lv] for lv in ("contraindicated", "major", "moderate"))
    print(f"pool {len(pool)} drugs, {n} random pairs (seed {seed})")
    print(f"any alert {sum(by_level.values()) / n:.4f}; moderate or worse {worse / n:.4f}; "
          f"interrupting grades {(by_level['contraindicated'] + by_level['major']) / n:.4f}")
    print(f"by level {dict(by_level)}; by source {dict(by_source)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
