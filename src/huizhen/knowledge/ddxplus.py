"""The DDXPlus knowledge pack: 49 conditions, 223 evidences, in English and Chinese.

DDXPlus (Fansi Tchango et al., arXiv:2205.09148, CC-BY 4.0) describes every
condition by the evidences (symptoms and antecedents) it can produce and every
evidence by the question that elicits it: yes/no (``B``), one value of a list
or a 0–10 scale (``C``), or several values of a list (``M``, e.g. where the
pain is).  The release files are vendored unchanged in ``huizhen/data/ddxplus``;
the Chinese names, questions and answer values are huizhen's translation, kept
in separate files so the upstream files stay as published.

This module only reads and indexes that knowledge; the model that learns from
cases lives in :mod:`huizhen.reasoning.common`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from huizhen.errors import InputError, KnowledgeError
from huizhen.paths import PACKAGE_DATA

PACK_DIR = PACKAGE_DATA / "ddxplus"
#: The separator DDXPlus uses inside an evidence token: ``E_204_@_V_10``.
VALUE_SEP = "_@_"
#: DDXPlus severity runs 1 (most severe) to 5; 1–2 are the conditions not to miss.
CANNOT_MISS_SEVERITY = 2
ATTRIBUTION = (
    "DDXPlus knowledge (conditions, evidences, questions) by Fansi Tchango, Goel, Wen, "
    "Martel and Ghosn, Mila / Dialogue Health Technologies, CC-BY 4.0, arXiv:2205.09148; "
    "Chinese translation by huizhen."
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One DDXPlus evidence and the question that asks for it."""

    id: str
    kind: str  # "B" yes/no, "C" one value (list or 0-10 scale), "M" several values
    question_en: str
    question_zh: str
    is_antecedent: bool
    #: The question this one follows up on (``E_53`` for where the pain is), or None.
    parent: str | None
    #: Answer when the patient does not report it (``0``, ``V_10`` "no", ``V_123`` "nowhere").
    default: str | None
    values: tuple[str, ...] = ()
    #: value id -> (English, Chinese) label; empty for numeric scales.
    value_labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    def question(self, lang: str = "en") -> str:
        return self.question_zh if lang == "zh" else self.question_en

    def value_label(self, value: str, lang: str = "en") -> str:
        """Human wording of an answer value; numeric scale values are shown as they are."""
        labels = self.value_labels.get(value)
        if labels is None:
            return value
        return labels[1] if lang == "zh" else labels[0]

    @property
    def is_scale(self) -> bool:
        return self.kind == "C" and not self.value_labels


@dataclass(frozen=True, slots=True)
class Condition:
    """One DDXPlus condition with the evidences it can produce."""

    id: str  # the DDXPlus condition name, used as its key in the data
    name_en: str
    name_zh: str
    icd10: str
    severity: int
    symptoms: tuple[str, ...]
    antecedents: tuple[str, ...]

    @property
    def cannot_miss(self) -> bool:
        return self.severity <= CANNOT_MISS_SEVERITY

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    @property
    def evidences(self) -> tuple[str, ...]:
        return self.symptoms + self.antecedents


@dataclass(slots=True)
class DDXPlusKnowledge:
    """Conditions and evidences of the pack, plus the HPO ↔ evidence table."""

    conditions: dict[str, Condition]
    evidences: dict[str, Evidence]
    #: HPO id -> the evidences (and values) it sets, for findings coded to HPO by intake.
    hpo_to_evidence: dict[str, tuple[HpoAnswer, ...]]
    version: str = "ddxplus-1.0.0"

    def evidence(self, code: str, *, source: str | None = None) -> Evidence:
        try:
            return self.evidences[code]
        except KeyError:
            raise InputError("unknown DDXPlus evidence code", source=source, field="evidence",
                             value=code) from None

    def condition(self, name: str, *, source: str | None = None) -> Condition:
        """Look a condition up by its DDXPlus name, English or Chinese name, or ICD-10 code."""
        if name in self.conditions:
            return self.conditions[name]
        for cond in self.conditions.values():
            if name in (cond.name_en, cond.name_zh, cond.icd10):
                return cond
        raise InputError("unknown DDXPlus condition", source=source, field="condition", value=name)

    def parse_token(self, token: str, *, source: str | None = None) -> tuple[str, str | None]:
        """``E_204_@_V_10`` -> (``E_204``, ``V_10``); ``E_91`` -> (``E_91``, None).

        The value is checked against the evidence's possible values so that a
        typing error is reported, not learned as a new answer.
        """
        code, sep, value = token.strip().partition(VALUE_SEP)
        ev = self.evidence(code, source=source)
        if not sep:
            return code, None
        if ev.kind == "B":
            raise InputError("a yes/no evidence takes no value", source=source, field="evidence",
                             value=token)
        if value not in ev.values:
            raise InputError(f"not a possible value of {code}", source=source, field="evidence",
                             value=token)
        return code, value


