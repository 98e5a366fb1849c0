"""FHIR R4 Bundle -> ``Patient``.

Why validate only some resources: a Synthea bundle holds thousands of claims,
encounters and explanations of benefit that huizhen does not read; validating
them all with ``fhir.resources`` costs ~0.7 s, validating the six resource types
huizhen uses costs a few tens of ms.  ``fhir.resources`` >= 7 ships no R4
package; its R4B models accept these R4 resources unchanged.

``fhir.resources`` checks structure and datatypes but not the required code sets
(``Patient.gender``, ``Observation.status``, ``AllergyIntolerance.criticality``
...), nor units and physically possible values; those checks are ours.

A resource that fails a check is *rejected*: it is left out, counted, and listed
in ``Patient.unparsed`` with a message naming the resource id, the field and the
value (with ``strict=True`` the first failure raises ``InputError`` instead).
Resource types huizhen does not use are *skipped* and counted.  Nothing is
dropped silently.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.patient import measures
from huizhen.patient.fhir_codes import (
    ACTIVE,
    GESTATIONAL_AGE,
    KNOWN_OTHER,
    PERIOD_PER_DAY,
    PREGNANCY_STATUS,
    PREGNANT_SNOMED,
    REQUIRED,
    SYSTEMS,
    UCUM,
)
from huizhen.patient.model import (
    Allergy,
    Code,
    CodeSystem,
    Condition,
    Finding,
    Measurement,
    Medication,
    Patient,
    Sex,
    Span,
    Unparsed,
)

SUPPORTED = ("Patient", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
             "AllergyIntolerance", "Medication")
BUNDLE_TYPES = {"collection", "searchset", "transaction", "batch", "document", "message",
                "transaction-response", "batch-response", "history"}

@dataclass
class BundleStats:
    """Counts per resource type: parsed, rejected (failed a check), skipped (type not used)."""

    parsed: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


class _Ctx:
    """Per-resource context: names the resource in every message."""

    def __init__(self, source: str, rtype: str, rid: str | None, index: int) -> None:
        self.source = source
        self.name = f"{source}: {rtype}/{rid}" if rid else f"{source}: entry[{index}] {rtype}"
        self.pointer = f"Bundle.entry[{index}]"
        self.notes: list[Unparsed] = []

    def error(self, message: str, field: str, value: Any) -> InputError:
        return InputError(message, source=self.name, field=field, value=value)

    def check(self, vs: str, field: str, value: Any) -> None:
        if value is not None and value not in REQUIRED[vs]:
            raise self.error(f"not in the required FHIR value set ({', '.join(sorted(REQUIRED[vs]))})",
                             field, value)

    def note(self, what: str, reason: str) -> None:
        self.notes.append(Unparsed(what=what, reason=reason, source=Span(pointer=self.pointer)))


def _status_code(concept: dict[str, Any] | None) -> str | None:
    if not concept:
        return None
    for c in concept.get("coding", []):
        if c.get("code"):
            return str(c["code"])
    return None


def _codes(ctx: _Ctx, concept: dict[str, Any] | None, field: str) -> tuple[list[Code], str | None]:
    """Codings we know (unknown systems are noted, not fatal) and the best label."""
    if not concept:
        return [], None
    out: list[Code] = []
    label = concept.get("text")
    for i, c in enumerate(concept.get("coding", [])):
        system, code = c.get("system"), c.get("code")
        label = label or c.get("display")
        if system in SYSTEMS and code:
            out.append(Code(SYSTEMS[system], str(code), c.get("display")))
        elif system not in KNOWN_OTHER:
            ctx.note(f"{ctx.name} {field}.coding[{i}]",
                     f"code system not recognised: {system!r} (code {code!r})")
    return out, label


def _pick(codes: list[Code], *order: CodeSystem) -> Code | None:
    for system in order:
        for c in codes:
            if c.system is system:
                return c
    return codes[0] if codes else None


def _patient(ctx: _Ctx, r: dict[str, Any], p: Patient) -> None:
    ctx.check("gender", "gender", r.get("gender"))
    p.id = r.get("id") or p.id
    p.sex = Sex(r["gender"]) if r.get("gender") else Sex.UNKNOWN
    if r.get("birthDate"):
        parts = str(r["birthDate"]).split("-")
        p.birth_date = date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 7,
                            int(parts[2]) if len(parts) > 2 else 1)
        if p.birth_date > date.today():
            raise ctx.error("birth date in the future", "birthDate", r["birthDate"])
    if r.get("deceasedDateTime"):
        p.deceased_date = date.fromisoformat(str(r["deceasedDateTime"])[:10])


def _condition(ctx: _Ctx, r: dict[str, Any], p: Patient) -> None:
    clinical = _status_code(r.get("clinicalStatus"))
    verification = _status_code(r.get("verificationStatus"))
    ctx.check("condition.clinical", "clinicalStatus", clinical)
    ctx.check("condition.verification", "verificationStatus", verification)
    if r.get("code") is None:
        raise ctx.error("a Condition without a code says nothing", "code", None)
    codes, label = _codes(ctx, r.get("code"), "code")
    if not codes and not label:
        raise ctx.error("no recognised coding and no text", "code", r.get("code"))
    status = clinical or ("resolved" if r.get("abatementDateTime") else "active")
    if verification in ("refuted", "entered-in-error"):
        status = verification
    onset = r.get("onsetDateTime") or r.get("onsetString")
    code = _pick(codes, CodeSystem.ICD10, CodeSystem.SNOMED, CodeSystem.HPO)
    span = Span(pointer=ctx.pointer, text=label)
    p.conditions.append(Condition(label=label or (code.display if code else "") or "",
                                  code=code, status=status, onset=onset, source=span))
    if status in ACTIVE and any(
            (c.system is CodeSystem.SNOMED and c.code in PREGNANT_SNOMED)
            or (c.system is CodeSystem.ICD10 and c.code.upper().startswith(("Z33", "Z34")))
            for c in codes):
        p.pregnant = True
    hpo = _pick([c for c in codes if c.system is CodeSystem.HPO], CodeSystem.HPO)
    if hpo is not None and verification != "entered-in-error":
        p.findings.append(Finding(label=hpo.display or label or hpo.code, code=hpo,
                                  present=verification != "refuted", onset=onset,
                                  certainty="possible" if verification in
                                  ("unconfirmed", "provisional", "differential") else "confirmed",
                                  source=span))


def _quantity(ctx: _Ctx, q: dict[str, Any], field: str) -> tuple[float, str | None]:
    if q.get("value") is None:
        raise ctx.error("quantity without a value", f"{field}.value", None)
    if q.get("system") not in (None, UCUM):
        raise ctx.error("unit system is not UCUM", f"{field}.system", q.get("system"))
    return float(q["value"]), q.get("code") or q.get("unit")


def _measure(ctx: _Ctx, loinc: str | None, codes: list[Code], label: str | None, value: float,
             unit: str | None, field: str, kind: str, time: str | None,
             interpretation: str | None) -> Measurement:
    q = measures.BY_LOINC.get(loinc) if loinc else None
    if q is not None:
        measures.check_value(q, value, unit, source=ctx.name, field=field)
        unit = measures.ucum(unit) or q.unit
        kind = q.kind
    code = _pick(codes, CodeSystem.LOINC)
    return Measurement(name=label or (q.name if q else "") or (code.code if code else "?"),
                       value=value, unit=unit, code=code, time=time,
                       interpretation=interpretation, kind=kind,
                       source=Span(pointer=ctx.pointer, text=label))


def _observation(ctx: _Ctx, r: dict[str, Any], p: Patient) -> None:
    ctx.check("observation.status", "status", r.get("status"))
    if r.get("status") in ("cancelled", "entered-in-error"):
        raise ctx.error("observation withdrawn", "status", r["status"])
    codes, label = _codes(ctx, r.get("code"), "code")
    loinc = next((c.code for c in codes if c.system is CodeSystem.LOINC), None)
    cat = _status_code((r.get("category") or [None])[0])
    kind = "vital-signs" if cat in ("vital-signs", "vital-sign") else (cat or "laboratory")
    time = r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start") \
        or r.get("issued")
    interp = _status_code((r.get("interpretation") or [None])[0])
    if loinc in PREGNANCY_STATUS:
        status = {c.get("code") for c in (r.get("valueCodeableConcept") or {}).get("coding", [])}
        if "77386006" in status:
            p.pregnant = True
        elif "60001007" in status:
            p.pregnant = False
    if loinc in GESTATIONAL_AGE and "valueQuantity" in r:
        q = r["valueQuantity"]
        unit = q.get("code") or q.get("unit")
        weeks = float(q.get("value", -1)) / (7.0 if unit == "d" else 1.0)
        if unit not in ("wk", "d") or not 0 <= weeks <= 45:
            raise ctx.error("gestational age must be 0-45 weeks, in wk or d", "valueQuantity",
                            f"{q.get('value')} {unit}")
        p.gestational_weeks = round(weeks, 1)
        p.pregnant = True
    if "valueQuantity" in r:
        value, unit = _quantity(ctx, r["valueQuantity"], "valueQuantity")
        p.measurements.append(_measure(ctx, loinc, codes, label, value, unit, "valueQuantity",
                                       kind, time, interp))
    elif r.get("component"):
        extra: dict[str, float] = {}
        for i, comp in enumerate(r["component"]):
            ccodes, clabel = _codes(ctx, comp.get("code"), f"component[{i}].code")
            cl = next((c.code for c in ccodes if c.system is CodeSystem.LOINC), None)
            if "valueQuantity" not in comp:
                continue
            value, unit = _quantity(ctx, comp["valueQuantity"], f"component[{i}].valueQuantity")
            if cl in measures.BY_LOINC:
                p.measurements.append(_measure(ctx, cl, ccodes, clabel, value, unit,
                                               f"component[{i}].valueQuantity", kind, time, interp))
            else:
                extra[clabel or cl or f"component[{i}]"] = value
        if extra:
            m = _measure(ctx, loinc, codes, label, float("nan"), None, "component", kind, time,
                         interp)
            m.value = None
            m.components = extra
            p.measurements.append(m)
    else:
        text = (r.get("valueString") or (r.get("valueCodeableConcept") or {}).get("text")
                or _display(r.get("valueCodeableConcept")))
        if text is None and r.get("valueBoolean") is not None:
            text = str(r["valueBoolean"]).lower()
        if text is None and r.get("valueInteger") is not None:
            p.measurements.append(_measure(ctx, loinc, codes, label, float(r["valueInteger"]),
                                           None, "valueInteger", kind, time, interp))
            return
        if text is None:
            raise ctx.error("observation without a value this parser reads", "value[x]",
                            sorted(k for k in r if k.startswith("value")) or None)
        p.measurements.append(Measurement(name=label or loinc or "?", value=None,
                                          code=_pick(codes, CodeSystem.LOINC), time=time,
                                          interpretation=interp, kind=kind, text=text,
                                          source=Span(pointer=ctx.pointer, text=label)))


def _display(concept: dict[str, Any] | None) -> str | None:
    for c in (concept or {}).get("coding", []):
        if c.get("display"):
            return str(c["display"])
    return None


def _dosage(ctx: _Ctx, d: dict[str, Any], field: str, med: Medication) -> None:
    for j, dr in enumerate(d.get("doseAndRate", [])):
        dq = dr.get("doseQuantity")
        if dq and dq.get("value") is not None:
            if float(dq["value"]) < 0:
                raise ctx.error("negative dose", f"{field}.doseAndRate[{j}].doseQuantity.value",
                                dq["value"])
            med.dose_value, med.dose_unit = float(dq["value"]), dq.get("code") or dq.get("unit")
            break
    if d.get("route"):
        med.route = d["route"].get("text") or _display(d["route"])
    rep = (d.get("timing") or {}).get("repeat") or {}
    if rep.get("frequency") and rep.get("period") and rep.get("periodUnit") in PERIOD_PER_DAY:
        if float(rep["period"]) <= 0:
            raise ctx.error("non-positive dosing period", f"{field}.timing.repeat.period",
                            rep["period"])
        med.per_day = float(rep["frequency"]) / float(rep["period"]) * \
            PERIOD_PER_DAY[rep["periodUnit"]]
        med.frequency = f"{rep['frequency']}/{rep['period']}{rep['periodUnit']}"
    code = ((d.get("timing") or {}).get("code") or {})
    med.frequency = code.get("text") or _display(code) or med.frequency
    if d.get("text"):
        med.frequency = med.frequency or d["text"]


def _medication(ctx: _Ctx, r: dict[str, Any], p: Patient, meds: dict[str, dict[str, Any]]) -> None:
    rt = r["resourceType"]
    if rt == "MedicationRequest":
        ctx.check("medicationrequest.status", "status", r.get("status"))
        ctx.check("medicationrequest.intent", "intent", r.get("intent"))
        dosages = r.get("dosageInstruction", [])
        dfield = "dosageInstruction"
    else:
        ctx.check("medicationstatement.status", "status", r.get("status"))
        dosages = r.get("dosage", [])
        dfield = "dosage"
    if r.get("status") == "entered-in-error":
        raise ctx.error("medication entered in error", "status", r["status"])
    concept = r.get("medicationCodeableConcept")
    fld = "medicationCodeableConcept"
    if concept is None and r.get("medicationReference"):
        ref = r["medicationReference"].get("reference", "")
        contained = {f"#{c.get('id')}": c for c in r.get("contained", [])
                     if c.get("resourceType") == "Medication"}
        res = contained.get(ref) or meds.get(ref) or meds.get(ref.split("/")[-1])
        if res is None:
            written = r["medicationReference"].get("display")
            if not written:
                raise ctx.error("medication reference not found in the bundle",
                                "medicationReference.reference", ref)
            concept = {"text": written}
        else:
            concept = res.get("code")
        fld = "medicationReference"
    codes, label = _codes(ctx, concept, fld)
    if not label and not codes:
        raise ctx.error("no medication named", fld, concept)
    status = r.get("status") or "active"
    if rt == "MedicationRequest" and r.get("intent") in ("proposal", "plan") and \
            status in ("active", "draft"):
        status = "proposed"
    med = Medication(written=label or codes[0].code, status=status,
                     codes=[c for c in codes if c.system in (CodeSystem.RXNORM, CodeSystem.ATC,
                                                             CodeSystem.DRUGBANK)],
                     source=Span(pointer=ctx.pointer, text=label))
    for i, d in enumerate(dosages[:1]):
        _dosage(ctx, d, f"{dfield}[{i}]", med)
    p.medications.append(med)


def _allergy(ctx: _Ctx, r: dict[str, Any], p: Patient) -> None:
    clinical = _status_code(r.get("clinicalStatus"))
    verification = _status_code(r.get("verificationStatus"))
    ctx.check("allergy.clinical", "clinicalStatus", clinical)
    ctx.check("allergy.verification", "verificationStatus", verification)
    ctx.check("allergy.criticality", "criticality", r.get("criticality"))
    ctx.check("allergy.type", "type", r.get("type"))
    for i, c in enumerate(r.get("category", [])):
        ctx.check("allergy.category", f"category[{i}]", c)
    codes, label = _codes(ctx, r.get("code"), "code")
    reaction = (r.get("reaction") or [{}])[0]
    if not label and not codes:
        codes, label = _codes(ctx, reaction.get("substance"), "reaction[0].substance")
    if not label and not codes:
        raise ctx.error("no substance named", "code", r.get("code"))
    ctx.check("allergy.severity", "reaction[0].severity", reaction.get("severity"))
    manif = ", ".join(m.get("text") or _display(m) or "" for m in reaction.get("manifestation", []))
    status = clinical or "active"
    if verification in ("refuted", "entered-in-error"):
        status = verification
    p.allergies.append(Allergy(
        substance=label or codes[0].code, code=_pick(codes, CodeSystem.RXNORM, CodeSystem.SNOMED),
        reaction=manif or None, severity=reaction.get("severity"),
        criticality=r.get("criticality"), category=(r.get("category") or [None])[0],
        status=status, source=Span(pointer=ctx.pointer, text=label)))


def _validate(ctx: _Ctx, r: dict[str, Any]) -> None:
    try:
        get_fhir_model_class(r["resourceType"]).model_validate(r)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        # a whole-resource rule (a choice of [x] fields) has no location: name none, and
        # do not repeat the whole resource as the value
        value = first.get("input") if first["type"] != "missing" and loc else None
        raise ctx.error(first["msg"], loc or "resource", value) from None


def load_json(data: bytes | str | dict[str, Any], source: str) -> dict[str, Any]:
    """Parse JSON text into a dict, or raise ``InputError`` with line and column."""
    if isinstance(data, dict):
        return data
    try:
        obj = json.loads(data)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg} at line {err.lineno} column {err.colno}",
                         source=source) from None
    if not isinstance(obj, dict):
        raise UnsupportedFormatError("JSON top level is not an object", source=source)
    return obj


def read_bundle(data: bytes | str | dict[str, Any], *, source: str = "bundle",
                strict: bool = False) -> tuple[Patient, BundleStats]:
    """Parse a FHIR R4 Bundle into a ``Patient`` and per-type counts.

    Derived facts are not computed here (``parse.load_patient`` calls ``derive``).
    """
    b = load_json(data, source)
    if b.get("resourceType") != "Bundle":
        raise UnsupportedFormatError("not a FHIR Bundle", source=source, field="resourceType",
                                     value=b.get("resourceType"))
    if b.get("type") not in BUNDLE_TYPES:
        raise InputError("not a FHIR Bundle type", source=source, field="type", value=b.get("type"))
    entries = b.get("entry", [])
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise InputError("Bundle.entry must be a list", source=source, field="entry",
                         value=type(entries).__name__)
    p = Patient(source=source)
    stats = BundleStats()
    meds: dict[str, dict[str, Any]] = {}
    for e in entries:
        r = e.get("resource") if isinstance(e, dict) else None
        if isinstance(r, dict) and r.get("resourceType") == "Medication":
            if e.get("fullUrl"):
                meds[e["fullUrl"]] = r
            if r.get("id"):
                meds[f"Medication/{r['id']}"] = r
                meds[str(r["id"])] = r
    seen_patient = False
    for i, e in enumerate(entries):
        r = (e or {}).get("resource") if isinstance(e, dict) else None
        if not isinstance(r, dict) or "resourceType" not in r:
            stats.rejected["(no resource)"] += 1
            p.unparsed.append(Unparsed(what=f"{source}: entry[{i}]", reason="entry without a resource",
                                       source=Span(pointer=f"Bundle.entry[{i}]")))
            continue
        rt = str(r["resourceType"])
        if rt not in SUPPORTED or rt == "Medication":
            if rt != "Medication":
                stats.skipped[rt] += 1
            continue
        ctx = _Ctx(source, rt, r.get("id"), i)
        try:
            _validate(ctx, r)
            if rt == "Patient":
                if seen_patient:
                    raise ctx.error("a second Patient in one bundle; only the first is read",
                                    "id", r.get("id"))
                _patient(ctx, r, p)
                seen_patient = True
            elif rt == "Condition":
                _condition(ctx, r, p)
            elif rt == "Observation":
                _observation(ctx, r, p)
            elif rt in ("MedicationRequest", "MedicationStatement"):
                _medication(ctx, r, p, meds)
            else:
                _allergy(ctx, r, p)
        except InputError as err:
            if strict:
                raise
            stats.rejected[rt] += 1
            p.unparsed.append(Unparsed(what=ctx.name, reason=err.render(),
                                       source=Span(pointer=ctx.pointer)))
            continue
        if strict and ctx.notes:
            n = ctx.notes[0]
            raise InputError(n.reason, source=n.what)
        stats.parsed[rt] += 1
        p.unparsed.extend(ctx.notes)
    if not entries:
        p.unparsed.append(Unparsed(what=f"{source}: Bundle", reason="the bundle has no entries"))
    if stats.skipped:
        p.unparsed.append(Unparsed(
            what=f"{source}: {sum(stats.skipped.values())} resources of types huizhen does not use",
            reason=", ".join(f"{k} {v}" for k, v in sorted(stats.skipped.items()))))
    return p, stats
