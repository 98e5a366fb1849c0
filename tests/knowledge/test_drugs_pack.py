"""The knowledge pack: every row sourced, valid levels, ids that exist, ONC coverage."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest
import yaml

from huizhen.knowledge.drugs.pack import LEVELS, load_pack
from huizhen.knowledge.drugs.vocabulary import DRUG_DATA
from huizhen.safety.interactions import best_rule

REPO = Path(__file__).resolve().parents[2]
SHARED_DRUGS = REPO.parent / "shared" / "data" / "drugs"
TABLES = ["interactions.csv.gz", "classes_ansm.csv.gz", "classes_onc.csv.gz", "non_interruptive.csv.gz", "classes.csv",
          "renal.csv", "age.csv", "pregnancy.csv", "conditions.csv", "max_dose.csv",
          "dose_frequency.csv", "allergy_cross.csv", "allergy_terms.csv", "zh_names.csv", "names.csv",
          "rxnorm.csv"]


def rows(name: str) -> list[dict[str, str]]:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(DRUG_DATA / name, "rt", newline="", encoding="utf-8") as fh:  # type: ignore[operator]
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", TABLES)
def test_every_row_has_a_source(name: str) -> None:
    table = rows(name)
    assert table, name
    assert all(r["source"].strip() for r in table), name


@pytest.mark.parametrize("name", ["interactions.csv.gz", "renal.csv", "age.csv", "pregnancy.csv",
                                  "conditions.csv", "allergy_cross.csv", "dose_frequency.csv"])
def test_levels_are_tiers(name: str) -> None:
    assert {r["level"] for r in rows(name)} <= set(LEVELS)


def test_pack_is_versioned_and_counts() -> None:
    meta = yaml.safe_load((DRUG_DATA / "pack.yaml").read_text(encoding="utf-8"))
    pack = load_pack(Path("/nonexistent/local.csv"))
    assert pack.version == meta["version"]
    inter = rows("interactions.csv.gz")
    by_source = {s: sum(1 for r in inter if r["source"].startswith(s)) for s in ("ANSM", "ONC", "FDA")}
    assert by_source["ANSM"] > 2500 and by_source["ONC"] >= 1150 and by_source["FDA"] > 300
    assert len(pack.non_interruptive) > 1500
    assert pack.local_source is None


def test_rule_drugs_are_real_ingredients() -> None:
    pack = load_pack(Path("/nonexistent/local.csv"))
    for name in ("renal.csv", "age.csv", "pregnancy.csv", "conditions.csv", "max_dose.csv"):
        for r in rows(name):
            if not r["drug"].startswith("class:"):
                assert pack.vocab.lookup_ids(r["drug"]) == (r["drug_id"],), r
                assert pack.vocab.name_of(r["drug_id"]) != r["drug_id"], r  # a DrugBank entry


def test_every_onc_high_priority_pair_is_contraindicated_or_major() -> None:
    src = SHARED_DRUGS / "onc-high-priority" / "ONC_High_Priority_Mapped.csv"
    if not src.exists():
        pytest.skip(f"ONC list not available at {src}")
    pack = load_pack(Path("/nonexistent/local.csv"))
    missed = []
    for line in src.read_text(encoding="utf-8-sig").splitlines():
        f = line.split("$")
        if len(f) >= 4 and f[1].startswith("DB") and f[3].startswith("DB") and f[1] != f[3]:
            rule, _ = best_rule(pack, f[1], f[3])
            if rule is None or rule.level not in ("contraindicated", "major"):
                missed.append((f[0], f[2]))
    assert missed == []


def test_interaction_and_code_ids_are_current_drugbank_entries() -> None:
    # A rule keyed on a retired DrugBank id (the NLM corpus's aliskiren DB01258) never fires.
    pack = load_pack(Path("/nonexistent/local.csv"))
    ids = {r[k] for r in rows("interactions.csv.gz") for k in ("a", "b") if r[k + "_kind"] == "ingredient"}
    ids |= {r[k] for r in rows("non_interruptive.csv.gz") for k in ("a", "b")}
    ids |= {i for r in rows("rxnorm.csv") for i in r["drugbank_ids"].split("+")}
    assert sorted(i for i in ids if pack.vocab.name_of(i) == i) == []
