"""The rare-disease ranker: likelihood ratios of HPO phenotypes for every disease.

The method follows LIRICAL (Robinson et al., AJHG 2020): each observed patient
term ``q`` contributes ``LR = P(q | disease) / P(q | other diseases)`` and the
log-LRs add up (terms treated as independent given the disease).  Measured on
the dev phenopackets (see ``BENCHMARKS.md``), three changes to LIRICAL's
recipe each improved the ranking and are kept:

* **Observed terms** match only when the disease has the term or a more
  specific one (annotation propagation: ``F[d, q]``); ``LR = F[d, q] / bg(q)``.
  LIRICAL also credits a disease term that is the *parent* of ``q`` or only
  shares an ancestor with it; on the dev set both lowered top-1 (0.676 → 0.655,
  and 0.655–0.666 for shared-ancestor credit weighted 0.02–0.3), since they
  mostly reward diseases annotated with broad terms (``PARENT_CREDIT`` keeps
  the parent case as an option).  A noise floor ``ALPHA`` mixes
  ``alpha · bg(q)`` into ``P(q | d)``: annotations are incomplete and patients
  have unrelated findings, so no single term rules a disease out.  A disease
  annotated ``NOT q`` (or NOT an ancestor of ``q``) gets ``LR_NOT``.
* **Excluded terms are pertinent negatives.**  A finding is reported absent
  because someone looked for it, and clinicians look for the features of the
  diseases they suspect: ``P(x reported absent | d) ∝ c(x, d) · (1 − F[d, x])``
  with ``c = KAPPA`` when ``d`` has ``x`` (or a descendant) and 1 otherwise.
  A feature the disease (nearly) always has still counts against it
  (``1 − F`` floored at ``MIN_ABSENT``); a feature it has only sometimes
  counts for it.  LIRICAL's pure ``1 − F`` penalty gives top-1 0.540 on the
  dev set, ignoring exclusions 0.555, this model 0.676: 72% of the excluded
  findings there are annotated to the true disease.
* **Unreported disease features**: a disease whose frequent features the
  patient does not show (neither the term nor a related one) is less likely:
  each adds ``log(1 − RHO · f)``.  This also breaks the ties among diseases
  that explain the same patient terms.

Sex (X-/Y-linked inheritance) and age of onset add one LR each.  The log-LRs
become post-test probabilities by a softmax over all diseases (uniform prior)
with a temperature fitted on the dev set so that the top-1 probability is
calibrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from huizhen.knowledge.annotations import Annotations, load_annotations
from huizhen.knowledge.hpo import Ontology, default_hpo_dir, load_hpo
from huizhen.patient.model import Patient, Sex
from huizhen.reasoning.rare_model import RareModel, load_model
from huizhen.reasoning.rare_onset import iso_years, onset_lr, onset_term_years

#: Noise floor of P(q | d) as a multiple of bg(q) (LIRICAL's no-match LR is 0.01).
ALPHA = 0.01
#: LR of a present term that the disease is annotated NOT to have (LIRICAL: 1/1000).
LR_NOT = 0.001
#: Smallest P(not x | d) for a term the disease always has: features are missed or
#: not yet developed (LIRICAL uses 0.01; 0.1 fits the dev set better).
MIN_ABSENT = 0.1
#: How much likelier a clinician is to check (and report absent) a feature of the
#: disease than an unrelated one.
KAPPA = 5.0
#: Chance that a disease feature the patient has gets reported (for unreported ones).
RHO = 0.1
#: Temperature of the softmax that turns summed log-LRs into probabilities: the
#: terms are not independent, so raw LR products are overconfident.  0.3 minimises
#: the dev-set log loss of the diagnosis and the top-1 calibration error (0.19 → 0.10).
TEMPERATURE = 0.3
#: Credit a disease annotated to the direct parent of a patient term with the
#: parent's frequency shared among its children (LIRICAL's subclass case).  Off:
#: on the dev set it lowers top-1 from 0.674 to 0.646 (top-10 0.812 → 0.803).
PARENT_CREDIT = False
X_LINKED_RECESSIVE = "HP:0001419"
Y_LINKED = "HP:0001450"
#: Sex LRs: a female with an X-linked recessive disease is a manifesting carrier
#: (uncommon); a Y-linked disease cannot affect a 46,XX female.
LR_FEMALE_XLR = 0.2
LR_FEMALE_YL = 0.01


@dataclass(slots=True)
class TermMatch:
    """How one patient term relates to one disease."""

    patient_term: str
    patient_label: str
    #: exact, disease_more_specific (the disease has a term below the patient's),
    #: disease_more_general (only with PARENT_CREDIT), excluded_in_disease (a NOT
    #: annotation), unexplained; for excluded patient terms: absent_ok (the disease
    #: does not have it), absent_but_annotated.
    kind: str
    lr: float
    disease_term: str | None = None
    disease_label: str | None = None
    shared_ancestor: str | None = None
    shared_label: str | None = None
    frequency: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]


@dataclass(slots=True)
class RankedDisease:
    rank: int
    id: str
    name: str
    probability: float
    log10_lr: float
    matched: list[TermMatch] = field(default_factory=list)
    unexplained: list[TermMatch] = field(default_factory=list)
    excluded: list[TermMatch] = field(default_factory=list)
    other_lrs: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank, "id": self.id, "name": self.name,
            "probability": self.probability, "log10_lr": self.log10_lr,
            "matched": [m.to_dict() for m in self.matched],
            "unexplained": [m.to_dict() for m in self.unexplained],
            "excluded": [m.to_dict() for m in self.excluded],
            "other_lrs": self.other_lrs,
        }


@dataclass(slots=True)
class RareQuery:
    """What the ranker needs from a patient: resolved current HPO ids."""

    present: list[str]
    excluded: list[str] = field(default_factory=list)
    sex: str = "unknown"  # male, female, unknown
    onset_years: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RareResult:
    release: str
    results: list[RankedDisease]
    #: Patient terms actually used, and why others were set aside.
    used_present: list[str]
    used_excluded: list[str]
    notes: list[str]
    n_diseases: int

    def to_dict(self) -> dict[str, object]:
        return {"hpo_release": self.release, "n_diseases": self.n_diseases,
                "used_present": self.used_present, "used_excluded": self.used_excluded,
                "notes": self.notes, "results": [r.to_dict() for r in self.results]}


class RareRanker:
    """Scores every annotated disease for a query; all diseases at once, in numpy."""

    def __init__(self, onto: Ontology, ann: Annotations, model: RareModel) -> None:
        self.onto, self.ann, self.model = onto, ann, model
        self._onset_lo, self._onset_hi = model.onset_lo, model.onset_hi
        self._xlr = np.array([X_LINKED_RECESSIVE in s for s in model.inheritance])
        self._yl = np.array([Y_LINKED in s for s in model.inheritance])
        self._direct_csc = model.direct_csc
        self._parents = model.parents
        self._nchildren = model.nchildren
        #: Descendants of each term (rows of the transposed ancestor matrix).
        self._desc = model.desc
        #: log(1 − RHO·f) of each direct annotation, and its sum per disease.
        un = model.direct.astype(np.float64)  # CSR, float64: (diseases × terms) @ vector
        un.data = np.log(np.maximum(1.0 - RHO * un.data, 1e-9))
        self._unreported = un
        self._unreported_total = np.asarray(un.sum(axis=1)).ravel()

    # -- scoring --------------------------------------------------------------

    def prune(self, query: RareQuery) -> tuple[list[int], list[int], list[str]]:
        """Term indices used: phenotypic terms only; a present term implied by a more
        specific present term is dropped (it would count the same evidence twice);
        an excluded term that is an ancestor of a present one contradicts it."""
        onto, m = self.onto, self.model
        notes: list[str] = []
        pres = []
        for t in dict.fromkeys(query.present):
            i = onto.index[t]
            if not m.phenotypic[i]:
                notes.append(f"{t} ({onto.name(t)}) is not a phenotypic abnormality; not scored")
            else:
                pres.append(i)
        anc = onto.anc
        implied: set[int] = set()
        for i in pres:
            row = anc.indices[anc.indptr[i]:anc.indptr[i + 1]]
            implied.update(int(j) for j in row if j != i)
        kept = [i for i in pres if i not in implied]
        excl = []
        for t in dict.fromkeys(query.excluded):
            i = onto.index[t]
            if not m.phenotypic[i]:
                notes.append(f"excluded {t} ({onto.name(t)}) is not a phenotypic abnormality")
            elif i in implied or i in pres:
                notes.append(f"excluded {t} ({onto.name(t)}) contradicts a present term; ignored")
            else:
                excl.append(i)
        return kept, excl, notes

    def log_lrs(self, present: list[int], excluded: list[int], sex: str,
                onset_years: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-term log-LR matrices (present × diseases, excluded × diseases) and the
        per-disease log-LR of unreported features, sex and onset."""
        m = self.model
        F = m.freq.get(sex, m.freq["unknown"])
        bg = m.background
        n_d = m.n_diseases
        anc, desc = self.onto.anc, self._desc
        lp = np.empty((len(present), n_d))
        related = np.zeros(len(bg), dtype=np.float64)  # 1 for terms related to the patient
        neg = m.negated
        for k, q in enumerate(present):
            best = np.zeros(n_d)
            sl = slice(F.indptr[q], F.indptr[q + 1])
            best[F.indices[sl]] = F.data[sl] / bg[q]
            if PARENT_CREDIT:
                for a in self._parents[q]:
                    sa = slice(self._direct_csc.indptr[a], self._direct_csc.indptr[a + 1])
                    rows = self._direct_csc.indices[sa]
                    vals = self._direct_csc.data[sa] / self._nchildren[a] / bg[q]
                    best[rows] = np.maximum(best[rows], vals)
            lr = (1.0 - ALPHA) * best + ALPHA
            up = anc.indices[anc.indptr[q]:anc.indptr[q + 1]]
            for a in up:  # NOT annotations are few (~2,700): walk their columns
                if neg.indptr[a + 1] > neg.indptr[a]:
                    lr[neg.indices[neg.indptr[a]:neg.indptr[a + 1]]] = LR_NOT
            lp[k] = np.log(lr)
            related[up] = 1.0
            related[desc.indices[desc.indptr[q]:desc.indptr[q + 1]]] = 1.0
        le = np.empty((len(excluded), n_d))
        for k, x in enumerate(excluded):
            sl = slice(F.indptr[x], F.indptr[x + 1])
            p_abs = np.ones(n_d)
            p_abs[F.indices[sl]] = KAPPA * np.maximum(1.0 - F.data[sl], MIN_ABSENT)
            le[k] = np.log(p_abs / p_abs.mean())
        other = self._unreported_total - self._unreported @ related
        if sex == "female":
            other += np.where(self._xlr, np.log(LR_FEMALE_XLR), 0.0)
            other += np.where(self._yl, np.log(LR_FEMALE_YL), 0.0)
        if onset_years is not None:
            other += np.log(onset_lr(self._onset_lo, self._onset_hi, onset_years))
        return lp, le, other

    def rank(self, query: RareQuery, top: int = 10) -> RareResult:
        """Rank all diseases for ``query``; explain the ``top`` best."""
        present, excluded, notes = self.prune(query)
        notes = [*query.notes, *notes]
        n_d = self.model.n_diseases
        if not present:
            notes.append("no observed phenotypic abnormality to rank on: nothing ranked")
            return RareResult(self.model.release, [], [], [self.onto.ids[i] for i in excluded],
                              notes, n_d)
        F = self.model.freq["unknown"]
        silent = [q for q in present if F.indptr[q + 1] == F.indptr[q]]
        for q in silent:
            notes.append(f"{self.onto.ids[q]} ({self.onto.name(self.onto.ids[q])}) is annotated "
                         f"to no disease in HPO release {self.model.release}, nor is any more "
                         "specific term")
        if len(silent) == len(present):
            notes.append("no observed term is annotated to any disease: nothing ranked")
            return RareResult(self.model.release, [], [self.onto.ids[i] for i in present],
                              [self.onto.ids[i] for i in excluded], notes, n_d)
        lp, le, other = self.log_lrs(present, excluded, query.sex, query.onset_years)
        total = lp.sum(axis=0) + le.sum(axis=0) + other
        prob = _softmax(total * TEMPERATURE)
        top = min(top, n_d)
        head = np.argpartition(-total, top - 1)[:top]
        order = head[np.lexsort((head, -total[head]))]
        results = []
        for r, d in enumerate(order, 1):
            rd = self._explain(int(d), present, excluded, lp, le)
            rd.rank, rd.probability, rd.log10_lr = r, float(prob[d]), float(total[d] / np.log(10))
            rd.other_lrs["unreported_features"] = float(np.exp(
                other[d] - self._sex_onset(d, query)))
            if query.sex == "female" and (self._xlr[d] or self._yl[d]):
                rd.other_lrs["sex"] = LR_FEMALE_YL if self._yl[d] else LR_FEMALE_XLR
            if query.onset_years is not None:
                rd.other_lrs["onset"] = float(onset_lr(self._onset_lo[d:d + 1],
                                                       self._onset_hi[d:d + 1],
                                                       query.onset_years)[0])
            results.append(rd)
        return RareResult(self.model.release, results, [self.onto.ids[i] for i in present],
                          [self.onto.ids[i] for i in excluded], notes, n_d)

    def _sex_onset(self, d: int, query: RareQuery) -> float:
        """log-LR of sex and onset for disease ``d`` (to split them from ``other``)."""
        out = 0.0
        if query.sex == "female":
            out += np.log(LR_FEMALE_YL) if self._yl[d] else 0.0
            out += np.log(LR_FEMALE_XLR) if self._xlr[d] else 0.0
        if query.onset_years is not None:
            out += float(np.log(onset_lr(self._onset_lo[d:d + 1], self._onset_hi[d:d + 1],
                                         query.onset_years)[0]))
        return out

    def ranks_of(self, query: RareQuery, disease_ids: list[str]) -> int | None:
        """1-based rank of the best of ``disease_ids`` (for benchmarks), None if unranked."""
        scored = self.score_answer(query, disease_ids)
        return None if scored is None else scored[0]

    def score_answer(self, query: RareQuery, disease_ids: list[str]
                     ) -> tuple[int, float] | None:
        """(rank of the best of ``disease_ids``, probability of the top-ranked disease).

        Ties are broken against the answer: a disease tied with it ranks above it.
        None when nothing can be ranked or no answer id is in the annotations.
        """
        present, excluded, _ = self.prune(query)
        idx = [self.ann.index[d] for d in disease_ids if d in self.ann.index]
        if not present or not idx:
            return None
        lp, le, other = self.log_lrs(present, excluded, query.sex, query.onset_years)
        total = lp.sum(axis=0) + le.sum(axis=0) + other
        best = max(total[i] for i in idx)
        rank = int((total > best).sum() + (total == best).sum())
        p_top = float(1.0 / np.exp((total - total.max()) * TEMPERATURE).sum())
        return rank, p_top

    # -- explanation ----------------------------------------------------------

    def _below(self, q: int, dterms: dict[int, float]) -> list[int]:
        """The disease's annotated terms that are ``q`` or more specific than it."""
        desc = self._desc
        below = desc.indices[desc.indptr[q]:desc.indptr[q + 1]]
        if len(below) > 64:  # a general term: test the disease's few terms instead
            anc = self.onto.anc
            return [t for t in dterms
                    if q in anc.indices[anc.indptr[t]:anc.indptr[t + 1]]]
        return [t for t in below.tolist() if t in dterms]

    def _explain(self, d: int, present: list[int], excluded: list[int], lp: np.ndarray,
                 le: np.ndarray) -> RankedDisease:
        onto, m = self.onto, self.model
        ids = onto.ids
        disease = self.ann.diseases[d]
        sl = slice(m.direct.indptr[d], m.direct.indptr[d + 1])
        dterms = {int(t): float(f) for t, f in zip(m.direct.indices[sl], m.direct.data[sl])}
        out = RankedDisease(0, disease.id, disease.name, 0.0, 0.0)
        for k, q in enumerate(present):
            lr = float(np.exp(lp[k, d]))
            tm = TermMatch(ids[q], onto.name(ids[q]), "unexplained", lr)
            if abs(lr - LR_NOT) < 1e-12:
                tm.kind = "excluded_in_disease"
                out.unexplained.append(tm)
                continue
            below = self._below(q, dterms)
            if below:
                t = max(below, key=lambda t: (dterms[t], t == q))
                tm.kind = "exact" if t == q else "disease_more_specific"
            else:
                up = [p for p in self._parents[q] if p in dterms] if PARENT_CREDIT else []
                if not up or lr <= ALPHA * 1.0001:
                    out.unexplained.append(tm)
                    continue
                t = max(up, key=lambda t: dterms[t])
                tm.kind = "disease_more_general"
            tm.disease_term, tm.disease_label = ids[t], onto.name(ids[t])
            shared = q if tm.kind != "disease_more_general" else t
            tm.shared_ancestor, tm.shared_label = ids[shared], onto.name(ids[shared])
            tm.frequency = dterms[t]
            out.matched.append(tm)
        for k, x in enumerate(excluded):
            lr = float(np.exp(le[k, d]))
            below = self._below(x, dterms)
            tm = TermMatch(ids[x], onto.name(ids[x]),
                           "absent_but_annotated" if below else "absent_ok", lr)
            if below:
                t = max(below, key=lambda t: dterms[t])
                tm.disease_term, tm.disease_label = ids[t], onto.name(ids[t])
                tm.shared_ancestor, tm.shared_label = ids[x], onto.name(ids[x])
                tm.frequency = dterms[t]
            out.excluded.append(tm)
        return out


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


