"""Leave-one-source-out estimate of interaction recall.

    .venv/bin/python benchmarks/meds/leave_one_out.py ../shared/data/drugs [OUT_DIR] [--seeds 5]

The pack's interaction rules come from three sources: the ANSM thesaurus, the ONC
high-priority list and FDA label sentences (NLM DDI corpus).  Each source in turn
is made the reference, and the pack is scored *without the rules taken from it*
(``huizhen eval meds REF --without SOURCE``), so the figure says what the other
sources alone catch — an estimate of recall on a reference the pack was not built
from.  The full pack is scored too, as a check that the build lost nothing.

References written to OUT_DIR (default: a temporary folder), ``Drug_A, Drug_B, Level``
with DrugBank common names:

* ``fda_label.csv``: every drug-drug pair the NLM annotators marked as interacting in
  an FDA label sentence, both sides a single ingredient (class words such as
  "NSAIDs" are left out: a label does not define the class).  Level from the
  sentence: "contraindicated" or "avoid / should not / not recommended / do not"
  -> Major, any other interacting sentence -> Moderate; the strictest sentence of
  a pair wins.  Pairs of NLMCorpus_Mapped.csv not in a sentence -> Moderate.
* ``ansm.csv``: every ANSM rule of the pack, class sides expanded to the members
  the thesaurus's own index lists (co-trimoxazole, graded apart from its two
  members, stays one drug written "Sulfamethoxazole / Trimethoprim").  contre-indication and association déconseillée
  -> Major, précaution d'emploi -> Moderate, à prendre en compte -> Minor; the
  strictest rule of a pair wins.
* ONC: ``benchmarks/data/onc_high_priority.csv`` (every pair Major).

The false alert rate against such a reference counts real interactions that the
reference does not name (the ONC list is a short list of high-priority pairs, the
FDA corpus covers 182 labels) — read it as an upper bound.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts/drugs"))

from build_interactions import AVOID, current, load_current_ids

from huizhen.eval.meds import evaluate, pack_without, pair_level, read_reference
from huizhen.knowledge.drugs.pack import RANK
from huizhen.knowledge.drugs.vocabulary import DRUG_DATA, load_vocabulary
from huizhen.safety.checker import get_pack

ORDER = {"Major": 3, "Moderate": 2, "Minor": 1}


def _put(pairs: dict[frozenset[str], str], a: str, b: str, level: str) -> None:
    if a == b:
        return
    key = frozenset((a, b))
    if ORDER[level] > ORDER.get(pairs.get(key, ""), 0):
        pairs[key] = level


def _write(path: Path, pairs: dict[frozenset[str], str], vocab) -> int:  # type: ignore[no-untyped-def]
    # An id joined with "+" is a combination product, written "A / B".
    rows = sorted((sorted(" / ".join(vocab.name_of(p) for p in i.split("+")) for i in key), level)
                  for key, level in pairs.items())
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Drug_A", "Drug_B", "Level"])
        for (a, b), level in rows:
            w.writerow([a, b, level])
    return len(rows)


def fda_reference(shared: Path, vocab) -> dict[frozenset[str], str]:  # type: ignore[no-untyped-def]
    load_current_ids(shared)
    pairs: dict[frozenset[str], str] = {}
    for path in sorted((shared / "fda-label-ddi/DataSet_May_2014_Final").glob("*.xml")):
        for sent in ET.parse(path).getroot().iter("sentence"):
            ents: dict[str | None, ET.Element] = {}
            for e in sent.iter("entity"):  # an id can appear twice; the mention is the one with text
                if e.get("text") is not None:
                    ents.setdefault(e.get("id"), e)
            text = (sent.get("text") or "").lower()
            level = "Major" if "contraindicated" in text or AVOID.search(text) else "Moderate"
            for pair in sent.iter("pair"):
                if pair.get("ddi") != "true":
                    continue
                sides = []
                for eid in (pair.get("e1"), pair.get("e2")):
                    e = ents.get(eid)
                    if e is None or e.get("type") == "Drug_Class":
                        break
                    ids = {vocab.parent(i) for i in vocab.lookup_ids((e.get("text") or "").strip())}
                    if len(ids) != 1:
                        break
                    sides.append(ids.pop())
                if len(sides) == 2:
                    _put(pairs, sides[0], sides[1], level)
    for line in (shared / "fda-label-ddi/NLMCorpus_Mapped.csv").read_text(encoding="utf-8-sig").splitlines():
        f = line.split("$")
        if len(f) >= 8 and f[1] != "Drug_Class" and f[4] != "Drug_Class" and f[2].startswith("DB") \
                and f[5].startswith("DB"):
            a, b = vocab.parent(current(f[2])), vocab.parent(current(f[5]))
            if frozenset((a, b)) not in pairs:
                _put(pairs, a, b, "Moderate")
    return pairs


def ansm_reference(vocab) -> dict[frozenset[str], str]:  # type: ignore[no-untyped-def]
    members: dict[str, set[str]] = {}
    with gzip.open(DRUG_DATA / "classes_ansm.csv.gz", "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            members.setdefault(row["class_id"], set()).add(vocab.parent(row["drugbank_id"]))
    # A combination the thesaurus grades apart from its members (co-trimoxazole) is one drug.
    for key, combo in get_pack().combinations.items():
        members[key.removeprefix("class:")] = {"+".join(sorted(combo))}
    tier = {"contraindicated": "Major", "major": "Major", "moderate": "Moderate", "minor": "Minor"}
    pairs: dict[frozenset[str], str] = {}
    with gzip.open(DRUG_DATA / "interactions.csv.gz", "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row["source"].startswith("ANSM "):
                continue
            side_a = members.get(row["a"], set()) if row["a_kind"] == "class" else {vocab.parent(row["a"])}
            side_b = members.get(row["b"], set()) if row["b_kind"] == "class" else {vocab.parent(row["b"])}
            for a in side_a:
                for b in side_b:
                    _put(pairs, a, b, tier[row["level"]])
    return pairs


def covered_recall(path: Path, without: str) -> dict[str, float | int | None]:
    """Recall of Major pairs whose two drugs the remaining sources know at all (each is in some
    rule of the reduced pack): separates "no source covers this drug" from "pair missed"."""
    pack = pack_without(get_pack(), without)
    vocab = pack.vocab
    covered = found = 0
    for a, b, level in read_reference(path):
        if level != "major":
            continue
        ia = tuple({vocab.parent(i.drugbank_id) for i in vocab.normalise(a) if i.drugbank_id})
        ib = tuple({vocab.parent(i.drugbank_id) for i in vocab.normalise(b) if i.drugbank_id})
        if not (ia and ib) or not all(pack.reach(x) for x in ia + ib):
            continue
        covered += 1
        ours = pair_level(pack, ia, ib)
        found += ours is not None and RANK[ours] >= RANK["major"]
    return {"major_pairs_with_both_drugs_covered": covered,
            "recall_major_covered": round(found / covered, 4) if covered else None}


def main(shared: Path, out: Path, seeds: int) -> None:
    vocab = load_vocabulary()
    out.mkdir(parents=True, exist_ok=True)
    refs = {
        "fda": (out / "fda_label.csv", _write(out / "fda_label.csv", fda_reference(shared, vocab), vocab)),
        "ansm": (out / "ansm.csv", _write(out / "ansm.csv", ansm_reference(vocab), vocab)),
        "onc": (ROOT / "benchmarks/data/onc_high_priority.csv", None),
    }
    results = {}
    for source, (path, n) in refs.items():
        for without in (None, source):
            runs = [evaluate(path, seed=s, without=without) for s in range(seeds)]
            fig = dict(runs[0])
            fig["false_alert_rate"] = [r["false_alert_rate"] for r in runs]
            if without:
                fig.update(covered_recall(path, without))
            name = f"{source} reference, pack {'without ' + source if without else 'complete'}"
            results[name] = fig
            print(name, json.dumps(fig), flush=True)
    (out / "leave_one_out.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n_seeds = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 5
    if "--seeds" in sys.argv:
        args.remove(str(n_seeds))
    main(Path(args[0] if args else "../shared/data/drugs"),
         Path(args[1]) if len(args) > 1 else Path(tempfile.mkdtemp(prefix="hz-loso-")), n_seeds)
