"""Vital signs and common laboratory values written inline in a note.

``T 38.5℃ P 110次/分 R 24次/分 BP 150/95mmHg``, ``体温38.5度``, ``SpO2 91% on RA``,
``Cr 180 µmol/L``: each becomes a checked ``Measurement`` with its span, so
``derive`` can turn it into fever, tachycardia or a reduced eGFR.  A value that
is impossible (``T 83``) is not guessed at: it is listed in ``unparsed`` with
the reason.

Without a unit, the unit is inferred from the magnitude where the ranges do
not overlap (temperature ≤ 46 is °C, ≥ 80 is °F; creatinine ≥ 20 is µmol/L;
haemoglobin > 25 is g/L; glucose ≤ 35 is mmol/L), and the inference is noted
in the measurement's span text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from huizhen.errors import InputError
from huizhen.patient import measures
from huizhen.patient.model import Measurement, Span, Unparsed

_NUM = r"(\d{1,4}(?:\.\d+)?)"
_SEP = r"\s*(?:[:：=]|is|of|was|为|是)?\s*"


def _unit_or(default: Callable[[float], str]) -> Callable[[float, str | None], str]:
    def pick(value: float, unit: str | None) -> str:
        return measures.ucum(unit) or default(value) if unit else default(value)
    return pick


# (quantity key, name pattern, unit pattern, default unit from magnitude)
_SIMPLE: list[tuple[str, str, str, Callable[[float, str | None], str]]] = [
    ("temperature", r"(?:\btemp(?:erature)?|\bT(?=\s*[:：]?\s*\d)|体温|\bTmax)",
     r"°\s*[CF]|℃|℉|[CF]\b|度|deg(?:rees)?\s*[CF]?",
     _unit_or(lambda v: "Cel" if v <= 46 else "[degF]")),
    ("heart_rate", r"(?:\bheart\s+rate|\bHR|\bpulse(?:\s+rate)?|\bP(?=\s*[:：]?\s*\d)|心率|脉搏|脉率)",
     r"bpm|次\s*/\s*分(?:钟)?|/\s*min|beats?\s*(?:/|per)\s*min(?:ute)?",
     _unit_or(lambda v: "/min")),
    ("respiratory_rate", r"(?:\bresp(?:iratory)?\s+rate|\bRR|\bresps?|\bR(?=\s*[:：]?\s*\d)|呼吸频率|呼吸)",
     r"次\s*/\s*分(?:钟)?|/\s*min|breaths?\s*(?:/|per)\s*min(?:ute)?|bpm",
     _unit_or(lambda v: "/min")),
    ("spo2", (r"(?:\bSp\s*O2|\bSa\s*O2|\bO2\s*sat(?:uration)?s?|\bsats|\boxygen\s+saturation|"
              r"血氧饱和度|指脉氧|经皮血氧|血氧)"), r"%", _unit_or(lambda v: "%")),
    ("weight", r"(?:\bweight|\bwt|体重)", r"kg|公斤|lbs?|g\b", _unit_or(lambda v: "kg")),
    ("height", r"(?:\bheight|\bht|身高)", r"cm|m\b|厘米|米|in\b", _unit_or(lambda v: "cm")),
    ("bmi", r"(?:\bBMI|体重指数|体质指数)", r"kg\s*/\s*m2|kg\s*/\s*m²", _unit_or(lambda v: "kg/m2")),
    ("creatinine", r"(?:\bcreatinine|\bS?Cr\b|血肌酐|肌酐)",
     r"[µμu]mol\s*/\s*L|mg\s*/\s*dL", _unit_or(lambda v: "umol/L" if v >= 20 else "mg/dL")),
    ("hemoglobin", r"(?:\bha?emoglobin|\bHg?b\b|\bHGB|血红蛋白)", r"g\s*/\s*dL|g\s*/\s*L",
     _unit_or(lambda v: "g/L" if v > 25 else "g/dL")),
    ("wbc", r"(?:\bWBC|\bwhite\s+(?:blood\s+)?cell\s+count|白细胞(?:计数)?)",
     r"[×xX*]?\s*10\s*[\^*]?\s*9\s*/\s*L|K\s*/\s*[µu]L|10\^3\s*/\s*[µu]L",
     _unit_or(lambda v: "10*9/L")),
    ("platelets", r"(?:\bplatelets?(?:\s+count)?|\bPLT|血小板(?:计数)?)",
     r"[×xX*]?\s*10\s*[\^*]?\s*9\s*/\s*L|K\s*/\s*[µu]L|10\^3\s*/\s*[µu]L",
     _unit_or(lambda v: "10*9/L")),
    ("potassium", r"(?:\bpotassium|\bK\+?(?=\s*[:：]?\s*\d)|血钾)", r"mmol\s*/\s*L|mEq\s*/\s*L",
     _unit_or(lambda v: "mmol/L")),
    ("sodium", r"(?:\bsodium|\bNa\+?(?=\s*[:：]?\s*\d)|血钠)", r"mmol\s*/\s*L|mEq\s*/\s*L",
     _unit_or(lambda v: "mmol/L")),
    ("glucose", r"(?:\bglucose|\bBG|\bBSL|\bGLU|血糖)", r"mmol\s*/\s*L|mg\s*/\s*dL",
     _unit_or(lambda v: "mmol/L" if v <= 35 else "mg/dL")),
]
_COMPILED = [(key, re.compile(rf"{name}{_SEP}{_NUM}\s*(?P<unit>{unit})?", re.IGNORECASE), pick)
             for key, name, unit, pick in _SIMPLE]
_BP = re.compile(rf"(?:\bBP|\bB/P|\bblood\s+pressure|血压){_SEP}(\d{{2,3}})\s*/\s*(\d{{2,3}})"
                 r"\s*(?P<unit>mm\s*Hg|mmHg|毫米汞柱|kPa)?", re.IGNORECASE)
# a second reading named by posture after a BP: "BP 92/58 lying, 78/50 standing",
# "卧位血压 92/58mmHg，立位 78/50mmHg"
_POSTURE = r"(?:lying|supine|sitting|standing|on standing|erect|卧位|平卧位?|坐位|立位|站立位?)"
_BP_MORE = re.compile(rf"{_POSTURE}\s*[:：]?\s*(?P<s1>\d{{2,3}})\s*/\s*(?P<d1>\d{{2,3}})\s*(?:mm\s*Hg)?|"
                      rf"(?P<s2>\d{{2,3}})\s*/\s*(?P<d2>\d{{2,3}})\s*(?:mm\s*Hg)?\s*{_POSTURE}",
                      re.IGNORECASE)
# "pulse irregularly irregular at 132", "heart rate of 48": a few words between
_HR_WORDS = re.compile(r"(?:\bpulse|\bheart\s+rate|\bHR)\b[^.;,\d\n]{0,30}?\b(?:at|of)\s+"
                       r"(\d{2,3})(?:\s*(?P<unit>bpm|/\s*min|beats?\s*(?:/|per)\s*min(?:ute)?))?",
                       re.IGNORECASE)
_UNIT_FIX = {"度": "Cel", "公斤": "kg", "厘米": "cm", "米": "m", "lb": "[lb_av]", "lbs": "[lb_av]",
             "in": "[in_i]"}


def _norm_unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    u = re.sub(r"\s+", "", unit)
    if u in _UNIT_FIX:
        return _UNIT_FIX[u]
    if re.fullmatch(r"(°|deg(rees)?)?[Cc]|℃", u) or u.lower() in ("degc", "degreesc"):
        return "Cel"
    if re.fullmatch(r"(°|deg(rees)?)?[Ff]|℉", u):
        return "[degF]"
    if u.lower().startswith("deg"):
        return None
    if "次" in u or "min" in u.lower() or u.lower() == "bpm":
        return "/min"
    if re.search(r"10.?.?9/L", u, re.IGNORECASE):
        return "10*9/L"
    if re.search(r"(K|10\^3)/[µu]L", u, re.IGNORECASE):
        return "10*3/uL"
    if u.lower() in ("mmhg", "毫米汞柱"):
        return "mm[Hg]"
    return measures.ucum(u)


def find_vitals(text: str) -> tuple[list[Measurement], list[Unparsed]]:
    """Measurements written inline in ``text``, and the impossible ones as ``Unparsed``."""
    found: list[tuple[int, int, Measurement]] = []
    bad: list[Unparsed] = []
    taken: list[tuple[int, int]] = []

    def add(key: str, value: float, unit: str, start: int, end: int, assumed: bool) -> None:
        span_text = text[start:end]
        try:
            m = measures.make(key, value, unit, source="text", field=span_text)
        except InputError as err:
            bad.append(Unparsed(what=span_text, reason=err.message,
                                source=Span(start=start, end=end, text=span_text)))
            return
        note = f" (unit {unit} assumed)" if assumed else ""
        m.source = Span(start=start, end=end, text=span_text + note)
        found.append((start, end, m))

    for m in _BP.finditer(text):
        unit = "kPa" if m.group("unit") and m.group("unit").lower() == "kpa" else "mm[Hg]"
        add("systolic_bp", float(m.group(1)), unit, m.start(), m.end(), False)
        add("diastolic_bp", float(m.group(2)), unit, m.start(), m.end(), False)
        taken.append((m.start(), m.end()))
    first_bp = min((a for a, _ in taken), default=None)
    for m in _BP_MORE.finditer(text):
        if first_bp is None or m.start() < first_bp or \
                any(s < m.end() and m.start() < e for s, e in taken):
            continue
        sys_, dia = (m["s1"], m["d1"]) if m["s1"] else (m["s2"], m["d2"])
        add("systolic_bp", float(sys_), "mm[Hg]", m.start(), m.end(), False)
        add("diastolic_bp", float(dia), "mm[Hg]", m.start(), m.end(), False)
        taken.append((m.start(), m.end()))
    for key, rx, pick in _COMPILED:
        for m in rx.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            value = float(m.group(1))
            raw_unit = m.group("unit")
            found_unit = _norm_unit(raw_unit) if raw_unit else None
            add(key, value, found_unit or pick(value, None), m.start(), m.end(),
                found_unit is None)
            taken.append((m.start(), m.end()))
    for m in _HR_WORDS.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e in taken):
            add("heart_rate", float(m.group(1)), "/min", m.start(), m.end(), not m.group("unit"))
            taken.append((m.start(), m.end()))
    found.sort(key=lambda x: x[0])
    return [m for _, _, m in found], bad


def spans(measurements: list[Measurement]) -> list[tuple[int, int]]:
    """Character spans the measurements were read from."""
    return [(m.source.start, m.source.end) for m in measurements
            if m.source and m.source.start is not None and m.source.end is not None]
