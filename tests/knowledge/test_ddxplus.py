"""The DDXPlus knowledge pack: complete, translated, and strict about codes."""

from __future__ import annotations

import csv

import pytest

from huizhen.errors import InputError
from huizhen.knowledge.ddxplus import PACK_DIR, load_knowledge
from huizhen.paths import PACKAGE_DATA


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_pack_is_complete_and_translated() -> None:
    kb = load_knowledge()
    assert len(kb.conditions) == 49 and len(kb.evidences) == 223
    assert all(_has_cjk(c.name_zh) for c in kb.conditions.values())
    assert all(_has_cjk(e.question_zh) for e in kb.evidences.values())
    for e in kb.evidences.values():
        for v in e.value_labels:
            assert e.value_label(v, "zh") != e.value_label(v, "en") or v == "V_11" or \
                not e.value_label(v, "en").isalpha()
    pe = kb.condition("I26")  # upstream writes i26; codes are upper-cased
    assert (pe.id, pe.name_zh, pe.severity, pe.cannot_miss) == ("Pulmonary embolism", "肺栓塞", 2, True)
    assert kb.condition("上呼吸道感染").id == "URTI"
    pain = kb.evidences["E_56"]
    assert (pain.kind, pain.parent, pain.default, pain.is_scale) == ("C", "E_53", "0", True)
    travel = kb.evidences["E_204"]
    assert travel.value_label("V_10", "zh") == "否" and travel.value_label("V_1", "en") == "West Africa"
    assert (PACK_DIR / "LICENSE.md").exists()


def test_tokens_are_parsed_and_checked() -> None:
    kb = load_knowledge()
    assert kb.parse_token("E_204_@_V_10") == ("E_204", "V_10")
    assert kb.parse_token("E_91") == ("E_91", None)
    with pytest.raises(InputError) as err:
        kb.parse_token("E_999", source="p.csv:3")
    assert err.value.render() == "p.csv:3: evidence='E_999': unknown DDXPlus evidence code"
    with pytest.raises(InputError) as err:
        kb.parse_token("E_204_@_V_999")
    assert err.value.render() == "evidence='E_204_@_V_999': not a possible value of E_204"
    with pytest.raises(InputError) as err:
        kb.parse_token("E_91_@_V_1")
    assert err.value.render() == "evidence='E_91_@_V_1': a yes/no evidence takes no value"


def test_hpo_map_points_at_real_hpo_terms_and_yes_no_evidences() -> None:
    kb = load_knowledge()
    labels: dict[str, str] = {}
    with (PACKAGE_DATA / "hpo" / "hp-zh.babelon.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["predicate_id"] == "rdfs:label":
                labels[row["subject_id"]] = row["source_value"]
    assert len(kb.hpo_to_evidence) >= 30
    for hpo, ev in kb.hpo_to_evidence.items():
        assert hpo in labels, hpo
        assert kb.evidences[ev].kind == "B"
    assert kb.hpo_to_evidence["HP:0001945"] == "E_91" and labels["HP:0001945"] == "Fever"
