"""The medication list as the rule modules see it: each drug resolved to ingredients."""

from __future__ import annotations

from dataclasses import dataclass

from huizhen.knowledge.drugs.pack import RANK, DrugPack, DrugRule
from huizhen.patient.model import Medication, Patient
from huizhen.safety.model import Alert

#: Medication statuses that are no longer taken and so are not checked.
INACTIVE = frozenset({"stopped", "completed", "entered-in-error", "cancelled", "inactive"})


@dataclass(slots=True)
class Drug:
    """One line of the medication list with its ingredients (parent DrugBank ids)."""

    written: str
    ids: tuple[str, ...]
    med: Medication
    proposed: bool

    def keys(self, pack: DrugPack) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for i in self.ids:
            out |= pack.keys_of(i)
        return out


def resolve(
    patient: Patient, proposed: list[Medication], pack: DrugPack
) -> tuple[list[Drug], list[str], dict[str, list[str]]]:
    """Resolve every active and proposed medication; unknown ones are listed, never dropped."""
    drugs: list[Drug] = []
    unchecked: list[str] = []
    suggestions: dict[str, list[str]] = {}
    vocab = pack.vocab
    items = [(m, False) for m in patient.medications if m.status not in INACTIVE]
    items += [(m, True) for m in proposed]
    for med, is_proposed in items:
        # A code the pack can read wins over the text; the written name, then the codes' display
        # texts, are the fallback (most RxNorm codes in FHIR are clinical drugs, not in the table).
        ids = tuple(dict.fromkeys(i for c in med.codes for i in pack.ids_for_code(c.system.value, c.code)))
        if not ids:
            ids = tuple(vocab.parent(i.drugbank_id) for i in med.ingredients if i.drugbank_id)
        if not ids:
            names = [med.written] + [c.display for c in med.codes if c.display]
            for name in names:
                ids = tuple(dict.fromkeys(vocab.parent(i.drugbank_id or "")
                                          for i in vocab.normalise(name) if i.drugbank_id))
                if ids:
                    break
        if ids:
            drugs.append(Drug(med.written, ids, med, is_proposed))
        else:
            if med.written not in unchecked:
                unchecked.append(med.written)
                suggestions[med.written] = vocab.suggest(med.written)
    return drugs, unchecked, suggestions


def rules_for(drug: Drug, table: dict[str, list[DrugRule]], pack: DrugPack) -> list[tuple[str, DrugRule]]:
    """(ingredient id, rule) for every rule of a table that names the drug or one of its classes."""
    out: list[tuple[str, DrugRule]] = []
    for ing in drug.ids:
        for key in pack.keys_of(ing):
            for rule in table.get(key, ()):
                out.append((ing, rule))
    return out


def alert_from(kind: str, drug: Drug, ing: str, rule: DrugRule, trigger: str, pack: DrugPack,
               effect: str = "", notes: list[str] | None = None) -> Alert:
    """An alert for a one-drug rule (renal, age, pregnancy, condition, dose)."""
    return Alert(
        type=kind, severity=rule.level, interrupt=RANK.get(rule.level, 0) >= RANK["major"],
        drugs=[drug.written], ingredients=[pack.vocab.name_of(ing)], trigger=trigger,
        effect=effect, management=rule.management, source=rule.source,
        source_ref=rule.target if rule.target.startswith("class:") else "",
        notes=notes or [],
    )
