"""The prefetch and draft-order caches: a repeated record is reused, never shared for writing."""

from __future__ import annotations

import copy
from typing import Any

from huizhen.api import hookdata
from huizhen.patient.derive import derive
from huizhen.patient.fhir import read_bundle
from huizhen.patient.model import Medication, Patient


def _uncached(prefetch: dict[str, Any], patient_id: str) -> Patient:
    """The patient built the slow way: every part parsed afresh, merged, derived."""
    patient = Patient(id=patient_id, source="cds-hooks prefetch")
    for key, value in prefetch.items():
        if value is not None:
            part, _ = read_bundle(hookdata._as_bundle(value), source=f"prefetch.{key}",
                                  strict=True)
            hookdata._merge(patient, part)
    patient.id = patient_id
    return derive(patient)


def test_a_repeated_record_gives_an_equal_patient_the_caller_may_change(example) -> None:
    body = example("order-sign.json")
    pid = body["context"]["patientId"]
    first = hookdata.patient_from_prefetch(body["prefetch"], pid)
    assert first == _uncached(body["prefetch"], pid)
    first.medications.append(Medication(written="added by order-select"))
    first.derived["egfr"] = -1.0
    again = hookdata.patient_from_prefetch(copy.deepcopy(body["prefetch"]), pid)
    assert again == _uncached(body["prefetch"], pid)
    assert "added by order-select" not in [m.written for m in again.medications]


def test_a_changed_record_is_parsed_afresh(example) -> None:
    body = example("order-sign.json")
    pid = body["context"]["patientId"]
    before = hookdata.patient_from_prefetch(body["prefetch"], pid)
    changed = copy.deepcopy(body["prefetch"])
    changed["allergies"] = None
    after = hookdata.patient_from_prefetch(changed, pid)
    assert before.allergies and after.allergies == []
    assert after == _uncached(changed, pid)


def test_draft_orders_parse_the_same_from_the_cache(example) -> None:
    drafts = example("order-sign.json")["context"]["draftOrders"]
    first = hookdata.draft_orders(drafts)
    renamed = copy.deepcopy(drafts)
    renamed["entry"][1]["resource"]["id"] = "another-draft"  # entry 0 is a NutritionOrder
    second = hookdata.draft_orders(copy.deepcopy(drafts))
    assert [(d.resource_id, d.medication) for d in second] == \
        [(d.resource_id, d.medication) for d in first]
    third = hookdata.draft_orders(renamed)
    assert [d.resource_id for d in first] == ["smart-MedicationRequest-103", "draft-aspirin"]
    assert [d.resource_id for d in third] == ["another-draft", "draft-aspirin"]
    assert [d.medication for d in third] == [d.medication for d in first]
