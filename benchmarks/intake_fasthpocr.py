"""huizhen's English free-text recogniser against FastHPOCR on the same annotated notes.

FastHPOCR (Groza et al.; ``fasthpocr`` on PyPI, MIT; ``pip install -e .[bench]``)
is the published dictionary-based HPO recogniser that the intake issue asks
huizhen to beat.  Both systems read the English notes of the given JSONL files
(the layout of ``huizhen eval intake``) and are scored the same way: document-
level sets of present HPO ids, alternative ids mapped to the current id, micro
averages.

Building FastHPOCR's index "as shipped" does not finish in reasonable time on a
laptop: ``CRIndexKB.prepareClustersToSerialise`` calls ``compileClusterList``
once per cluster id of the HPO vocabulary, and that scans the whole 573,507-token
vocabulary each time (clusters x vocabulary: quadratic in practice).  This
script replaces that one method by an equivalent linear one (the token lists of
every cluster, gathered in one pass in the same order) and says so in its
output; everything else — ontology reading, label processing, synonym
expansion, matching — is FastHPOCR's own code, with its default configuration
(Phenotypic abnormality subtree, no three-letter acronyms, no duplicates).
``--time-original N`` times the original method on N clusters and extrapolates.

FastHPOCR finds concepts, not their context: it has no negation.  It is scored
(a) as it is — every concept found counts as present — and (b) with huizhen's
own ConText rules applied to its spans, so that the recogniser and the negation
step can be told apart.  huizhen is scored (c) as ``huizhen eval intake`` does
(dictionary + context + findings derived from inline vitals) and (d) without the
derived findings (FastHPOCR does not read vitals).

    .venv/bin/python benchmarks/intake_fasthpocr.py tests/data/notes/*.jsonl [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def _linear_prepare(self: Any, base_clusters: dict[str, str]) -> None:
    """Same result as FastHPOCR's ``prepareClustersToSerialise``, in one pass."""
    by_cluster: dict[str, list[str]] = {}
    for token, cluster_id in base_clusters.items():
        by_cluster.setdefault(cluster_id, []).append(token)
    for token, cluster_id in self.invertedClusters.items():
        self.clusters[cluster_id] = [token]
    for cluster_id, own in self.clusters.items():
        actual = list(by_cluster.get(cluster_id, []))
        for token in own:
            if token not in actual:
                actual.append(token)
        self.clusters[cluster_id] = actual


def build_index(hp_obo: Path, out_dir: Path, time_original: int = 0) -> dict[str, Any]:
    from FastHPOCR.cr.CRIndexKB import CRIndexKB
    from FastHPOCR.IndexHPO import IndexHPO

    original = CRIndexKB.prepareClustersToSerialise
    info: dict[str, Any] = {}

    def timed_prepare(self: Any, base_clusters: dict[str, str]) -> None:
        info["hpo_clusters"] = len(set(self.invertedClusters.values()))
        info["vocabulary_tokens"] = len(base_clusters)
        if time_original:
            sample = list(dict.fromkeys(self.invertedClusters.values()))[:time_original]
            t0 = time.process_time()
            for cluster_id in sample:
                self.compileClusterList(cluster_id, base_clusters)
            per = (time.process_time() - t0) / len(sample)
            info["original_s_per_cluster"] = round(per, 4)
            info["original_prepare_estimate_s"] = round(per * info["hpo_clusters"])
        t0 = time.process_time()
        _linear_prepare(self, base_clusters)
        info["linear_prepare_s"] = round(time.process_time() - t0, 2)

    CRIndexKB.prepareClustersToSerialise = timed_prepare  # type: ignore[method-assign]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        t0, c0 = time.perf_counter(), time.process_time()
        IndexHPO(str(hp_obo), str(out_dir)).index()
        info["build_wall_s"] = round(time.perf_counter() - t0, 1)
        info["build_cpu_s"] = round(time.process_time() - c0, 1)
    finally:
        CRIndexKB.prepareClustersToSerialise = original  # type: ignore[method-assign]
    return info


