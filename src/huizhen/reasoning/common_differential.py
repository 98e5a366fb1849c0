"""Which conditions belong in the differential, learned from reference differentials.

The posterior of :mod:`huizhen.reasoning.common` answers "which disease is it";
it concentrates on one disease once the answers agree.  A clinician's
differential answers another question — "which conditions must still be kept
in mind" — and keeps conditions that share the presenting findings even when
they are unlikely.  When the past cases carry a reference differential (the
DDXPlus ``DIFFERENTIAL_DIAGNOSIS`` column of the *training* cases), one
logistic regression per condition learns that membership from the answers
(L2-regularised, fitted with L-BFGS); cases without one leave the model
without this part, and the differential is then the posterior above 1 %.

The DDXPlus reference differential is a function of the evidences: a condition
is listed when the patient's evidences are compatible with it, and (in the
dev cases) practically never when none of the condition's own *symptoms* is
present (7 of 13,197 such pairs).  When the knowledge names each condition's
symptoms (``requires``), a condition is a *candidate* only when at least one of
them is present; its regression is fitted on its candidate cases only (the
others are settled by that rule), and at inference a non-candidate is left
out.  The regularisation strength and the threshold are chosen together on a
held-out fifth of the training cases.

Answers become sparse indicator tokens (``E_91``, ``E_204=V_10``, ``age:3``,
``sex:F``); a question not asked simply has no token, so the same weights
serve a full profile and a half-finished interview.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize

from huizhen.reasoning.common import Answers, AnyOf, CommonModel, _is_default, age_band

#: Membership probability from which a condition is listed, when too few cases to choose it.
THRESHOLD = 0.3
#: Thresholds tried on a held-out fifth of the training cases (see :func:`fit`).
THRESHOLDS: tuple[float, ...] = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
#: Fewest cases for which the threshold is chosen on held-out cases rather than fixed.
MIN_CASES_TO_CHOOSE = 100
#: L2 strength when too few cases to choose it, and the strengths tried (see :func:`fit`).
L2 = 1e-3
L2S: tuple[float, ...] = (3e-4, 1e-3)
#: Disjoint held-out fifths of the training cases on which L2 and the threshold are chosen.
SPLITS = 2


def tokens(model: CommonModel, answers: Answers) -> list[str]:
    out: list[str] = []
    for fid, ans in model.effective(answers).items():
        if ans is True:
            out.append(fid)
        elif isinstance(ans, AnyOf):
            continue  # which of the values is not known: no token
        elif isinstance(ans, frozenset):
            out.extend(f"{fid}={v}" for v in sorted(ans))
        elif isinstance(ans, str):
            out.append(f"{fid}={ans}")
    if answers.age is not None:
        out.append(f"age:{age_band(answers.age)}")
    if answers.sex:
        out.append(f"sex:{answers.sex}")
    return out


def present(model: CommonModel, answers: Answers) -> set[str]:
    """The findings present: a "yes", a follow-up of a "yes", or a non-default value."""
    out: set[str] = set()
    for fid, ans in model.effective(answers).items():
        if ans is True:
            out.add(fid)
        elif ans is False:
            continue
        else:
            f = model.features[model.feature_index[fid]]
            if f.parent is not None or isinstance(ans, AnyOf) or not _is_default(f, ans):
                out.add(fid)
    return out


def candidates(model: CommonModel, rows: Sequence[Answers],
               requires: dict[str, list[str]] | None) -> np.ndarray:
    """1 where a condition is a candidate for a case (one of its symptoms present), else 0.

    A condition the knowledge names no symptoms for is always a candidate.
    """
    c = np.ones((len(rows), len(model.diseases)))
    if not requires:
        return c
    for i, a in enumerate(rows):
        found = present(model, a)
        for name, codes in requires.items():
            j = model.index.get(name)
            if j is not None and codes and not found.intersection(codes):
                c[i, j] = 0.0
    return c


def _matrix(model: CommonModel, rows: Sequence[Answers], vocab: dict[str, int]) -> np.ndarray:
    x = np.zeros((len(rows), len(vocab) + 1))
    x[:, -1] = 1.0  # intercept
    for i, a in enumerate(rows):
        for t in tokens(model, a):
            j = vocab.get(t)
            if j is not None:
                x[i, j] = 1.0
    return x


def _design(model: CommonModel, rows: Sequence[Answers], differentials: Sequence[set[str]],
            requires: dict[str, list[str]] | None
            ) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    """The token vocabulary, design matrix, targets and candidate mask of these cases."""
    vocab: dict[str, int] = {}
    for a in rows:
        for t in tokens(model, a):
            vocab.setdefault(t, len(vocab))
    return (vocab, _matrix(model, rows, vocab), _targets(model, differentials),
            candidates(model, rows, requires))


def _fit_weights(x: np.ndarray, y: np.ndarray, m: np.ndarray, l2: float) -> np.ndarray:
    """Fit the regressions; condition d learns only from the cases where it is a candidate."""
    n, f = x.shape
    d = y.shape[1]

    def loss(w_flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = w_flat.reshape(f, d)
        z = x @ w
        # log(1 + e^z) - y z, stable
        val = float(np.sum(m * (np.logaddexp(0.0, z) - y * z))) / n \
            + 0.5 * l2 * float(np.sum(w[:-1] ** 2))
        grad = x.T @ (m * (1.0 / (1.0 + np.exp(-z)) - y)) / n
        grad[:-1] += l2 * w[:-1]
        return val, grad.ravel()

    res = minimize(loss, np.zeros(f * d), jac=True, method="L-BFGS-B",
                   options={"maxiter": 300})
    return res.x.reshape(f, d)


def _targets(model: CommonModel, differentials: Sequence[set[str]]) -> np.ndarray:
    y = np.zeros((len(differentials), len(model.diseases)))
    for i, names in enumerate(differentials):
        for n in names:
            if n in model.index:
                y[i, model.index[n]] = 1.0
    return y


def mean_f1(chosen: np.ndarray, truth: np.ndarray) -> float:
    """Per-case F1 of chosen vs reference membership (0/1 matrices), averaged (DDXPlus DDF1)."""
    hit = (chosen * truth).sum(axis=1)
    r = np.divide(hit, truth.sum(axis=1), out=np.zeros_like(hit), where=truth.sum(axis=1) > 0)
    p = np.divide(hit, chosen.sum(axis=1), out=np.zeros_like(hit), where=chosen.sum(axis=1) > 0)
    f1 = np.divide(2 * r * p, r + p, out=np.zeros_like(hit), where=(r + p) > 0)
    return float(f1.mean()) if len(f1) else 0.0


def choose_settings(model: CommonModel, rows: Sequence[Answers], differentials: Sequence[set[str]],
                    *, requires: dict[str, list[str]] | None = None, seed: int = 0,
                    splits: int = SPLITS
                    ) -> tuple[tuple[float, float], dict[tuple[float, float], float]]:
    """The (L2 strength, membership threshold) with the best DDF1 on held-out fifths.

    For each of ``splits`` disjoint fifths of these cases the regressions are
    fitted on the other four fifths; the held-out cases' differential is, as at
    inference, the candidate conditions above the threshold plus the top
    diagnosis of the posterior.  Returns the pair and each pair's DDF1 over the
    held-out cases; ties go to the stronger L2, then the lower threshold.
    """
    order = np.random.default_rng(seed).permutation(len(rows))
    total: dict[tuple[float, float], float] = {}
    count = 0
    for s in range(splits):
        held = sorted(int(i) for i in order[s::5])
        rest = sorted(set(range(len(rows))) - set(held))
        held_rows = [rows[i] for i in held]
        top = np.array([int(np.argmax(model.log_joint(a))) for a in held_rows])
        truth = _targets(model, [differentials[i] for i in held])
        cand = candidates(model, held_rows, requires)
        count += len(held)
        vocab, x, y, m = _design(model, [rows[i] for i in rest], [differentials[i] for i in rest],
                                 requires)
        x_held = _matrix(model, held_rows, vocab)
        for l2 in L2S:
            member = cand / (1.0 + np.exp(-(x_held @ _fit_weights(x, y, m, l2))))
            for t in THRESHOLDS:
                chosen = (member >= t).astype(float)
                chosen[np.arange(len(held)), top] = 1.0
                total[(l2, t)] = total.get((l2, t), 0.0) + mean_f1(chosen, truth) * len(held)
    scores = {k: v / count for k, v in total.items()}
    best = max(scores, key=lambda k: (scores[k], k[0], -k[1]))
    return best, scores


def fit(model: CommonModel, rows: Sequence[Answers], differentials: Sequence[set[str]],
        *, requires: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Fit one logistic regression per condition; returns the part stored in the model file.

    ``requires`` names each condition's symptoms (see the module docstring).
    The L2 strength and the membership threshold are chosen on a held-out
    fifth of these (training) cases when there are at least
    ``MIN_CASES_TO_CHOOSE`` of them, else ``L2`` and ``THRESHOLD``.
    """
    l2, threshold = L2, THRESHOLD
    if len(rows) >= MIN_CASES_TO_CHOOSE:
        (l2, threshold), _ = choose_settings(model, rows, differentials, requires=requires)
    vocab, x, y, m = _design(model, rows, differentials, requires)
    w = _fit_weights(x, y, m, l2)
    req = None if requires is None else {k: sorted(v) for k, v in sorted(requires.items())}
    return {"tokens": list(vocab), "weights": np.round(w, 4).tolist(), "threshold": threshold,
            "l2": l2, "requires": req}


