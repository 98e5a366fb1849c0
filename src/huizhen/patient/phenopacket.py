"""GA4GH Phenopacket v2 (JSON) → ``Patient``.

Only what a clinician would know before a diagnosis is read: the subject's sex
and age and the phenotypic features (observed or excluded, with onset).  The
``interpretations``, ``diseases``, ``biosamples``, genes and variants of a
phenopacket are the answer to a diagnostic question and are never read here;
benchmarks read the diagnosis separately (``huizhen.eval.rare``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.knowledge.hpo import Ontology
from huizhen.patient.model import Code, CodeSystem, Finding, Patient, Sex, Span

_SEX = {"MALE": Sex.MALE, "FEMALE": Sex.FEMALE, "OTHER_SEX": Sex.OTHER,
        "UNKNOWN_SEX": Sex.UNKNOWN}
#: Keys of the top level of a v2 phenopacket; one of them must be there.
_PHENOPACKET_KEYS = {"phenotypicFeatures", "subject", "metaData", "interpretations",
                     "diseases", "measurements", "biosamples"}


def load_json(path: Path) -> Any:
    """Read a JSON file; invalid JSON is an ``InputError`` naming line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError("not UTF-8 text", source=str(path), field="byte",
                         value=err.start) from None
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror})", source=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg}", source=str(path),
                         field=f"line {err.lineno} column {err.colno}") from None


def is_phenopacket(data: Any) -> bool:
    return isinstance(data, dict) and bool(_PHENOPACKET_KEYS & data.keys())


def _onset(obj: Any) -> str | None:
    """A TimeElement → ISO 8601 duration or HPO onset term id (what Finding.onset holds)."""
    if not isinstance(obj, dict):
        return None
    age = obj.get("age")
    if isinstance(age, dict) and isinstance(age.get("iso8601duration"), str):
        return str(age["iso8601duration"])
    cls = obj.get("ontologyClass")
    if isinstance(cls, dict) and isinstance(cls.get("id"), str):
        return str(cls["id"])
    rng = obj.get("ageRange")
    if isinstance(rng, dict):
        start = rng.get("start", {}).get("iso8601duration") if isinstance(
            rng.get("start"), dict) else None
        if isinstance(start, str):
            return start
    ga = obj.get("gestationalAge")
    if isinstance(ga, dict) and isinstance(ga.get("weeks"), int):
        # Before birth: a negative age, weeks before 40 weeks of gestation.
        return f"-P{max(0, 40 - int(ga['weeks']))}W"
    return None


def parse_phenopacket(data: Any, onto: Ontology, source: str, *, strict: bool = True
                      ) -> tuple[Patient, list[str]]:
    """Build a ``Patient`` from parsed phenopacket JSON; also return notes (id remaps).

    Raises ``InputError`` naming ``source``, the field and the value for anything
    that cannot be read: not a phenopacket, no phenotypic features, a feature
    without a valid current HPO id.  With ``strict=False`` (benchmarks over
    phenopackets newer than the HPO release) a term the release does not know is
    skipped with a note instead.
    """
    if not is_phenopacket(data):
        kind = type(data).__name__ if not isinstance(data, dict) else "object without " \
            "phenotypicFeatures or subject"
        raise UnsupportedFormatError(f"not a GA4GH phenopacket (a JSON {kind})", source=source)
    feats = data.get("phenotypicFeatures")
    if not isinstance(feats, list) or not feats:
        raise InputError("phenopacket without phenotypic features", source=source,
                         field="phenotypicFeatures", value=feats if feats is not None else None)
    notes: list[str] = []
    patient = Patient(id=str(data.get("id")) if data.get("id") else None, source=source)
    subject = data.get("subject")
    if isinstance(subject, dict):
        sex = subject.get("sex", "UNKNOWN_SEX")
        if sex not in _SEX:
            raise InputError("unknown sex (expected MALE, FEMALE, OTHER_SEX or UNKNOWN_SEX)",
                             source=source, field="subject.sex", value=sex)
        patient.sex = _SEX[sex]
        from huizhen.reasoning.rare_onset import iso_years

        tle = _onset(subject.get("timeAtLastEncounter"))
        if tle and tle.startswith("P"):
            patient.age_years = iso_years(tle)
    for i, feat in enumerate(feats):
        where = f"phenotypicFeatures[{i}]"
        if not isinstance(feat, dict) or not isinstance(feat.get("type"), dict):
            raise InputError("feature without a type", source=source, field=f"{where}.type",
                             value=feat.get("type") if isinstance(feat, dict) else feat)
        raw = feat["type"].get("id")
        if not isinstance(raw, str):
            raise InputError("feature type without an HPO id", source=source,
                             field=f"{where}.type.id", value=raw)
        try:
            hpo_id, note = onto.resolve(raw, source=source, field=f"{where}.type.id")
        except InputError as err:
            if strict:
                raise
            notes.append(f"skipped: {err.render()}")
            continue
        if note:
            notes.append(f"{where}: {note}")
        patient.findings.append(Finding(
            label=onto.name(hpo_id),
            code=Code(CodeSystem.HPO, hpo_id, onto.name(hpo_id)),
            present=not bool(feat.get("excluded", False)),
            onset=_onset(feat.get("onset")),
            source=Span(pointer=where, text=raw),
        ))
    return patient, notes


def read_phenopacket(path: Path, onto: Ontology) -> tuple[Patient, list[str]]:
    """Read and parse a phenopacket file."""
    return parse_phenopacket(load_json(path), onto, str(path))
