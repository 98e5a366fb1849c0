"""Which engines a patient needs, and one differential from their rankings.

The 80/20 split of DESIGN.md: common presentations are served by the common
disease model; the HPO phenotype engine is added when the picture looks like a
rare disease.  The signals are those clinical geneticists use to suspect a
rare disorder: onset in childhood, several organ systems involved, a family
history, phenotypes coded deliberately in HPO (a phenopacket or an HPO list),
and common diseases that explain the findings poorly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huizhen.knowledge.hpo import PHENOTYPIC_ABNORMALITY, Ontology
from huizhen.patient.model import CodeSystem, Patient

#: Age (years) below which onset counts as early.
EARLY_ONSET_YEARS = 16.0
#: Distinct top-level HPO organ systems that make a presentation "multisystem".
MULTISYSTEM_MIN = 3
#: Below this share of present findings the common model can read, its fit is poor.
POOR_COVERAGE = 0.5
#: Below this top probability the common model's fit is poor.
POOR_TOP_PROBABILITY = 0.3
#: Top-level categories that say nothing about organ involvement.
NONSPECIFIC_SYSTEMS = {"HP:0025142", "HP:0001939"}  # constitutional symptom; metabolism/homeostasis
#: Observed phenotypes needed before a poor common fit alone calls the rare engine.
POOR_FIT_MIN_FINDINGS = 2
#: HPO onset terms meaning onset before adulthood (Onset, HP:0003674 subtree).
_EARLY_ONSET_TERMS = {
    "HP:0030674",  # antenatal onset
    "HP:0003577",  # congenital onset
    "HP:0003623",  # neonatal onset
    "HP:0003593",  # infantile onset
    "HP:0011463",  # childhood onset
    "HP:0003621",  # juvenile onset
}


@dataclass(slots=True)
class Routing:
    use_common: bool
    use_rare: bool
    reasons: list[str] = field(default_factory=list)
    organ_systems: list[str] = field(default_factory=list)
    #: Weight of the rare engine's probabilities in the fused differential.
    rare_weight: float = 0.0


#: (ontology, its organ-system categories): the last ontology routed, kept with its result.
_TOPS: list[tuple[Ontology, frozenset[str]]] = []


def _organ_tops(onto: Ontology) -> frozenset[str]:
    """The organ-system categories of the loaded ontology, found once (not per consult)."""
    if not _TOPS or _TOPS[0][0] is not onto:
        tops = frozenset(tid for tid, term in onto.terms.items()
                         if PHENOTYPIC_ABNORMALITY in term.parents and tid not in NONSPECIFIC_SYSTEMS)
        _TOPS[:] = [(onto, tops)]
    return _TOPS[0][1]


def organ_systems(onto: Ontology, hpo_ids: list[str]) -> list[str]:
    """Top-level phenotype categories (children of HP:0000118) the terms fall in.

    Constitutional symptoms and homeostasis (fever, fatigue) accompany almost
    any acute illness, so they do not count as organ systems here.
    """
    tops = _organ_tops(onto)
    found: set[str] = set()
    for hid in hpo_ids:
        if hid in onto:
            found |= onto.ancestors(hid) & tops
    return sorted(found)


def _early_onset(patient: Patient) -> bool:
    for f in patient.findings:
        if f.present and f.onset in _EARLY_ONSET_TERMS:
            return True
    return patient.age_years is not None and patient.age_years < EARLY_ONSET_YEARS


def route(
    patient: Patient,
    onto: Ontology,
    *,
    common_coverage: float | None,
    common_top: float | None,
) -> Routing:
    """Decide which engines apply.

    ``common_coverage`` is the share of the patient's present findings the
    common model understood; ``common_top`` its top posterior (None when the
    common model was not run or understood nothing).
    """
    hpo_present = patient.hpo_ids(present=True)
    # Findings derived from vitals and labs (tachycardia from a heart rate) describe
    # the visit, not a phenotype someone observed: alone they never call the rare engine.
    observed = {
        f.code.code for f in patient.present_findings()
        if f.code is not None and f.code.system is CodeSystem.HPO and f.origin != "derived"
    }
    systems = organ_systems(onto, sorted(observed))
    reasons: list[str] = []
    coded = any(
        f.code is not None and f.code.system is CodeSystem.HPO and f.origin == "input"
        for f in patient.findings
    )
    if coded:
        reasons.append("phenotypes were given as HPO terms")
    if _early_onset(patient) and hpo_present:
        reasons.append("early onset")
    if len(systems) >= MULTISYSTEM_MIN:
        reasons.append(f"{len(systems)} organ systems involved")
    if any(f.certainty == "family" and f.present for f in patient.findings):
        reasons.append("family history")
    poor_fit = (
        common_coverage is None
        or common_coverage < POOR_COVERAGE
        or (common_top is not None and common_top < POOR_TOP_PROBABILITY)
    )
    if poor_fit and len(observed) >= POOR_FIT_MIN_FINDINGS:
        reasons.append("the common-disease model fits poorly")
    use_rare = bool(reasons) and bool(observed)
    use_common = common_coverage is not None and common_coverage > 0
    if use_rare and use_common:
        # Strength of the rare signals decides how much of the probability mass
        # the rare engine's diseases receive; poor common fit moves more of it.
        weight = min(0.9, 0.2 * len(reasons) + (0.3 if poor_fit else 0.0))
    else:
        weight = 1.0 if use_rare else 0.0
    return Routing(use_common=use_common, use_rare=use_rare, reasons=reasons,
                   organ_systems=systems, rare_weight=weight)
