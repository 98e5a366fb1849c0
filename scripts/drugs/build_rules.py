"""Resolve the hand-written clinical rule tables to DrugBank ids.

    .venv/bin/python scripts/drugs/build_rules.py

The rules are written by hand in scripts/drugs/rules/*.csv with English INN
names (or ``class:<id>`` for a class) and a source on every row; this script
adds the DrugBank id of each named drug and copies the tables into the knowledge
pack.  It stops on any name it cannot resolve: no rule ships without an id.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from huizhen.knowledge.drugs.vocabulary import load_vocabulary

RULES = Path(__file__).resolve().parent / "rules"
DATA = ROOT / "src/huizhen/data/drugs"


def main() -> None:
    vocab = load_vocabulary()
    missing: list[str] = []
    classes: set[str] = set()
    with open(RULES / "classes.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            classes.add(row["class_id"])

    def ref(value: str) -> str:
        if value.startswith("class:"):
            if value[6:] not in classes:
                missing.append(value)
            return value
        name = value.split(":", 1)[1] if value.startswith("ingredient:") else value
        ids = vocab.lookup_ids(name)
        if len(ids) != 1:
            missing.append(value)
            return ""
        return ids[0]

    for path in sorted(RULES.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
            fields = list(rows[0].keys())
        for row in rows:
            for col in ("drug", "allergen"):
                if col in row and not row[col].startswith("class:") and col + "_id" not in fields:
                    pass
            if "drug" in row:
                row["drug_id"] = ref(row["drug"])
            if "allergen" in row:
                row["allergen_id"] = ref(row["allergen"])
            if not row.get("source"):
                missing.append(f"{path.name}: row without source {row}")
        out_fields = fields + [c for c in ("drug_id", "allergen_id") if c in rows[0]]
        with open(DATA / path.name, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=out_fields)
            w.writeheader()
            w.writerows(rows)
        print(f"{path.name}: {len(rows)} rows")
    if missing:
        sys.exit(f"unresolved: {sorted(set(missing))}")


if __name__ == "__main__":
    main()
