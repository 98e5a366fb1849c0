"""Cases in, answers out: the layouts the common-disease model learns from.

Two layouts are read (both documented in the README):

* **DDXPlus** — the CSV of the DDXPlus release (``AGE, SEX, PATHOLOGY,
  EVIDENCES, INITIAL_EVIDENCE[, DIFFERENTIAL_DIAGNOSIS]``).  Each row is a
  complete profile: every question was asked, so an evidence not listed is a
  "no" (or the question's default value).
* **Generic** — a hospital's own cases, CSV or JSONL, with a ``diagnosis`` and
  the ``findings`` present, optionally ``absent`` findings, ``age`` and
  ``sex``.  A finding is any code (HPO id, local code), ``code=value`` gives a
  one-value answer.  With ``unlisted="absent"`` (the default, for checklists)
  every finding not listed in a case counts as "no"; with ``"unknown"`` only
  the ``absent`` column does.

Also here: how a domain ``Patient`` becomes model answers (DDXPlus codes as
they are, HPO codes through the pack's HPO ↔ evidence table).
"""

from __future__ import annotations

import ast
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huizhen.errors import InputError
from huizhen.knowledge.ddxplus import DDXPlusKnowledge, HpoAnswer, load_knowledge
from huizhen.patient.model import CodeSystem, Finding, Patient, Sex
from huizhen.reasoning.common import (
    Answer,
    Answers,
    AnyOf,
    Case,
    CommonModel,
    DiseaseInfo,
    Feature,
    choose_multi_weight,
    learn,
)

DDXPLUS_COLUMNS = ("AGE", "SEX", "PATHOLOGY", "EVIDENCES")
_SEX_WORDS = {"m": "M", "male": "M", "男": "M", "f": "F", "female": "F", "女": "F"}


@dataclass(slots=True)
class DDXPlusPatient:
    """One row of a DDXPlus patient file; pathology and differential are for scoring only."""

    row: int
    age: float
    sex: str
    evidences: dict[str, Answer]
    initial: str | None
    pathology: str
    differential: list[tuple[str, float]] = field(default_factory=list)


# ---- DDXPlus layout ---------------------------------------------------------
def ddxplus_features(kb: DDXPlusKnowledge) -> list[Feature]:
    """Every evidence as a model feature; one-value and several-value follow-ups of a
    yes/no question (where / how strong is the pain) are gated by that question."""
    out = []
    for e in kb.evidences.values():
        gated = e.kind != "B" and e.parent is not None and kb.evidences[e.parent].kind == "B"
        out.append(Feature(e.id, e.kind, e.values, e.default, e.parent if gated else None))
    return out


def ddxplus_diseases(kb: DDXPlusKnowledge) -> list[DiseaseInfo]:
    return [DiseaseInfo(c.id, c.name_en, c.name_zh, c.icd10, c.severity, c.cannot_miss)
            for c in kb.conditions.values()]


def ddxplus_support(kb: DDXPlusKnowledge) -> dict[str, set[str]]:
    return {c.id: set(c.evidences) for c in kb.conditions.values()}


def _literal_list(text: str, *, source: str, field_name: str, row: int) -> list[Any]:
    try:
        value = ast.literal_eval(text) if text.strip() else []
    except (ValueError, SyntaxError):
        raise InputError("not a Python/JSON list", source=source,
                         field=f"row {row} {field_name}", value=text[:80]) from None
    if not isinstance(value, list):
        raise InputError("expected a list", source=source, field=f"row {row} {field_name}",
                         value=text[:80])
    return value


