"""Resolve the hand-written Chinese and abbreviation/brand name tables to DrugBank ids.

    .venv/bin/python scripts/drugs/build_names.py

Reads scripts/drugs/zh_names.txt and abbreviations.txt (names are facts: the
Chinese approved generic names of the Chinese Pharmacopoeia 2020 / National
Essential Medicines List 2018, ISMP abbreviations, brand compositions from the
labels) and writes src/huizhen/data/drugs/zh_names.csv and names.csv with the
DrugBank id of every ingredient.  Stops with the list of names it cannot
resolve, so no row ships without an id.
"""

from __future__ import annotations

import gzip

from common import DATA, HERE, stop_if_unresolved, text_rules, write_table

from huizhen.knowledge.drugs.normalise import fold

FIELDS = ["name", "ingredients", "drugbank_ids", "source"]
ZH_SOURCE = "中国药典2020年版 / 国家基本药物目录2018年版 (Chinese approved generic name)"


def drugbank_index() -> tuple[dict[str, str], dict[str, str]]:
    """Folded common name -> id, and folded synonym -> id (common names win)."""
    names: dict[str, str] = {}
    syns: dict[str, str] = {}
    with gzip.open(DATA / "drugbank_vocabulary.tsv.gz", "rt", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            did, name, synonyms = line.rstrip("\n").split("\t")
            names.setdefault(fold(name), did)
            for s in synonyms.split("|"):
                if s:
                    syns.setdefault(fold(s), did)
    return names, syns


def resolve(name: str, names: dict[str, str], syns: dict[str, str]) -> str | None:
    key = fold(name)
    return names.get(key) or syns.get(key)


def main() -> None:
    names, syns = drugbank_index()
    missing: list[str] = []

    def ids_of(spec: str) -> tuple[str, str]:
        parts = [p.strip() for p in spec.split("+")]
        ids = []
        for p in parts:
            did = resolve(p, names, syns)
            if did is None:
                missing.append(p)
            else:
                ids.append(did)
        return "+".join(parts), "+".join(ids)

    rows = []
    seen: set[str] = set()
    for line in text_rules(HERE / "zh_names.txt"):
        zh, en = line.split("=", 1)
        if zh in seen:
            continue
        seen.add(zh)
        en_names, ids = ids_of(en)
        rows.append({"name": zh, "ingredients": en_names, "drugbank_ids": ids, "source": ZH_SOURCE})
    write_table(DATA / "zh_names.csv", FIELDS, rows)

    rows = []
    for line in text_rules(HERE / "abbreviations.txt"):
        left, source = line.split(";", 1)
        written, en = left.split("=", 1)
        en_names, ids = ids_of(en)
        rows.append({"name": written, "ingredients": en_names, "drugbank_ids": ids, "source": source})
    write_table(DATA / "names.csv", FIELDS, rows)
    stop_if_unresolved(missing)

if __name__ == "__main__":
    main()
