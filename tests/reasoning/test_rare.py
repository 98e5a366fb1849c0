"""The ranker's arithmetic on the tiny release of tests/knowledge/hpo_fixture.py, by hand.

Propagated frequencies F (3 diseases):
  OMIM:100001  Big head 0.5 (→ Head anomaly 0.5), Short limb 1.0 (obligate), NOT Small head
  OMIM:100002  Small head 25% and 3/4 (direct mean 0.5, propagated max 0.75), Short limb
               (no frequency → 1.0 in these tests, males only)
  ORPHA:300    Short limb 0.17 (Occasional)
Backgrounds: bg(Big head) = 0.5/3, bg(Small head) = 0.75/3, bg(Short limb) = 2.17/3.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from huizhen.knowledge.annotations import load_annotations, parse_frequency
from huizhen.knowledge.hpo import load_hpo
from huizhen.reasoning.rare import TEMPERATURE, RareQuery, RareRanker, query_from_patient
from huizhen.reasoning.rare_model import load_model
from huizhen.reasoning.rare_onset import iso_years

_SPEC = importlib.util.spec_from_file_location(
    "hpo_fixture", Path(__file__).parents[1] / "knowledge" / "hpo_fixture.py")
assert _SPEC and _SPEC.loader
fixture = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fixture)
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def ranker(tmp_path_factory: pytest.TempPathFactory) -> RareRanker:
    folder = fixture.write_release(tmp_path_factory.mktemp("tiny"))
    # A missing frequency is taken as 1.0 here (LIRICAL's choice) to keep the hand
    # arithmetic short; the default estimate is checked in test_release_mean_frequency.
    return RareRanker(load_hpo(folder), load_annotations(folder), load_model(folder, 1.0))


def test_release_mean_frequency(tmp_path: Path) -> None:
    """By default a missing frequency is the mean of the release's given frequencies:
    (0.5 + 1.0 + 0.25 + 0.75 + 0.17) / 5 = 0.534 (the NOT row has none)."""
    folder = fixture.write_release(tmp_path)
    model = load_model(folder)
    assert model.default_frequency == 0.534
    d2 = load_annotations(folder).index["OMIM:100002"]
    short = load_hpo(folder).index["HP:0000201"]
    assert model.freq["male"][d2, short] == pytest.approx(0.534)
    assert model.freq["female"][d2, short] == 0.0


def test_frequency_column() -> None:
    assert [parse_frequency(v) for v in ["1/2", "HP:0040283", "25%", "", "0/4", "x"]] == [
        0.5, 0.17, 0.25, None, 0.0, None]


def test_iso_years() -> None:
    assert iso_years("P6M") == 0.5
    assert iso_years("P1Y6M") == 1.5
    assert iso_years("P14D") == pytest.approx(14 / 365.25)
    assert iso_years("soon") is None


def test_model_background(ranker: RareRanker) -> None:
    m, ix = ranker.model, ranker.onto.index
    assert m.background[ix["HP:0000101"]] == pytest.approx(0.5 / 3)
    assert m.background[ix["HP:0000103"]] == pytest.approx(0.75 / 3)
    assert m.background[ix["HP:0000201"]] == pytest.approx(2.17 / 3, rel=1e-6)
    assert m.background[ix["HP:0000102"]] == pytest.approx(1e-4)  # floor


def _lrs(ranker: RareRanker, q: RareQuery) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pres, exc, _ = ranker.prune(q)
    return ranker.log_lrs(pres, exc, q.sex, q.onset_years)


def test_present_term_lr_by_hand(ranker: RareRanker) -> None:
    lp, le, other = _lrs(ranker, RareQuery(present=["HP:0000101"]))
    # d1: 0.99 · 0.5 / (0.5/3) + 0.01 = 2.98; d2, d3 lack it: noise floor 0.01.
    assert np.exp(lp[0]) == pytest.approx([2.98, 0.01, 0.01])
    # Unreported features: d1 misses Short limb (1.0): log(1 − 0.1·1.0);
    # d2 misses Small head (direct 0.5) and Short limb; d3 misses Short limb (0.17).
    assert np.exp(other) == pytest.approx([0.9, 0.95 * 0.9, 1 - 0.017])


def test_not_annotation(ranker: RareRanker) -> None:
    lp, _, _ = _lrs(ranker, RareQuery(present=["HP:0000103"]))
    # d1 is annotated NOT Small head: LR 0.001; d2: 0.99 · 0.75 / 0.25 + 0.01.
    assert np.exp(lp[0]) == pytest.approx([0.001, 2.98, 0.01])


def test_excluded_term_lr_by_hand(ranker: RareRanker) -> None:
    _, le, _ = _lrs(ranker, RareQuery(present=["HP:0000101"], excluded=["HP:0000201"]))
    # P(reported absent | d) ∝ 5 · max(1 − F, 0.1): d1, d2: 0.5; d3: 5 · 0.83 = 4.15.
    mean = (0.5 + 0.5 + 4.15) / 3
    assert np.exp(le[0]) == pytest.approx([0.5 / mean, 0.5 / mean, 4.15 / mean])


def test_sex_specific_annotation(ranker: RareRanker) -> None:
    lp_m, _, _ = _lrs(ranker, RareQuery(present=["HP:0000201"], sex="male"))
    lp_f, _, _ = _lrs(ranker, RareQuery(present=["HP:0000201"], sex="female"))
    bg = 2.17 / 3
    assert np.exp(lp_m[0]) == pytest.approx([0.99 / bg + 0.01, 0.99 / bg + 0.01,
                                             0.99 * 0.17 / bg + 0.01])
    assert np.exp(lp_f[0])[1] == pytest.approx(0.01)  # the male-only annotation is off


def test_onset(ranker: RareRanker) -> None:
    _, _, infant = _lrs(ranker, RareQuery(present=["HP:0000201"], onset_years=0.0))
    _, _, adult = _lrs(ranker, RareQuery(present=["HP:0000201"], onset_years=30.0))
    # ORPHA:300 is adult-onset (≥ 16 y): too late for findings at birth, LR 0.1.
    assert np.exp(infant - adult) == pytest.approx([1.0, 1.0, 0.1])


def test_rank_whole_result(ranker: RareRanker) -> None:
    res = ranker.rank(RareQuery(present=["HP:0000102", "HP:0000101", "HP:0000201"],
                                excluded=["HP:0000103"]), top=3)
    assert res.release == "2099-01-01"
    # Big head is implied by Very big head: only the specific term is scored.
    assert res.used_present == ["HP:0000102", "HP:0000201"]
    assert res.notes == ["HP:0000102 (Very big head) is annotated to no disease in HPO release "
                         "2099-01-01, nor is any more specific term"]
    # Very big head: noise floor 0.01 everywhere.  Short limb: d1, d2 0.99/bg + 0.01,
    # d3 0.99·0.17/bg + 0.01.  Excluded Small head: d2 5·(1 − 0.75) = 1.25, others 1.
    # Unreported: d1's Big head is an ancestor of the patient's Very big head, so it is
    # explained → 1; d2 Small head 0.5 → 0.95; d3 nothing → 1.
    assert [r.id for r in res.results] == ["OMIM:100002", "OMIM:100001", "ORPHA:300"]
    bg = 2.17 / 3
    mean = (1 + 1.25 + 1) / 3
    expect = [0.01 * (0.99 / bg + 0.01) * 1.25 / mean * 0.95,
              0.01 * (0.99 / bg + 0.01) * 1 / mean * 1.0,
              0.01 * (0.99 * 0.17 / bg + 0.01) * 1 / mean * 1.0]
    assert [r.log10_lr for r in res.results] == pytest.approx([math.log10(e) for e in expect])
    total = res.results[0].log10_lr * math.log(10)
    probs = [r.probability for r in res.results]
    assert sum(probs) == pytest.approx(1.0)
    logs = np.array([r.log10_lr for r in res.results]) * math.log(10) * TEMPERATURE
    assert probs == pytest.approx(list(np.exp(logs) / np.exp(logs).sum()))
    assert total == max(r.log10_lr for r in res.results) * math.log(10)


def test_rank_explanations(ranker: RareRanker) -> None:
    res = ranker.rank(RareQuery(present=["HP:0000101", "HP:0000201"],
                                excluded=["HP:0000103"]), top=1)
    top = res.results[0]
    assert top.id == "OMIM:100001" and top.name == "Big head syndrome"
    assert [m.to_dict() for m in top.matched] == [
        {"patient_term": "HP:0000101", "patient_label": "Big head", "kind": "exact",
         "lr": pytest.approx(2.98), "disease_term": "HP:0000101", "disease_label": "Big head",
         "shared_ancestor": "HP:0000101", "shared_label": "Big head", "frequency": 0.5},
        {"patient_term": "HP:0000201", "patient_label": "Short limb", "kind": "exact",
         "lr": pytest.approx(0.99 / (2.17 / 3) + 0.01), "disease_term": "HP:0000201",
         "disease_label": "Short limb", "shared_ancestor": "HP:0000201",
         "shared_label": "Short limb", "frequency": 1.0}]
    assert top.unexplained == []
    assert [(m.patient_term, m.kind) for m in top.excluded] == [("HP:0000103", "absent_ok")]


def test_parent_credit(ranker: RareRanker, monkeypatch: pytest.MonkeyPatch) -> None:
    from huizhen.reasoning import rare

    monkeypatch.setattr(rare, "PARENT_CREDIT", True)
    lp, _, _ = _lrs(ranker, RareQuery(present=["HP:0000102"]))
    # d1 has Big head (0.5), the parent of Very big head, which has 1 child:
    # 0.99 · 0.5 / 1 / bg(Very big head) + 0.01, bg floored at 1e-4.
    assert np.exp(lp[0]) == pytest.approx([0.99 * 0.5 / 1e-4 + 0.01, 0.01, 0.01])


def test_no_annotated_term(ranker: RareRanker) -> None:
    res = ranker.rank(RareQuery(present=["HP:0000102"]))
    assert res.results == []
    assert res.notes == ["HP:0000102 (Very big head) is annotated to no disease in HPO release "
                         "2099-01-01, nor is any more specific term",
                         "no observed term is annotated to any disease: nothing ranked"]


def test_nothing_to_rank(ranker: RareRanker) -> None:
    res = ranker.rank(RareQuery(present=["HP:0003577"]))
    assert res.results == []
    assert res.notes == ["HP:0003577 (Congenital onset) is not a phenotypic abnormality; "
                         "not scored",
                         "no observed phenotypic abnormality to rank on: nothing ranked"]


CASES = ["FBN1", "CBS", "EP300", "F8", "KCNT1", "GALC"]


@pytest.mark.skipif(not (SHARED / "phenopackets-dev").is_dir(), reason="no shared data")
@pytest.mark.parametrize("cohort", CASES)
def test_dev_phenopackets_rank_in_top10(cohort: str) -> None:
    """The first phenopacket of each of these cohorts ranks its diagnosis in the top 10."""
    from huizhen.eval.rare import diagnoses
    from huizhen.patient.phenopacket import parse_phenopacket
    from huizhen.reasoning.rare import load_ranker

    path = sorted((SHARED / "phenopackets-dev" / cohort).glob("*.json"))[0]
    data = json.loads(path.read_text())
    ranker = load_ranker()
    patient, notes = parse_phenopacket(data, ranker.onto, str(path), strict=False)
    rank = ranker.ranks_of(query_from_patient(patient, notes), diagnoses(data))
    assert rank is not None and rank <= 10
