"""The matrices the rare-disease ranker scores with, built once per HPO release.

``F[d, t]`` is the frequency of phenotype ``t`` in disease ``d`` *with annotation
propagation*: a disease annotated to "Focal motor seizure" (40%) also has
"Seizure" in at least 40% of patients, so every ancestor of an annotated term
gets the largest frequency among the annotated terms below it (the true-path
rule; LIRICAL does the same).  ``background[t]`` is the mean of ``F[:, t]`` over
all diseases: the probability of seeing ``t`` in a patient who has some other
disease of the catalogue, the denominator of every likelihood ratio.

One ``F`` is kept per patient sex because a few annotations hold for one sex
only (the ``sex`` column of phenotype.hpoa).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from huizhen.knowledge.annotations import Annotations, load_annotations
from huizhen.knowledge.hpo import (
    PHENOTYPIC_ABNORMALITY,
    ROOT,
    Ontology,
    cached_pickle,
    default_hpo_dir,
    file_digest,
    load_hpo,
)

#: Frequency assumed where an annotation gives none (21% of rows, mostly OMIM
#: clinical synopses).  The HPO documents no default and LIRICAL assumes 1.0.
#: ``None`` means an empirical-Bayes estimate from the release itself: the mean of
#: the frequencies that *are* given (0.525 in release 2025-01-16).  On the dev set
#: it beats 1.0 slightly (top-10 0.812 → 0.823); see ``BENCHMARKS.md``.
DEFAULT_FREQUENCY: float | None = None
#: Lowest background frequency (LIRICAL's 1/10,000): no term is treated as
#: impossible outside the diseases annotated to it.
MIN_BACKGROUND = 1e-4


@dataclass(slots=True)
class RareModel:
    """Sparse disease × term frequency matrices and term statistics."""

    release: str
    default_frequency: float
    #: "unknown", "male", "female" → CSC matrix (diseases × terms) of propagated frequency.
    freq: dict[str, sp.csc_matrix]
    #: Direct annotations (unpropagated), CSR, for explanations: frequency per (d, t).
    direct: sp.csr_matrix
    #: NOT annotations, CSC bool (d, t) — the disease is known not to show t.
    negated: sp.csc_matrix
    background: np.ndarray  # float64 (terms,)
    #: Information content −log(background) of each term.
    ic: np.ndarray
    #: Terms the ranker can use: Phenotypic abnormality and below, without it.
    phenotypic: np.ndarray  # bool (terms,)
    #: Precomputed so that a warm start only unpickles: the direct matrix as CSC,
    #: descendants of each term (CSR rows), phenotypic parents and child counts,
    #: each disease's onset range (years, NaN if none) and its inheritance modes.
    direct_csc: sp.csc_matrix
    desc: sp.csr_matrix
    parents: list[list[int]]
    nchildren: np.ndarray  # int32 (terms,)
    onset_lo: np.ndarray
    onset_hi: np.ndarray
    inheritance: list[frozenset[str]]

    @property
    def n_diseases(self) -> int:
        return int(self.direct.shape[0])


def _propagate(onto: Ontology, d: np.ndarray, t: np.ndarray, f: np.ndarray,
               n_d: int) -> sp.csc_matrix:
    """Max-propagate (disease, term, frequency) rows to every ancestor of the term."""
    anc = onto.anc
    counts = np.diff(anc.indptr)[t]
    rows = np.repeat(d, counts)
    freq = np.repeat(f, counts)
    starts = anc.indptr[t]
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    cols = anc.indices[np.repeat(starts, counts) + offs]
    n_t = len(onto.ids)
    key = rows.astype(np.int64) * n_t + cols
    order = np.lexsort((-freq, key))
    key, freq = key[order], freq[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, freq = key[first], freq[first]
    return sp.csc_matrix((freq.astype(np.float32), (key // n_t, key % n_t)), shape=(n_d, n_t))


def release_mean_frequency(ann: Annotations) -> float:
    """Mean of the explicit frequencies of the (non-NOT) phenotype annotations."""
    f = ann.frequency[~ann.negated]
    f = f[~np.isnan(f)]
    return round(float(f.mean()), 3) if len(f) else 1.0


def build_model(onto: Ontology, ann: Annotations,
                default_frequency: float | None = DEFAULT_FREQUENCY) -> RareModel:
    """Build the frequency matrices (vectorised; ~2 s for a full release)."""
    if default_frequency is None:
        default_frequency = release_mean_frequency(ann)
    n_d, n_t = len(ann.diseases), len(onto.ids)
    pos = ~ann.negated
    f = np.where(np.isnan(ann.frequency), default_frequency, ann.frequency).astype(np.float32)
    freq: dict[str, sp.csc_matrix] = {}
    for sex in ("unknown", "male", "female"):
        keep = pos.copy()
        if sex == "male":
            keep &= ann.sex != "female"
        elif sex == "female":
            keep &= ann.sex != "male"
        freq[sex] = _propagate(onto, ann.disease[keep], ann.term[keep], f[keep], n_d)
    # Direct matrix: repeated rows for the same (d, t) — several sources — are averaged.
    direct = sp.csr_matrix((f[pos], (ann.disease[pos], ann.term[pos])), shape=(n_d, n_t))
    count = sp.csr_matrix((np.ones(int(pos.sum()), dtype=np.float32),
                           (ann.disease[pos], ann.term[pos])), shape=(n_d, n_t))
    direct.sum_duplicates()
    count.sum_duplicates()
    direct.data /= count.data
    neg = ann.negated
    negated = sp.csc_matrix((np.ones(int(neg.sum()), dtype=bool),
                             (ann.disease[neg], ann.term[neg])), shape=(n_d, n_t))
    background = np.asarray(freq["unknown"].sum(axis=0)).ravel() / n_d
    background = np.clip(background, MIN_BACKGROUND, 0.99)
    pa = onto.index[PHENOTYPIC_ABNORMALITY]
    phenotypic = np.asarray(onto.anc[:, pa].toarray()).ravel().astype(bool)
    phenotypic[pa] = False
    phenotypic[onto.index[ROOT]] = False
    release = ann.release if ann.release == onto.release else f"{onto.release}/{ann.release}"
    from huizhen.reasoning.rare_onset import onset_ranges

    lo, hi = onset_ranges(onto, ann)
    nchildren = np.zeros(n_t, dtype=np.int32)
    for k, v in onto.children.items():
        nchildren[onto.index[k]] = len(v)
    parents = [[onto.index[p] for p in onto.terms[t].parents if phenotypic[onto.index[p]]]
               for t in onto.ids]
    return RareModel(release=release, default_frequency=default_frequency, freq=freq,
                     direct=direct, negated=negated, background=background,
                     ic=-np.log(background), phenotypic=phenotypic,
                     direct_csc=direct.tocsc(), desc=onto.anc.T.tocsr(), parents=parents,
                     nchildren=nchildren, onset_lo=lo, onset_hi=hi,
                     inheritance=[frozenset(d.inheritance) for d in ann.diseases])


_LOADED: dict[tuple[str, str, float], RareModel] = {}


def load_model(hpo_dir: Path | str | None = None,
               default_frequency: float | None = DEFAULT_FREQUENCY) -> RareModel:
    """The ranker's matrices for the release in ``hpo_dir``, cached on disk and in memory."""
    path = default_hpo_dir(hpo_dir)
    onto = load_hpo(path)
    ann = load_annotations(path)
    if default_frequency is None:
        default_frequency = release_mean_frequency(ann)
    key = file_digest([path / "hp.obo", path / "phenotype.hpoa"])
    mem = (str(path.resolve()), key, default_frequency)
    if mem not in _LOADED:
        _LOADED[mem] = cached_pickle(f"rare-{default_frequency:g}", key,
                                     lambda: build_model(onto, ann, default_frequency))
    return _LOADED[mem]
