"""Duplicate therapy: the same ingredient twice, or two drugs of one class."""

from __future__ import annotations

from huizhen.patient.model import Patient
from huizhen.safety import check


def test_same_ingredient_in_two_products_is_major() -> None:
    report = check(Patient(), ["Tylenol", "Percocet"])
    dup = [a for a in report.alerts if a.type == "duplicate"]
    assert [(a.severity, a.interrupt, a.drugs, a.ingredients, a.effect) for a in dup] == [
        ("major", True, ["Tylenol", "Percocet"], ["Acetaminophen"], "double dose of Acetaminophen")]


def test_two_drugs_of_one_class_is_moderate() -> None:
    report = check(Patient(), ["atorvastatin", "rosuvastatin"])
    dup = [a for a in report.alerts if a.type == "duplicate"]
    assert [(a.severity, a.interrupt, a.effect, a.source_ref) for a in dup] == [
        ("moderate", False, "two statins", "class:hz:statins")]


def test_different_classes_are_not_duplicates() -> None:
    report = check(Patient(), ["amlodipine", "lisinopril"])
    assert [a for a in report.alerts if a.type == "duplicate"] == []
