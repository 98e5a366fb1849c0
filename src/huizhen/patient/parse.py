"""One entry point for patient input: ``load_patient(source) -> Patient`` (a path or
text; ``read_patient(content)`` for text that must never be taken for a path).

Why by content and not by file extension: a FHIR bundle saved as ``.txt``, a
phenopacket named ``case.json`` and a note pasted on the command line must all
just work.  The order of the checks: JSON object -> FHIR Bundle (``resourceType``),
phenopacket (``phenotypicFeatures``/``subject``/``metaData``), case file (case
keys); a YAML mapping with case keys -> case file; anything else -> free text.
A file that starts like JSON but is not valid JSON is an error, not a note.
After parsing, ``derive`` computes age, BMI, eGFR and implied findings once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.patient.casefile import MARKERS, read_case
from huizhen.patient.derive import derive
from huizhen.patient.model import Patient, Unparsed

_MAX_BYTES = 50 * 1024 * 1024


def _read(source: str | Path) -> tuple[str, str, bool]:
    """(content, name, is_file): a path that exists is read, anything else is text."""
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and len(source) < 1024 and _is_file(source)):
        path = Path(source)
        if not path.is_file():
            raise InputError("no such file", source=str(path))
        if path.stat().st_size > _MAX_BYTES:
            raise InputError(f"file larger than {_MAX_BYTES // 2**20} MiB", source=str(path))
        try:
            return path.read_text(encoding="utf-8-sig"), str(path), True
        except UnicodeDecodeError as err:
            raise UnsupportedFormatError("not UTF-8 text", source=str(path), field="byte",
                                         value=err.start) from None
    text = str(source)
    if "\n" not in text and re.fullmatch(r"\S+\.(?:json|ya?ml|txt|ndjson|xml)", text.strip(),
                                          re.IGNORECASE):
        raise InputError("no such file", source=text.strip())  # a mistyped path, not a note
    return text, "text", False


def _is_file(s: str) -> bool:
    try:
        return Path(s).is_file()
    except OSError:
        return False


def sniff(content: str, name: str = "input") -> tuple[str, Any]:
    """The format of ``content`` ("fhir", "phenopacket", "case", "text") and its parsed form."""
    head = content.lstrip()
    if head.startswith(("{", "[")):
        try:
            data = json.loads(content)
        except json.JSONDecodeError as err:
            raise InputError(f"invalid JSON: {err.msg} at line {err.lineno} column {err.colno}",
                             source=name) from None
        if not isinstance(data, dict):
            raise UnsupportedFormatError("a JSON list is not a patient (expected an object)",
                                         source=name)
        return _kind(data, name), data
    if name.endswith((".yaml", ".yml")) or head.startswith("---") or _looks_like_case(head):
        try:
            data = yaml.safe_load(content)
        except yaml.YAMLError as err:
            if name.endswith((".yaml", ".yml")):
                mark = getattr(err, "problem_mark", None)
                where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
                raise InputError(f"invalid YAML{where}", source=name) from None
            return "text", content
        if isinstance(data, dict) and MARKERS & set(map(str, data)):
            return "case", data
        if name.endswith((".yaml", ".yml")):
            raise UnsupportedFormatError("YAML without any case-file field (findings, sex, age, "
                                         "vitals, labs, medications, note ...)", source=name)
    return "text", content


def _looks_like_case(head: str) -> bool:
    first = next((ln for ln in head.splitlines() if ln.strip() and not ln.startswith("#")), "")
    key = first.split(":", 1)[0].strip()
    return ":" in first and key in MARKERS | {"id"}


def _kind(data: dict[str, Any], name: str) -> str:
    if "resourceType" in data:
        if data["resourceType"] == "Bundle":
            return "fhir"
        raise UnsupportedFormatError("a single FHIR resource; send a Bundle",
                                     source=name, field="resourceType", value=data["resourceType"])
    from huizhen.patient.phenopacket import is_phenopacket

    if is_phenopacket(data):
        return "phenopacket"
    if MARKERS & set(data):
        return "case"
    raise UnsupportedFormatError("JSON that is neither a FHIR Bundle, a phenopacket nor a case "
                                 "file", source=name, field="keys", value=sorted(data)[:8])


def load_patient(source: str | Path, *, strict: bool = False, lang: str | None = None) -> Patient:
    """Read a patient from a file path or from text, whatever its format.

    A one-line string naming an existing file is read *as that file* (the
    command line's ``huizhen intake case.json``); a caller whose text comes from
    a network or a form uses :func:`read_patient`, which never opens a file.
    ``strict``: a FHIR resource that fails a check raises instead of being listed
    in ``unparsed``.  ``lang`` forces the language of free text ("zh" or "en").
    """
    content, name, _ = _read(source)
    return read_patient(content, name=name, strict=strict, lang=lang)


def read_patient(content: str, *, name: str = "text", strict: bool = False,
                 lang: str | None = None) -> Patient:
    """Read a patient from ``content`` (never a path), whatever its format; ``name``
    is what messages call the input (a file name, "patient", "text")."""
    if not content.strip():
        raise InputError("empty input", source=name)
    kind, data = sniff(content, name)
    if kind == "fhir":
        from huizhen.patient.fhir import read_bundle

        patient, _stats = read_bundle(data, source=name, strict=strict)
    elif kind == "phenopacket":
        from huizhen.knowledge.hpo import load_hpo
        from huizhen.patient.phenopacket import parse_phenopacket

        patient, notes = parse_phenopacket(data, load_hpo(), name)
        patient.unparsed += [Unparsed(what=n.split(":", 1)[0], reason=f"remapped: {n}")
                             for n in notes]
    elif kind == "case":
        patient = read_case(data, source=name)
    else:
        from huizhen.patient.text import read_text

        patient = read_text(content, lang=lang, source=name)
    fill_ingredients(patient)
    return derive(patient)


def fill_ingredients(patient: Patient) -> None:
    """Ask the drug vocabulary for the ingredients of medications that have none yet
    (FHIR and case files record what was written; text mentions come with them)."""
    from huizhen.patient.medication import ingredients

    for med in patient.medications:
        if not med.ingredients:
            med.ingredients = ingredients(med.written)
