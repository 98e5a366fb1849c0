"""A plain list of phenotypes → ``Patient``; and the reader of a rare-disease case file.

A list holds HPO ids or labels, English or Chinese (label or synonym;
Traditional Chinese is converted), one per line in a text file or as a JSON
list of strings.  A line starting with ``-`` (or ``NOT``, ``无``/``無``) is an
excluded finding; ``#`` starts a comment.  Every entry must resolve: a
mistyped label is an error naming its line, never silently dropped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.knowledge.hpo import Ontology
from huizhen.patient.model import Code, CodeSystem, Finding, Patient, Span
from huizhen.patient.phenopacket import is_phenopacket, load_json, parse_phenopacket

_ID = re.compile(r"^\s*HP[:_]\S*", re.IGNORECASE)
_NEG = re.compile(r"^\s*(?:-|!|NOT\s+|无|無)\s*", re.IGNORECASE)


def _entry(text: str, onto: Ontology, source: str, where: str,
           notes: list[str]) -> Finding | None:
    text = text.split("#", 1)[0].strip()
    if not text:
        return None
    present = True
    m = _NEG.match(text)
    if m:
        present, text = False, text[m.end():].strip()
    if _ID.match(text):
        raw = text.split()[0]
        hpo_id, note = onto.resolve(raw, source=source, field=where)
        if note:
            notes.append(f"{where}: {note}")
    else:
        found = onto.lookup_label(text)
        if found is None:
            raise InputError("not an HPO id, label or synonym", source=source, field=where,
                             value=text)
        raw, hpo_id = text, found
    name = onto.name(hpo_id)
    return Finding(label=name, code=Code(CodeSystem.HPO, hpo_id, name), present=present,
                   source=Span(pointer=where, text=raw))


def parse_hpo_list(items: list[Any], onto: Ontology, source: str, *, lines: bool
                   ) -> tuple[Patient, list[str]]:
    """Entries (lines of a text file, or items of a JSON list) → ``Patient``."""
    patient = Patient(source=source)
    notes: list[str] = []
    for i, item in enumerate(items):
        where = f"line {i + 1}" if lines else f"[{i}]"
        if not isinstance(item, str):
            raise InputError("expected an HPO id or label (a string)", source=source,
                             field=where, value=item)
        f = _entry(item, onto, source, where, notes)
        if f is not None:
            patient.findings.append(f)
    if not patient.findings:
        raise InputError("no phenotypes in the list", source=source)
    return patient, notes


def read_case(path: Path | str, onto: Ontology) -> tuple[Patient, list[str]]:
    """Read a case for the rare-disease ranker: a phenopacket, a JSON list, or a text list."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    raw = path.read_bytes()
    head = raw.lstrip()[:1]
    if path.suffix.lower() == ".json" or head in (b"{", b"["):
        data = load_json(path)
        if isinstance(data, list):
            return parse_hpo_list(data, onto, str(path), lines=False)
        if is_phenopacket(data):
            return parse_phenopacket(data, onto, str(path))
        raise UnsupportedFormatError("neither a GA4GH phenopacket nor a JSON list of HPO "
                                     "terms", source=str(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError("not UTF-8 text", source=str(path), field="byte",
                         value=err.start) from None
    return parse_hpo_list(text.splitlines(), onto, str(path), lines=True)
