"""Dense retrieval: exact cosine search over the stored vectors with numpy.

Why exact: the MedQuAD base holds about 23k vectors of 384 dimensions; one
matrix-vector product over them costs a few milliseconds, so an ANN index
would add a dependency and approximation for nothing at this size.

The vectors are loaded from the store once and cached per knowledge base until
its generation counter changes (an ingest, a removal, new embeddings).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from huizhen.errors import KnowledgeError
from huizhen.retrieval.embedding import Embedder, default_embedder, quantize, stamp
from huizhen.retrieval.lexical import mask, top_k
from huizhen.store.base import Filters, KnowledgeStore, VectorSet

STAMP_KEY = "embedding_stamp"

_cache: dict[str, tuple[int, VectorSet, dict[Filters, np.ndarray]]] = {}
_cache_lock = threading.Lock()


def check_stamp(store: KnowledgeStore) -> None:
    """Refuse a knowledge base embedded by another model or recipe: its vectors
    and the installed model's query vectors do not live in the same space."""
    theirs = store.get_meta(STAMP_KEY)
    ours = stamp()
    if theirs is not None and theirs != ours:
        raise KnowledgeError(
            f"its embeddings were made with {theirs}, but the installed model is {ours}; "
            "re-embed it with `huizhen kb embed --rebuild` or search with --mode lexical",
            source=store.location, field="embedding_stamp", value=theirs)


def vector_set(store: KnowledgeStore) -> VectorSet:
    return _cached(store)[0]


def allowed_vectors(store: KnowledgeStore, filters: Filters) -> tuple[VectorSet, np.ndarray]:
    """The vectors and the rows ``filters`` allow, from one cache entry (so the mask
    always belongs to these vectors), memoised per generation."""
    vs, masks = _cached(store)
    m = masks.get(filters)
    if m is None:
        if len(masks) > 256:
            masks.clear()
        m = masks[filters] = mask(vs.scopes, vs.languages, vs.sources, filters)
    return vs, m


def _cached(store: KnowledgeStore) -> tuple[VectorSet, dict[Filters, np.ndarray]]:
    gen = store.generation()
    ident = f"{store.location}|{store.get_meta('kb_id')}"
    with _cache_lock:
        hit = _cache.get(ident)
        if hit is not None and hit[0] == gen:
            return hit[1], hit[2]
    vs = store.vectors()
    masks: dict[Filters, np.ndarray] = {}
    with _cache_lock:
        _cache[ident] = (gen, vs, masks)
    return vs, masks


def dense_search(store: KnowledgeStore, query: str, filters: Filters, limit: int = 50,
                 embedder: Embedder | None = None) -> list[tuple[int, float]]:
    """(chunk_id, cosine) best first over chunks the filters allow."""
    check_stamp(store)
    vs, allowed = allowed_vectors(store, filters)
    if len(vs.chunk_ids) == 0:
        return []
    if not allowed.any():
        return []
    q = (embedder or default_embedder()).query(query)
    # cosines are shifted into (0, 2] so top_k's "positive score" rule keeps every allowed row
    return [(cid, s - 1.0) for cid, s in top_k(vs.chunk_ids, vs.vectors @ q + 1.0, allowed, limit)]


def has_vectors(store: KnowledgeStore) -> bool:
    return store.get_meta(STAMP_KEY) is not None


def embed_missing(store: KnowledgeStore, embedder: Embedder | None = None, batch: int = 32,
                  progress: Callable[[int, int, float], None] | None = None) -> int:
    """Embed every chunk that has no vector yet, committing each batch.

    Why batch commits: embedding a hospital's documents can take many minutes;
    an interruption loses at most one batch and the next run resumes where this
    one stopped. ``progress(done, total, seconds)`` drives a progress bar / ETA."""
    check_stamp(store)
    total = store.count_missing_embeddings()
    if total == 0:
        return 0
    emb = embedder or default_embedder()
    if store.get_meta(STAMP_KEY) is None:
        store.set_meta(STAMP_KEY, stamp())
    done = 0
    t0 = time.monotonic()
    while True:
        todo = store.missing_embeddings(batch)
        if not todo:
            break
        unique = list(dict.fromkeys(t for _, t, _ in todo))  # chunks of a section share one text
        q, scales = quantize(emb.passages(unique))
        at = {t: i for i, t in enumerate(unique)}
        store.put_embeddings([(cid, q[at[t]], float(scales[at[t]])) for cid, t, _ in todo])
        done += len(todo)
        if progress:
            progress(done, total, time.monotonic() - t0)
    return done
