"""The DDXPlus benchmark: full-profile and interactive diagnosis, scored as in the paper.

Metrics (Fansi Tchango et al., arXiv:2205.09148, section 5), each averaged over
patients:

* ``gtpa1`` — the ground-truth pathology is the model's top diagnosis;
* ``gtpa`` — the ground-truth pathology is in the model's differential;
* ``ddr`` / ``ddp`` — recall / precision of the model's differential against the
  reference ``DIFFERENTIAL_DIAGNOSIS``; ``ddf1`` their per-patient harmonic mean;
* ``il`` — interaction length, the number of questions asked (0 with the full profile).

The model's differential comes from :func:`common_differential.differential`:
the conditions its learned membership keeps (learned from the *training*
cases' reference differentials) plus its top diagnosis, or, for a model
without that part, every condition with posterior ≥ ``DIFF_THRESHOLD``.  The
reference differential is every condition listed with probability > 0.

*Full profile*: every evidence answered (an evidence not listed is "no" or the
question's default).  *Interactive*: the model starts from ``INITIAL_EVIDENCE``,
age and sex, asks questions chosen by :mod:`huizhen.reasoning.next_question`,
and a simulated patient answers each from its own evidences only; it stops when
its top diagnosis reaches the confidence ``stop`` or after ``max_questions``.
``PATHOLOGY`` and ``DIFFERENTIAL_DIAGNOSIS`` are read only to score.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from huizhen.knowledge.ddxplus import DDXPlusKnowledge, load_knowledge
from huizhen.reasoning.common import Answer, Answers, CommonModel
from huizhen.reasoning.common_cases import DDXPlusPatient, full_profile, learn_ddxplus
from huizhen.reasoning.common_differential import differential
from huizhen.reasoning.next_question import information_gains, next_questions

DIFF_THRESHOLD = 0.01
#: ``learn_ddxplus`` names its source path in messages; folds have none.
_NO_PATH = Path("<cross-validation fold>")
METRIC_KEYS = ("patients", "gtpa1", "gtpa", "ddr", "ddp", "ddf1", "il")
#: Default confidence at which the interactive session stops asking.
DEFAULT_STOP = 0.99
#: Likelihood flattening used by the stopping rule (see ``CommonModel.posterior``).  It was
#: 0.5 while several-value answers counted at full weight; with their learned power
#: (``multi_weight``) the posterior is less overconfident and 0.75 stops as safely.
DEFAULT_TEMPER = 0.75


@dataclass(slots=True)
class PatientOutcome:
    row: int
    pathology: str
    top: str
    probability: float
    asked: list[str]
    differential: list[tuple[str, float]]
    ddr: float
    ddp: float

    @property
    def correct(self) -> bool:
        return self.top == self.pathology


@dataclass(slots=True)
class DDXPlusResult:
    outcomes: list[PatientOutcome] = field(default_factory=list)

    def metrics(self) -> dict[str, float | int]:
        """Exactly the keys of the DDXPlus paper's table, in its order."""
        o = self.outcomes
        n = len(o)
        if n == 0:
            return {k: 0 for k in METRIC_KEYS}
        f1 = [2 * x.ddr * x.ddp / (x.ddr + x.ddp) if x.ddr + x.ddp > 0 else 0.0 for x in o]
        return {
            "patients": n,
            "gtpa1": sum(x.correct for x in o) / n,
            "gtpa": sum(any(d == x.pathology for d, _ in x.differential) for x in o) / n,
            "ddr": sum(x.ddr for x in o) / n,
            "ddp": sum(x.ddp for x in o) / n,
            "ddf1": sum(f1) / n,
            "il": sum(len(x.asked) for x in o) / n,
        }

    def misses(self) -> Counter[tuple[str, str]]:
        """(true pathology, top diagnosis) pairs of the wrong top-1 answers, most common first."""
        return Counter((x.pathology, x.top) for x in self.outcomes if not x.correct)


