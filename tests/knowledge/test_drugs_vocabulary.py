"""The drug vocabulary: what doctors write -> ingredients with DrugBank ids."""

from __future__ import annotations

import csv

import pytest

from huizhen.knowledge.drugs import DrugMention, load_vocabulary
from huizhen.knowledge.drugs.vocabulary import DRUG_DATA


@pytest.fixture()
def vocab():  # type: ignore[no-untyped-def]
    return load_vocabulary()


def ids(vocab, name: str) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    return [(i.name, i.drugbank_id) for i in vocab.normalise(name)]


@pytest.mark.parametrize(("written", "expected"), [
    ("warfarin", [("Warfarin", "DB00682")]),                        # generic
    ("Coumadin", [("Warfarin", "DB00682")]),                        # brand
    ("Tylenol", [("Acetaminophen", "DB00316")]),                    # brand
    ("paracetamol", [("Acetaminophen", "DB00316")]),                # INN vs USAN
    ("Metformin HCl 500 mg tab", [("Metformin", "DB00331")]),       # salt + dose + form
    ("Verapamil Hydrochloride 40 MG", [("Verapamil", "DB00661")]),  # salt synonym of another drug
    ("HCTZ", [("Hydrochlorothiazide", "DB00999")]),                 # abbreviation
    ("ASA", [("Acetylsalicylic acid", "DB00945")]),
    ("华法林", [("Warfarin", "DB00682")]),                           # Chinese
    ("華法林", [("Warfarin", "DB00682")]),                           # traditional Chinese
    ("盐酸二甲双胍缓释片", [("Metformin", "DB00331")]),               # Chinese salt + dose form
    ("Amoxicilline", [("Amoxicillin", "DB01060")]),                 # French INN (DrugBank synonym)
    ("medroxyprogesterone", [("Medroxyprogesterone acetate", "DB00603")]),  # listed only as a salt
    ("Augmentin", [("Amoxicillin", "DB01060"), ("Clavulanic acid", "DB00766")]),
    ("amoxicillin/clavulanate", [("Amoxicillin", "DB01060"), ("Clavulanic acid", "DB00766")]),
    ("TMP-SMX", [("Sulfamethoxazole", "DB01015"), ("Trimethoprim", "DB00440")]),
    ("阿莫西林克拉维酸钾", [("Amoxicillin", "DB01060"), ("Clavulanic acid", "DB00766")]),
    ("Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet",
     [("Acetaminophen", "DB00316"), ("Oxycodone", "DB00497")]),
])
def test_normalise(vocab, written: str, expected: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    assert ids(vocab, written) == expected


def test_unknown_names_are_not_guessed(vocab) -> None:  # type: ignore[no-untyped-def]
    assert vocab.normalise("Simvistatin 10 MG") == []
    assert vocab.normalise("") == []
    assert vocab.suggest("Simvistatin")[0] == "simvastatin"
    assert vocab.suggest("华发林") == ["华法林"]


def test_salt_entries_link_to_their_parent(vocab) -> None:  # type: ignore[no-untyped-def]
    assert vocab.parent("DB14509") == "DB01356"  # lithium carbonate -> lithium
    assert vocab.parent("DB00682") == "DB00682"


def test_find_mentions_chinese_and_english(vocab) -> None:  # type: ignore[no-untyped-def]
    text = "患者服用华法林和阿司匹林, also takes ibuprofen 400 mg and Lipitor; drinks water."
    found = [(m.start, m.end, m.text, [i.drugbank_id for i in m.ingredients])
             for m in vocab.find_mentions(text)]
    assert found == [
        (4, 7, "华法林", ["DB00682"]),
        (8, 12, "阿司匹林", ["DB00945"]),
        (25, 34, "ibuprofen", ["DB01050"]),
        (46, 53, "Lipitor", ["DB01076"]),
    ]
    assert all(isinstance(m, DrugMention) for m in vocab.find_mentions(text))


def test_laboratory_words_are_not_drug_mentions(vocab) -> None:  # type: ignore[no-untyped-def]
    text = "Labs: urea 12, creatinine 1.4, potassium 5.9, lactate 2. Allergic to penicillin."
    assert [(m.text, [i.name for i in m.ingredients]) for m in vocab.find_mentions(text)] == [
        ("penicillin", ["Benzylpenicillin"])]


def test_chinese_table_has_300_names_with_sources() -> None:
    with open(DRUG_DATA / "zh_names.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ingredients = {r["drugbank_ids"] for r in rows}
    assert len(rows) >= 300 and len(ingredients) >= 300
    assert all(r["source"] and r["drugbank_ids"].startswith("DB") for r in rows)


def test_every_chinese_name_resolves_to_its_row(vocab) -> None:  # type: ignore[no-untyped-def]
    with open(DRUG_DATA / "zh_names.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            assert [i.drugbank_id for i in vocab.normalise(row["name"])] == \
                row["drugbank_ids"].split("+"), row["name"]


def test_warm_start_reads_the_cached_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm start unpickles the index instead of rebuilding it (speed is in BENCHMARKS.md)."""
    from huizhen.knowledge.drugs import vocabulary

    load_vocabulary.cache_clear()  # an earlier test may have loaded it from another cache folder
    first = load_vocabulary()  # built (or read) in this test session's cache directory
    load_vocabulary.cache_clear()

    def no_rebuild() -> None:
        raise AssertionError("the vocabulary was rebuilt on a warm start")

    monkeypatch.setattr(vocabulary, "_build", no_rebuild)
    again = load_vocabulary()
    assert again.version == first.version
    assert [i.drugbank_id for i in again.normalise("warfarin")] == ["DB00682"]
