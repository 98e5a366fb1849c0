"""Convert the ONC high-priority DDI list to the benchmark layout ``Drug_A, Drug_B, Level``.

    .venv/bin/python benchmarks/meds/onc_reference.py ../shared/data/drugs benchmarks/data/onc_high_priority.csv

Every ONC high-priority pair is a high-severity interaction (Phansalkar et al.,
JAMIA 2012), so every row is ``Major``.  Drug names are written as the list
writes them (not DrugBank ids) so the benchmark also tests name normalisation.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def main(shared: Path, out: Path) -> None:
    seen: set[frozenset[str]] = set()
    rows = []
    src = shared / "onc-high-priority/ONC_High_Priority_Mapped.csv"
    for line in src.read_text(encoding="utf-8-sig").splitlines():
        f = line.split("$")
        if len(f) < 4 or not f[0] or not f[2]:
            continue
        key = frozenset((f[0].lower(), f[2].lower()))
        if key in seen or len(key) == 1:
            continue
        seen.add(key)
        rows.append((f[0], f[2], "Major"))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Drug_A", "Drug_B", "Level"])
        w.writerows(rows)
    print(f"{len(rows)} pairs -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
