"""Lexical retrieval: BM25F over title, heading path and body.

Why fields: on question-style queries plain BM25 over the body finds the right
disease but rarely the right section (MRR@10 about 0.47 on MedQuAD questions);
matching the title and the heading path separately, and counting them more, is
what puts "Symptoms of X" first for "What are the symptoms of X?".

Why in memory: the store keeps the index terms in its FTS5 table (and can rank
with FTS5's own bm25), but a query with a common term ("syndrome" matches 14k
chunks) costs FTS5 40-60 ms. Here the per-term BM25F weights of every chunk are
precomputed into a sparse matrix, so a query is a sum of a few columns (about
a millisecond). The matrix is built from the store's terms on first use, cached
on disk per knowledge base and generation, and rebuilt after any change.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from huizhen.paths import cache_dir
from huizhen.retrieval.tokenize import has_cjk, tokens
from huizhen.store.base import Filters, KnowledgeStore

#: Field weights of (title, heading, body) and their length normalisation.
WEIGHTS = (10.0, 5.0, 1.0)
B = (0.75, 0.3, 0.5)
K1 = 1.2
_FORMAT = "bm25f-v1"


@dataclass
class LexicalIndex:
    """Precomputed BM25F weights (chunks x terms, CSC) with filter attributes."""

    chunk_ids: np.ndarray
    vocab: dict[str, int]
    weights: sp.csc_matrix
    scopes: np.ndarray
    languages: np.ndarray
    sources: np.ndarray
    masks: dict[Filters, np.ndarray] = field(default_factory=dict)

    def allowed(self, filters: Filters) -> np.ndarray:
        """Rows ``filters`` allow, memoised: comparing 23k strings costs about a millisecond."""
        return memo_mask(self.masks, self.scopes, self.languages, self.sources, filters)

    def score(self, terms: list[str]) -> np.ndarray:
        cols = [self.vocab[t] for t in dict.fromkeys(terms) if t in self.vocab]
        if not cols:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self.weights[:, cols].sum(axis=1), dtype=np.float32).ravel()


def build_index(store: KnowledgeStore, weights: tuple[float, float, float] = WEIGHTS
                ) -> LexicalIndex:
    rows = store.index_terms()
    n = len(rows)
    vocab: dict[str, int] = {}
    fields: list[list[Counter[str]]] = [[], [], []]
    lengths = np.zeros((3, n), dtype=np.float32)
    for i, row in enumerate(rows):
        for f in range(3):
            words = str(row[1 + f]).split()
            lengths[f, i] = len(words)
            c = Counter(words)
            fields[f].append(c)
            for w in c:
                if w not in vocab:
                    vocab[w] = len(vocab)
    avg = np.maximum(lengths.mean(axis=1), 1e-6)
    # pseudo term frequency: weighted, length-normalised tf summed over fields (BM25F)
    acc: dict[tuple[int, int], float] = {}
    for f in range(3):
        norm = weights[f] / (1 - B[f] + B[f] * lengths[f] / avg[f])
        for i, c in enumerate(fields[f]):
            nf = float(norm[i])
            for w, tf in c.items():
                key = (i, vocab[w])
                acc[key] = acc.get(key, 0.0) + tf * nf
    if acc:
        keys = np.array(list(acc.keys()), dtype=np.int64)
        tfs = np.fromiter(acc.values(), dtype=np.float32, count=len(acc))
        row_idx, col_idx = keys[:, 0], keys[:, 1]
    else:
        row_idx = col_idx = np.zeros(0, dtype=np.int64)
        tfs = np.zeros(0, dtype=np.float32)
    df = np.bincount(col_idx, minlength=len(vocab)).astype(np.float32)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    data = idf[col_idx] * tfs * (K1 + 1) / (tfs + K1)
    mat = sp.csc_matrix((data, (row_idx, col_idx)), shape=(n, len(vocab)), dtype=np.float32)
    return LexicalIndex(
        chunk_ids=np.array([r[0] for r in rows], dtype=np.int64), vocab=vocab, weights=mat,
        scopes=np.array([r[4] for r in rows], dtype=object),
        languages=np.array([r[5] for r in rows], dtype=object),
        sources=np.array([r[6] for r in rows], dtype=object))


def _cache_file(store: KnowledgeStore, generation: int | None = None) -> Path:
    key = hashlib.sha1(f"{Path(store.location).resolve()}|{store.get_meta('kb_id')}|{_FORMAT}|"
                       f"{WEIGHTS}|{B}".encode())
    gen = store.generation() if generation is None else generation
    return cache_dir() / f"lexical-{key.hexdigest()[:16]}-{gen}.npz"


def _save(index: LexicalIndex, path: Path) -> None:
    for old in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.npz"):
        old.unlink(missing_ok=True)
    words = np.array(sorted(index.vocab, key=index.vocab.__getitem__), dtype=str)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, chunk_ids=index.chunk_ids, vocab=words, data=index.weights.data,
             indices=index.weights.indices, indptr=index.weights.indptr,
             shape=np.array(index.weights.shape), scopes=index.scopes.astype(str),
             languages=index.languages.astype(str), sources=index.sources.astype(str))
    tmp.replace(path)


def _load(path: Path) -> LexicalIndex:
    with np.load(path) as z:
        mat = sp.csc_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
        return LexicalIndex(z["chunk_ids"], {w: i for i, w in enumerate(z["vocab"].tolist())}, mat,
                            z["scopes"].astype(object), z["languages"].astype(object),
                            z["sources"].astype(object))


_cache: dict[str, tuple[int, LexicalIndex]] = {}
_lock = threading.Lock()


def lexical_index(store: KnowledgeStore) -> LexicalIndex:
    """The index of ``store`` at its current generation: from memory, disk, or built."""
    gen = store.generation()
    ident = cache_ident(store)
    with _lock:
        hit = _cache.get(ident)
        if hit is not None and hit[0] == gen:
            return hit[1]
        path = _cache_file(store)
        index = None
        if path.exists():
            try:
                index = _load(path)
            except (OSError, ValueError, KeyError):
                index = None
        if index is None:
            index = build_index(store)
            try:
                _save(index, path)
            except OSError:
                pass  # a read-only cache only costs a rebuild next time
        _cache[ident] = (gen, index)
        return index


def carry_over(store: KnowledgeStore, old: int, new: int) -> None:
    """The store went from generation ``old`` to ``new`` by storing embeddings only: the
    lexical index of ``old`` is still exact, so it is relabelled instead of rebuilt
    (a rebuild of the MedQuAD index takes seconds, and background embedding commits
    a batch every few seconds). Callers make sure nothing else changed in between."""
    ident = cache_ident(store)
    with _lock:
        hit = _cache.get(ident)
        if hit is not None and hit[0] == old:
            _cache[ident] = (new, hit[1])
        src = _cache_file(store, old)
        try:
            if src.exists():
                src.replace(_cache_file(store, new))
        except OSError:
            pass  # another process moved it first, or a read-only cache: a rebuild later


def cache_ident(store: KnowledgeStore) -> str:
    """The key of ``store``'s in-memory indexes: its location and base id (a base
    recreated at the same place is another base)."""
    return f"{store.location}|{store.get_meta('kb_id')}"


def memo_mask(masks: dict[Filters, np.ndarray], scopes: np.ndarray, languages: np.ndarray,
              sources: np.ndarray, filters: Filters) -> np.ndarray:
    """``mask`` of these rows, memoised in ``masks`` (cleared past 256 filter sets)."""
    m = masks.get(filters)
    if m is None:
        if len(masks) > 256:
            masks.clear()
        m = masks[filters] = mask(scopes, languages, sources, filters)
    return m


def mask(scopes: np.ndarray, languages: np.ndarray, sources: np.ndarray,
         filters: Filters) -> np.ndarray:
    """Rows the filters allow: public plus the caller's tenant, then language/source."""
    m = np.isin(scopes, np.array(filters.scopes, dtype=object))
    if filters.language:
        m &= languages == filters.language
    if filters.source:
        m &= sources == filters.source
    return m


