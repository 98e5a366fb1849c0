"""Disease cards: a condition's names, red flags, tests and treatments, each fact sourced.

A card is a small YAML file a clinician can read and review.  It is the
authored half of the common-disease knowledge (the learned half is the model
of :mod:`huizhen.reasoning.common`): what makes the condition dangerous, what
to order, what to give — and for every one of those facts, the guideline or
label it comes from.  A fact without a source is refused when the card is
loaded, so an unsourced claim cannot reach a report.

Schema (all text fields are ``{en: ..., zh: ...}``)::

    id: Pulmonary embolism          # DDXPlus condition name, or a hospital's own id
    names: {en: ..., zh: ...}
    icd10: I26
    severity: 2                     # optional, 1 (most severe) .. 5
    cannot_miss: true               # optional; default severity <= 2
    findings:                       # optional: finding -> sensitivity, for a card-only model
      - {code: E_66, sensitivity: 0.8, source: esc2019}
    red_flags:
      - {text: {en: ..., zh: ...}, source: esc2019}
    tests:
      - {text: {en: ..., zh: ...}, source: esc2019}
    treatments:
      - line: first                 # first | alternative | supportive | emergency
        text: {en: ..., zh: ...}
        drug: apixaban              # optional ingredient, checked by medication safety
        dose: "10 mg orally twice daily for 7 days, then 5 mg twice daily"   # optional
        source: apixaban-label
    sources:
      esc2019: {title: ..., section: ..., url: ..., year: 2019}
    notes: {en: ..., zh: ...}       # optional, e.g. why a dose is left out
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from huizhen.errors import KnowledgeError
from huizhen.paths import PACKAGE_DATA

CARDS_DIR = PACKAGE_DATA / "ddxplus" / "cards"
LINES = ("first", "alternative", "supportive", "emergency")


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    title: str
    url: str
    section: str | None = None
    year: int | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """One sourced statement: a red flag, a test or a treatment option."""

    en: str
    zh: str
    source: Source
    line: str | None = None  # treatments only
    drug: str | None = None
    dose: str | None = None

    def text(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class CardFinding:
    code: str
    sensitivity: float
    source: Source


@dataclass(frozen=True, slots=True)
class DiseaseCard:
    id: str
    name_en: str
    name_zh: str
    icd10: str
    severity: int | None
    cannot_miss: bool
    findings: tuple[CardFinding, ...]
    red_flags: tuple[Fact, ...]
    tests: tuple[Fact, ...]
    treatments: tuple[Fact, ...]
    sources: tuple[Source, ...]
    notes_en: str | None = None
    notes_zh: str | None = None
    path: str | None = None

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en


class _Reader:
    """Validates one card, naming the file and the field of the first problem."""

    def __init__(self, path: Path) -> None:
        self.src = str(path)

    def fail(self, msg: str, field: str, value: object = None) -> KnowledgeError:
        return KnowledgeError(msg, source=self.src, field=field, value=value)

    def text(self, obj: Any, field: str) -> tuple[str, str]:
        if not isinstance(obj, dict) or not all(isinstance(obj.get(k), str) and obj[k].strip()
                                                for k in ("en", "zh")):
            raise self.fail("needs non-empty en and zh text", field, obj)
        return obj["en"].strip(), obj["zh"].strip()

    def source(self, key: Any, sources: dict[str, Source], field: str) -> Source:
        if key not in sources:
            raise self.fail("every fact needs a source listed under sources", field, key)
        return sources[key]

    def facts(self, items: Any, sources: dict[str, Source], field: str, *,
              treatment: bool = False) -> tuple[Fact, ...]:
        if items is None:
            return ()
        if not isinstance(items, list):
            raise self.fail("must be a list", field)
        out = []
        for i, it in enumerate(items):
            where = f"{field}[{i}]"
            if not isinstance(it, dict):
                raise self.fail("must be a mapping", where)
            en, zh = self.text(it.get("text"), f"{where}.text")
            src = self.source(it.get("source"), sources, f"{where}.source")
            line = it.get("line")
            if treatment and line not in LINES:
                raise self.fail(f"line must be one of {', '.join(LINES)}", f"{where}.line", line)
            dose = it.get("dose")
            if dose is not None and not (isinstance(dose, str) and dose.strip()):
                raise self.fail("dose must be text", f"{where}.dose", dose)
            out.append(Fact(en, zh, src, line if treatment else None,
                            it.get("drug"), dose.strip() if dose else None))
        return tuple(out)

    def card(self, data: Any) -> DiseaseCard:
        if not isinstance(data, dict):
            raise self.fail("a card is a YAML mapping", "card")
        for key in ("id", "names", "icd10", "sources"):
            if key not in data:
                raise self.fail("missing required field", key)
        raw_sources = data["sources"]
        if not isinstance(raw_sources, dict) or not raw_sources:
            raise self.fail("must map source keys to {title, url, ...}", "sources")
        sources: dict[str, Source] = {}
        for key, s in raw_sources.items():
            if not isinstance(s, dict) or not s.get("title") or not str(s.get("url", "")).startswith(
                    ("http://", "https://")):
                raise self.fail("a source needs a title and an http(s) url", f"sources.{key}", s)
            sources[key] = Source(str(key), str(s["title"]), str(s["url"]),
                                  s.get("section"), s.get("year"))
        en, zh = self.text(data["names"], "names")
        severity = data.get("severity")
        if severity is not None and severity not in (1, 2, 3, 4, 5):
            raise self.fail("severity must be 1..5", "severity", severity)
        findings = []
        for i, f in enumerate(data.get("findings") or []):
            sens = f.get("sensitivity") if isinstance(f, dict) else None
            if not isinstance(sens, (int, float)) or not 0 < sens <= 1:
                raise self.fail("sensitivity must be in (0, 1]", f"findings[{i}].sensitivity", sens)
            findings.append(CardFinding(str(f.get("code")), float(sens),
                                        self.source(f.get("source"), sources,
                                                    f"findings[{i}].source")))
        notes = data.get("notes")
        nen, nzh = self.text(notes, "notes") if notes is not None else (None, None)
        cannot_miss = data.get("cannot_miss")
        return DiseaseCard(
            id=str(data["id"]), name_en=en, name_zh=zh, icd10=str(data["icd10"]),
            severity=severity,
            cannot_miss=bool(cannot_miss) if cannot_miss is not None
            else (severity is not None and severity <= 2),
            findings=tuple(findings),
            red_flags=self.facts(data.get("red_flags"), sources, "red_flags"),
            tests=self.facts(data.get("tests"), sources, "tests"),
            treatments=self.facts(data.get("treatments"), sources, "treatments", treatment=True),
            sources=tuple(sources.values()), notes_en=nen, notes_zh=nzh, path=self.src)


def load_card(path: Path) -> DiseaseCard:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError("disease card not found", source=str(path)) from None
    except yaml.YAMLError as err:
        raise KnowledgeError(f"not valid YAML ({err.__class__.__name__})", source=str(path)) from None
    return _Reader(path).card(data)


def load_cards(directory: Path | None = None) -> dict[str, DiseaseCard]:
    """All cards of a folder (default: the DDXPlus pack's, parsed once per process), by id;
    a duplicate id is an error.  The result is shared: read it, do not change it."""
    if directory is None:
        return _default_cards()
    return _read_cards(directory)


@lru_cache(maxsize=1)
def _default_cards() -> dict[str, DiseaseCard]:
    return _read_cards(CARDS_DIR)


def _read_cards(folder: Path) -> dict[str, DiseaseCard]:
    cards: dict[str, DiseaseCard] = {}
    for path in sorted(folder.glob("*.yaml")):
        card = load_card(path)
        if card.id in cards:
            raise KnowledgeError("two cards have the same id", source=str(path), field="id",
                                 value=card.id)
        cards[card.id] = card
    return cards


def model_from_cards(cards: list[DiseaseCard], *, weight: float = 20.0) -> Any:
    """A common-disease model authored from cards alone (no past cases yet).

    Each sensitivity becomes ``weight`` pseudo-cases (a sensitivity of 0.8 counts
    as 16 of 20 patients with the finding); a finding a card does not list is
    outside that disease's support.  Learning from real cases later replaces it.
    """
    from huizhen.reasoning.common import AGE_BANDS, CommonModel, DiseaseInfo, Feature

    codes = sorted({f.code for c in cards for f in c.findings})
    diseases = [DiseaseInfo(c.id, c.name_en, c.name_zh, c.icd10, c.severity, c.cannot_miss)
                for c in cards]
    n = int(weight)
    pos = {code: [0] * len(cards) for code in codes}
    asked = {code: [n] * len(cards) for code in codes}
    for i, c in enumerate(cards):
        for f in c.findings:
            pos[f.code][i] = round(f.sensitivity * n)
    counts = {"n": [n] * len(cards), "pos": pos, "asked": asked, "value_counts": {},
              "age": [[0] * len(AGE_BANDS) for _ in cards], "sex": [[0, 0] for _ in cards]}
    support = {c.id: {f.code for f in c.findings} for c in cards}
    return CommonModel(diseases, [Feature(code, "B") for code in codes], counts, support=support)
