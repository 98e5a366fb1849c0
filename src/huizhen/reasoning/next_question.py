"""What to ask next: expected information gain, cannot-miss diagnoses first.

The question worth asking is the one whose answer is expected to shrink the
uncertainty about the diagnosis the most (expected reduction of the posterior
entropy, in bits).  Greedy information gain is the classic choice because it
needs nothing beyond the model's own likelihood tables and is explainable
("this answer separates A from B").

But the most informative question is not always the most urgent: while a
cannot-miss diagnosis (pulmonary embolism, myocardial infarction, anaphylaxis…)
is still plausible, the question that best confirms or rules *it* out comes
first, flagged as a red flag — information gain about the yes/no variable
"is it this disease", not about the whole differential.

Questions are worded from the knowledge pack in the patient's language (zh/en);
the same functions serve ``huizhen ask``, the API and the benchmark.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from huizhen.reasoning.common import Answers, CommonModel, Feature

#: A cannot-miss diagnosis is checked first while its probability lies in this range.
RED_FLAG_RANGE = (0.02, 0.95)
#: Values of a several-value question considered together when scoring it (2**k answers).
_MULTI_VALUES = 4


@dataclass(frozen=True, slots=True)
class Question:
    code: str
    #: "yes_no", "choice" (one value of a list), "scale" (0-10), "multi" (several values).
    kind: str
    text: str
    options: tuple[tuple[str, str], ...]
    #: Expected information gain in bits (about the differential, or about ``about``).
    gain: float
    red_flag: bool = False
    #: For a red-flag question: the cannot-miss condition it confirms or rules out.
    about: str | None = None
    about_name: str | None = None
    lang: str = "en"


def _entropy(p: np.ndarray, axis: int = 0) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(p > 0, np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return -np.sum(p * logs, axis=axis)


def _gain_from_joint(joint: np.ndarray) -> float:
    """Mutual information between the target (rows) and the answer (columns) of a joint table."""
    prior = joint.sum(axis=1)
    marg = joint.sum(axis=0)
    cond = np.divide(joint, marg, out=np.zeros_like(joint), where=marg > 0)
    return float(_entropy(prior) - np.sum(marg * _entropy(cond, axis=0)))


def _binary_gains(post: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Information gain of many yes/no questions at once; ``theta`` is P(yes | d), [D, F]."""
    j1 = post[:, None] * theta
    j0 = post[:, None] - j1
    m1 = j1.sum(axis=0)
    m0 = j0.sum(axis=0)
    h1 = _entropy(np.divide(j1, m1, out=np.zeros_like(j1), where=m1 > 0))
    h0 = _entropy(np.divide(j0, m0, out=np.zeros_like(j0), where=m0 > 0))
    return np.maximum(_entropy(post) - m1 * h1 - m0 * h0, 0.0)


def _multi_table(table: np.ndarray, post: np.ndarray) -> np.ndarray:
    """A several-value question as 2**k answers over its most informative ``k`` values."""
    top = np.argsort(-_binary_gains(post, table))[:_MULTI_VALUES]
    cols = []
    for pattern in itertools.product((0, 1), repeat=len(top)):
        col = np.ones(table.shape[0])
        for v, on in zip(top, pattern):
            col = col * (table[:, v] if on else 1 - table[:, v])
        cols.append(col)
    return np.stack(cols, axis=1)


def _grouped(joint: np.ndarray, target: np.ndarray | None) -> np.ndarray:
    if target is None:
        return joint
    return np.stack([joint[target == g].sum(axis=0) for g in (0, 1)])


