"""Resolve the hand-written clinical rule tables to DrugBank ids.

    .venv/bin/python scripts/drugs/build_rules.py

The rules are written by hand in scripts/drugs/rules/*.csv with English INN
names (or ``class:<id>`` for a class) and a source on every row; this script
adds the DrugBank id of each named drug and copies the tables into the knowledge
pack.  It stops on any name it cannot resolve: no rule ships without an id.
"""

from __future__ import annotations

import csv

from common import DATA, HERE, stop_if_unresolved, write_table

from huizhen.knowledge.drugs.vocabulary import load_vocabulary

RULES = HERE / "rules"


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
            if "drug" in row:
                row["drug_id"] = ref(row["drug"])
            if "allergen" in row:
                row["allergen_id"] = ref(row["allergen"])
            if not row.get("source"):
                missing.append(f"{path.name}: row without source {row}")
        write_table(DATA / path.name, fields + [c for c in ("drug_id", "allergen_id") if c in rows[0]], rows)
    stop_if_unresolved(missing)


if __name__ == "__main__":
    main()
