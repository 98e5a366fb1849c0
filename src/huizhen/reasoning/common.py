"""The common-disease model: a Bayesian disease → finding model learned from cases.

Why naive Bayes: it learns from a few hundred past cases, every number in it
is a count a doctor can check, its posterior explains itself (each finding's
likelihood ratio), and the same tables give the expected information of the
next question.  Three things make it more than a textbook naive Bayes:

* **Only what was asked counts.**  A finding absent from a free-text note is
  unknown, not "no"; the posterior uses exactly the answers it is given.  A
  complete case record (a DDXPlus profile) answers every question.
* **Knowledge shapes the likelihoods.**  When a knowledge pack says which
  findings a disease can produce (DDXPlus conditions, disease cards), a
  finding outside that list gets likelihood ``eps`` for the disease instead of
  a smoothed count, and a disease never seen in the cases still has sensible
  likelihoods (the pooled rate of the diseases that can produce the finding).
* **Answers have their shape.**  Yes/no, one value of a list or a 0–10 scale,
  several values of a list (where the pain is), age band and sex are each
  modelled with their own likelihood table, smoothed towards the pooled rate.
  A several-value answer counts with a power ``multi_weight`` on its likelihood:
  its values are one correlated event (neighbouring locations come together),
  and plain naive Bayes would count that event once per value.

The model file holds counts, not probabilities, so smoothing can be changed
without relearning; it is JSON with a format name and a version, and a file of
another version is refused with a message saying so.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from huizhen.errors import InputError
from huizhen.paths import PACKAGE_DATA

FORMAT = "huizhen.common-model"
VERSION = 2
DEFAULT_MODEL = PACKAGE_DATA / "ddxplus" / "model.json.gz"
#: Age bands (years, lower bounds): infants, toddlers, children, then 15-year adult bands.
AGE_BANDS: tuple[float, ...] = (0, 1, 5, 15, 30, 45, 60, 75)
SEXES = ("M", "F")
DEFAULT_PARAMS: dict[str, float] = {
    "alpha": 1.0,  # pseudo-count pulling each disease's rate to the pooled rate
    "eps": 1e-4,  # likelihood of a finding the knowledge says the disease does not produce
    "prior": 1.0,  # pseudo-count per disease in the prior
    # Pseudo-count of a disease no case shows: its likelihoods are only pooled guesses,
    # so it must not outrank a disease the cases taught (0 would hide it entirely).
    "unseen_prior": 1e-4,
    "age_alpha": 10.0,
    "sex_alpha": 10.0,
    "scale_kernel": 1.0,  # weight given to neighbouring values of a 0-10 scale (0: none)
    # Power on the likelihood of a several-value answer (where the pain is, where it
    # radiates): its values are one event seen many times (neighbouring locations come
    # together), not independent findings; 1 is plain naive Bayes.  ``learn_ddxplus``
    # chooses it on held-out folds of the training cases (:func:`choose_multi_weight`).
    "multi_weight": 1.0,
}
#: Values of ``multi_weight`` tried by :func:`choose_multi_weight`.
MULTI_WEIGHTS: tuple[float, ...] = (0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 0.7, 1.0)

class AnyOf(frozenset[str]):
    """A several-value answer known only as "at least one of these values".

    A note that says "headache" tells that the pain is somewhere in the head, not
    which of the pack's head locations (forehead, temples, top or back of the head)
    it is: P(answer | d) = 1 − Π (1 − P(v | d)) over the values, and the values
    not named say nothing (unlike a full answer, where every value not chosen is a
    "no").  Everywhere else it behaves as the frozenset of its values.
    """

    __slots__ = ()


#: An answer: yes/no (bool), one value (str), several values (frozenset), or
#: "at least one of these values" (:class:`AnyOf`, a frozenset).
Answer = bool | str | frozenset[str]


@dataclass(frozen=True, slots=True)
class Feature:
    """A question the model knows: yes/no ``B``, one value ``C``, several values ``M``."""

    id: str
    kind: str
    values: tuple[str, ...] = ()
    default: str | None = None
    #: A yes/no question this one follows up on ("where is the pain" after "any pain?").
    #: Its answer only counts when the parent is "yes": otherwise it is the default by
    #: construction and counting it again would count the same "no pain" many times.
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class DiseaseInfo:
    id: str
    name_en: str
    name_zh: str
    icd10: str | None = None
    severity: int | None = None
    cannot_miss: bool = False


@dataclass(slots=True)
class Answers:
    """What is known about one patient, in the model's vocabulary."""

    values: dict[str, Answer] = field(default_factory=dict)
    age: float | None = None
    sex: str | None = None  # "M" or "F"
    #: Finding codes the model does not know: listed in results, never dropped silently.
    unknown: list[str] = field(default_factory=list)

    def copy(self) -> Answers:
        return Answers(dict(self.values), self.age, self.sex, list(self.unknown))


