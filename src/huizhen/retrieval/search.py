"""The library's search entry point: lexical, dense or hybrid, with scope filters.

Why here and not in the CLI: the CLI, the API and the reasoners all call this
one function, so a hit means the same thing (and is cited the same way)
wherever it is shown.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from huizhen.errors import InputError, KnowledgeError
from huizhen.paths import data_dir
from huizhen.retrieval.dense import allowed_vectors, dense_search, has_vectors
from huizhen.retrieval.fusion import rrf
from huizhen.retrieval.lexical import lexical_search
from huizhen.retrieval.tokenize import has_cjk, to_simplified, tokens
from huizhen.store.base import Filters, KnowledgeStore
from huizhen.store.model import PUBLIC, Hit, StoredChunk

MODES = ("lexical", "dense", "hybrid")
#: How deep each list goes before fusion.
CANDIDATES = 50
SNIPPET_CHARS = 240
#: RRF weights of (lexical, dense). Measured on MedQuAD dev questions over the
#: documents embedded so far: equal weights lost to lexical alone (MRR@10 0.901
#: vs 0.918); dense at half weight edged ahead (0.921, recall@5 0.983 vs 0.978).
FUSION_WEIGHTS = (1.0, 0.5)
#: Hybrid search embeds the query only when the best lexical section is not this many
#: times ahead of the next one (see ``lexically_decided``). Chosen on the MedQuAD dev
#: questions from 1.005-1.05; the two halves of the set agree (MRR@10 0.875 / 0.879).
DENSE_MARGIN = 1.02
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

_open: dict[str, KnowledgeStore] = {}
_open_lock = threading.Lock()


def default_kb_path() -> Path:
    """Where the default knowledge base lives: ``<user data dir>/kb/huizhen-kb.sqlite``."""
    return data_dir() / "kb" / "huizhen-kb.sqlite"


def open_kb(path: Path | str | None = None, *, must_exist: bool = False) -> KnowledgeStore:
    """The knowledge base at ``path`` (default: the user's), opened once per process: a
    file path or ``sqlite:///`` URL (SQLite) or a ``postgresql://`` URL (PostgreSQL)."""
    from huizhen.store.factory import open_store, store_key

    location = path if path is not None else default_kb_path()
    key = store_key(location)
    with _open_lock:
        if key in _open:
            return _open[key]
        store = open_store(location, must_exist=must_exist)
        _open[key] = store
        return store


def close_all() -> None:
    """Close every knowledge base this process opened (tests, CLI exit), after the
    background embedding worker has finished its batch and stopped."""
    from huizhen.retrieval.background import stop_worker

    stop_worker()
    with _open_lock:
        for store in _open.values():
            store.close()
        _open.clear()


def check_tenant(tenant: str | None) -> str | None:
    if tenant is None or tenant == PUBLIC:
        return None
    if not _TENANT.match(tenant):
        raise InputError("a tenant id is 1-64 letters, digits, '.', '_' or '-'",
                         field="tenant", value=tenant)
    return tenant


def filters_for(tenant: str | None, lang: str | None = None, source: str | None = None) -> Filters:
    """Public documents plus the caller's own tenant: never another tenant's."""
    t = check_tenant(tenant)
    return Filters(scopes=(PUBLIC,) if t is None else (PUBLIC, t), language=lang or None,
                   source=source or None)


def snippet(text: str, query_terms: set[str], width: int = SNIPPET_CHARS) -> str:
    """The window of ``text`` starting at the sentence with the most query terms, cut at
    word boundaries.

    A sentence counts a term when the term occurs in it as written: index terms are
    lower-case stems (``inherit`` in "inherited") or Simplified Chinese words, so this
    finds them without tokenising every sentence of every hit (3 ms a query for five
    hits before, a few microseconds now)."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    parts = re.split(r"(?<=[.!?。！？；;])\s*", flat)
    terms = [t for t in query_terms if len(t) > 1 or has_cjk(t)]
    best_score, pos, start = -1, 0, 0
    for p in parts:
        at = flat.find(p, pos)  # sentences are separated by one space, or none (Chinese)
        pos = at if at >= 0 else pos
        key = to_simplified(p) if has_cjk(p) else p
        score = sum(1 for t in terms if t in key.lower())
        if score > best_score:
            best_score, start = score, pos
        pos += len(p)
    out = flat[start : start + width]
    if start + width < len(flat):
        cut = out.rfind(" ")
        out = (out[:cut] if cut > width // 2 else out) + " …"
    return ("… " if start > 0 else "") + out


def _hit(c: StoredChunk, score: float, terms: set[str]) -> Hit:
    return Hit(doc_id=c.doc_id, title=c.title, heading_path=c.heading_path,
               snippet=snippet(c.text, terms), text=c.text, score=score, source=c.source,
               url=c.url, license=c.license, scope=c.scope, chunk_id=c.chunk_id,
               anchor=c.anchor, language=c.language)


def ranked_ids(store: KnowledgeStore, query: str, filters: Filters, mode: str,
               depth: int = CANDIDATES) -> list[tuple[int, float]]:
    """(chunk_id, score) best first for ``mode``; the evaluation scores these directly."""
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}", field="mode", value=mode)
    if mode == "lexical":
        return lexical_search(store, query, filters, depth)
    if mode == "dense":
        if not has_vectors(store):
            raise KnowledgeError("this knowledge base has no embeddings; run `huizhen kb embed` "
                                 "or search with --mode lexical", source=store.location)
        return dense_search(store, query, filters, depth)
    lex = lexical_search(store, query, filters, depth)
    if not dense_ready(store, filters):
        return lex
    # Chinese questions are always fused: their lexical terms are partly bridged
    # translations (``bridge``), a weaker signal than words the passage shares
    if not has_cjk(query) and lexically_decided(store, lex):
        return lex
    return rrf([lex, dense_search(store, query, filters, depth)], weights=FUSION_WEIGHTS)


def lexically_decided(store: KnowledgeStore, lex: list[tuple[int, float]]) -> bool:
    """True when lexical search alone settles the answer: its best section scores at
    least ``DENSE_MARGIN`` times the best chunk of any other section.

    Why: the query embedding is most of a hybrid query's cost (about 30 ms of 35 on
    two cores), and fusion changes the ranking only where lexical scores are close.
    On the MedQuAD dev questions 63% of questions clear the margin; skipping their
    embedding costs 0.0007 MRR@10 (0.8776 → 0.8769) while the rest, where dense
    scores add most (+0.034 MRR on them), still get fused rankings. Not used for
    Chinese questions: on the 60 translated dev questions the margin cost 0.031 MRR."""
    if len(lex) < 2:
        return False  # nothing, or one chunk: a narrow match the dense side should check
    chunks = store.chunks([cid for cid, _ in lex[:8]])
    top = chunks.get(lex[0][0])
    if top is None:
        return False
    for cid, score in lex[1:8]:
        c = chunks.get(cid)
        if c is not None and (c.scope, c.doc_id, c.anchor) != (top.scope, top.doc_id, top.anchor):
            return lex[0][1] >= DENSE_MARGIN * score
    return True  # the first eight chunks are all of one section


def dense_ready(store: KnowledgeStore, filters: Filters) -> bool:
    """Hybrid search uses dense scores only when every chunk the caller may see has a
    vector: fusing a partly embedded collection would favour its embedded part.
    Until then (a hospital's documents still being embedded) hybrid is lexical."""
    if not has_vectors(store):
        return False
    from huizhen.retrieval.lexical import lexical_index

    want = int(lexical_index(store).allowed(filters).sum())
    have = int(allowed_vectors(store, filters)[1].sum())
    return want > 0 and have >= want


def search(query: str, *, kb: KnowledgeStore | Path | str | None = None, tenant: str | None = None,
           top: int = 5, mode: str = "hybrid", lang: str | None = None,
           source: str | None = None) -> list[Hit]:
    """The ``top`` passages for ``query`` that ``tenant`` may see (public + its own).

    An empty list means nothing matched; callers say so rather than guess."""
    if not query or not query.strip():
        raise InputError("the query is empty", field="query", value=query)
    if top < 1:
        raise InputError("top must be at least 1", field="top", value=top)
    store = kb if isinstance(kb, KnowledgeStore) else open_kb(kb, must_exist=True)
    filters = filters_for(tenant, lang, source)
    ranked = ranked_ids(store, query, filters, mode, max(CANDIDATES, top))[:top]
    chunks = store.chunks([cid for cid, _ in ranked])
    terms = set(tokens(query))
    return [_hit(chunks[cid], score, terms) for cid, score in ranked if cid in chunks]
