from __future__ import annotations

from datetime import date

import pytest

from huizhen.patient import measures
from huizhen.patient.derive import age_on, bmi, derive, egfr_ckd_epi_2021
from huizhen.patient.model import Code, CodeSystem, Finding, Patient, Sex


# Expected values worked by hand from the published equation (Inker LA et al., NEJM
# 2021;385:1737-49): 142 × min(Scr/κ,1)^α × max(Scr/κ,1)^-1.200 × 0.9938^age × 1.012[F].
@pytest.mark.parametrize(("scr", "age", "sex", "expected"), [
    (1.0, 50, Sex.MALE, 91.7),      # Scr above κ=0.9: only the -1.200 term
    (0.6, 60, Sex.FEMALE, 102.7),   # Scr below κ=0.7: α=-0.241 term and ×1.012
    (0.7, 40, Sex.FEMALE, 112.1),   # Scr exactly κ: both terms are 1
    (160 / 88.4, 70, Sex.MALE, 39.7),  # 160 µmol/L
])
def test_egfr_ckd_epi_2021_worked_examples(scr: float, age: int, sex: Sex, expected: float) -> None:
    assert round(egfr_ckd_epi_2021(scr, age, sex), 1) == expected


def test_egfr_needs_known_sex_and_positive_creatinine() -> None:
    with pytest.raises(ValueError):
        egfr_ckd_epi_2021(1.0, 50, Sex.UNKNOWN)
    with pytest.raises(ValueError):
        egfr_ckd_epi_2021(0.0, 50, Sex.MALE)


def test_age_and_bmi() -> None:
    assert age_on(date(1980, 6, 15), date(2020, 6, 14)) == 39.0
    assert age_on(date(1980, 6, 15), date(2020, 6, 15)) == 40.0
    assert round(bmi(80.0, 180.0), 2) == 24.69


def _m(key: str, value: float, unit: str | None = None, time: str | None = None):  # type: ignore[no-untyped-def]
    m = measures.make(key, value, unit, source="t", field=key)
    m.time = time
    return m


def test_creatinine_in_umol_and_mg_give_the_same_egfr() -> None:
    a = Patient(sex=Sex.MALE, age_years=70, measurements=[_m("creatinine", 160, "umol/L")])
    b = Patient(sex=Sex.MALE, age_years=70, measurements=[_m("creatinine", 160 / 88.4, "mg/dL")])
    assert derive(a).derived == derive(b).derived == {
        "age_years": 70, "egfr": 39.7, "creatinine_mg_dl": 1.81}
    assert [f.code.code for f in a.findings if f.code] == ["HP:0012213"]


def test_derived_findings_from_vitals_and_labs() -> None:
    p = Patient(sex=Sex.FEMALE, age_years=30, measurements=[
        _m("temperature", 101.5, "[degF]"), _m("heart_rate", 112), _m("systolic_bp", 85),
        _m("diastolic_bp", 50), _m("spo2", 91), _m("hemoglobin", 95, "g/L"),
        _m("weight", 90), _m("height", 165), _m("platelets", 300)])
    derive(p, today=date(2024, 1, 1))
    assert [(f.code.code, f.origin) for f in p.findings if f.code] == [
        ("HP:0001945", "derived"), ("HP:0001649", "derived"), ("HP:0002615", "derived"),
        ("HP:0012418", "derived"), ("HP:0001903", "derived"), ("HP:0001513", "derived")]
    assert p.derived == {"age_years": 30, "bmi": 33.1}
    fever = p.findings[0]
    assert fever.source is not None and fever.source.text == "Body temperature 38.61 Cel (> 38.0 °C)"


def test_latest_value_wins_and_derive_is_idempotent() -> None:
    p = Patient(age_years=40, measurements=[
        _m("temperature", 39.0, time="2020-01-01"), _m("temperature", 36.8, time="2020-01-02")])
    p.findings.append(Finding("Cough", Code(CodeSystem.HPO, "HP:0012735")))
    derive(p)
    derive(p)
    assert [f.label for f in p.findings] == ["Cough"]


def test_adult_thresholds_not_applied_to_children() -> None:
    child = Patient(sex=Sex.MALE, age_years=2, measurements=[_m("heart_rate", 130),
                                                            _m("creatinine", 0.3)])
    derive(child)
    assert child.findings == []
    assert "egfr" not in child.derived


def test_anaemia_threshold_depends_on_sex_and_pregnancy() -> None:
    def anaemic(**kw: object) -> bool:
        p = Patient(age_years=30, measurements=[_m("hemoglobin", 11.5)], **kw)  # type: ignore[arg-type]
        return any(f.code and f.code.code == "HP:0001903" for f in derive(p).findings)
    assert anaemic(sex=Sex.MALE)
    assert anaemic(sex=Sex.FEMALE)
    assert not anaemic(sex=Sex.FEMALE, pregnant=True)


def test_age_on_death_date_not_today() -> None:
    p = Patient(birth_date=date(1930, 1, 1), deceased_date=date(2000, 6, 1))
    assert derive(p, today=date(2024, 1, 1)).age_years == 70.0
