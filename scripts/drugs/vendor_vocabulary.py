"""Vendor the DrugBank CC0 open vocabulary into the drug knowledge pack.

Run once by a developer (reads ../shared/data, never at run time):
    .venv/bin/python scripts/drugs/vendor_vocabulary.py ../shared/data/drugs/drugbank_vocabulary.csv

Keeps the DrugBank id, the common name and the synonyms that a doctor could
write (drops long systematic IUPAC names, which nobody prescribes by), and
writes a gzip TSV so the repository stays small.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src/huizhen/data/drugs/drugbank_vocabulary.tsv.gz"
_SYSTEMATIC = re.compile(r"[\[\]{}]|\(\d|\d,\d|^\(?[RSZE]\)|\d-[a-z]")


def keep_synonym(syn: str) -> bool:
    """Systematic chemical names and very long strings are not prescribing names."""
    syn = syn.strip()
    if not syn or len(syn) > 60 or "\t" in syn:
        return False
    return not _SYSTEMATIC.search(syn)


def main(src: str) -> None:
    rows = 0
    with open(src, newline="", encoding="utf-8") as fh, gzip.open(OUT, "wt", encoding="utf-8") as out:
        out.write("drugbank_id\tname\tsynonyms\n")
        for row in csv.DictReader(fh):
            syns = [s.strip() for s in row["Synonyms"].split(" | ") if keep_synonym(s)]
            name = row["Common name"].strip()
            out.write(f"{row['DrugBank ID']}\t{name}\t{'|'.join(s for s in syns if s != name)}\n")
            rows += 1
    print(f"wrote {rows} drugs to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/drugs/drugbank_vocabulary.csv")
