"""Facts derived once from what a patient's input says: age, BMI, eGFR and the
findings that vital signs and laboratory results imply (fever from a
temperature, anaemia from a haemoglobin), coded to HPO.

Why here and not in each engine: every reasoner (rare, common, safety) needs
the same numbers, and a doctor must see one eGFR, computed one way, with its
source.  ``derive`` is idempotent: derived findings replace earlier derived
findings, never findings the input stated.

Thresholds and their sources
----------------------------
* Fever ``> 38.0 °C``, tachycardia ``> 90 /min``, tachypnoea ``> 20 /min``,
  leukocytosis ``> 12 ×10⁹/L`` and leukopenia ``< 4 ×10⁹/L``: the SIRS criteria
  (Bone RC et al., ACCP/SCCM Consensus Conference, Chest 1992;101:1644-55).
  Tachycardia uses the conventional adult ``> 100 /min`` instead (Page RL et al.,
  2015 ACC/AHA/HRS SVT guideline, Circulation 2016;133:e506), since SIRS's 90 is a
  sepsis screen, not a definition of tachycardia.
* Hypothermia ``< 35 °C`` (Brown DJA et al., Accidental hypothermia, NEJM
  2012;367:1930-8).
* Tachypnoea in children under 5: fast breathing of the WHO IMCI guideline,
  ``≥ 60 /min`` under 2 months, ``≥ 50`` from 2 to 12 months, ``≥ 40`` from 1 to 5
  years (WHO, Integrated Management of Childhood Illness chart booklet, 2014).
* Bradycardia ``< 50 /min`` (Kusumoto FM et al., 2018 ACC/AHA/HRS bradycardia
  guideline, Circulation 2019;140:e382).
* Hypertension ``SBP ≥ 140`` or ``DBP ≥ 90 mmHg`` (Williams B et al., 2018
  ESC/ESH guidelines, Eur Heart J 2018;39:3021-104); hypotension ``SBP < 90 mmHg``
  (Evans L et al., Surviving Sepsis Campaign 2021, Crit Care Med 2021;49:e1063).
* Hypoxaemia ``SpO₂ < 94 %``: below the target range 94-98 % of the BTS oxygen
  guideline (O'Driscoll BR et al., Thorax 2017;72:i1-i90).
* Anaemia ``Hb < 13 g/dL`` (men), ``< 12`` (non-pregnant women and unknown sex),
  ``< 11`` (pregnancy) (WHO, Haemoglobin concentrations for the diagnosis of
  anaemia, WHO/NMH/NHD/MNM/11.1, 2011).
* Thrombocytopenia ``platelets < 150 ×10⁹/L`` (the lower reference limit used by
  the ASH; e.g. Gauer RL, Am Fam Physician 2012;85:612).
* Hyperkalaemia ``K > 5.5``, hypokalaemia ``K < 3.5 mmol/L`` (Lott C et al.,
  ERC Guidelines 2021: cardiac arrest in special circumstances, Resuscitation
  2021;161:152-219).
* Hyponatraemia ``Na < 135``, hypernatraemia ``Na > 145 mmol/L`` (Spasovski G et
  al., European hyponatraemia guideline, Eur J Endocrinol 2014;170:G1-47).
* Hyperglycaemia ``glucose ≥ 200 mg/dL`` (random plasma glucose criterion),
  hypoglycaemia ``< 70 mg/dL`` (level 1) (ADA Standards of Care 2024, sections 2
  and 6, Diabetes Care 2024;47:S20, S111).
* Obesity ``BMI ≥ 30 kg/m²`` (WHO Technical Report Series 894, 2000).
* Decreased GFR ``eGFR < 60 mL/min/1.73 m²`` (KDIGO 2012 CKD guideline, category
  G3a-G5; Kidney Int Suppl 2013;3:1-150).

Adult heart-rate, respiratory-rate and blood-pressure thresholds are applied
only when the patient is known to be 18 or older, or the age is unknown; children
have age-specific ranges that huizhen does not guess at.

eGFR: CKD-EPI 2021 creatinine equation without race (Inker LA et al., New
creatinine- and cystatin C-based equations to estimate GFR without race, NEJM
2021;385:1737-49): ``142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^-1.200 × 0.9938^age
× 1.012 [female]``, κ = 0.7 (F) / 0.9 (M), α = -0.241 (F) / -0.302 (M), Scr in
mg/dL (µmol/L ÷ 88.4).  Only for adults (≥ 18) of known sex.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from huizhen.patient.measures import BY_KEY, canonical
from huizhen.patient.model import Code, CodeSystem, Finding, Measurement, Patient, Sex, Span


def age_on(birth: date, on: date) -> float:
    """Age in whole years on ``on`` (birthday counted on the day itself)."""
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return float(years)


def bmi(weight_kg: float, height_cm: float) -> float:
    """Body-mass index in kg/m² (Quetelet)."""
    m = height_cm / 100.0
    return weight_kg / (m * m)


def egfr_ckd_epi_2021(creatinine_mg_dl: float, age_years: float, sex: Sex) -> float:
    """eGFR (mL/min/1.73 m²) by the race-free CKD-EPI 2021 creatinine equation.

    Raises ``ValueError`` for a sex other than male or female, or a non-positive
    creatinine: the equation is defined for neither.
    """
    if sex not in (Sex.MALE, Sex.FEMALE):
        raise ValueError("CKD-EPI 2021 needs sex male or female")
    if creatinine_mg_dl <= 0:
        raise ValueError("creatinine must be positive")
    female = sex is Sex.FEMALE
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = creatinine_mg_dl / kappa
    value = 142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938 ** age_years
    return value * (1.012 if female else 1.0)


def latest(patient: Patient) -> dict[str, tuple[float, Measurement]]:
    """Latest canonical value of each known quantity (by time, then input order)."""
    best: dict[str, tuple[str, int, float, Measurement]] = {}
    for i, m in enumerate(patient.measurements):
        got = canonical(m)
        if got is None:
            continue
        q, value = got
        key = (m.time or "", i)
        old = best.get(q.key)
        if old is None or key >= (old[0], old[1]):
            best[q.key] = (key[0], key[1], value, m)
    return {k: (v[2], v[3]) for k, v in best.items()}


#: (HPO id, label, quantity, test, adult-only, threshold text)
_Rule = tuple[str, str, str, Callable[[float, Patient], bool], bool, str]


def _anaemia(hb: float, p: Patient) -> bool:
    if p.pregnant:
        return hb < 11.0
    return hb < (13.0 if p.sex is Sex.MALE else 12.0)


RULES: list[_Rule] = [
    ("HP:0001945", "Fever", "temperature", lambda v, p: v > 38.0, False, "> 38.0 °C"),
    ("HP:0002045", "Hypothermia", "temperature", lambda v, p: v < 35.0, False, "< 35.0 °C"),
    ("HP:0001649", "Tachycardia", "heart_rate", lambda v, p: v > 100, True, "> 100 /min"),
    ("HP:0001662", "Bradycardia", "heart_rate", lambda v, p: v < 50, True, "< 50 /min"),
    ("HP:0002789", "Tachypnea", "respiratory_rate", lambda v, p: v > 20, True, "> 20 /min"),
    ("HP:0000822", "Hypertension", "systolic_bp", lambda v, p: v >= 140, True, "SBP ≥ 140 mmHg"),
    ("HP:0000822", "Hypertension", "diastolic_bp", lambda v, p: v >= 90, True, "DBP ≥ 90 mmHg"),
    ("HP:0002615", "Hypotension", "systolic_bp", lambda v, p: v < 90, True, "SBP < 90 mmHg"),
    ("HP:0012418", "Hypoxemia", "spo2", lambda v, p: v < 94, False, "SpO2 < 94 %"),
    ("HP:0001903", "Anemia", "hemoglobin", _anaemia, False, "Hb below WHO cut-off"),
    ("HP:0001974", "Leukocytosis", "wbc", lambda v, p: v > 12, False, "> 12 ×10⁹/L"),
    ("HP:0001882", "Leukopenia", "wbc", lambda v, p: v < 4, False, "< 4 ×10⁹/L"),
    ("HP:0001873", "Thrombocytopenia", "platelets", lambda v, p: v < 150, False, "< 150 ×10⁹/L"),
    ("HP:0002153", "Hyperkalemia", "potassium", lambda v, p: v > 5.5, False, "> 5.5 mmol/L"),
    ("HP:0002900", "Hypokalemia", "potassium", lambda v, p: v < 3.5, False, "< 3.5 mmol/L"),
    ("HP:0002902", "Hyponatremia", "sodium", lambda v, p: v < 135, False, "< 135 mmol/L"),
    ("HP:0003228", "Hypernatremia", "sodium", lambda v, p: v > 145, False, "> 145 mmol/L"),
    ("HP:0003074", "Hyperglycemia", "glucose", lambda v, p: v >= 200, False, "≥ 200 mg/dL"),
    ("HP:0001943", "Hypoglycemia", "glucose", lambda v, p: v < 70, False, "< 70 mg/dL"),
    ("HP:0001513", "Obesity", "bmi", lambda v, p: v >= 30, True, "BMI ≥ 30 kg/m²"),
    ("HP:0012213", "Decreased glomerular filtration rate", "egfr", lambda v, p: v < 60, True,
     "eGFR < 60 mL/min/1.73 m²"),
]


def derive(patient: Patient, *, today: date | None = None) -> Patient:
    """Fill ``patient.derived`` and the findings implied by its latest vitals and labs.

    Idempotent: earlier derived findings and derived values are recomputed.
    ``today`` (default: the real date) is used for the age from a birth date.
    """
    patient.findings = [f for f in patient.findings if f.origin != "derived"]
    patient.derived = {}
    if patient.birth_date is not None:
        patient.age_years = age_on(patient.birth_date,
                                   patient.deceased_date or today or date.today())
    if patient.age_years is not None:
        patient.derived["age_years"] = patient.age_years

    values = latest(patient)
    scalars = {k: v for k, (v, _) in values.items()}
    if "bmi" not in scalars and "weight" in scalars and "height" in scalars:
        scalars["bmi"] = round(bmi(scalars["weight"], scalars["height"]), 1)
    if "bmi" in scalars:
        patient.derived["bmi"] = round(scalars["bmi"], 1)

    adult = patient.age_years is None or patient.age_years >= 18
    if ("creatinine" in scalars and patient.age_years is not None and patient.age_years >= 18
            and patient.sex in (Sex.MALE, Sex.FEMALE)):
        age = patient.age_years
        cr = values["creatinine"][1]
        if patient.birth_date is not None and cr.time:
            # the equation wants the age when the blood was drawn
            try:
                age = age_on(patient.birth_date, date.fromisoformat(cr.time[:10]))
            except ValueError:
                pass
        e = egfr_ckd_epi_2021(scalars["creatinine"], max(age, 18.0), patient.sex)
        patient.derived["egfr"] = round(e, 1)
        patient.derived["creatinine_mg_dl"] = round(scalars["creatinine"], 3)
        scalars["egfr"] = e
    elif "egfr" in scalars:
        patient.derived["egfr"] = round(scalars["egfr"], 1)

    stated = {f.code.code for f in patient.findings
              if f.code is not None and f.code.system is CodeSystem.HPO and f.present}
    rules = list(RULES)
    if patient.age_years is not None and patient.age_years < 5:
        limit = 60 if patient.age_years < 2 / 12 else 50 if patient.age_years < 1 else 40
        def fast(v: float, p: Patient, lim: int = limit) -> bool:
            return v >= lim

        rules.append(("HP:0002789", "Tachypnea", "respiratory_rate", fast, False,
                      f"≥ {limit} /min (WHO IMCI)"))
    for hpo, label, key, test, adult_only, rule in rules:
        if key not in scalars or (adult_only and not adult) or hpo in stated:
            continue
        value = scalars[key]
        if not test(value, patient):
            continue
        stated.add(hpo)
        m = values.get(key, (None, None))[1]
        unit = BY_KEY[key].unit
        what = f"{BY_KEY[key].name} {value:.4g} {unit} ({rule})"
        patient.findings.append(Finding(
            label=label, code=Code(CodeSystem.HPO, hpo, label), present=True,
            origin="derived",
            source=Span(text=what, pointer=m.source.pointer if m and m.source else None,
                        start=m.source.start if m and m.source else None,
                        end=m.source.end if m and m.source else None),
        ))
    return patient