def read_ddxplus_patients(path: Path, kb: DDXPlusKnowledge | None = None) -> list[DDXPlusPatient]:
    """Read a DDXPlus patient CSV, checking every evidence token against the pack."""
    kb = kb or load_knowledge()
    src = str(path)
    out: list[DDXPlusPatient] = []
    try:
        fh = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise InputError("file not found", source=src) from None
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in DDXPLUS_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError("not a DDXPlus patient file: missing column", source=src,
                             field="header", value=missing[0])
        for i, rec in enumerate(reader, start=2):
            where = f"{src}:{i}"
            try:
                age = float(rec["AGE"])
            except ValueError:
                raise InputError("age is not a number", source=where, field="AGE",
                                 value=rec["AGE"]) from None
            sex = _SEX_WORDS.get(rec["SEX"].strip().lower())
            if sex is None:
                raise InputError("sex must be M or F", source=where, field="SEX", value=rec["SEX"])
            answers: dict[str, Answer] = {}
            for tok in _literal_list(rec["EVIDENCES"], source=src, field_name="EVIDENCES", row=i):
                code, value = kb.parse_token(str(tok), source=where)
                kind = kb.evidences[code].kind
                if kind == "B":
                    answers[code] = True
                elif kind == "C":
                    answers[code] = str(value)
                else:
                    prev = answers.get(code, frozenset())
                    answers[code] = frozenset(prev) | {str(value)}  # type: ignore[arg-type]
            initial = (rec.get("INITIAL_EVIDENCE") or "").strip() or None
            if initial is not None:
                kb.evidence(initial, source=where)
            pathology = rec["PATHOLOGY"].strip()
            kb.condition(pathology, source=where)
            diff = [(str(n), float(p)) for n, p in _literal_list(
                rec.get("DIFFERENTIAL_DIAGNOSIS") or "", source=src,
                field_name="DIFFERENTIAL_DIAGNOSIS", row=i)]
            out.append(DDXPlusPatient(i, age, sex, answers, initial, pathology, diff))
    return out


def full_profile(kb: DDXPlusKnowledge, p: DDXPlusPatient) -> Answers:
    """Every question answered: listed evidences as given, the rest "no" or their default."""
    values: dict[str, Answer] = {}
    for ev in kb.evidences.values():
        given = p.evidences.get(ev.id)
        if ev.kind == "B":
            values[ev.id] = bool(given)
        elif ev.kind == "C":
            values[ev.id] = given if given is not None else str(ev.default)
        else:
            values[ev.id] = given if given is not None else frozenset([str(ev.default)])
    return Answers(values, age=p.age, sex=p.sex)


def learn_ddxplus(path: Path, *, params: dict[str, float] | None = None,
                  patients: list[DDXPlusPatient] | None = None,
                  differential: bool = True) -> CommonModel:
    """Learn the DDXPlus model from a patient CSV (or already-read patients).

    The power on several-value answers (``multi_weight``) is chosen on held-out
    folds of these cases unless ``params`` sets it.  With ``differential`` the
    reference differentials of these (training) cases also teach which
    conditions belong in a differential.
    """
    kb = load_knowledge()
    rows = patients if patients is not None else read_ddxplus_patients(path, kb)
    cases = [Case(p.pathology, full_profile(kb, p), id=str(p.row)) for p in rows]
    model = learn(cases, ddxplus_diseases(kb), ddxplus_features(kb), support=ddxplus_support(kb),
                  params=params, knowledge=kb.version, source=str(path))
    if "multi_weight" not in (params or {}):
        weight, _ = choose_multi_weight(cases, model)
        model = model.with_params(multi_weight=weight)
    if differential and any(p.differential for p in rows):
        from huizhen.reasoning import common_differential

        refs = [{n for n, q in p.differential if q > 0} for p in rows]
        requires = {c.id: list(c.symptoms) for c in kb.conditions.values()}
        model.differential = common_differential.fit(model, [c.answers for c in cases], refs,
                                                     requires=requires)
    return model


# ---- generic layout -----------------------------------------------------------
def _split(text: Any) -> list[str]:
    if text is None:
        return []
    if isinstance(text, list):
        return [str(t).strip() for t in text if str(t).strip()]
    return [t.strip() for t in str(text).replace("|", ";").split(";") if t.strip()]


def _generic_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    src = str(path)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as err:
                    raise InputError(f"not valid JSON ({err.msg})", source=f"{src}:{i}") from None
                if not isinstance(rec, dict):
                    raise InputError("each line must be a JSON object", source=f"{src}:{i}")
                yield f"{src}:{i}", rec
    else:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            for col in ("diagnosis", "findings"):
                if col not in (reader.fieldnames or []):
                    raise InputError("generic case CSV is missing a column", source=src,
                                     field="header", value=col)
            for i, rec in enumerate(reader, start=2):
                yield f"{src}:{i}", rec