def top_k(ids: np.ndarray, scores: np.ndarray, allowed: np.ndarray, limit: int
          ) -> list[tuple[int, float]]:
    """The ``limit`` best allowed (id, score) with a positive score, best first."""
    scores = np.where(allowed & (scores > 0), scores, -np.inf)
    k = min(limit, int(np.isfinite(scores).sum()))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((ids[top], -scores[top]))]
    return [(int(ids[i]), float(scores[i])) for i in top]


#: Definitional questions ("what is X", "什么是X") ask for a document's overview, but
#: their wording is all stop words; they are given the overview section's heading terms.
_DEFINITIONAL = re.compile(
    r"^\s*(what\s+(is|are)\b|what's\b|whats\b|define\b|definition\s+of\b|meaning\s+of\b|"
    r"tell\s+me\s+about\b|overview\s+of\b)|^\s*什么是|是什么|什麼是|是什麼|的定义|介绍一下",
    re.IGNORECASE)
_OVERVIEW_TERMS = "overview definition"


@lru_cache(maxsize=1)
def _section_type_terms() -> frozenset[str]:
    from huizhen.retrieval.indexing import SECTION_TERMS

    words = " ".join(v for k, v in SECTION_TERMS.items() if k != "information")
    return frozenset(tokens(words, segment=False))


@lru_cache(maxsize=1)
def _generic_terms() -> frozenset[str]:
    """Section-type and overview terms: words that name no subject."""
    return _section_type_terms() | frozenset(tokens(_OVERVIEW_TERMS))


def query_terms(query: str) -> list[str]:
    """Index terms of a query, plus the overview's heading terms for a definitional one
    (an opener such as "what is" and no word naming another section type), plus the
    English terms of the Chinese medical names in it (``bridge``)."""
    terms = tokens(query)
    if has_cjk(query):
        from huizhen.retrieval.bridge import bridge_terms

        terms += [t for t in bridge_terms(query) if t not in terms]
    if _DEFINITIONAL.search(query) and not _section_type_terms().intersection(terms):
        terms += tokens(_OVERVIEW_TERMS)
    return terms


def lexical_search(store: KnowledgeStore, query: str, filters: Filters, limit: int = 50
                   ) -> list[tuple[int, float]]:
    """(chunk_id, BM25F score) best first; empty when no term of the query is indexed."""
    terms = query_terms(query)
    if not terms:
        return []
    index = lexical_index(store)
    if len(index.chunk_ids) == 0:
        return []
    # A query whose subject is unknown to the index ("痛风的症状" over English documents)
    # would match only section-type words, ranking every "symptoms" section alike: noise.
    subject = [t for t in terms if t not in _generic_terms()]
    if subject and not any(t in index.vocab for t in subject):
        return []
    return top_k(index.chunk_ids, index.score(terms), index.allowed(filters), limit)


def fts_match_expression(query: str) -> str | None:
    """The FTS5 query for ``query`` (store-side ranking): distinct terms OR-ed, each
    quoted so no user input is read as FTS5 syntax. None when it has no terms."""
    seen = list(dict.fromkeys(tokens(query)))
    if not seen:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in seen)