def _load_json(path: Path) -> dict:  # type: ignore[type-arg]
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise KnowledgeError("DDXPlus knowledge file is missing", source=str(path)) from None
    except json.JSONDecodeError as err:
        raise KnowledgeError(f"not valid JSON ({err.msg}, line {err.lineno})",
                             source=str(path)) from None
    if not isinstance(data, dict):
        raise KnowledgeError("expected a JSON object", source=str(path))
    return data


@dataclass(frozen=True, slots=True)
class HpoAnswer:
    """What one HPO term says about one DDXPlus evidence (a row of ``hpo_map.tsv``).

    ``values`` empty: the yes/no evidence is "yes".  ``values`` set: the evidence
    (one that takes values) has at least one of them — "headache" is pain (``E_53``)
    located in at least one of the head locations of ``E_55``.
    """

    evidence: str
    values: tuple[str, ...] = ()


def _read_hpo_map(path: Path, evidences: dict[str, Evidence]) -> dict[str, tuple[HpoAnswer, ...]]:
    """Read ``hpo_map.tsv``: ``hpo_id, evidence, values, label``, one row per evidence a
    term sets (a term may have several rows); ``values`` is empty for a yes/no evidence,
    else ``|``-separated value ids of that evidence.  Every code and value is checked."""
    out: dict[str, list[HpoAnswer]] = {}
    src = str(path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t")
        for i, row in enumerate(rows, start=1):
            code = (row.get("evidence") or "").strip()
            ev = evidences.get(code)
            if ev is None:
                raise KnowledgeError("HPO map names an unknown DDXPlus evidence", source=src,
                                     field=f"row {i} evidence", value=code)
            values = tuple(v for v in (row.get("values") or "").strip().split("|") if v)
            if ev.kind == "B" and values:
                raise KnowledgeError("a yes/no evidence takes no values", source=src,
                                     field=f"row {i} values", value=row["values"])
            if ev.kind != "B" and not values:
                raise KnowledgeError(f"evidence {code} needs values", source=src,
                                     field=f"row {i} values", value="")
            if ev.kind == "C" and len(values) != 1:
                raise KnowledgeError(f"one-value evidence {code} takes exactly one value",
                                     source=src, field=f"row {i} values", value=row["values"])
            bad = [v for v in values if v not in ev.values]
            if bad:
                raise KnowledgeError(f"not a possible value of {code}", source=src,
                                     field=f"row {i} values", value=bad[0])
            out.setdefault(row["hpo_id"].strip(), []).append(HpoAnswer(code, values))
    return {k: tuple(v) for k, v in out.items()}


def load_knowledge(pack_dir: Path | None = None) -> DDXPlusKnowledge:
    """Read the pack (default: the one shipped with huizhen); cached for the default pack."""
    if pack_dir is None:
        return _default_knowledge()
    return _read_pack(pack_dir)


@lru_cache(maxsize=1)
def _default_knowledge() -> DDXPlusKnowledge:
    return _read_pack(PACK_DIR)


def _read_pack(pack: Path) -> DDXPlusKnowledge:
    raw_ev = _load_json(pack / "release_evidences.json")
    raw_cond = _load_json(pack / "release_conditions.json")
    zh = _load_json(pack / "zh.json")
    q_zh: dict[str, str] = zh.get("evidences", {})
    v_zh: dict[str, str] = zh.get("values", {})
    c_zh: dict[str, str] = zh.get("conditions", {})
    evidences: dict[str, Evidence] = {}
    for code, item in raw_ev.items():
        meanings = item.get("value_meaning") or {}
        labels = {vid: (m["en"], v_zh.get(vid, m["en"])) for vid, m in meanings.items()}
        parent = item.get("code_question")
        default = item.get("default_value")
        evidences[code] = Evidence(
            id=code,
            kind=item["data_type"],
            question_en=item["question_en"],
            question_zh=q_zh.get(code, item["question_en"]),
            is_antecedent=bool(item.get("is_antecedent")),
            parent=parent if parent and parent != code else None,
            default=None if item["data_type"] == "B" else str(default),
            values=tuple(str(v) for v in item.get("possible-values") or ()),
            value_labels=labels,
        )
    conditions: dict[str, Condition] = {}
    for name, item in raw_cond.items():
        conditions[name] = Condition(
            id=name,
            name_en=item.get("cond-name-eng", name),
            name_zh=c_zh.get(name, item.get("cond-name-eng", name)),
            icd10=str(item["icd10-id"]).strip().upper(),  # upstream mixes i26 and I26
            severity=int(item["severity"]),
            symptoms=tuple(item.get("symptoms", {})),
            antecedents=tuple(item.get("antecedents", {})),
        )
    hpo_path = pack / "hpo_map.tsv"
    hpo = _read_hpo_map(hpo_path, evidences) if hpo_path.exists() else {}
    return DDXPlusKnowledge(conditions=conditions, evidences=evidences, hpo_to_evidence=hpo)