def _prf(pred: list[set[str]], gold: list[set[str]]) -> dict[str, float | int]:
    tp = sum(len(p & g) for p, g in zip(pred, gold))
    n_pred = sum(len(p) for p in pred)
    n_gold = sum(len(g) for g in gold)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "predicted": n_pred, "gold": n_gold, "precision": round(p, 4),
            "recall": round(r, 4), "f1": round(f, 4)}


def compare(paths: list[Path], index_file: Path) -> dict[str, Any]:
    from FastHPOCR.HPOAnnotator import HPOAnnotator

    from huizhen.eval.intake import read_notes
    from huizhen.knowledge.hpo import load_hpo
    from huizhen.patient.derive import derive
    from huizhen.patient.text import read_text
    from huizhen.patient.text.context import NEGATED, classify, find_cues
    from huizhen.patient.text.matcher import simplified

    hpo = load_hpo()
    annotator = HPOAnnotator(str(index_file))
    out: dict[str, Any] = {}
    for path in paths:
        notes = read_notes(path, lang="en")
        gold, fh_raw, fh_ctx, hz_full, hz_text = [], [], [], [], []
        ms_fh = ms_hz = 0.0
        for note in notes:
            gold.append(note.present)
            t0 = time.perf_counter()
            found = annotator.annotate(note.text)
            ms_fh += (time.perf_counter() - t0) * 1000
            ids = {hpo.resolve(a.getHPOUri())[0] for a in found}
            fh_raw.append(ids)
            stext = simplified(note.text)
            spans = [(a.getStartOffset(), a.getEndOffset()) for a in found]
            cues = find_cues(stext, spans)
            fh_ctx.append({hpo.resolve(a.getHPOUri())[0] for a in found
                           if NEGATED not in classify(stext, a.getStartOffset(),
                                                      a.getEndOffset(), cues)})
            t0 = time.perf_counter()
            patient = derive(read_text(note.text, lang="en"))
            ms_hz += (time.perf_counter() - t0) * 1000
            hz_full.append({hpo.resolve(i)[0] for i in patient.hpo_ids(present=True)})
            hz_text.append({hpo.resolve(f.code.code)[0] for f in patient.findings
                            if f.present and f.origin == "text" and f.certainty != "family"
                            and f.code is not None and f.code.code.startswith("HP:")})
        out[path.name] = {
            "docs": len(notes),
            "fasthpocr": _prf(fh_raw, gold),
            "fasthpocr+huizhen_negation": _prf(fh_ctx, gold),
            "huizhen": _prf(hz_full, gold),
            "huizhen_text_only": _prf(hz_text, gold),
            "ms_per_doc": {"fasthpocr": round(ms_fh / len(notes), 2),
                           "huizhen": round(ms_hz / len(notes), 2)},
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notes", nargs="+", type=Path)
    ap.add_argument("--index-dir", type=Path,
                    default=Path.home() / ".cache" / "huizhen" / "fasthpocr")
    ap.add_argument("--rebuild", action="store_true", help="build the index even if it exists")
    ap.add_argument("--time-original", type=int, default=0, metavar="N",
                    help="time FastHPOCR's original quadratic step on N clusters")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from huizhen.knowledge.hpo import default_hpo_dir, load_hpo

    index_file = args.index_dir / "hp.index"
    report: dict[str, Any] = {"hpo_release": load_hpo().release}
    if args.rebuild or not index_file.is_file():
        report["index_build"] = build_index(default_hpo_dir() / "hp.obo", args.index_dir,
                                            args.time_original)
    report["notes"] = compare(args.notes, index_file)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"HPO {report['hpo_release']}")
    if "index_build" in report:
        print("FastHPOCR index (quadratic step replaced by a linear one):",
              json.dumps(report["index_build"]))
    for name, res in report["notes"].items():
        print(f"\n{name}: {res['docs']} English notes   (ms/doc {res['ms_per_doc']})")
        print(f"  {'system':28} {'P':>7} {'R':>7} {'F1':>7}   tp/pred/gold")
        for system in ("huizhen", "huizhen_text_only", "fasthpocr",
                       "fasthpocr+huizhen_negation"):
            s = res[system]
            print(f"  {system:28} {s['precision']:7.3f} {s['recall']:7.3f} {s['f1']:7.3f}"
                  f"   {s['tp']}/{s['predicted']}/{s['gold']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
