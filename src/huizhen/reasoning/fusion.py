"""One differential from the engines' rankings.

Each engine returns a posterior over its own set of diseases.  The fused
differential is a mixture: the common model's probabilities scaled by
``1 - w`` and the rare engine's by ``w``, where ``w`` is the router's weight
for the rare engine (1 or 0 when only one engine ran).  Each entry keeps its
per-engine probability and says which engine supports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from huizhen.report.model import DifferentialEntry, Evidence

if TYPE_CHECKING:
    from huizhen.reasoning.common import CommonCandidate, CommonModel, EvidenceWeight
    from huizhen.reasoning.rare import RankedDisease, TermMatch


def common_entries(cands: list[CommonCandidate], model: CommonModel, lang: str,
                   *, weight: float = 1.0) -> list[DifferentialEntry]:
    """Common-model candidates as differential entries, probabilities scaled by ``weight``."""
    from huizhen.reasoning.common_cases import answer_label

    def label(e: EvidenceWeight) -> str:
        return answer_label(model, e.code, e.answer, lang)

    out = []
    for c in cands:
        out.append(DifferentialEntry(
            id=f"ddxplus:{c.condition_id}",
            name=c.name_en,
            name_zh=c.name_zh,
            icd10=c.icd10,
            probability=c.probability * weight,
            engines=["common"],
            cannot_miss=c.cannot_miss,
            severity=None if c.severity is None else f"DDXPlus severity {c.severity}",
            evidence_for=[Evidence(label(e), code=e.code, weight=e.lr) for e in c.evidence_for],
            evidence_against=[Evidence(label(e), code=e.code, weight=e.lr) for e in c.evidence_against],
            engine_scores={"common": c.probability},
        ))
    return out


def _match_label(m: TermMatch) -> str:
    if m.kind == "exact" or m.disease_term in (None, m.patient_term):
        base = m.patient_label
    elif m.shared_ancestor and m.shared_ancestor != m.disease_term:
        base = f"{m.patient_label} ↔ {m.disease_label} (via {m.shared_label})"
    else:
        base = f"{m.patient_label} ↔ {m.disease_label}"
    if m.frequency is not None:
        base += f", frequency {m.frequency:.0%}"
    return base


def rare_entries(results: list[RankedDisease], *, weight: float = 1.0) -> list[DifferentialEntry]:
    """Rare-engine diseases as differential entries, probabilities scaled by ``weight``."""
    out = []
    for r in results:
        against = [Evidence(f"{m.patient_label}: excluded in the patient but annotated", code=m.patient_term,
                            weight=m.lr) for m in r.excluded if m.lr < 1.0]
        against += [Evidence(f"{m.patient_label}: not explained", code=m.patient_term, weight=m.lr)
                    for m in r.unexplained]
        out.append(DifferentialEntry(
            id=r.id,
            name=r.name,
            probability=r.probability * weight,
            engines=["rare"],
            evidence_for=[Evidence(_match_label(m), code=m.patient_term, weight=m.lr) for m in r.matched],
            evidence_against=against,
            engine_scores={"rare": r.probability},
        ))
    return out


def fuse(common: list[DifferentialEntry], rare: list[DifferentialEntry], top: int) -> list[DifferentialEntry]:
    """Merge the two engines' entries (already weighted), most probable first."""
    merged = sorted(common + rare, key=lambda e: -e.probability)
    return merged[:top]
