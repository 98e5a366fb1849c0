"""Attaching the prebuilt MedQuAD embeddings to a freshly built knowledge base.

Why prebuilt: embedding MedQuAD takes about an hour on two cores, ``kb init`` must
take under a minute. Vectors are matched to chunks by the key of the exact
text embedded (:func:`~huizhen.retrieval.embedding.text_key`), so a chunk whose
text or recipe changed can never receive a stale vector.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from huizhen.errors import KnowledgeError
from huizhen.paths import PACKAGE_DATA
from huizhen.retrieval.dense import STAMP_KEY
from huizhen.retrieval.embedding import stamp
from huizhen.store.base import KnowledgeStore

PREBUILT = PACKAGE_DATA / "kb" / "medquad-embeddings.npz"


def attach_prebuilt(store: KnowledgeStore, path: Path | None = None) -> int | None:
    """Copy prebuilt vectors onto every chunk that lacks one; return how many, or
    None when this installation ships no prebuilt vectors (search is then lexical
    until `huizhen kb embed` has embedded everything).

    Refuses (and attaches nothing) when the file was made by another model or
    recipe, or does not cover every chunk: a half-embedded public base would bias
    hybrid ranking towards the embedded part."""
    path = path or PREBUILT
    if not path.exists():
        return None
    with np.load(path) as z:
        theirs = str(z["stamp"])
        keys, vectors, scales = z["keys"], z["vectors"], z["scales"]
    if theirs != stamp():
        raise KnowledgeError(f"made with {theirs}, the installed model is {stamp()}; run "
                             "`huizhen kb embed` to embed with the installed model",
                             source=str(path), field="stamp", value=theirs)
    current = store.get_meta(STAMP_KEY)
    if current is not None and current != theirs:
        raise KnowledgeError(f"the knowledge base is embedded with {current}", source=store.location,
                             field="embedding_stamp", value=current)
    todo = store.missing_embeddings(10**9)
    if not todo:
        return 0
    want = np.array([k for _c, _t, k in todo], dtype=np.uint64)
    pos = np.searchsorted(keys, want)
    pos = np.minimum(pos, len(keys) - 1)
    found = keys[pos] == want
    if not found.all():
        missing = int((~found).sum())
        raise KnowledgeError(f"{missing} of {len(todo)} chunks have no prebuilt vector (the corpus "
                             "or chunker changed); rebuild with scripts/build_kb_embeddings.py",
                             source=str(path))
    store.set_meta(STAMP_KEY, theirs)
    rows = [(cid, vectors[p], float(scales[p])) for (cid, _t, _k), p in zip(todo, pos.tolist())]
    for i in range(0, len(rows), 5000):
        store.put_embeddings(rows[i : i + 5000])
    return len(rows)