def _token_tables(model: CommonModel, vocab: dict[str, int]) -> tuple[np.ndarray, list[str | None], list[str | None]]:
    """P(token | d) for every token of the vocabulary, with each token's feature and parent."""
    table = np.zeros((len(model.diseases), len(vocab)))
    feats: list[str | None] = [None] * len(vocab)
    parents: list[str | None] = [None] * len(vocab)
    for t, j in vocab.items():
        fid, _, val = t.partition("=")
        i = model.feature_index.get(fid)
        if i is None:
            continue  # age and sex tokens: always known when given
        f = model.features[i]
        tab = model.tables[fid]
        if f.kind == "B":
            table[:, j] = tab[:, 1]
        elif val in f.values:
            table[:, j] = tab[:, f.values.index(val)]
        feats[j] = fid
        parents[j] = f.parent
    return table, feats, parents


def membership(model: CommonModel, answers: Answers) -> np.ndarray | None:
    """P(condition belongs in the differential) for every condition, or None if not learned.

    A question not yet asked enters with its expected answer under the current
    posterior (P(yes) = Σ_d P(d) P(yes | d)), so a short interview still yields
    the differential its likely full profile would have.  Likewise a condition
    counts as a candidate with the probability that one of its symptoms is
    present: 1 when one is, 0 when all were answered absent, else one minus the
    product of the unasked ones' chances of being absent.
    """
    part = model.differential
    if part is None:
        return None
    cache = getattr(model, "_diff_cache", None)
    if cache is None:
        vocab = {t: i for i, t in enumerate(part["tokens"])}
        cache = (vocab, np.asarray(part["weights"], dtype=float), *_token_tables(model, vocab))
        model._diff_cache = cache  # type: ignore[attr-defined]
    vocab, w, table, feats, parents = cache
    eff = model.effective(answers)
    post = model.posterior(answers)
    x = post @ table
    for j, (fid, parent) in enumerate(zip(feats, parents)):
        if fid is None or fid in eff:
            x[j] = 0.0
        elif parent is not None:
            gate = eff.get(parent)
            x[j] *= 0.0 if gate is False else 1.0 if gate is True else float(
                post @ model.tables[parent][:, 1])
    for t in tokens(model, answers):
        k = vocab.get(t)
        if k is not None:
            x[k] = 1.0
    z = w[-1] + x @ w[:-1]
    return _candidate_chance(model, answers, eff, post) / (1.0 + np.exp(-z))