def _finding(item: Any, where: str) -> tuple[str, str | None]:
    if isinstance(item, dict):
        if "code" not in item:
            raise InputError("finding object needs a code", source=where, field="findings",
                             value=item)
        v = item.get("value")
        return str(item["code"]), None if v is None else str(v)
    code, sep, value = str(item).partition("=")
    return code.strip(), value.strip() if sep else None


def read_generic_cases(path: Path, *, unlisted: str = "absent") -> tuple[list[Case], list[Feature]]:
    """Read generic cases and the feature vocabulary they use (see the module docstring)."""
    if unlisted not in ("absent", "unknown"):
        raise InputError("must be 'absent' or 'unknown'", field="unlisted", value=unlisted)
    if not path.exists():
        raise InputError("file not found", source=str(path))
    raw: list[tuple[str, str, dict[str, Answer], float | None, str | None, str | None]] = []
    binary: set[str] = set()
    values: dict[str, set[str]] = {}
    for where, rec in _generic_records(path):
        diagnosis = str(rec.get("diagnosis") or "").strip()
        if not diagnosis:
            raise InputError("case has no diagnosis", source=where, field="diagnosis", value="")
        ans: dict[str, Answer] = {}
        for item in _split(rec.get("findings")) if not isinstance(rec.get("findings"), list) \
                else rec["findings"]:
            code, value = _finding(item, where)
            if value is None:
                ans[code] = True
                binary.add(code)
            else:
                ans[code] = value
                values.setdefault(code, set()).add(value)
        for item in _split(rec.get("absent")) if not isinstance(rec.get("absent"), list) \
                else rec["absent"]:
            code, _ = _finding(item, where)
            ans[code] = False
            binary.add(code)
        age_text = rec.get("age")
        age: float | None = None
        if age_text not in (None, ""):
            try:
                age = float(age_text)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise InputError("age is not a number", source=where, field="age",
                                 value=age_text) from None
        sex_text = str(rec.get("sex") or "").strip().lower()
        sex = _SEX_WORDS.get(sex_text) if sex_text else None
        if sex_text and sex is None:
            raise InputError("sex must be M/F/male/female", source=where, field="sex",
                             value=rec.get("sex"))
        raw.append((where, diagnosis, ans, age, sex, str(rec.get("id") or "") or None))
    clash = binary & set(values)
    if clash:
        code = min(clash)
        raise InputError("a finding is used both with and without a value", source=str(path),
                         field="findings", value=code)
    features = [Feature(c, "B") for c in sorted(binary)]
    features += [Feature(c, "C", tuple(sorted(v))) for c, v in sorted(values.items())]
    cases: list[Case] = []
    for where, diagnosis, ans, age, sex, cid in raw:
        if unlisted == "absent":
            for c in binary:
                ans.setdefault(c, False)
        cases.append(Case(diagnosis, Answers(ans, age, sex), id=cid or where))
    return cases, features


def learn_generic(path: Path, *, unlisted: str = "absent",
                  params: dict[str, float] | None = None) -> CommonModel:
    cases, features = read_generic_cases(path, unlisted=unlisted)
    if not cases:
        raise InputError("no cases in the file", source=str(path))
    names = sorted({c.diagnosis for c in cases})
    diseases = [DiseaseInfo(n, n, n) for n in names]
    return learn(cases, diseases, features, params=params, source=str(path))


def is_ddxplus_file(path: Path) -> bool:
    if path.suffix.lower() != ".csv" or not path.exists():
        return False
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), [])
    return all(c in header for c in DDXPLUS_COLUMNS)


# ---- Patient -> answers ---------------------------------------------------------
def answers_from_patient(model: CommonModel, patient: Patient) -> Answers:
    """Map a ``Patient``'s findings onto the model's questions.

    DDXPlus codes are used as they are (``Finding.value`` for one-value and
    several-value evidences, or an ``E_204_@_V_10`` token); HPO codes go through
    the pack's HPO ↔ evidence table; for a generic model a finding's code (or
    its label) is the feature id.  Excluded findings answer "no" (an excluded HPO
    term that sets values, "no headache", is not "no pain anywhere": it is listed
    as unusable); findings the model cannot use are listed in ``Answers.unknown``.  Family history
    findings are not the patient's own and are skipped.
    """
    kb = load_knowledge() if model.knowledge else None
    ans = Answers(age=patient.age_years)
    if patient.sex is Sex.MALE:
        ans.sex = "M"
    elif patient.sex is Sex.FEMALE:
        ans.sex = "F"
    for f in patient.findings:
        _finding_answers(model, kb, ans, f)
    return ans