@dataclass(slots=True)
class Case:
    """One past case to learn from: answers plus the final diagnosis."""

    diagnosis: str
    answers: Answers
    id: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceWeight:
    """One answer and how much it moves one disease: LR = P(answer | d) / P(answer | not d)."""

    code: str
    answer: str
    lr: float


@dataclass(frozen=True, slots=True)
class CommonCandidate:
    condition_id: str
    name_en: str
    name_zh: str
    icd10: str | None
    probability: float
    severity: int | None
    cannot_miss: bool
    evidence_for: tuple[EvidenceWeight, ...]
    evidence_against: tuple[EvidenceWeight, ...]


def age_band(age: float) -> int:
    return int(np.searchsorted(AGE_BANDS, age, side="right")) - 1


def _logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + math.log(float(np.sum(np.exp(x - m))))


class CommonModel:
    """Counts learned from cases plus the knowledge that shapes them; see the module docstring."""

    def __init__(
        self,
        diseases: list[DiseaseInfo],
        features: list[Feature],
        counts: dict[str, Any],
        *,
        support: dict[str, set[str]] | None = None,
        params: Mapping[str, float] | None = None,
        knowledge: str | None = None,
        differential: dict[str, Any] | None = None,
    ) -> None:
        self.diseases = diseases
        self.features = features
        self.counts = counts
        self.support = support
        self.params = {**DEFAULT_PARAMS, **(params or {})}
        self.knowledge = knowledge
        #: Learned differential membership (see ``common_differential``), or None.
        self.differential = differential
        self.index = {d.id: i for i, d in enumerate(diseases)}
        self.feature_index = {f.id: i for i, f in enumerate(features)}
        self._compile()

    # ---- likelihood tables -------------------------------------------------
    def _supported(self, fid: str) -> np.ndarray:
        if self.support is None:
            return np.ones(len(self.diseases), dtype=bool)
        return np.array([fid in self.support.get(d.id, ()) for d in self.diseases])

    def _compile(self) -> None:
        """Turn counts into log-likelihood tables (the smoothing lives here, nowhere else)."""
        p, c = self.params, self.counts
        n = np.asarray(c["n"], dtype=float)
        alpha, eps = p["alpha"], p["eps"]
        pseudo = np.where(n > 0, p["prior"], p["unseen_prior"])
        self.log_prior = np.log((n + pseudo) / (n + pseudo).sum())
        self.tables: dict[str, np.ndarray] = {}  # B, C: [D, K] outcome probs; M: [D, V] rates
        for f in self.features:
            sup = self._supported(f.id)
            if f.kind == "B":
                pos = np.asarray(c["pos"][f.id], dtype=float)
                asked = np.asarray(c["asked"][f.id], dtype=float)
                pooled = (pos[sup].sum() + 0.5) / (asked[sup].sum() + 1.0)
                m = min(max(pooled, 0.02), 0.98)
                theta = np.where(sup, (pos + alpha * m) / (asked + alpha), eps)
                self.tables[f.id] = np.stack([1.0 - theta, theta], axis=1)
            elif f.kind == "C":
                cnt = np.asarray(c["value_counts"][f.id], dtype=float)  # [D, V]
                if p["scale_kernel"] > 0 and all(v.isdigit() for v in f.values):
                    cnt = cnt @ _kernel(len(f.values), p["scale_kernel"])
                q = (cnt[sup].sum(axis=0) + 1.0 / len(f.values))
                q = q / q.sum()
                probs = (cnt + alpha * q) / (cnt.sum(axis=1, keepdims=True) + alpha)
                off = np.full(len(f.values), eps / max(len(f.values) - 1, 1))
                if f.default in f.values:
                    off[f.values.index(f.default)] = 1.0 - eps
                probs[~sup] = off
                self.tables[f.id] = probs
            else:  # "M": each value is its own yes/no, asked together
                cnt = np.asarray(c["value_counts"][f.id], dtype=float)
                asked = np.asarray(c["asked"][f.id], dtype=float)[:, None]
                pooled = (cnt[sup].sum(axis=0) + 0.05) / (asked[sup].sum() + 1.0)
                m = np.clip(pooled, 1e-3, 0.98)
                theta = (cnt + alpha * m) / (asked + alpha)
                off = np.full(len(f.values), eps)
                if f.default in f.values:
                    off[f.values.index(f.default)] = 1.0 - eps
                theta[~sup] = off
                self.tables[f.id] = theta
        age = np.asarray(c["age"], dtype=float)
        q = (age.sum(axis=0) + 1.0) / (age.sum() + age.shape[1])
        self.log_age = np.log((age + p["age_alpha"] * q) / (age.sum(axis=1, keepdims=True) + p["age_alpha"]))
        sex = np.asarray(c["sex"], dtype=float)
        q = (sex.sum(axis=0) + 1.0) / (sex.sum() + 2.0)
        self.log_sex = np.log((sex + p["sex_alpha"] * q) / (sex.sum(axis=1, keepdims=True) + p["sex_alpha"]))
        self.log_tables = {k: np.log(v) for k, v in self.tables.items()}
        self.log_tables_not = {f.id: np.log1p(-self.tables[f.id]) for f in self.features
                               if f.kind == "M"}

    # ---- inference ---------------------------------------------------------
    def feature_loglik(self, fid: str, answer: Answer) -> np.ndarray:
        """log P(answer | d) for every disease d."""
        f = self.features[self.feature_index[fid]]
        if f.kind == "B":
            return self.log_tables[fid][:, 1 if answer else 0]
        if f.kind == "C":
            return self.log_tables[fid][:, f.values.index(str(answer))]
        chosen = answer if isinstance(answer, frozenset) else frozenset([str(answer)])
        mask = np.array([v in chosen for v in f.values])
        if isinstance(answer, AnyOf):
            none = self.log_tables_not[fid][:, mask].sum(axis=1)
            return np.log(-np.expm1(np.minimum(none, -1e-300)))
        return self.params["multi_weight"] * (self.log_tables[fid][:, mask].sum(axis=1)
                                              + self.log_tables_not[fid][:, ~mask].sum(axis=1))

    def log_joint(self, answers: Answers) -> np.ndarray:
        """log P(d) + Σ log P(answer | d) over the answers given, for every disease."""
        out = self.log_prior.copy()
        if answers.age is not None:
            out += self.log_age[:, age_band(answers.age)]
        if answers.sex in SEXES:
            out += self.log_sex[:, SEXES.index(answers.sex)]
        for fid, ans in self.effective(answers).items():
            out += self.feature_loglik(fid, ans)
        return out

    def effective(self, answers: Answers) -> dict[str, Answer]:
        """The answers that count: known features only, follow-ups only under a "yes".

        A follow-up answered with a real value while its parent was not asked
        implies the parent's "yes" (pain located in the forehead means pain).
        """
        return effective_answers(self.features, self.feature_index, answers.values)

    def posterior(self, answers: Answers, *, temper: float = 1.0) -> np.ndarray:
        """P(d | answers).  ``temper`` < 1 flattens the likelihoods: naive Bayes treats
        correlated answers as independent and is overconfident, so a stopping rule
        asks for confidence under the flattened posterior."""
        lj = self.log_joint(answers)
        if temper != 1.0:
            lj = self.log_prior + temper * (lj - self.log_prior)
        return np.exp(lj - _logsumexp(lj))

    def rank_answers(self, answers: Answers, *, top: int | None = 10,
                     explain: int = 5) -> list[CommonCandidate]:
        """Candidates by posterior, each with its strongest answers for and against."""
        post = self.posterior(answers)
        order = np.argsort(-post, kind="stable")[: top or len(post)]
        eff = self.effective(answers)
        contrib = {fid: self.feature_loglik(fid, a) for fid, a in eff.items()}
        out: list[CommonCandidate] = []
        for i in order:
            info = self.diseases[i]
            rest = post.copy()
            rest[i] = 0.0
            total = rest.sum()
            weights: list[EvidenceWeight] = []
            for fid, ll in contrib.items():
                other = float(np.exp(ll) @ rest / total) if total > 0 else 1.0
                lr = math.exp(float(ll[i])) / max(other, 1e-300)
                weights.append(EvidenceWeight(fid, _answer_text(eff[fid]), lr))
            pro = sorted((w for w in weights if w.lr > 1.0), key=lambda w: -w.lr)[:explain]
            con = sorted((w for w in weights if w.lr < 1.0), key=lambda w: w.lr)[:explain]
            out.append(CommonCandidate(info.id, info.name_en, info.name_zh, info.icd10,
                                       float(post[i]), info.severity, info.cannot_miss,
                                       tuple(pro), tuple(con)))
        return out

    def rank(self, patient: Any, *, top: int | None = 10) -> list[CommonCandidate]:
        """Rank the model's diseases for a domain ``Patient`` (see :func:`answers_from_patient`)."""
        from huizhen.reasoning.common_cases import answers_from_patient

        return self.rank_answers(answers_from_patient(self, patient), top=top)

    # ---- persistence -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "knowledge": self.knowledge,
            "params": self.params,
            "age_bands": list(AGE_BANDS),
            "diseases": [
                {"id": d.id, "name_en": d.name_en, "name_zh": d.name_zh, "icd10": d.icd10,
                 "severity": d.severity, "cannot_miss": d.cannot_miss} for d in self.diseases
            ],
            "features": [
                {"id": f.id, "kind": f.kind, "values": list(f.values), "default": f.default,
                 "parent": f.parent} for f in self.features
            ],
            "support": None if self.support is None
            else {k: sorted(v) for k, v in self.support.items()},
            "counts": self.counts,
            "differential": self.differential,
        }

    def save(self, path: Path) -> None:
        """Write the model as JSON (gzip-compressed when the name ends in ``.gz``)."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".gz":
            with gzip.open(path, "wt", encoding="utf-8") as fh:
                fh.write(text)
        else:
            path.write_text(text, encoding="utf-8")

    def with_params(self, **params: float) -> CommonModel:
        """The same counts with other smoothing (used to tune on held-out folds)."""
        return CommonModel(self.diseases, self.features, self.counts, support=self.support,
                           params={**self.params, **params}, knowledge=self.knowledge,
                           differential=self.differential)


def _is_default(f: Feature, ans: Answer) -> bool:
    if isinstance(ans, frozenset):
        return ans <= {f.default}
    return str(ans) == f.default


def effective_answers(features: list[Feature], index: Mapping[str, int],
                      values: Mapping[str, Answer]) -> dict[str, Answer]:
    """See :meth:`CommonModel.effective`; shared by learning and inference so both agree."""
    out: dict[str, Answer] = {}
    for fid, ans in values.items():
        i = index.get(fid)
        if i is None:
            continue
        f = features[i]
        if f.parent is None or f.parent not in index:
            out[fid] = ans
            continue
        parent = values.get(f.parent)
        if parent is True or (parent is None and not _is_default(f, ans)):
            out[fid] = ans
            out[f.parent] = True
    return out


def _kernel(size: int, k: float) -> np.ndarray:
    """Row-stochastic smoothing matrix for an ordinal scale: a 7 also says a little about 6 and 8.

    Scale answers (pain intensity, how fast it came) are sparse per disease; spreading
    each count over its neighbours (weights 1, k, k², rows summing to 1) keeps the total
    count and stops an unseen neighbouring value from looking impossible.
    """
    idx = np.arange(size)
    dist = np.abs(idx[:, None] - idx[None, :])
    w = np.where(dist <= 2, k ** dist.astype(float), 0.0)
    return w / w.sum(axis=1, keepdims=True)


def _answer_text(a: Answer) -> str:
    if isinstance(a, bool):
        return "yes" if a else "no"
    if isinstance(a, AnyOf):
        return "any of " + ",".join(sorted(a))
    if isinstance(a, frozenset):
        return ",".join(sorted(a))
    return str(a)


def learn(cases: Iterable[Case], diseases: list[DiseaseInfo], features: list[Feature], *,
          support: dict[str, set[str]] | None = None, params: Mapping[str, float] | None = None,
          knowledge: str | None = None, source: str | None = None) -> CommonModel:
    """Count answers per disease.  A feature a case did not answer adds nothing to its counts."""
    index = {d.id: i for i, d in enumerate(diseases)}
    D = len(diseases)
    n = [0] * D
    pos: dict[str, list[int]] = {f.id: [0] * D for f in features if f.kind == "B"}
    asked: dict[str, list[int]] = {f.id: [0] * D for f in features if f.kind in "BM"}
    vc: dict[str, list[list[int]]] = {f.id: [[0] * len(f.values) for _ in range(D)]
                                      for f in features if f.kind in "CM"}
    age = [[0] * len(AGE_BANDS) for _ in range(D)]
    sex = [[0, 0] for _ in range(D)]
    fmap = {f.id: f for f in features}
    findex = {f.id: i for i, f in enumerate(features)}
    for case in cases:
        d = index.get(case.diagnosis)
        if d is None:
            raise InputError("diagnosis is not one of the model's diseases", source=source,
                             field=f"case {case.id}" if case.id else "diagnosis",
                             value=case.diagnosis)
        n[d] += 1
        a = case.answers
        if a.age is not None:
            age[d][age_band(a.age)] += 1
        if a.sex in SEXES:
            sex[d][SEXES.index(a.sex)] += 1
        for fid, ans in effective_answers(features, findex, a.values).items():
            f = fmap[fid]
            if f.kind == "B":
                asked[fid][d] += 1
                pos[fid][d] += int(bool(ans))
            elif f.kind == "C":
                vc[fid][d][f.values.index(str(ans))] += 1
            elif not isinstance(ans, AnyOf):  # "one of these" says too little to count
                asked[fid][d] += 1
                chosen = ans if isinstance(ans, frozenset) else frozenset([str(ans)])
                for v in chosen:
                    vc[fid][d][f.values.index(v)] += 1
    counts = {"n": n, "pos": pos, "asked": asked, "value_counts": vc, "age": age, "sex": sex}
    return CommonModel(diseases, features, counts, support=support, params=params,
                       knowledge=knowledge)


def choose_multi_weight(cases: list[Case], model: CommonModel, *, folds: int = 4, seed: int = 0,
                        grid: Iterable[float] = MULTI_WEIGHTS) -> tuple[float, dict[float, float]]:
    """The ``multi_weight`` with the best held-out log posterior of the true diagnosis.

    The cases (training cases only) are split into ``folds``; each fold is scored by
    a model learned from the others, with the knowledge and other settings of
    ``model``.  Returns the chosen weight and the mean log posterior of each.
    """
    grid = tuple(grid)
    order = np.random.default_rng(seed).permutation(len(cases))
    total = dict.fromkeys(grid, 0.0)
    for k in range(folds):
        held = {int(i) for i in order[k::folds]}
        inner = learn([c for i, c in enumerate(cases) if i not in held], model.diseases,
                      model.features, support=model.support, params=model.params,
                      knowledge=model.knowledge)
        for w in grid:
            m = inner.with_params(multi_weight=w)
            for i in held:
                lj = m.log_joint(cases[i].answers)
                total[w] += float(lj[m.index[cases[i].diagnosis]]) - _logsumexp(lj)
    scores = {w: t / max(len(cases), 1) for w, t in total.items()}
    return max(grid, key=lambda w: (scores[w], w)), scores


def load_common_model(path: Path | str | None = None) -> CommonModel:
    """Load a model file (default: the DDXPlus model shipped with huizhen).

    A file of another format or version is refused with a message that says
    which version it is and which one this huizhen reads.
    """
    if path is None:
        return _default_model()
    return _read_model(Path(path))


_DEFAULT: CommonModel | None = None


def _default_model() -> CommonModel:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = _read_model(DEFAULT_MODEL)
    return _DEFAULT


def _read_model(path: Path) -> CommonModel:
    src = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("model file not found", source=src) from None
    except IsADirectoryError:
        raise InputError("model path is a directory, not a file", source=src) from None
    try:
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        data = json.loads(text)
    except (OSError, ValueError, EOFError):
        raise InputError("not a huizhen model file (expected JSON, optionally gzip)",
                         source=src) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError("not a huizhen common-disease model", source=src, field="format",
                         value=data.get("format") if isinstance(data, dict) else None)
    if data.get("version") != VERSION:
        raise InputError(f"model file version is not supported: this huizhen reads version "
                         f"{VERSION}; learn the model again with `huizhen learn`",
                         source=src, field="version", value=data.get("version"))
    if list(data.get("age_bands") or []) != list(AGE_BANDS):
        raise InputError("model uses other age bands", source=src, field="age_bands",
                         value=data.get("age_bands"))
    try:
        diseases = [DiseaseInfo(**d) for d in data["diseases"]]
        features = [Feature(f["id"], f["kind"], tuple(f["values"]), f["default"],
                            f.get("parent")) for f in data["features"]]
        support = None if data["support"] is None else {
            k: set(v) for k, v in data["support"].items()}
        return CommonModel(diseases, features, data["counts"], support=support,
                           params=data["params"], knowledge=data.get("knowledge"),
                           differential=data.get("differential"))
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise InputError(f"model file is incomplete or corrupt ({type(err).__name__}: {err})",
                         source=src) from None
