"""Medications as people write them: ``metformin 500 mg bid``, ``阿司匹林 100mg 每日一次``.

Why only dose, unit and frequency here: what a drug *is* (brand -> ingredient,
Chinese name -> ingredient) belongs to the drug vocabulary
(``huizhen.knowledge.drugs``); intake records what was written, splits off the
dose and the frequency, and asks the vocabulary for ingredients when it is
installed.
"""

from __future__ import annotations

import re
from typing import Any

from huizhen.errors import InputError
from huizhen.patient.fhir_codes import PERIOD_PER_DAY as _PER_DAY
from huizhen.patient.model import Ingredient, Medication, Span

#: Abbreviations of dosing frequency -> doses per day (standard Latin prescription
#: abbreviations; Chinese 每日N次 forms).
FREQUENCIES: dict[str, float] = {
    "qd": 1, "od": 1, "daily": 1, "once daily": 1, "qam": 1, "qpm": 1, "qhs": 1, "hs": 1,
    "bid": 2, "twice daily": 2, "tid": 3, "three times daily": 3, "qid": 4,
    "four times daily": 4, "qod": 0.5, "weekly": 1 / 7, "qw": 1 / 7,
    "每日一次": 1, "每天一次": 1, "一日一次": 1, "每日1次": 1, "qn": 1, "每晚一次": 1,
    "每日两次": 2, "每日二次": 2, "每天两次": 2, "一日两次": 2, "每日2次": 2,
    "每日三次": 3, "每天三次": 3, "一日三次": 3, "每日3次": 3,
    "每日四次": 4, "每天四次": 4, "每日4次": 4, "每周一次": 1 / 7,
}
_QH = re.compile(r"^q(\d+)h$", re.IGNORECASE)
_FHIR_RATE = re.compile(r"(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)(s|min|h|d|wk|mo|a)")

_UNITS = r"mg|g|mcg|µg|ug|μg|ml|mL|iu|IU|units?|u|U|片|粒|袋|支|毫克|克|微克|毫升"
_DOSE = re.compile(rf"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>{_UNITS})(?![A-Za-z])")
_UNIT_MAP = {"毫克": "mg", "克": "g", "微克": "ug", "µg": "ug", "μg": "ug", "mcg": "ug",
             "毫升": "mL", "ml": "mL", "iu": "[iU]", "IU": "[iU]", "units": "[iU]", "unit": "[iU]",
             "u": "[iU]", "U": "[iU]"}


def per_day(frequency: str) -> float | None:
    """Doses per day for ``bid``, ``q8h``, ``每日三次`` ...; None when not understood."""
    f = frequency.strip().lower().replace(".", "")
    if f in FREQUENCIES:
        return float(FREQUENCIES[f])
    m = _QH.match(f)
    if m and int(m.group(1)) > 0:
        return 24.0 / int(m.group(1))
    m = _FHIR_RATE.fullmatch(f)  # "2/1d", as the FHIR parser writes a Timing
    if m and float(m.group(2)) > 0:
        return float(m.group(1)) / float(m.group(2)) * _PER_DAY[m.group(3)]
    return None


_FREQ_RX = re.compile(
    "|".join(sorted((re.escape(k) if re.search(r"[\u4e00-\u9fff]", k) else rf"\b{re.escape(k)}\b"
                     for k in FREQUENCIES), key=len, reverse=True)) + r"|\bq\d+h\b", re.IGNORECASE)


def dose_in(text: str) -> tuple[float | None, str | None, str | None, float | None]:
    """(dose, unit, frequency, doses per day) written in ``text`` (the words after a
    drug name in a note: "500mg 每日两次", "5 mg daily")."""
    value = unit = freq = None
    m = _DOSE.search(text)
    if m:
        value, unit = float(m.group("value")), _UNIT_MAP.get(m.group("unit"), m.group("unit"))
    f = _FREQ_RX.search(text)
    if f:
        freq = f.group()
    return value, unit, freq, per_day(freq) if freq else None


def ingredients(name: str) -> list[Ingredient]:
    """Ingredients of a written drug name, from the drug vocabulary (none when unknown)."""
    from huizhen.knowledge.drugs import load_vocabulary

    return list(load_vocabulary().normalise(name))


def parse_medication(item: Any, *, source: str, field: str) -> Medication:
    """A ``Medication`` from a string (``"warfarin 5 mg qd"``) or a mapping with
    name, dose, unit, route, frequency, status."""
    if isinstance(item, str):
        text = item.strip()
        if not text:
            raise InputError("empty medication", source=source, field=field, value=item)
        med = Medication(written=text, source=Span(pointer=field, text=text))
        m = _DOSE.search(text)
        rest = text
        if m:
            med.dose_value = float(m.group("value"))
            med.dose_unit = _UNIT_MAP.get(m.group("unit"), m.group("unit"))
            rest = text[m.end():]
        for token in re.split(r"[\s,，;；]+", rest):
            if token and per_day(token) is not None:
                med.frequency, med.per_day = token, per_day(token)
                break
        name = text[:m.start()].strip() if m else text
        med.ingredients = ingredients(name or text)
        return med
    if not isinstance(item, dict) or not item.get("name"):
        raise InputError("a medication is a string or a mapping with a name", source=source,
                         field=field, value=item)
    med = Medication(written=str(item["name"]), source=Span(pointer=field))
    if item.get("dose") is not None:
        try:
            med.dose_value = float(item["dose"])
        except (TypeError, ValueError):
            raise InputError("dose is not a number", source=source, field=f"{field}.dose",
                             value=item["dose"]) from None
        if med.dose_value < 0:
            raise InputError("negative dose", source=source, field=f"{field}.dose",
                             value=item["dose"])
        med.dose_unit = item.get("unit")
    med.route = item.get("route")
    if item.get("frequency"):
        med.frequency = str(item["frequency"])
        med.per_day = per_day(med.frequency)
    med.status = str(item.get("status", "active"))
    med.ingredients = ingredients(med.written)
    return med
