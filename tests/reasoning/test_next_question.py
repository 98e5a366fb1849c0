"""Next question: information gain on a two-disease example, red flags first, wording."""

from __future__ import annotations

import math

import numpy as np
import pytest

from huizhen.errors import InputError
from huizhen.reasoning.common import Answers, Case, DiseaseInfo, Feature, learn, load_common_model
from huizhen.reasoning.next_question import Question, information_gains, next_questions


def _h(ps: list[float]) -> float:
    return -sum(p * math.log2(p) for p in ps if p > 0)


def test_information_gain_two_diseases_by_hand() -> None:
    diseases = [DiseaseInfo("A", "A", "甲"), DiseaseInfo("B", "B", "乙")]
    features = [Feature("X", "B"), Feature("Y", "B")]
    cases = [Case("A", Answers({"X": True, "Y": i == 0})) for i in range(3)]
    cases += [Case("B", Answers({"X": False, "Y": i == 0})) for i in range(3)]
    m = learn(cases, diseases, features)
    # theta_A(X) = (3 + 0.5) / 4 = 0.875, theta_B(X) = 0.5 / 4 = 0.125, priors 0.5 / 0.5:
    # IG = H(0.5) - [0.5 H(0.875) + 0.5 H(0.875)]
    gains = information_gains(m, Answers())
    assert gains["X"] == pytest.approx(1 - _h([0.875, 0.125]))
    assert gains["X"] == pytest.approx(0.456436, abs=1e-6)
    assert gains["Y"] == pytest.approx(0.0, abs=1e-12)  # same rate in both diseases
    qs = next_questions(m, Answers(), k=3, lang="en")
    assert qs == [Question("X", "yes_no", "Is this present: X?", (), gains["X"], lang="en")]
    # a "don't know" question is excluded without becoming evidence; Y tells nothing
    assert next_questions(m, Answers(), k=3, lang="en", exclude=frozenset({"X"})) == []
    # an answered question is not proposed again
    assert "X" not in information_gains(m, Answers({"X": True}))


def test_red_flag_question_for_a_cannot_miss_diagnosis_comes_first() -> None:
    diseases = [DiseaseInfo("A", "A", "甲"), DiseaseInfo("B", "B", "乙"),
                DiseaseInfo("C", "Cannot miss", "不可漏诊", cannot_miss=True)]
    features = [Feature("X", "B"), Feature("Z", "B")]
    cases = [Case("A", Answers({"X": True, "Z": False})) for _ in range(4)]
    cases += [Case("B", Answers({"X": False, "Z": False})) for _ in range(4)]
    cases += [Case("C", Answers({"X": True, "Z": True})), Case("C", Answers({"X": False, "Z": True}))]
    m = learn(cases, diseases, features)
    gains = information_gains(m, Answers())
    assert gains["X"] > gains["Z"]  # about the whole differential X is better ...
    plain = next_questions(m, Answers(), k=2, lang="zh", red_flags=False)
    assert [q.code for q in plain] == ["X", "Z"]
    flagged = next_questions(m, Answers(), k=2, lang="zh")
    # ... but Z is what tells whether it is C, so it comes first, flagged
    assert [(q.code, q.red_flag, q.about, q.about_name) for q in flagged] == [
        ("Z", True, "C", "不可漏诊"), ("X", False, None, None)]
    assert flagged[0].text == "是否有：Z？"
    # gain about C: mutual information between "is it C" and the answer to Z
    post = m.posterior(Answers())
    t = m.tables["Z"][:, 1]
    joint = np.array([[post[:2] @ (1 - t[:2]), post[:2] @ t[:2]], [post[2] * (1 - t[2]), post[2] * t[2]]])
    marg = joint.sum(axis=0)
    mi = _h(list(joint.sum(axis=1))) - sum(marg[k] * _h(list(joint[:, k] / marg[k])) for k in (0, 1))
    assert flagged[0].gain == pytest.approx(mi)


def test_shipped_questions_are_worded_in_the_patients_language() -> None:
    model = load_common_model()
    start = Answers({"E_201": True}, age=40, sex="M")
    zh = next_questions(model, start, k=3, lang="zh")
    en = next_questions(model, start, k=3, lang="en")
    assert [q.code for q in zh] == [q.code for q in en]
    for a, b in zip(zh, en):
        ev = model.features[model.feature_index[a.code]]
        assert a.text != b.text and a.kind == b.kind
        assert any("\u4e00" <= ch <= "\u9fff" for ch in a.text)
        assert len(a.options) == len(ev.values)
    # follow-ups are asked only after their yes/no question
    assert all(model.features[model.feature_index[q.code]].parent is None for q in zh)
    assert "E_56" not in information_gains(model, start)
    assert "E_56" in information_gains(model, Answers({"E_53": True, "E_201": True}))
    assert "E_56" not in information_gains(model, Answers({"E_53": False, "E_201": True}))


def test_language_is_checked() -> None:
    with pytest.raises(InputError) as err:
        next_questions(load_common_model(), Answers(), lang="fr")
    assert err.value.render() == "lang='fr': language must be zh or en"
