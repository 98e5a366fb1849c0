"""Age of onset: does the patient's earliest finding fit the disease's usual onset?

The HPO defines each onset term by an age range (e.g. Juvenile onset: 5–15
years).  A disease's annotated onsets give the earliest age it usually starts
at.  A patient whose first findings were seen well *before* that age fits the
disease poorly; the reverse (findings first recorded late) says little, because
features are often noticed or reported long after they began, so it is not
penalised.
"""

from __future__ import annotations

import re

import numpy as np

from huizhen.knowledge.annotations import Annotations
from huizhen.knowledge.hpo import Ontology

#: HPO onset terms → (earliest, latest) age in years, from the terms' definitions.
ONSET_YEARS: dict[str, tuple[float, float]] = {
    "HP:0030674": (-0.75, 0.0),  # Antenatal onset
    "HP:0011460": (-0.75, -0.6),  # Embryonal onset
    "HP:0011461": (-0.6, 0.0),  # Fetal onset
    "HP:0034199": (-0.5, 0.0),  # Late first trimester onset
    "HP:0034198": (-0.6, -0.5),  # Second trimester onset
    "HP:0034197": (-0.3, 0.0),  # Third trimester onset
    "HP:0003577": (0.0, 0.0),  # Congenital onset
    "HP:0003623": (0.0, 28 / 365.25),  # Neonatal onset
    "HP:0003593": (28 / 365.25, 1.0),  # Infantile onset
    "HP:0011463": (1.0, 5.0),  # Childhood onset
    "HP:0003621": (5.0, 15.0),  # Juvenile onset
    "HP:0410280": (0.0, 15.0),  # Pediatric onset
    "HP:0003581": (16.0, 100.0),  # Adult onset
    "HP:0011462": (16.0, 40.0),  # Young adult onset
    "HP:0025708": (16.0, 19.0),  # Early young adult onset
    "HP:0025709": (19.0, 25.0),  # Intermediate young adult onset
    "HP:0025710": (25.0, 40.0),  # Late young adult onset
    "HP:0003596": (40.0, 60.0),  # Middle age onset
    "HP:0003584": (60.0, 100.0),  # Late onset
}
#: LR when the disease usually starts well after the patient's first finding.
LR_TOO_EARLY = 0.1
_ISO = re.compile(r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?"
                  r"(?:(\d+(?:\.\d+)?)D)?(?:T.*)?$")


def iso_years(duration: str) -> float | None:
    """ISO 8601 duration (P3Y2M, P10D, P6W) → years; None if it is not one."""
    m = _ISO.match(duration.strip().upper())
    if not m or duration.strip().upper() in ("P", "PT"):
        return None
    y, mo, w, d = (float(g) if g else 0.0 for g in m.groups())
    return y + mo / 12.0 + w * 7 / 365.25 + d / 365.25


def onset_term_years(hpo_id: str) -> float | None:
    """Earliest age of an HPO onset term, None when it is not an onset term."""
    r = ONSET_YEARS.get(hpo_id)
    return None if r is None else r[0]


def onset_ranges(onto: Ontology, ann: Annotations) -> tuple[np.ndarray, np.ndarray]:
    """Per disease: earliest and latest annotated onset age (NaN when none)."""
    lo = np.full(len(ann.diseases), np.nan)
    hi = np.full(len(ann.diseases), np.nan)
    for i, d in enumerate(ann.diseases):
        ranges = [ONSET_YEARS[t] for t in d.onset if t in ONSET_YEARS]
        if ranges:
            lo[i] = min(r[0] for r in ranges)
            hi[i] = max(r[1] for r in ranges)
    return lo, hi


def onset_lr(lo: np.ndarray, hi: np.ndarray, years: float) -> np.ndarray:
    """LR of the patient's earliest onset age ``years`` for each disease.

    Too early means the disease's earliest usual onset is more than
    ``2·years + 2`` years away — one onset class of tolerance, since recorded
    ages are coarse and onset classes overlap in practice.
    """
    too_early = lo > 2.0 * max(years, 0.0) + 2.0
    return np.where(too_early, LR_TOO_EARLY, 1.0)