def simulated_answer(kb: DDXPlusKnowledge, patient: DDXPlusPatient, code: str) -> Answer:
    """What the simulated patient says: from its own evidences only, else "no"/the default."""
    ev = kb.evidences[code]
    given = patient.evidences.get(code)
    if ev.kind == "B":
        return bool(given)
    if given is not None:
        return given
    return str(ev.default) if ev.kind == "C" else frozenset([str(ev.default)])


def interview(model: CommonModel, kb: DDXPlusKnowledge, patient: DDXPlusPatient, *,
              max_questions: int, stop: float = DEFAULT_STOP, red_flags: bool = False,
              temper: float = DEFAULT_TEMPER) -> tuple[Answers, list[str]]:
    """Ask questions until confident (top posterior ≥ ``stop``) or ``max_questions`` asked."""
    answers = Answers(age=patient.age, sex=patient.sex)
    if patient.initial:
        answers.values[patient.initial] = simulated_answer(kb, patient, patient.initial)
    asked: list[str] = []
    while len(asked) < max_questions:
        if float(model.posterior(answers, temper=temper).max()) >= stop:
            break
        if red_flags:
            qs = next_questions(model, answers, k=1, lang="en", red_flags=True)
            code = qs[0].code if qs else None
        else:
            gains = information_gains(model, answers)
            code = max(gains, key=lambda f: gains[f]) if gains else None
            if code is not None and gains[code] <= 1e-9:
                code = None
        if code is None:
            break
        answers.values[code] = simulated_answer(kb, patient, code)
        asked.append(code)
    return answers, asked


def _score(model: CommonModel, patient: DDXPlusPatient, answers: Answers, asked: list[str]
           ) -> PatientOutcome:
    post = model.posterior(answers)
    order = np.argsort(-post, kind="stable")
    diff = differential(model, answers, floor=DIFF_THRESHOLD)
    ref = {name for name, p in patient.differential if p > 0}
    mine = {name for name, _ in diff}
    hit = len(ref & mine)
    ddr = hit / len(ref) if ref else 0.0
    ddp = hit / len(mine) if mine else 0.0
    top = model.diseases[int(order[0])].id
    return PatientOutcome(patient.row, patient.pathology, top, float(post[order[0]]), asked,
                          diff, ddr, ddp)


def evaluate(model: CommonModel, patients: list[DDXPlusPatient], *, interactive: bool = False,
             max_questions: int = 20, stop: float = DEFAULT_STOP, red_flags: bool = False,
             temper: float = DEFAULT_TEMPER, kb: DDXPlusKnowledge | None = None) -> DDXPlusResult:
    """Score ``model`` on ``patients`` (full profile, or interactive with a simulated patient)."""
    kb = kb or load_knowledge()
    result = DDXPlusResult()
    for p in patients:
        if interactive:
            answers, asked = interview(model, kb, p, max_questions=max_questions, stop=stop,
                                       red_flags=red_flags, temper=temper)
        else:
            answers, asked = full_profile(kb, p), []
        result.outcomes.append(_score(model, p, answers, asked))
    return result


def cross_validate(patients: list[DDXPlusPatient], *, folds: int = 5, seed: int = 0,
                   params: dict[str, float] | None = None, learn_differential: bool = True,
                   **kwargs: object) -> DDXPlusResult:
    """k-fold: learn on k−1 folds, score the held-out fold; outcomes of all folds together."""
    order = np.random.default_rng(seed).permutation(len(patients))
    result = DDXPlusResult()
    for k in range(folds):
        held = {int(i) for i in order[k::folds]}
        train = [p for i, p in enumerate(patients) if i not in held]
        test = [p for i, p in enumerate(patients) if i in held]
        model = learn_ddxplus(_NO_PATH, patients=train, params=params,
                              differential=learn_differential)
        result.outcomes.extend(evaluate(model, test, **kwargs).outcomes)  # type: ignore[arg-type]
    result.outcomes.sort(key=lambda o: o.row)
    return result