_RANKERS: dict[str, RareRanker] = {}


def load_ranker(hpo_dir: Path | str | None = None) -> RareRanker:
    """A ranker over the release in ``hpo_dir`` (default: ``HUIZHEN_HPO_DIR``, else the
    installed one), cached per release folder."""
    path = default_hpo_dir(hpo_dir)
    key = str(path.resolve())
    if key not in _RANKERS:
        _RANKERS[key] = RareRanker(load_hpo(path), load_annotations(path), load_model(path))
    return _RANKERS[key]


def query_from_patient(patient: Patient, notes: list[str] | None = None) -> RareQuery:
    """The ranker's view of a ``Patient``: its HPO-coded findings, sex, earliest onset."""
    onsets: list[float] = []
    for f in patient.findings:
        if f.present and f.onset:
            y = onset_term_years(f.onset) if f.onset.startswith("HP:") else (
                -(iso_years(f.onset[1:]) or 0.0) if f.onset.startswith("-") else iso_years(f.onset))
            if y is not None:
                onsets.append(y)
    sex = patient.sex.value if patient.sex in (Sex.MALE, Sex.FEMALE) else "unknown"
    return RareQuery(present=patient.hpo_ids(present=True), excluded=patient.hpo_ids(present=False),
                     sex=sex, onset_years=min(onsets) if onsets else None, notes=list(notes or []))
