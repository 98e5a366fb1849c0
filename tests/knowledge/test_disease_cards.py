"""Disease cards: every shipped fact sourced, bad cards refused by name, card-only models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huizhen.errors import KnowledgeError
from huizhen.knowledge.ddxplus import load_knowledge
from huizhen.knowledge.disease_cards import LINES, load_card, load_cards, model_from_cards
from huizhen.reasoning.common import Answers

GOOD = """\
id: Test fever
names: {en: Test fever, zh: 测试热}
icd10: R50
severity: 2
findings:
  - {code: FEVER, sensitivity: 0.9, source: s1}
  - {code: COUGH, sensitivity: 0.2, source: s1}
red_flags:
  - text: {en: Confusion, zh: 意识模糊}
    source: s1
tests:
  - text: {en: Blood culture, zh: 血培养}
    source: s1
treatments:
  - line: first
    text: {en: Paracetamol, zh: 对乙酰氨基酚}
    drug: paracetamol
    dose: 1 g orally every 6 hours
    source: s1
sources:
  s1: {title: A guideline, section: "2.1", url: "https://example.org/g", year: 2020}
"""


def test_shipped_cards_are_valid_sourced_and_match_the_pack() -> None:
    kb = load_knowledge()
    cards = load_cards()
    assert set(cards) == set(kb.conditions)  # one card for each of the 49 DDXPlus conditions
    for card in cards.values():
        cond = kb.conditions[card.id]
        assert (card.icd10, card.name_zh, card.severity) == (cond.icd10, cond.name_zh, cond.severity)
        assert card.red_flags and card.tests and card.treatments, card.id
        for fact in (*card.red_flags, *card.tests, *card.treatments):
            assert fact.source.url.startswith("https://") and fact.source.title
            assert fact.en and any("\u4e00" <= ch <= "\u9fff" for ch in fact.zh)
        assert all(t.line in LINES for t in card.treatments)
    adrenaline = [t for t in cards["Anaphylaxis"].treatments if t.drug == "epinephrine"]
    assert adrenaline and adrenaline[0].line == "emergency" and "500 micrograms IM" in adrenaline[0].dose


def test_the_four_newest_cards_whole() -> None:
    cards = load_cards()
    got = {cid: [(t.line, t.drug, t.dose, t.source.key) for t in cards[cid].treatments]
           for cid in ("Acute laryngitis", "Larygospasm", "Localized edema", "Spontaneous rib fracture")}
    assert got == {
        "Acute laryngitis": [
            ("first", None, None, "aao_dysphonia"),
            ("supportive", "paracetamol", "0.5-1 g orally every 4-6 hours; maximum 4 g per day (adult)",
             "bnf_paracetamol"),
            ("alternative", "ibuprofen", "300-400 mg orally 3-4 times a day; maximum 2.4 g per day (adult)",
             "bnf_ibuprofen")],
        # doses for laryngospasm differ between sources: left out, and the card's notes say so
        "Larygospasm": [
            ("first", None, None, "bja_laryngospasm"),
            ("alternative", "propofol", None, "bja_laryngospasm"),
            ("emergency", "suxamethonium", None, "bja_laryngospasm")],
        "Localized edema": [
            ("first", "apixaban", "10 mg orally twice daily for 7 days, then 5 mg twice daily",
             "apixaban_label"),
            ("alternative", "rivaroxaban",
             "15 mg orally twice daily with food for 21 days, then 20 mg once daily with food",
             "rivaroxaban_label"),
            ("first", "furosemide", "start 20-40 mg daily; usual 40-240 mg daily, adjusted to the congestion",
             "esc_hf")],
        "Spontaneous rib fracture": [
            ("first", "paracetamol", "0.5-1 g orally every 4-6 hours; maximum 4 g per day (adult)",
             "bnf_paracetamol"),
            ("alternative", "ibuprofen", "300-400 mg orally 3-4 times a day; maximum 2.4 g per day (adult)",
             "bnf_ibuprofen"),
            ("alternative", None, None, "east_chest_pain")],
    }
    assert cards["Larygospasm"].name("zh") == "喉痉挛"
    assert "No guideline specific to spontaneous" in (cards["Spontaneous rib fracture"].notes_en or "")


def test_a_good_card_loads_whole(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(GOOD, encoding="utf-8")
    card = load_card(path)
    assert (card.id, card.name("zh"), card.icd10, card.cannot_miss) == ("Test fever", "测试热", "R50", True)
    (t,) = card.treatments
    assert (t.line, t.drug, t.dose, t.text("zh"), t.source.section) == (
        "first", "paracetamol", "1 g orally every 6 hours", "对乙酰氨基酚", "2.1")


@pytest.mark.parametrize(("edit", "message"), [
    (("source: s1\nsources", "source: s9\nsources"),
     "treatments[0].source='s9': every fact needs a source listed under sources"),
    (("line: first", "line: best"), ("treatments[0].line='best': line must be one of first, "
     "alternative, supportive, emergency")),
    (("{en: Confusion, zh: 意识模糊}", "{en: Confusion}"),
     "red_flags[0].text={'en': 'Confusion'}: needs non-empty en and zh text"),
    (("sensitivity: 0.9", "sensitivity: 1.5"), "findings[0].sensitivity=1.5: sensitivity must be in (0, 1]"),
    (('url: "https://example.org/g"', 'url: "example.org"'), None),
])
def test_bad_cards_are_refused_naming_the_field(tmp_path: Path, edit: tuple[str, str],
                                                message: str | None) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace(*edit), encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_card(path)
    if message is None:
        assert err.value.render().startswith(f"{path}: sources.s1=")
        assert err.value.render().endswith("a source needs a title and an http(s) url")
    else:
        assert err.value.render() == f"{path}: {message}"


def test_model_from_cards_uses_sensitivities(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    a.write_text(GOOD, encoding="utf-8")
    b = tmp_path / "b.yaml"
    b.write_text(GOOD.replace("Test fever", "Test cough").replace("测试热", "测试咳")
                 .replace("sensitivity: 0.9", "sensitivity: 0.1")
                 .replace("sensitivity: 0.2", "sensitivity: 0.8"), encoding="utf-8")
    model = model_from_cards(list(load_cards(tmp_path).values()))
    # 20 pseudo-cases each: fever 18/20 vs 2/20, smoothed towards the pooled rate 20.5/41
    i = model.index["Test fever"]
    assert model.tables["FEVER"][i, 1] == pytest.approx((18 + 20.5 / 41) / 21)
    post = model.posterior(Answers({"FEVER": True, "COUGH": False}))
    assert model.diseases[int(np.argmax(post))].id == "Test fever"
