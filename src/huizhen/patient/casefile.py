"""The simple case format: a short JSON or YAML file a doctor can type by hand.

Why a format of our own: FHIR and phenopackets are verbose; a clinician who
wants a second opinion writes ``sex: female, age: 34, findings: [fever, rash]``.
Every field is optional; unknown fields are listed in ``Patient.unparsed``,
never silently dropped.  See ``docs/intake.md`` for the full layout::

    id: case-7
    sex: female            # male | female | other | unknown
    age: 34                # years, or birth_date: 1990-05-01
    pregnant: true
    gestational_weeks: 20
    findings:
      - HP:0001945                       # an HPO id
      - {id: HP:0002315, present: false} # excluded
      - rash                             # a label: looked up in HPO (en or zh)
      - {label: 关节痛, onset: P2W}
    vitals: {temperature: 38.6, heart_rate: 112, bp: 150/95, spo2: 93}
    labs:
      creatinine: {value: 120, unit: umol/L, time: 2024-05-01}
      hemoglobin: 9.8                    # canonical unit g/dL
    conditions: [ICD-10:E11.9, {label: hypertension, code: SNOMED:38341003}]
    medications: [metformin 500 mg bid, {name: warfarin, dose: 5, unit: mg, frequency: qd}]
    allergies: [penicillin, {substance: sulfa, reaction: rash, severity: moderate}]
    note: 发热三天，咳嗽，无胸痛。       # free text, read by the text matcher

Numbers without a unit are taken in the canonical unit of ``measures`` (°C,
/min, mmHg, %, kg, cm, mg/dL, g/dL, 10⁹/L, mmol/L).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from huizhen.errors import InputError
from huizhen.patient import measures
from huizhen.patient.medication import parse_medication
from huizhen.patient.model import (
    Allergy,
    Code,
    CodeSystem,
    Condition,
    Finding,
    Measurement,
    Patient,
    Sex,
    Span,
    Unparsed,
)

KEYS = {"id", "sex", "age", "birth_date", "pregnant", "lactating", "gestational_weeks",
        "findings", "vitals", "labs", "conditions", "medications", "allergies", "note", "lang"}
#: Keys that mark a mapping as a case file when sniffing the format.
MARKERS = {"findings", "vitals", "labs", "medications", "note", "age", "sex", "conditions",
           "allergies"}
_VITAL_KEYS = {"temperature", "heart_rate", "respiratory_rate", "systolic_bp", "diastolic_bp",
               "spo2", "weight", "height", "bmi", "bp", "pulse", "hr", "rr", "temp"}
_ALIASES = {"pulse": "heart_rate", "hr": "heart_rate", "rr": "respiratory_rate",
            "temp": "temperature", "sbp": "systolic_bp", "dbp": "diastolic_bp",
            "cr": "creatinine", "scr": "creatinine", "hb": "hemoglobin", "hgb": "hemoglobin",
            "k": "potassium", "na": "sodium", "plt": "platelets", "glu": "glucose"}
_PREFIX = {"HP": CodeSystem.HPO, "ICD-10": CodeSystem.ICD10, "ICD10": CodeSystem.ICD10,
           "SNOMED": CodeSystem.SNOMED, "SCTID": CodeSystem.SNOMED, "OMIM": CodeSystem.OMIM,
           "ORPHA": CodeSystem.ORPHA, "LOINC": CodeSystem.LOINC, "RXNORM": CodeSystem.RXNORM,
           "ATC": CodeSystem.ATC}
_HPO_RE = re.compile(r"^HP[:_]\d{7}$", re.IGNORECASE)


def parse_code(text: str, *, source: str, field: str) -> Code:
    """``HP:0001945``, ``ICD-10:E11.9``, ``SNOMED:38341003`` ... into a ``Code``."""
    if _HPO_RE.match(text.strip()):
        return Code(CodeSystem.HPO, text.strip().upper().replace("_", ":"))
    prefix, sep, code = text.partition(":")
    system = _PREFIX.get(prefix.strip().upper())
    if not sep or system is None or not code.strip():
        raise InputError(f"unknown code system (use one of {', '.join(_PREFIX)})", source=source,
                         field=field, value=text)
    return Code(system, code.strip())


def _number(value: Any, *, source: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError("not a number", source=source, field=field, value=value)
    try:
        return float(value)
    except ValueError:
        raise InputError("not a number", source=source, field=field, value=value) from None


def _finding(item: Any, i: int, source: str, hpo: Any) -> Finding:
    field = f"findings[{i}]"
    if isinstance(item, str):
        item = {"id": item} if _HPO_RE.match(item.strip()) else {"label": item}
    if not isinstance(item, dict):
        raise InputError("a finding is an HPO id, a label or a mapping", source=source,
                         field=field, value=item)
    present = item.get("present", True)
    if not isinstance(present, bool):
        raise InputError("present must be true or false", source=source,
                         field=f"{field}.present", value=present)
    label = item.get("label")
    code: Code | None = None
    if item.get("id"):
        cur, _note = hpo.resolve(str(item["id"]), source=source, field=f"{field}.id")
        code = Code(CodeSystem.HPO, cur, hpo.name(cur))
        label = label or hpo.name(cur)
    elif item.get("code"):
        code = parse_code(str(item["code"]), source=source, field=f"{field}.code")
    elif label:
        found = hpo.lookup_label(str(label))
        if found:
            code = Code(CodeSystem.HPO, found, hpo.name(found))
    if not label and code is None:
        raise InputError("a finding needs an id, a code or a label", source=source, field=field,
                         value=item)
    certainty = str(item.get("certainty", "confirmed"))
    if certainty not in ("confirmed", "possible", "history", "family"):
        raise InputError("certainty must be confirmed, possible, history or family",
                         source=source, field=f"{field}.certainty", value=certainty)
    return Finding(label=str(label or (code.display if code else "")), code=code, present=present,
                   onset=item.get("onset"), certainty=certainty, source=Span(pointer=field))


def _measurement(key: str, value: Any, field: str, source: str) -> list[Measurement]:
    key = _ALIASES.get(key.lower(), key.lower())
    unit: str | None = None
    time: str | None = None
    if isinstance(value, dict):
        unit = value.get("unit")
        time = str(value["time"]) if value.get("time") is not None else None
        value = value.get("value")
    out = _measurements(key, value, unit, field, source)
    for m in out:
        m.time = time
    return out


def _measurements(key: str, value: Any, unit: str | None, field: str,
                  source: str) -> list[Measurement]:
    if key == "bp":
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*(mmHg)?\s*", str(value), re.IGNORECASE)
        if not m:
            raise InputError("blood pressure is written systolic/diastolic", source=source,
                             field=field, value=value)
        return [_one("systolic_bp", float(m.group(1)), "mm[Hg]", field, source),
                _one("diastolic_bp", float(m.group(2)), "mm[Hg]", field, source)]
    if key not in measures.BY_KEY:
        raise InputError(f"unknown measurement (known: {', '.join(sorted(measures.BY_KEY))}, bp)",
                         source=source, field=field, value=key)
    return [_one(key, _number(value, source=source, field=field), unit, field, source)]


def _one(key: str, value: float, unit: str | None, field: str, source: str) -> Measurement:
    m = measures.make(key, value, unit, source=source, field=field)
    m.source = Span(pointer=field)
    return m


def _condition(item: Any, i: int, source: str) -> Condition:
    field = f"conditions[{i}]"
    if isinstance(item, str):
        if re.match(r"^[A-Za-z-0-9]+:\S+$", item.strip()):
            return Condition(label=item, code=parse_code(item, source=source, field=field),
                             source=Span(pointer=field))
        return Condition(label=item, source=Span(pointer=field))
    if not isinstance(item, dict) or not (item.get("label") or item.get("code")):
        raise InputError("a condition is a code, a label or a mapping with label/code",
                         source=source, field=field, value=item)
    code: Code | None = parse_code(str(item["code"]), source=source, field=f"{field}.code") \
        if item.get("code") else None
    return Condition(label=str(item.get("label") or item["code"]), code=code,
                     status=str(item.get("status", "active")), onset=item.get("onset"),
                     source=Span(pointer=field))


def _allergy(item: Any, i: int, source: str) -> Allergy:
    field = f"allergies[{i}]"
    if isinstance(item, str):
        return Allergy(substance=item, source=Span(pointer=field))
    if not isinstance(item, dict) or not item.get("substance"):
        raise InputError("an allergy is a substance name or a mapping with substance",
                         source=source, field=field, value=item)
    sev = item.get("severity")
    if sev is not None and sev not in ("mild", "moderate", "severe"):
        raise InputError("severity must be mild, moderate or severe", source=source,
                         field=f"{field}.severity", value=sev)
    return Allergy(substance=str(item["substance"]), reaction=item.get("reaction"),
                   severity=sev, criticality=item.get("criticality"),
                   category=item.get("category"), source=Span(pointer=field))


def _list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise InputError("must be a list", source=source, field=key, value=value)
    return value


def read_case(data: dict[str, Any], *, source: str = "case") -> Patient:
    """Build a ``Patient`` from a parsed case mapping (see the module docstring).

    Free text in ``note`` is read by ``huizhen.patient.text`` and merged in.
    """
    from huizhen.knowledge.hpo import load_hpo

    hpo = load_hpo()
    p = Patient(id=str(data["id"]) if data.get("id") is not None else None, source=source)
    sex = str(data.get("sex", "unknown")).lower()
    sex = {"m": "male", "f": "female", "男": "male", "女": "female"}.get(sex, sex)
    if sex not in {s.value for s in Sex}:
        raise InputError("sex must be male, female, other or unknown", source=source,
                         field="sex", value=data.get("sex"))
    p.sex = Sex(sex)
    if data.get("age") is not None:
        p.age_years = _number(data["age"], source=source, field="age")
        if not 0 <= p.age_years <= 130:
            raise InputError("impossible age", source=source, field="age", value=data["age"])
    if data.get("birth_date") is not None:
        try:
            p.birth_date = date.fromisoformat(str(data["birth_date"])[:10])
        except ValueError:
            raise InputError("birth_date must be YYYY-MM-DD", source=source, field="birth_date",
                             value=data["birth_date"]) from None
    for key in ("pregnant", "lactating"):
        if data.get(key) is not None:
            if not isinstance(data[key], bool):
                raise InputError("must be true or false", source=source, field=key,
                                 value=data[key])
            setattr(p, key, data[key])
    if data.get("gestational_weeks") is not None:
        weeks = _number(data["gestational_weeks"], source=source, field="gestational_weeks")
        if not 0 <= weeks <= 45:
            raise InputError("impossible gestational age", source=source,
                             field="gestational_weeks", value=weeks)
        p.gestational_weeks = weeks
        p.pregnant = True if p.pregnant is None else p.pregnant
    p.findings = [_finding(x, i, source, hpo) for i, x in enumerate(_list(data, "findings", source))]
    for group in ("vitals", "labs"):
        block = data.get(group) or {}
        if not isinstance(block, dict):
            raise InputError("must be a mapping of name: value", source=source, field=group,
                             value=block)
        for key, value in block.items():
            p.measurements.extend(_measurement(str(key), value, f"{group}.{key}", source))
    p.conditions = [_condition(x, i, source) for i, x in enumerate(_list(data, "conditions", source))]
    p.medications = [parse_medication(x, source=source, field=f"medications[{i}]")
                     for i, x in enumerate(_list(data, "medications", source))]
    p.allergies = [_allergy(x, i, source) for i, x in enumerate(_list(data, "allergies", source))]
    for key in sorted(set(data) - KEYS):
        p.unparsed.append(Unparsed(what=f"{source}: {key}", reason="field not in the case format",
                                   source=Span(pointer=key)))
    note = data.get("note")
    if note:
        from huizhen.patient.text import read_text

        t = read_text(str(note), lang=data.get("lang"), source=f"{source}: note")
        p.text, p.lang = t.text, t.lang
        have = {(f.code.code if f.code else f.label) for f in p.findings}
        p.findings += [f for f in t.findings if (f.code.code if f.code else f.label) not in have]
        p.measurements += t.measurements
        p.medications += t.medications
        p.unparsed += t.unparsed
    return p


_SYSTEM_PREFIX = {CodeSystem.ICD10: "ICD-10", CodeSystem.SNOMED: "SNOMED", CodeSystem.OMIM: "OMIM",
                  CodeSystem.ORPHA: "ORPHA", CodeSystem.LOINC: "LOINC", CodeSystem.RXNORM: "RXNORM",
                  CodeSystem.ATC: "ATC"}


def _code_text(code: Code) -> str:
    if code.system is CodeSystem.HPO:
        return code.code
    return f"{_SYSTEM_PREFIX.get(code.system, code.system.value)}:{code.code}"


def to_case(p: Patient) -> dict[str, Any]:
    """The case-file mapping of a patient, so any input can be saved, edited by hand
    and read back (``read_case(to_case(p))`` gives back the same stated facts).

    Derived findings are left out (they are recomputed on reading); measurements of
    quantities huizhen does not know, and free-text spans, have no place in the format.
    """
    out: dict[str, Any] = {}
    if p.id:
        out["id"] = p.id
    out["sex"] = p.sex.value
    if p.birth_date:
        out["birth_date"] = p.birth_date.isoformat()
    elif p.age_years is not None:
        out["age"] = p.age_years
    for key in ("pregnant", "lactating", "gestational_weeks"):
        if getattr(p, key) is not None:
            out[key] = getattr(p, key)
    findings: list[Any] = []
    for f in p.findings:
        if f.origin == "derived":
            continue
        item: dict[str, Any] = {}
        if f.code is not None and f.code.system is CodeSystem.HPO:
            item["id"] = f.code.code
        elif f.code is not None:
            item["code"] = _code_text(f.code)
            item["label"] = f.label
        else:
            item["label"] = f.label
        if not f.present:
            item["present"] = False
        if f.onset:
            item["onset"] = f.onset
        if f.certainty != "confirmed":
            item["certainty"] = f.certainty
        findings.append(item["id"] if list(item) == ["id"] else item)
    if findings:
        out["findings"] = findings
    for m in p.measurements:
        got = measures.canonical(m)
        if got is None or m.value is None:
            continue
        group = "vitals" if got[0].kind == "vital-signs" else "labs"
        out.setdefault(group, {})[got[0].key] = {"value": m.value, "unit": m.unit or got[0].unit,
                                                  **({"time": m.time} if m.time else {})}
    if p.conditions:
        out["conditions"] = [{"label": c.label, **({"code": _code_text(c.code)} if c.code else {}),
                              **({"status": c.status} if c.status != "active" else {})}
                             for c in p.conditions]
    if p.medications:
        out["medications"] = [{k: v for k, v in (
            ("name", m.written), ("dose", m.dose_value), ("unit", m.dose_unit), ("route", m.route),
            ("frequency", m.frequency), ("status", m.status if m.status != "active" else None))
            if v is not None} for m in p.medications]
    if p.allergies:
        out["allergies"] = [{k: v for k, v in (
            ("substance", a.substance), ("reaction", a.reaction), ("severity", a.severity),
            ("criticality", a.criticality), ("category", a.category)) if v is not None}
            for a in p.allergies]
    return out
