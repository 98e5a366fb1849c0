"""Drug mentions in a note.

Why two paths: the drug vocabulary (``huizhen.knowledge.drugs``, English and
Chinese names) is the one place that knows what a drug is; when it loads, its
``Vocabulary.find_mentions`` is used.  Otherwise English names are found with
``drug-named-entity-recognition`` (MIT; DrugBank/MeSH/NHS names), which is
loaded lazily because its import takes seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from huizhen.patient.model import Code, CodeSystem, Ingredient

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")


@dataclass(slots=True)
class DrugMention:
    start: int
    end: int
    text: str
    ingredients: list[Ingredient] = field(default_factory=list)


def _vocabulary() -> Any | None:
    try:
        from huizhen.knowledge.drugs import load_vocabulary

        return load_vocabulary()
    except Exception:  # noqa: BLE001 -- not installed or not loadable: English fallback
        return None


@lru_cache(maxsize=1)
def _dner():  # type: ignore[no-untyped-def]
    from drug_named_entity_recognition import find_drugs

    return find_drugs


def find_drug_mentions(text: str) -> list[DrugMention]:
    """Drug names in ``text`` with their ingredients, in order of position."""
    vocab = _vocabulary()
    if vocab is not None:
        out = []
        for m in vocab.find_mentions(text):
            out.append(DrugMention(int(m.start), int(m.end), str(m.text),
                                   list(getattr(m, "ingredients", []) or [])))
        return sorted(out, key=lambda d: d.start)
    words = list(_WORD.finditer(text))
    if not words:
        return []
    hits = _dner()([w.group() for w in words], is_ignore_case=True)
    out = []
    for info, first, last in hits:
        start, end = words[first].start(), words[last - 1].end()
        codes = [Code(CodeSystem.DRUGBANK, info["drugbank_id"])] if info.get("drugbank_id") else []
        out.append(DrugMention(start, end, text[start:end],
                               [Ingredient(name=str(info["name"]).lower(),
                                           drugbank_id=info.get("drugbank_id"), codes=codes)]))
    return sorted(out, key=lambda d: d.start)
