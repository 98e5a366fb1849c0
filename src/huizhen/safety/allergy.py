"""Allergy and cross-reactivity: the allergy list against every drug.

An allergy entry is resolved the way a medication is (an RxNorm ingredient code,
ingredient names, brands, Chinese) and also as a class term ("penicillin allergy", "磺胺过敏").  The
same ingredient is a contraindication; class and cross-class rules
(penicillin -> cephalosporin) come from the pack with their sources.
"""

from __future__ import annotations

import re

from huizhen.knowledge.drugs.normalise import fold
from huizhen.knowledge.drugs.pack import RANK, DrugPack
from huizhen.patient.model import Allergy, Patient
from huizhen.safety.context import Drug
from huizhen.safety.model import Alert

_NOT_DRUG = frozenset({"food", "environment"})
_WRAPPERS = re.compile(
    r"^(?:allergy|allergic|hypersensitivity|intolerance)\s+(?:to\s+)?|\s+(?:allergy|allergic|"
    r"hypersensitivity|intolerance)$|过敏(?:史)?$|^对|过敏$", re.IGNORECASE)
SAME_DRUG_MANAGEMENT = "Do not give: the patient is allergic to this ingredient; choose another drug."
SAME_DRUG_SOURCE = "Product labels section 4: known hypersensitivity to the drug is a contraindication"


def allergen_keys(allergy: Allergy, pack: DrugPack) -> tuple[frozenset[str], frozenset[str]]:
    """(ingredient ids, all keys incl. classes) named by an allergy entry."""
    text = allergy.substance.strip()
    stripped = _WRAPPERS.sub("", text).strip()
    names = [text, stripped]
    if allergy.code is not None and allergy.code.display:
        names.append(allergy.code.display)
    ids: set[str] = set()
    keys: set[str] = set()
    if allergy.code is not None:  # an ingredient code the pack knows is read before the text
        for pid in pack.ids_for_code(allergy.code.system.value, allergy.code.code):
            ids.add(pid)
            keys |= pack.keys_of(pid)
    for name in names:
        term = pack.allergy_terms.get(fold(name))
        if term:
            keys.add(term)
        for ing in pack.vocab.normalise(name) if name else []:
            if ing.drugbank_id:
                pid = pack.vocab.parent(ing.drugbank_id)
                ids.add(pid)
                keys |= pack.keys_of(pid)
        if ids or keys:
            break
    return frozenset(ids), frozenset(keys)


def check_allergies(drugs: list[Drug], patient: Patient, pack: DrugPack) -> list[Alert]:
    alerts: list[Alert] = []
    for allergy in patient.allergies:
        if allergy.status in ("inactive", "resolved", "refuted", "entered-in-error"):
            continue
        if allergy.category in _NOT_DRUG:
            continue
        ids, keys = allergen_keys(allergy, pack)
        if not keys:
            continue
        for drug in drugs:
            found = _match(drug, ids, keys, pack)
            if found is None:
                continue
            level, management, source, ingredient = found
            alerts.append(Alert(
                type="allergy", severity=level, interrupt=RANK[level] >= RANK["major"],
                drugs=[drug.written], ingredients=[pack.vocab.name_of(ingredient)],
                trigger=f"allergy: {allergy.substance}"
                + (f" ({allergy.reaction})" if allergy.reaction else ""),
                effect="hypersensitivity reaction", management=management, source=source,
            ))
    return alerts


def _match(drug: Drug, ids: frozenset[str], keys: frozenset[str],
           pack: DrugPack) -> tuple[str, str, str, str] | None:
    best: tuple[str, str, str, str] | None = None
    for ing in drug.ids:
        if ing in ids:
            return ("contraindicated", SAME_DRUG_MANAGEMENT, SAME_DRUG_SOURCE, ing)
        dkeys = pack.keys_of(ing)
        for src in keys:
            for rule in pack.allergy_cross.get(src, ()):
                if rule.target in dkeys and (best is None or RANK[rule.level] > RANK[best[0]]):
                    best = (rule.level, rule.management, rule.source, ing)
    return best
