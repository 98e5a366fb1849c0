"""The vital signs and laboratory tests huizhen understands: LOINC code, UCUM units
and the range of physically possible values.

Why one table: the FHIR parser, the case-file parser, the inline-vitals reader
and ``derive`` must agree on what "creatinine in µmol/L" means and on which
values are impossible (a body temperature of 80 °C is a typing error, not a
fever).  Every parser checks units and ranges here, so a bad value gets the
same precise message whatever the input format was.

Units are UCUM codes (https://ucum.org).  Each accepted unit has a linear
conversion into the canonical unit (``value * factor + offset``).  Conversion
factors: creatinine 1 mg/dL = 88.4 µmol/L (KDIGO 2012 CKD guideline, Kidney
Int Suppl 2013;3:1-150, which uses 88.4); glucose 1 mmol/L = 18.016 mg/dL
(molar mass 180.16 g/mol); haemoglobin 1 g/dL = 10 g/L.

The "possible" ranges are deliberately wide (survivable extremes reported in
the literature plus margin), not reference ranges: they reject typing errors,
never abnormal patients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huizhen.errors import InputError
from huizhen.patient.model import Code, CodeSystem, Measurement


@dataclass(frozen=True, slots=True)
class Quantity:
    """One kind of measurement: LOINC code, canonical unit and the units accepted."""

    key: str
    loinc: str
    name: str
    unit: str
    #: Accepted UCUM unit -> (factor, offset) into ``unit``.
    units: dict[str, tuple[float, float]]
    low: float
    high: float
    kind: str = "laboratory"
    #: Other LOINC codes meaning the same quantity.
    alt_loinc: tuple[str, ...] = field(default_factory=tuple)


_ID = (1.0, 0.0)

QUANTITIES: list[Quantity] = [
    Quantity("temperature", "8310-5", "Body temperature", "Cel",
             {"Cel": _ID, "[degF]": (5 / 9, -32 * 5 / 9)}, 20.0, 46.0, "vital-signs",
             ("8331-1", "8332-9", "8333-7", "8328-7", "8329-5")),
    Quantity("heart_rate", "8867-4", "Heart rate", "/min", {"/min": _ID, "{beats}/min": _ID},
             0.0, 350.0, "vital-signs", ("8889-8",)),
    Quantity("respiratory_rate", "9279-1", "Respiratory rate", "/min",
             {"/min": _ID, "{breaths}/min": _ID}, 0.0, 120.0, "vital-signs"),
    Quantity("systolic_bp", "8480-6", "Systolic blood pressure", "mm[Hg]",
             {"mm[Hg]": _ID, "kPa": (7.50062, 0.0)}, 20.0, 320.0, "vital-signs"),
    Quantity("diastolic_bp", "8462-4", "Diastolic blood pressure", "mm[Hg]",
             {"mm[Hg]": _ID, "kPa": (7.50062, 0.0)}, 5.0, 250.0, "vital-signs"),
    Quantity("spo2", "59408-5", "Oxygen saturation", "%", {"%": _ID}, 20.0, 100.0,
             "vital-signs", ("2708-6", "20564-1")),
    Quantity("weight", "29463-7", "Body weight", "kg",
             {"kg": _ID, "g": (0.001, 0.0), "[lb_av]": (0.45359237, 0.0)}, 0.2, 700.0,
             "vital-signs", ("3141-9",)),
    Quantity("height", "8302-2", "Body height", "cm",
             {"cm": _ID, "m": (100.0, 0.0), "[in_i]": (2.54, 0.0)}, 20.0, 280.0,
             "vital-signs", ("8306-3",)),
    Quantity("bmi", "39156-5", "Body mass index", "kg/m2", {"kg/m2": _ID}, 5.0, 250.0,
             "vital-signs"),
    Quantity("creatinine", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL",
             {"mg/dL": _ID, "umol/L": (1 / 88.4, 0.0), "mmol/L": (1000 / 88.4, 0.0)},
             0.05, 40.0, alt_loinc=("38483-4", "14682-9")),
    Quantity("hemoglobin", "718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL",
             {"g/dL": _ID, "g/L": (0.1, 0.0)}, 1.0, 26.0),
    Quantity("wbc", "6690-2", "Leukocytes [#/volume] in Blood", "10*9/L",
             {"10*9/L": _ID, "10*3/uL": _ID, "/nL": _ID}, 0.0, 1000.0,
             alt_loinc=("26464-8",)),
    Quantity("platelets", "777-3", "Platelets [#/volume] in Blood", "10*9/L",
             {"10*9/L": _ID, "10*3/uL": _ID, "/nL": _ID}, 0.0, 5000.0,
             alt_loinc=("26515-7",)),
    Quantity("potassium", "2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L",
             {"mmol/L": _ID, "meq/L": _ID, "m[eq]/L": _ID}, 0.5, 15.0, alt_loinc=("6298-4",)),
    Quantity("sodium", "2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L",
             {"mmol/L": _ID, "meq/L": _ID, "m[eq]/L": _ID}, 80.0, 220.0, alt_loinc=("2947-0",)),
    Quantity("glucose", "2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL",
             {"mg/dL": _ID, "mmol/L": (18.016, 0.0)}, 5.0, 3000.0,
             alt_loinc=("2339-0", "41653-7")),
    Quantity("egfr", "33914-3", "Glomerular filtration rate/1.73 sq M.predicted", "mL/min/{1.73_m2}",
             {"mL/min/{1.73_m2}": _ID, "mL/min": _ID}, 0.0, 250.0,
             alt_loinc=("62238-1", "98979-8", "48642-3", "48643-1", "69405-9")),
]

BY_KEY: dict[str, Quantity] = {q.key: q for q in QUANTITIES}
BY_LOINC: dict[str, Quantity] = {}
for _q in QUANTITIES:
    BY_LOINC[_q.loinc] = _q
    for _alt in _q.alt_loinc:
        BY_LOINC[_alt] = _q

#: Unit spellings seen in the wild -> UCUM code (case-insensitive lookup).
UNIT_ALIASES: dict[str, str] = {
    "°c": "Cel", "℃": "Cel", "c": "Cel", "cel": "Cel", "degc": "Cel", "度": "Cel",
    "°f": "[degF]", "℉": "[degF]", "f": "[degF]", "[degf]": "[degF]", "degf": "[degF]",
    "bpm": "/min", "/min": "/min", "/分": "/min", "次/分": "/min", "次/min": "/min",
    "beats/min": "/min", "{beats}/min": "/min", "breaths/min": "/min", "{breaths}/min": "/min",
    "1/min": "/min", "min-1": "/min", "per min": "/min",
    "mmhg": "mm[Hg]", "mm[hg]": "mm[Hg]", "kpa": "kPa",
    "%": "%", "kg": "kg", "g": "g", "lb": "[lb_av]", "lbs": "[lb_av]", "[lb_av]": "[lb_av]",
    "cm": "cm", "m": "m", "in": "[in_i]", "[in_i]": "[in_i]", "kg/m2": "kg/m2", "kg/m²": "kg/m2",
    "mg/dl": "mg/dL", "umol/l": "umol/L", "µmol/l": "umol/L", "μmol/l": "umol/L",
    "mmol/l": "mmol/L", "g/dl": "g/dL", "g/l": "g/L", "10*9/l": "10*9/L", "10^9/l": "10*9/L",
    "×10^9/l": "10*9/L", "x10^9/l": "10*9/L", "10*3/ul": "10*3/uL", "10^3/ul": "10*3/uL",
    "k/ul": "10*3/uL", "/nl": "/nL", "meq/l": "meq/L", "m[eq]/l": "m[eq]/L",
    "ml/min/{1.73_m2}": "mL/min/{1.73_m2}", "ml/min/1.73m2": "mL/min/{1.73_m2}",
    "ml/min": "mL/min",
}


def ucum(unit: str | None) -> str | None:
    """The UCUM code for a unit as written (``µmol/L`` -> ``umol/L``), or the input."""
    if unit is None:
        return None
    return UNIT_ALIASES.get(unit.strip().lower(), unit.strip())


def check_value(q: Quantity, value: float, unit: str | None, *, source: str | None,
                field: str) -> float:
    """``value`` converted into ``q``'s canonical unit after checking unit and range.

    Raises ``InputError`` naming ``source`` and ``field`` for a unit this quantity
    cannot be measured in, or for a physically impossible value.
    """
    code = ucum(unit) if unit else q.unit
    if code not in q.units:
        raise InputError(f"unit not understood for {q.name} (expected one of "
                         f"{', '.join(q.units)})", source=source, field=field, value=unit)
    factor, offset = q.units[code]
    canonical = value * factor + offset
    if not q.low <= canonical <= q.high:
        raise InputError(f"impossible {q.name}: outside {q.low:g}-{q.high:g} {q.unit}",
                         source=source, field=field, value=f"{value:g} {code}")
    return canonical


def canonical(m: Measurement) -> tuple[Quantity, float] | None:
    """The known quantity and canonical value of a measurement, if huizhen knows it."""
    if m.value is None or m.code is None or m.code.system is not CodeSystem.LOINC:
        return None
    q = BY_LOINC.get(m.code.code)
    if q is None:
        return None
    code = ucum(m.unit) if m.unit else q.unit
    if code not in q.units:
        return None
    factor, offset = q.units[code]
    return q, m.value * factor + offset


def make(key: str, value: float, unit: str | None, *, source: str | None, field: str,
         **kw: object) -> Measurement:
    """A checked ``Measurement`` of the quantity ``key`` (unit kept as given, in UCUM)."""
    q = BY_KEY[key]
    check_value(q, value, unit, source=source, field=field)
    return Measurement(name=q.name, value=value, unit=ucum(unit) or q.unit,
                       code=Code(CodeSystem.LOINC, q.loinc, q.name), kind=q.kind, **kw)  # type: ignore[arg-type]
