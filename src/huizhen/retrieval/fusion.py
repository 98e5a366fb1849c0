"""Reciprocal-rank fusion of ranked lists.

Why RRF: BM25 scores and cosines live on unrelated scales; fusing by rank needs
no calibration and is robust when one list is empty (a query with no
lexical match, or a base whose chunks are not embedded yet).
"""

from __future__ import annotations

from collections.abc import Sequence

#: The usual RRF constant (Cormack et al. 2009): damps the head of each list.
K = 60


def rrf(rankings: Sequence[Sequence[tuple[int, float]]], k: int = K,
        weights: Sequence[float] | None = None) -> list[tuple[int, float]]:
    """Fuse lists of (id, score) best first into one list of (id, rrf score)."""
    scores: dict[int, float] = {}
    for n, ranking in enumerate(rankings):
        w = 1.0 if weights is None else weights[n]
        for rank, (item, _score) in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + w / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