def reads_finding(model: CommonModel, finding: Finding) -> bool:
    """Whether ``finding`` alone answers any of the model's questions (as
    :func:`answers_from_patient` maps it)."""
    ans = Answers()
    _finding_answers(model, load_knowledge() if model.knowledge else None, ans, finding)
    return bool(ans.values)


def _finding_answers(model: CommonModel, kb: Any, ans: Answers, f: Finding) -> None:
    if f.certainty == "family":
        return
    code = f.code.code if f.code is not None else f.label
    if f.code is not None and f.code.system is CodeSystem.HPO and kb is not None \
            and code in kb.hpo_to_evidence:
        _hpo_answers(model, ans, kb.hpo_to_evidence[code], f.present, str(f.code))
        return
    _code_answer(model, ans, code, f.value, f.present,
                 str(f.code) if f.code is not None else f.label)


def _code_answer(model: CommonModel, ans: Answers, code: str, value: str | None, present: bool,
                 shown: str) -> None:
    if "_@_" in code:
        code, _, value = code.partition("_@_")
    feat = model.features[model.feature_index[code]] if code in model.feature_index else None
    if feat is None:
        ans.unknown.append(shown)
        return
    if feat.kind == "B":
        ans.values[code] = bool(present)
    elif value is None or value not in feat.values:
        ans.unknown.append(f"{code}={value}" if value else code)
    elif feat.kind == "C":
        if present:
            ans.values[code] = value
    elif present:
        prev = ans.values.get(code, frozenset())
        if isinstance(prev, AnyOf):  # a named value replaces "one of these"
            prev = frozenset()
        ans.values[code] = frozenset(prev) | {value}  # type: ignore[arg-type]


def _hpo_answers(model: CommonModel, ans: Answers, rows: tuple[HpoAnswer, ...], present: bool,
                 shown: str) -> None:
    """An HPO finding through the pack's table (see ``hpo_map.tsv``).

    A term with one yes/no row answers that evidence yes or no.  A term with value
    rows (headache: pain, somewhere in the head) sets the evidence to "at least one
    of these values" (:class:`AnyOf`); excluded, it cannot be split into per-evidence
    "no"s and is listed as unusable.
    """
    if not present and any(r.values for r in rows):
        ans.unknown.append(f"{shown} (excluded)")
        return
    for r in rows:
        if not r.values:
            _code_answer(model, ans, r.evidence, None, present, shown)
            continue
        feat = model.features[model.feature_index[r.evidence]] \
            if r.evidence in model.feature_index else None
        if feat is None:
            ans.unknown.append(shown)
        elif feat.kind == "C":
            ans.values[r.evidence] = r.values[0]
        else:
            prev = ans.values.get(r.evidence)
            if prev is None or isinstance(prev, AnyOf):  # two terms: pain in one of both areas
                ans.values[r.evidence] = AnyOf(set(r.values) | set(prev or ()))


def answer_label(model: CommonModel, code: str, answer: str, lang: str = "en") -> str:
    """Words for an answer of ``EvidenceWeight`` (code + answer text) in the patient's language.

    ``"E_91", "yes"`` -> "Do you have a fever …? — yes" / "您有发热吗…？— 是"; a
    several-value answer lists each value's label; codes outside the pack are shown as
    they are.
    """
    zh = lang == "zh"
    kb = load_knowledge() if model.knowledge else None
    ev = kb.evidences.get(code) if kb is not None else None
    if ev is None:
        return f"{code}: {answer}"
    anyof = answer.startswith("any of ")
    answer = answer.removeprefix("any of ")
    if answer in ("yes", "no") and ev.kind == "B":
        word = ("是" if answer == "yes" else "否") if zh else answer
    else:
        word = ("、" if zh else ", ").join(ev.value_label(v, lang) for v in answer.split(","))
    if anyof:
        word = f"其中之一：{word}" if zh else f"one of: {word}"
    return f"{ev.question(lang)} — {word}"