def information_gains(model: CommonModel, answers: Answers,
                      target: np.ndarray | None = None) -> dict[str, float]:
    """Expected information gain (bits) of every unanswered question.

    ``target`` maps each disease to a group (1 for one cannot-miss disease, 0 for
    the rest) to score questions about that split instead of the whole
    differential.
    """
    post = model.posterior(answers)
    gains: dict[str, float] = {}
    open_b = [f.id for f in model.features if f.kind == "B" and f.id not in answers.values]
    if open_b:
        theta = np.stack([model.tables[f][:, 1] for f in open_b], axis=1)
        if target is None:
            values = _binary_gains(post, theta)
        else:  # the two groups as two "diseases" with pooled P(yes | group)
            pg = np.array([post[target == g].sum() for g in (0, 1)])
            tg = np.stack([post[target == g] @ theta[target == g] for g in (0, 1)])
            tg = np.divide(tg, pg[:, None], out=np.zeros_like(tg), where=pg[:, None] > 0)
            values = _binary_gains(pg, tg)
        gains.update(zip(open_b, (float(v) for v in values)))
    for f in model.features:
        if f.kind == "B" or f.id in answers.values:
            continue
        if f.parent is not None and answers.values.get(f.parent) is not True:
            continue  # a follow-up is asked after its yes/no question, never before
        table = model.tables[f.id] if f.kind == "C" else _multi_table(model.tables[f.id], post)
        gains[f.id] = max(_gain_from_joint(_grouped(post[:, None] * table, target)), 0.0)
    return gains


def _wording(model: CommonModel, f: Feature, lang: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    from huizhen.knowledge.ddxplus import load_knowledge

    kind = {"B": "yes_no", "C": "choice", "M": "multi"}[f.kind]
    if model.knowledge:
        ev = load_knowledge().evidences.get(f.id)
        if ev is not None:
            if ev.is_scale:
                return "scale", ev.question(lang), tuple((v, v) for v in ev.values)
            opts = tuple((v, ev.value_label(v, lang)) for v in ev.values)
            return kind, ev.question(lang), opts
    if f.kind == "B":
        text = f"是否有：{f.id}？" if lang == "zh" else f"Is this present: {f.id}?"
        return kind, text, ()
    text = f"{f.id} 是哪一项？" if lang == "zh" else f"Which value of {f.id}?"
    return kind, text, tuple((v, v) for v in f.values)


def _question(model: CommonModel, fid: str, gain: float, lang: str, about: int | None = None
              ) -> Question:
    f = model.features[model.feature_index[fid]]
    kind, text, opts = _wording(model, f, lang)
    if about is None:
        return Question(fid, kind, text, opts, gain, lang=lang)
    d = model.diseases[about]
    return Question(fid, kind, text, opts, gain, red_flag=True, about=d.id,
                    about_name=d.name_zh if lang == "zh" else d.name_en, lang=lang)


def next_questions(model: CommonModel, patient: Any, k: int = 3, lang: str = "zh", *,
                   red_flags: bool = True, exclude: frozenset[str] = frozenset()
                   ) -> list[Question]:
    """The ``k`` questions to ask next: red flags for plausible cannot-miss diagnoses first,
    then the highest expected information gain.  ``patient`` is a ``Patient`` or ``Answers``;
    ``exclude`` holds questions not to propose (answered "don't know").
    """
    if lang not in ("zh", "en"):
        from huizhen.errors import InputError

        raise InputError("language must be zh or en", field="lang", value=lang)
    if isinstance(patient, Answers):
        answers = patient
    else:
        from huizhen.reasoning.common_cases import answers_from_patient

        answers = answers_from_patient(model, patient)
    out: list[Question] = []
    chosen: set[str] = set(exclude)
    if red_flags:
        post = model.posterior(answers)
        lo, hi = RED_FLAG_RANGE
        flagged = [i for i in np.argsort(-post)
                   if model.diseases[i].cannot_miss and lo <= post[i] < hi]
        for i in flagged:
            if len(out) >= k:
                break
            target = np.zeros(len(post), dtype=int)
            target[i] = 1
            gains = {f: g for f, g in information_gains(model, answers, target).items()
                     if f not in chosen}
            if not gains:
                break
            best = max(gains, key=lambda f: gains[f])
            if gains[best] <= 1e-9:
                continue
            out.append(_question(model, best, gains[best], lang, about=int(i)))
            chosen.add(best)
    gains = information_gains(model, answers)
    for fid in sorted(gains, key=lambda f: -gains[f]):
        if len(out) >= k:
            break
        if fid in chosen or gains[fid] <= 1e-9:
            continue
        out.append(_question(model, fid, gains[fid], lang))
    return out
