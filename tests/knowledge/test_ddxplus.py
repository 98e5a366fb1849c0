"""The DDXPlus knowledge pack: complete, translated, and strict about codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from huizhen.errors import InputError, KnowledgeError
from huizhen.knowledge.ddxplus import PACK_DIR, HpoAnswer, load_knowledge
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


def test_hpo_map_points_at_real_hpo_terms_evidences_and_values() -> None:
    kb = load_knowledge()
    labels: dict[str, str] = {}
    with (PACKAGE_DATA / "hpo" / "hp-zh.babelon.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["predicate_id"] == "rdfs:label":
                labels[row["subject_id"]] = row["source_value"]
    assert len(kb.hpo_to_evidence) >= 35
    for hpo, rows in kb.hpo_to_evidence.items():
        assert hpo in labels, hpo
        for r in rows:
            ev = kb.evidences[r.evidence]
            assert (ev.kind == "B") == (not r.values) and set(r.values) <= set(ev.values)
    assert kb.hpo_to_evidence["HP:0001945"] == (HpoAnswer("E_91"),) and labels["HP:0001945"] == "Fever"
    # headache: pain (E_53) somewhere in the head (E_55)
    assert labels["HP:0002315"] == "Headache"
    assert kb.hpo_to_evidence["HP:0002315"] == (
        HpoAnswer("E_53"), HpoAnswer("E_55", ("V_89", "V_166", "V_167", "V_62", "V_25", "V_124")))
    head = [kb.evidences["E_55"].value_label(v) for v in kb.hpo_to_evidence["HP:0002315"][1].values]
    assert head == ["forehead", "temple(R)", "temple(L)", "top of the head", "back of head", "occiput"]
    throat = kb.hpo_to_evidence["HP:0033050"][1]
    assert [kb.evidences["E_55"].value_label(v) for v in throat.values] == ["pharynx", "tonsil(R)", "tonsil(L)"]


@pytest.mark.parametrize(("row", "message"), [
    ("HP:1\tE_999\t\tx", "row 1 evidence='E_999': HPO map names an unknown DDXPlus evidence"),
    ("HP:1\tE_91\tV_1\tx", "row 1 values='V_1': a yes/no evidence takes no values"),
    ("HP:1\tE_55\t\tx", "row 1 values='': evidence E_55 needs values"),
    ("HP:1\tE_55\tV_89|V_999\tx", "row 1 values='V_999': not a possible value of E_55"),
])
def test_bad_hpo_map_rows_are_refused(tmp_path: Path, row: str, message: str) -> None:
    import shutil

    for name in ("release_evidences.json", "release_conditions.json", "zh.json"):
        shutil.copy(PACK_DIR / name, tmp_path / name)
    (tmp_path / "hpo_map.tsv").write_text(f"# comment\nhpo_id\tevidence\tvalues\tlabel\n{row}\n",
                                          encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    assert err.value.render() == f"{tmp_path / 'hpo_map.tsv'}: {message}"
