"""``huizhen eval meds``: figures on a small reference the test writes itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from huizhen.errors import InputError
from huizhen.eval.meds import KEYS, evaluate


def test_figures_on_a_small_reference(tmp_path: Path) -> None:
    ref = tmp_path / "ref.csv"
    ref.write_text(
        "Drug_A,Drug_B,Level\n"
        "Warfarin,Ibuprofen,Major\n"           # major (ANSM)          -> found, agrees
        "Simvastatin,Clarithromycin,Major\n"   # contraindicated       -> found, agrees (as Major)
        "Digoxin,Verapamil,Major\n"            # moderate              -> missed as major
        "Amlodipine,Simvastatin,Moderate\n"    # moderate              -> found, agrees
        "Amoxicillin,Omeprazole,Moderate\n"    # nothing               -> missed
        "Nitroglycerin,Amlodipine,Minor\n"     # minor                 -> agrees
        "Warfarin,Notadrugazine,Major\n"       # unknown drug          -> not known
        "Metformin,Atorvastatin,Unknown\n",
        encoding="utf-8")
    figures = evaluate(ref, seed=0)
    assert tuple(figures) == KEYS
    assert {k: figures[k] for k in KEYS[:5]} == {
        "pairs": 8, "known_pairs": 7, "recall_major": round(2 / 3, 4), "recall_moderate": 0.5,
        "severity_agreement": round(4 / 6, 4)}
    assert 0.0 <= figures["false_alert_rate"] <= 1.0
    assert evaluate(ref, seed=0) == figures  # seeded: repeatable


def test_bad_reference(tmp_path: Path) -> None:
    ref = tmp_path / "bad.csv"
    ref.write_text("Drug_A,Drug_B,Level\nwarfarin,ibuprofen,Severe\n", encoding="utf-8")
    with pytest.raises(InputError, match="Level must be"):
        evaluate(ref)
    ref.write_text("A,B\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        evaluate(ref)
    with pytest.raises(InputError, match="cannot read"):
        evaluate(tmp_path / "nope.csv")


def test_leave_one_source_out_and_every_random_pair(tmp_path: Path) -> None:
    ref = tmp_path / "ref.csv"
    ref.write_text(
        "Drug_A,Drug_B,Level\n"
        "Warfarin,Ibuprofen,Major\n"            # ANSM only
        "Methadone,Ondansetron,Major\n"         # ONC major; without ONC the label/ANSM give moderate
        "Lisdexamfetamine,Phenelzine,Major\n"   # ONC only
        "Simvastatin,Clarithromycin,Major\n"    # ANSM contraindicated, ONC major
        "Digoxin,Verapamil,Moderate\n",
        encoding="utf-8")
    # sample=0: all 40 pairs of the 10 drugs that the reference does not name.
    assert evaluate(ref, sample=0) == {
        "pairs": 5, "known_pairs": 5, "recall_major": 1.0, "recall_moderate": 1.0,
        "severity_agreement": 1.0, "false_alert_rate": 0.25}
    assert evaluate(ref, sample=0, without="onc") == {
        "pairs": 5, "known_pairs": 5, "recall_major": 0.5, "recall_moderate": 1.0,
        "severity_agreement": 0.6, "false_alert_rate": 0.2}
    assert evaluate(ref, sample=0, without="ansm") == {
        "pairs": 5, "known_pairs": 5, "recall_major": 0.75, "recall_moderate": 1.0,
        "severity_agreement": 0.8, "false_alert_rate": 0.15}
    with pytest.raises(InputError, match="unknown source 'ddinter'"):
        evaluate(ref, without="ddinter")
