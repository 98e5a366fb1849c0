"""From a CDS Hooks request to the ``Patient`` and draft orders the engines read.

Prefetched data arrives as one FHIR resource or search Bundle per prefetch
key; draft orders as a Bundle in the context.  Each is parsed strictly by the
FHIR intake (a resource that fails validation is a 422 naming the prefetch
key, the entry and the field — a medication check must not silently skip an
order it could not read) and the pieces are merged into one patient.

A needed prefetch key that is absent is fetched from the EHR's FHIR server
when the request carries ``fhirServer`` and ``fhirAuthorization`` and the
tenant lists that server (``huizhen.api.fhirfetch``); otherwise, as the
specification requires, the answer is 412.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

from huizhen.api.errors import PrefetchMissingError
from huizhen.errors import InputError
from huizhen.patient.derive import derive
from huizhen.patient.fhir import read_bundle
from huizhen.patient.model import Medication, Patient

#: Prefetch templates of the medication services; ``REQUIRED`` ones must be satisfied.
ORDER_PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "allergies": "AllergyIntolerance?patient={{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
    "observations": "Observation?patient={{context.patientId}}&category=laboratory"
                    "&_sort=-date&_count=50",
}
ORDER_REQUIRED = ("patient", "medications", "allergies")
#: patient-view reads the whole record; the differential needs conditions and labs.
VIEW_PREFETCH = ORDER_PREFETCH
VIEW_REQUIRED = ("patient", "conditions", "observations")


@dataclass(frozen=True, slots=True)
class DraftOrder:
    """A draft MedicationRequest and what huizhen understood of it."""

    resource_id: str | None
    resource: dict[str, Any]
    medication: Medication


def complete_prefetch(prefetch: dict[str, Any] | None, required: tuple[str, ...],
                      templates: dict[str, str], context: dict[str, Any],
                      fhir_server: str | None, access_token: str | None,
                      fhir_servers: list[str]) -> dict[str, Any]:
    """The prefetch data, with absent keys fetched from the EHR when that is allowed.

    A null value means "no data" and satisfies its key.  412 when a required
    key is absent and cannot be fetched.
    """
    from huizhen.api import fhirfetch

    data = dict(prefetch or {})
    absent = [key for key in templates if key not in data]
    can_fetch = bool(fhir_server and access_token and fhirfetch.allowed(fhir_server,
                                                                         fhir_servers))
    if absent and can_fetch:
        assert fhir_server is not None and access_token is not None
        queries = {key: fhirfetch.render(templates[key], context) for key in absent}
        data.update(fhirfetch.fetch(fhir_server, access_token, queries))
    missing = [key for key in required if key not in data]
    if missing:
        wanted = "; ".join(f"{key}: {templates[key]}" for key in missing)
        if not fhir_server:
            why = "no fhirServer was given to fetch it from"
        elif not access_token:
            why = "no fhirAuthorization was given to fetch it with"
        else:
            why = "the fhirServer is not on this tenant's fhir_servers list"
        raise PrefetchMissingError(f"required prefetch data is missing and {why}; prefetch "
                                   f"{wanted}", field="prefetch", value=missing)
    return data


def _as_bundle(value: dict[str, Any]) -> dict[str, Any]:
    if value.get("resourceType") == "Bundle":
        return value
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": value}]}


#: Parsed prefetch values and draft orders by content hash.  An EHR sends the same
#: record with every order-select / order-sign of one ordering session; FHIR
#: validation is most of a call's CPU, and identical JSON always parses to the same
#: patient facts.  Cached parts are shared, never changed: ``_merge`` copies their
#: list items into a new patient, and neither ``derive`` nor the safety checker
#: alters an item.
_PARSED: OrderedDict[str, Patient] = OrderedDict()
#: Whole patients (parts merged, facts derived) by (patient id, date, part keys);
#: handed out as copies whose lists and ``derived`` are the caller's own.
_ASSEMBLED: OrderedDict[tuple[str, ...], Patient] = OrderedDict()
_PARSED_MAX = 2048
_PARSED_LOCK = threading.Lock()


def _content_key(value: dict[str, Any], source: str) -> str:
    """A key that is equal only for equal JSON values (and the same source).

    The pickle of a JSON value is a faithful spelling of it (same bytes, same
    value) and is made about four times faster than ``json.dumps``; a
    different key order only costs a cache miss.
    """
    return f"{source}:{hashlib.sha256(pickle.dumps(value, protocol=5)).hexdigest()}"


def _remember(cache: OrderedDict[Any, Patient], key: Any, value: Patient) -> None:
    with _PARSED_LOCK:
        cache[key] = value
        while len(cache) > _PARSED_MAX:
            cache.popitem(last=False)


def _recall(cache: OrderedDict[Any, Patient], key: Any) -> Patient | None:
    with _PARSED_LOCK:
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
    return hit


def _parsed(bundle: dict[str, Any], source: str) -> tuple[str, Patient]:
    """``read_bundle(bundle, strict=True)`` and its content key, remembered by content (the
    source is part of the key, since it is in every error message and span)."""
    key = _content_key(bundle, source)
    hit = _recall(_PARSED, key)
    if hit is None:
        hit, _ = read_bundle(bundle, source=source, strict=True)
        _remember(_PARSED, key, hit)
    return key, hit


def _parse_part(key: str, value: dict[str, Any]) -> tuple[str, Patient]:
    return _parsed(_as_bundle(value), f"prefetch.{key}")


_FIELDS = tuple(dataclasses.fields(Patient))
_BLANK = Patient()
_LISTS = tuple(f.name for f in _FIELDS if isinstance(getattr(_BLANK, f.name), list))


def _merge(into: Patient, part: Patient) -> None:
    """Lists are concatenated; a scalar is taken from the first part that has it."""
    for f in _FIELDS:
        value = getattr(part, f.name)
        if isinstance(value, list):
            getattr(into, f.name).extend(value)
        elif value != getattr(_BLANK, f.name) and getattr(into, f.name) == getattr(_BLANK, f.name):
            setattr(into, f.name, value)


def _own_copy(patient: Patient) -> Patient:
    """A copy the caller may extend (order-select adds the other drafts to its medications)."""
    out = copy.copy(patient)
    for name in _LISTS:
        setattr(out, name, list(getattr(patient, name)))
    out.derived = dict(patient.derived)
    return out


def patient_from_prefetch(prefetch: dict[str, Any] | None, patient_id: str) -> Patient:
    """One patient from every prefetched key, validated strictly, facts derived.

    The merged and derived patient is remembered for the day (ages depend on
    the date) under the keys of its parts, so a repeated record costs a hash
    per part and a copy.
    """
    parts: list[tuple[str, Patient]] = []
    for key, value in (prefetch or {}).items():
        if value is None:
            continue
        if not isinstance(value, dict) or "resourceType" not in value:
            raise InputError("a prefetch value must be a FHIR resource or Bundle",
                             field=f"prefetch.{key}", value=type(value).__name__)
        if value.get("resourceType") == "Patient" and value.get("id") not in (None, patient_id):
            raise InputError("prefetched Patient is not the patient in context",
                             field=f"prefetch.{key}.id", value=value.get("id"))
        parts.append(_parse_part(key, value))
    whole = (patient_id, date.today().isoformat(), *(k for k, _ in parts))
    patient = _recall(_ASSEMBLED, whole)
    if patient is None:
        patient = Patient(id=patient_id, source="cds-hooks prefetch")
        for _, part in parts:
            _merge(patient, part)
        patient.id = patient_id
        patient = derive(patient)
        _remember(_ASSEMBLED, whole, patient)
    return _own_copy(patient)


def draft_orders(bundle: dict[str, Any]) -> list[DraftOrder]:
    """The draft MedicationRequests of ``context.draftOrders`` (other order types are skipped)."""
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError("must be a list", field="context.draftOrders.entry",
                         value=type(entries).__name__)
    kept: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise InputError("entry without a resource",
                             field=f"context.draftOrders.entry[{index}]")
        if resource.get("resourceType") == "MedicationRequest":
            kept.append(resource)
    if not kept:
        return []
    # Cached like the prefetch: order-select sends the drafts as they are picked and
    # order-sign sends the same drafts again; a new or changed order is parsed afresh.
    _, parsed = _parsed({"resourceType": "Bundle", "type": "collection",
                      "entry": [{"resource": r} for r in kept]}, "context.draftOrders")
    if len(parsed.medications) != len(kept):
        raise InputError("a draft MedicationRequest could not be read",
                         field="context.draftOrders", value=len(kept) - len(parsed.medications))
    return [DraftOrder(resource_id=r.get("id"), resource=r, medication=m)
            for r, m in zip(kept, parsed.medications, strict=True)]


def split_selected(drafts: list[DraftOrder], selections: list[str]
                   ) -> tuple[list[DraftOrder], list[DraftOrder]]:
    """order-select: (the selected drafts, the other drafts already on the order list)."""
    wanted = set(selections)
    refs = {f"MedicationRequest/{d.resource_id}" for d in drafts}
    unknown = sorted(s for s in wanted - refs if s.startswith("MedicationRequest/"))
    if unknown:
        raise InputError("selection names no MedicationRequest in draftOrders",
                         field="context.selections", value=unknown[0])
    chosen = [d for d in drafts if f"MedicationRequest/{d.resource_id}" in wanted]
    others = [d for d in drafts if f"MedicationRequest/{d.resource_id}" not in wanted]
    return chosen, others
