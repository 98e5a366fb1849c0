"""``check``: run every rule type over a patient's medications and the proposed ones."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from huizhen.knowledge.drugs.pack import DrugPack, load_pack
from huizhen.patient.model import Medication, Patient
from huizhen.safety.age import check_age
from huizhen.safety.allergy import check_allergies
from huizhen.safety.conditions import check_conditions
from huizhen.safety.context import resolve
from huizhen.safety.dose import check_doses
from huizhen.safety.duplicates import check_duplicates
from huizhen.safety.interactions import check_interactions
from huizhen.safety.model import Alert, SafetyReport
from huizhen.safety.pregnancy import check_pregnancy
from huizhen.safety.renal import check_renal

_PACKS: dict[str, DrugPack] = {}


def get_pack(local_rules: Path | None = None) -> DrugPack:
    """The pack with local rules merged; rebuilt only when the local file changes."""
    path = local_rules if local_rules is not None else _local_path(os.environ.get("HUIZHEN_DATA_DIR"))
    try:
        stamp = f"{path}:{path.stat().st_mtime_ns}"
    except OSError:
        stamp = f"{path}:0"
    if stamp not in _PACKS:
        _PACKS.clear()
        _PACKS[stamp] = load_pack(path)
    return _PACKS[stamp]


@lru_cache(maxsize=8)
def _local_path(_data_dir_env: str | None) -> Path:
    """The local rule file for the current data directory (cached: data_dir() creates it)."""
    from huizhen.safety.local import local_rules_path

    return local_rules_path()


def check(
    patient: Patient,
    proposed: Sequence[Medication | str] = (),
    *,
    pack: DrugPack | None = None,
) -> SafetyReport:
    """Check the patient's active medications plus ``proposed`` ones.

    Proposed drugs may be given as written names; they are normalised like
    everything else.  Drugs that cannot be recognised are listed in
    ``unchecked`` with close matches: an unknown drug is never treated as safe.
    """
    pack = pack or get_pack()
    meds = [Medication(written=p, status="proposed") if isinstance(p, str) else p for p in proposed]
    drugs, unchecked, suggestions = resolve(patient, meds, pack)
    alerts: list[Alert] = []
    alerts += check_interactions(drugs, pack)
    alerts += check_allergies(drugs, patient, pack)
    alerts += check_duplicates(drugs, pack)
    alerts += check_conditions(drugs, patient, pack)
    alerts += check_renal(drugs, patient, pack)
    alerts += check_age(drugs, patient, pack)
    alerts += check_pregnancy(drugs, patient, pack)
    alerts += check_doses(drugs, patient, pack)
    return SafetyReport(
        alerts=_dedupe(alerts),
        unchecked=unchecked,
        suggestions=suggestions,
        checked={d.written: [pack.vocab.name_of(i) for i in d.ids] for d in drugs},
        knowledge_version=pack.version,
        local_rules=pack.local_source,
    )


def _dedupe(alerts: list[Alert]) -> list[Alert]:
    """One alert per (type, drugs, trigger), the most severe kept; most severe first."""
    best: dict[tuple[str, tuple[str, ...], str], Alert] = {}
    for a in alerts:
        k = a.key()
        if k not in best or a.rank > best[k].rank:
            best[k] = a
    return sorted(best.values(), key=lambda a: (-a.rank, not a.interrupt, a.type, a.drugs))