def _candidate_chance(model: CommonModel, answers: Answers, eff: dict[str, Any],
                      post: np.ndarray) -> np.ndarray:
    """P(at least one of the condition's symptoms is present), per condition (see membership)."""
    requires = (model.differential or {}).get("requires")
    out = np.ones(len(model.diseases))
    if not requires:
        return out
    found = present(model, answers)

    def chance(code: str) -> float:
        i = model.feature_index.get(code)
        if i is None or code in eff:
            return 0.0  # unknown to the model, or answered and not present
        f = model.features[i]
        if f.kind == "B":
            return float(post @ model.tables[code][:, 1])
        if f.parent is not None:
            gate = eff.get(f.parent)
            return 0.0 if gate is not None else chance(f.parent)
        return 1.0  # an unasked question with values: not known, not ruled out

    for name, codes in requires.items():
        j = model.index.get(name)
        if j is None or not codes or found.intersection(codes):
            continue
        out[j] = 1.0 - float(np.prod([1.0 - chance(c) for c in codes]))
    return out


def differential(model: CommonModel, answers: Answers, *, floor: float = 0.01
                 ) -> list[tuple[str, float]]:
    """The differential as (condition id, posterior), by posterior.

    With a learned membership part: the conditions it keeps plus the top
    diagnosis; without: every condition with posterior ≥ ``floor``.
    """
    post = model.posterior(answers)
    order = np.argsort(-post, kind="stable")
    member = membership(model, answers)
    if member is None:
        keep = {int(i) for i in order if post[i] >= floor}
    else:
        thr = float(model.differential["threshold"])  # type: ignore[index]
        keep = {int(i) for i in np.where(member >= thr)[0]} | {int(order[0])}
    return [(model.diseases[i].id, float(post[i])) for i in order if int(i) in keep]
