"""The common-disease model on a tiny hand-made case set, probabilities checked by hand."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from huizhen.errors import InputError
from huizhen.patient.model import Code, CodeSystem, Finding, Patient, Sex
from huizhen.reasoning.common import (
    MULTI_WEIGHTS,
    Answers,
    AnyOf,
    Case,
    CommonModel,
    DiseaseInfo,
    Feature,
    choose_multi_weight,
    learn,
    load_common_model,
)

#: The shipped model's top 4 for a 35-year-old woman with headache and nausea, no fever (DDXPlus
#: has no migraine: the conditions with head pain and nausea lead).
RANK_HEADACHE_NAUSEA = ["Chagas", "HIV (initial infection)", "Boerhaave", "Pancreatic neoplasm"]
DISEASES = [DiseaseInfo("A", "Disease A", "甲病"), DiseaseInfo("B", "Disease B", "乙病")]
FEATURES = [Feature("F", "B"), Feature("PAIN", "B"),
            Feature("WHERE", "C", ("none", "head", "chest"), "none", parent="PAIN")]


def _tiny() -> CommonModel:
    """A: F yes, yes, no; B: F no.  alpha=1, prior pseudo-count 1 (the defaults)."""
    cases = [Case("A", Answers({"F": True})), Case("A", Answers({"F": True})),
             Case("A", Answers({"F": False})), Case("B", Answers({"F": False}))]
    return learn(cases, DISEASES, FEATURES)


def test_prior_without_answers_is_the_smoothed_case_frequency() -> None:
    # (3 + 1) / (4 + 2) and (1 + 1) / (4 + 2)
    assert np.allclose(_tiny().posterior(Answers()), [2 / 3, 1 / 3])


def test_posterior_after_yes_and_no_by_hand() -> None:
    m = _tiny()
    # pooled rate m = (2 + 0.5) / (4 + 1) = 0.5; theta_A = (2 + 0.5) / 4, theta_B = 0.5 / 2
    assert np.allclose(m.tables["F"][:, 1], [0.625, 0.25])
    # yes: 2/3 * 0.625 vs 1/3 * 0.25  -> 0.8333 / 0.1667
    assert np.allclose(m.posterior(Answers({"F": True})), [5 / 6, 1 / 6])
    # no: 2/3 * 0.375 vs 1/3 * 0.75 -> even
    assert np.allclose(m.posterior(Answers({"F": False})), [0.5, 0.5])


def test_unasked_findings_are_not_evidence() -> None:
    m = _tiny()
    assert np.allclose(m.posterior(Answers({"UNKNOWN": True})), m.posterior(Answers()))


def test_knowledge_support_gives_eps_to_findings_a_disease_cannot_produce() -> None:
    cases = [Case("A", Answers({"F": True})), Case("B", Answers({"F": False}))]
    m = learn(cases, DISEASES, FEATURES, support={"A": {"F"}, "B": set()},
              params={"eps": 1e-4})
    assert m.tables["F"][1, 1] == pytest.approx(1e-4)
    # A supports F: pooled over supporting diseases (1 + 0.5) / (1 + 1) = 0.75 -> (1 + .75) / 2
    assert m.tables["F"][0, 1] == pytest.approx(0.875)


def test_follow_up_counts_only_under_a_yes() -> None:
    cases = [Case("A", Answers({"PAIN": True, "WHERE": "head"})),
             Case("B", Answers({"PAIN": False, "WHERE": "none"}))]
    m = learn(cases, DISEASES, FEATURES)
    # B's "none" was never counted: it follows a "no"
    assert m.counts["value_counts"]["WHERE"] == [[0, 1, 0], [0, 0, 0]]
    no_pain = Answers({"PAIN": False})
    assert np.allclose(m.posterior(Answers({"PAIN": False, "WHERE": "none"})),
                       m.posterior(no_pain))
    # a located pain implies the "yes" even when the parent was not asked
    implied = m.posterior(Answers({"WHERE": "head"}))
    assert np.allclose(implied, m.posterior(Answers({"PAIN": True, "WHERE": "head"})))


def test_rank_explains_with_likelihood_ratios() -> None:
    m = _tiny()
    top = m.rank_answers(Answers({"F": True}))
    assert [c.condition_id for c in top] == ["A", "B"]
    assert top[0].probability == pytest.approx(5 / 6)
    assert top[0].name_zh == "甲病"
    (w,) = top[0].evidence_for
    assert (w.code, w.answer) == ("F", "yes")
    assert w.lr == pytest.approx(0.625 / 0.25)
    assert top[1].evidence_against[0].lr == pytest.approx(0.25 / 0.625)


def test_save_load_round_trip_and_version_refusal(tmp_path: Path) -> None:
    m = _tiny()
    path = tmp_path / "m.json.gz"
    m.save(path)
    again = load_common_model(path)
    assert np.allclose(again.posterior(Answers({"F": True})), [5 / 6, 1 / 6])
    data = json.loads(gzip.decompress(path.read_bytes()))
    data["version"] = 99
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        load_common_model(old)
    assert err.value.render() == (
        f"{old}: version=99: model file version is not supported: this huizhen reads version 2; "
        "learn the model again with `huizhen learn`")


@pytest.mark.parametrize(("content", "message"), [
    (b"not json", "not a huizhen model file (expected JSON, optionally gzip)"),
    (b'{"format": "other"}', "format='other': not a huizhen common-disease model"),
])
def test_bad_model_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        load_common_model(path)
    assert err.value.render() == f"{path}: {message}"


def test_unknown_diagnosis_in_cases_is_named() -> None:
    with pytest.raises(InputError) as err:
        learn([Case("Z", Answers(), id="7")], DISEASES, FEATURES, source="cases.csv")
    assert err.value.render() == "cases.csv: case 7='Z': diagnosis is not one of the model's diseases"


def test_shipped_model_ranks_a_patient_from_ddxplus_and_hpo_codes() -> None:
    model = load_common_model()
    patient = Patient(sex=Sex.FEMALE, age_years=30, findings=[
        Finding("sore throat", Code(CodeSystem.DDXPLUS, "E_97")),
        Finding("fever", Code(CodeSystem.HPO, "HP:0001945")),
        Finding("cough", Code(CodeSystem.HPO, "HP:0012735")),
        Finding("travel", Code(CodeSystem.DDXPLUS, "E_204"), value="V_10"),
        Finding("shortness of breath", Code(CodeSystem.HPO, "HP:0002094"), present=False),
        Finding("toe fungus", Code(CodeSystem.HPO, "HP:0009999")),
    ])
    from huizhen.reasoning.common_cases import answers_from_patient

    ans = answers_from_patient(model, patient)
    assert ans.values == {"E_97": True, "E_91": True, "E_201": True, "E_204": "V_10",
                          "E_66": False}
    assert ans.unknown == ["HP:0009999"]
    ranked = model.rank(patient, top=3)
    assert len(ranked) == 3
    assert ranked[0].probability >= ranked[1].probability >= ranked[2].probability
    assert {c.condition_id for c in ranked} <= set(model.index)


def test_one_of_several_values_by_hand() -> None:
    feats = [Feature("PAIN", "B"),
             Feature("LOC", "M", ("none", "head", "neck", "chest"), "none", parent="PAIN")]
    cases = [Case("A", Answers({"PAIN": True, "LOC": frozenset({"head"})})),
             Case("A", Answers({"PAIN": True, "LOC": frozenset({"head", "neck"})})),
             Case("B", Answers({"PAIN": True, "LOC": frozenset({"chest"})}))]
    model = learn(cases, DISEASES, feats)
    # pooled head (2 + 0.05) / (3 + 1), neck (1 + 0.05) / 4; A: 2 and 1 of 2 asked, B: 0 of 1
    head, neck = 2.05 / 4, 1.05 / 4
    a_head, a_neck = (2 + head) / 3, (1 + neck) / 3
    b_head, b_neck = head / 2, neck / 2
    # "pain somewhere in the head or neck": P = 1 - P(neither); other locations say nothing
    got = np.exp(model.feature_loglik("LOC", AnyOf({"head", "neck"})))
    assert got == pytest.approx([1 - (1 - a_head) * (1 - a_neck), 1 - (1 - b_head) * (1 - b_neck)])
    # a full answer {head, neck} also counts "not chest", "not none"
    full = np.exp(model.feature_loglik("LOC", frozenset({"head", "neck"})))
    assert full[0] == pytest.approx(a_head * a_neck * (1 - model.tables["LOC"][0, 0])
                                    * (1 - model.tables["LOC"][0, 3]))
    # "one of these" implies the parent's yes, and a case known only so teaches nothing about LOC
    assert model.effective(Answers({"LOC": AnyOf({"head"})})) == {"LOC": AnyOf({"head"}), "PAIN": True}
    again = learn([*cases, Case("B", Answers({"PAIN": True, "LOC": AnyOf({"head"})}))], DISEASES, feats)
    assert again.counts["value_counts"]["LOC"] == model.counts["value_counts"]["LOC"]
    assert again.counts["asked"]["LOC"] == model.counts["asked"]["LOC"]


def test_multi_weight_is_chosen_on_held_out_folds() -> None:
    # four locations always reported together are one event that plain naive Bayes
    # counts four times: the held-out log posterior of the truth prefers the lowest power
    feats = [Feature("F", "B"), Feature("LOC", "M", ("none", "l1", "l2", "l3", "l4"), "none")]
    every, none = frozenset({"l1", "l2", "l3", "l4"}), frozenset({"none"})
    cases = []
    for i in range(12):
        cases.append(Case("A", Answers({"F": i % 4 != 0, "LOC": every if i % 3 == 0 else none})))
        cases.append(Case("B", Answers({"F": i % 4 == 0, "LOC": every if i % 2 == 0 else none})))
    weight, scores = choose_multi_weight(cases, learn(cases, DISEASES, feats), folds=3)
    assert weight == 0.1 and tuple(scores) == MULTI_WEIGHTS
    assert [scores[w] for w in MULTI_WEIGHTS] == sorted(scores.values(), reverse=True)
    assert scores[1.0] == pytest.approx(-0.9189139613, abs=1e-9)


def test_headache_and_nausea_note_reaches_the_common_model() -> None:
    from huizhen.patient.text import read_text
    from huizhen.reasoning.common_cases import answers_from_patient

    model = load_common_model()
    patient = read_text("女，35岁，头痛伴恶心两天，无发热。")
    ans = answers_from_patient(model, patient)
    head = AnyOf({"V_89", "V_166", "V_167", "V_62", "V_25", "V_124"})
    assert (ans.values, ans.unknown, ans.age, ans.sex) == (
        {"E_53": True, "E_55": head, "E_148": True, "E_91": False}, [], 35.0, "F")
    assert [c.condition_id for c in model.rank(patient, top=4)] == RANK_HEADACHE_NAUSEA
    # an excluded headache is not "no pain anywhere": listed as unusable, not guessed
    no_headache = answers_from_patient(model, read_text("35-year-old man, cough, no headache."))
    assert (no_headache.values, no_headache.unknown) == ({"E_201": True}, ["HP:0002315 (excluded)"])


def test_answer_labels_for_explanations() -> None:
    from huizhen.reasoning.common_cases import answer_label

    model = load_common_model()
    assert answer_label(model, "E_91", "yes", "zh") == "您有发热吗（自己感觉发热或用体温计测得）？ — 是"
    assert answer_label(model, "E_204", "V_10", "en") == (
        "Have you traveled out of the country in the last 4 weeks? — N")
    assert answer_label(model, "E_55", "V_89,V_29", "zh") == "您身上哪里疼痛？ — 前额、下胸部"
    assert answer_label(model, "E_55", "any of V_89,V_62", "en") == (
        "Do you feel pain somewhere? — one of: forehead, top of the head")
    assert answer_label(_tiny(), "F", "yes") == "F: yes"


def test_differential_membership_and_threshold_learned_from_training_cases() -> None:
    from huizhen.reasoning import common_differential as cd

    # reference differentials: A's cases (F yes) list A only; B's cases (F no) list B and A
    cases = [Case("A", Answers({"F": True})) for _ in range(50)] + \
        [Case("B", Answers({"F": False})) for _ in range(50)]
    refs = [{"A"}] * 50 + [{"A", "B"}] * 50
    model = learn(cases, DISEASES, FEATURES)
    best, scores = cd.choose_settings(model, [c.answers for c in cases], refs)
    # every pair separates the two patterns on the held-out fifth; ties go to the
    # stronger L2, then the lowest threshold
    assert (best, scores) == ((1e-3, 0.2), {(l2, t): 1.0 for l2 in cd.L2S
                                           for t in cd.THRESHOLDS})
    model.differential = cd.fit(model, [c.answers for c in cases], refs)
    assert (model.differential["threshold"], model.differential["l2"]) == (0.2, 1e-3)
    assert model.differential["requires"] is None
    assert [d for d, _ in cd.differential(model, Answers({"F": True}))] == ["A"]
    assert [d for d, _ in cd.differential(model, Answers({"F": False}))] == ["B", "A"]
    # per-case F1 averaged: (2 * 1/2 * 1/2 / 1 + 0) / 2
    assert cd.mean_f1(np.array([[1.0, 1, 0], [1, 0, 0]]), np.array([[1.0, 0, 1], [0, 1, 0]])) == 0.25


def test_differential_candidates_need_one_of_the_conditions_symptoms() -> None:
    from huizhen.reasoning import common_differential as cd

    # B is listed with A whenever F is absent, but B's only symptom is F: B is never a
    # candidate without F, so its regression learns from the F cases alone (never listed)
    cases = [Case("A", Answers({"F": True})) for _ in range(50)] + \
        [Case("B", Answers({"F": False})) for _ in range(50)]
    refs = [{"A"}] * 50 + [{"A"}] * 50
    model = learn(cases, DISEASES, FEATURES)
    requires = {"B": ["F"]}
    rows = [Answers({"F": True}), Answers({"F": False}), Answers()]
    assert cd.candidates(model, rows, requires).tolist() == [[1.0, 1.0], [1.0, 0.0], [1.0, 0.0]]
    assert cd.present(model, Answers({"F": True})) == {"F"}
    model.differential = cd.fit(model, [c.answers for c in cases], refs, requires=requires)
    assert model.differential["requires"] == {"B": ["F"]}
    member = cd.membership(model, Answers({"F": False}))
    assert member is not None and member[1] == 0.0  # F answered absent: B is out
    # F not asked: B is a candidate with P(F) = Σ_d P(d) P(F | d) under the posterior
    post = model.posterior(Answers())
    p_f = float(post @ model.tables["F"][:, 1])
    unasked = cd.membership(model, Answers())
    model.differential = {**model.differential, "requires": None}
    plain = cd.membership(model, Answers())
    assert unasked is not None and plain is not None and 0.0 < p_f < 1.0
    assert unasked[0] == plain[0] and abs(unasked[1] - p_f * plain[1]) < 1e-12
