"""REST: the tenant's knowledge base (search, ingest) and the rare-disease ranker.

Search sees public documents plus the caller's own tenant's, never another
tenant's (the retrieval library enforces the scope; the tenant comes from the
API key, never from the request).  Uploaded documents are kept under the data
directory per tenant, so a re-upload of the same name replaces the document.

An ingested document is searchable lexically when the response is sent; the
process's background worker then embeds it (``retrieval.background``), and when
the service starts it hands the worker every configured knowledge base that
still has chunks without a vector, so an interrupted embedding resumes.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query
from starlette.concurrency import run_in_threadpool

from huizhen.api.security import api_client
from huizhen.api.state import Service, service
from huizhen.api.wire.rest import DocumentIn, IngestOut, RareRankIn
from huizhen.auth import Principal
from huizhen.errors import InputError, NotFoundError
from huizhen.paths import data_dir
from huizhen.tenants import ServiceConfig

log = logging.getLogger("huizhen.api.knowledge")


def knowledge_bases(config: ServiceConfig) -> list[Path | str]:
    """The knowledge bases (files or database URLs) the configured tenants use that
    exist now."""
    from huizhen.retrieval import default_kb_path
    from huizhen.store.factory import store_exists

    locations = {config.kb_location(t) or default_kb_path() for t in config.tenants}
    return [loc for loc in sorted(locations, key=str) if store_exists(loc)]


def resume_embedding(config: ServiceConfig) -> list[Path | str]:
    """Hand the background worker every configured knowledge base with unembedded
    chunks (an ingest whose embedding was interrupted); the ones handed over."""
    from huizhen.errors import KnowledgeError
    from huizhen.retrieval import open_kb
    from huizhen.retrieval.background import embed_in_background

    handed: list[Path | str] = []
    for path in knowledge_bases(config):
        try:
            if embed_in_background(open_kb(path)):
                handed.append(path)
        except KnowledgeError as err:  # a broken base must not keep the service from starting
            log.warning("not embedding %s: %s", path, err)
    return handed


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    await run_in_threadpool(resume_embedding, app.state.huizhen.config)
    yield
    from huizhen.retrieval.background import stop_worker

    await run_in_threadpool(stop_worker)


router = APIRouter(prefix="/v1", tags=["REST"], lifespan=_lifespan)


@router.get("/knowledge/search", summary="Passages from public and the tenant's own documents")
def knowledge_search(
    q: str = Query(min_length=1, max_length=500, description="The question or keywords."),
    top: int = Query(default=5, ge=1, le=50),
    mode: str = Query(default="hybrid", pattern="^(lexical|dense|hybrid)$"),
    lang: str | None = Query(default=None, pattern="^(en|zh)$"),
    principal: Principal = Depends(api_client),
    svc: Service = Depends(service),
) -> dict[str, Any]:
    from huizhen.retrieval import default_kb_path, search
    from huizhen.store.factory import store_exists

    kb = svc.config.kb_location(principal.tenant) or default_kb_path()
    if not store_exists(kb):
        raise NotFoundError("this tenant has no knowledge base yet; ingest documents first",
                            field="knowledge_base",
                            value=kb.name if isinstance(kb, Path) else "database")
    if mode == "dense":
        from huizhen.retrieval.dense import has_vectors
        from huizhen.retrieval.search import open_kb

        if not has_vectors(open_kb(kb)):
            raise InputError("this knowledge base has no embeddings; use mode=lexical or hybrid",
                             field="mode", value=mode)
    hits = search(q, kb=kb, tenant=principal.tenant, top=top, mode=mode, lang=lang)
    shown = [hit.to_dict() for hit in hits]
    svc.record(principal, "knowledge-search", {"q": q, "top": top, "mode": mode, "lang": lang},
               shown=[{"doc_id": h["doc_id"], "chunk_id": h["chunk_id"], "scope": h["scope"]}
                      for h in shown])
    return {"query": q, "hits": shown}


def _upload_dir(tenant: str) -> Path:
    path = data_dir() / "uploads" / tenant
    path.mkdir(parents=True, exist_ok=True)
    return path


@router.post("/knowledge/documents", response_model=IngestOut, status_code=201,
             summary="Ingest one document into the tenant's scope of its knowledge base")
def ingest_document(body: DocumentIn, principal: Principal = Depends(api_client),
                    svc: Service = Depends(service)) -> IngestOut:
    from huizhen.knowledge.corpus import ingest
    from huizhen.retrieval import open_kb
    from huizhen.retrieval.background import embed_in_background

    if body.text is not None:
        if body.filename.lower().endswith((".pdf", ".docx")):
            raise InputError("a .pdf or .docx is sent as content_base64", field="text")
        data = body.text.encode("utf-8")
    else:
        try:
            data = base64.b64decode(body.content_base64 or "", validate=True)
        except (binascii.Error, ValueError):  # ValueError: non-ASCII characters
            raise InputError("not valid base64", field="content_base64") from None
    target = _upload_dir(principal.tenant) / body.filename
    previous = target.read_bytes() if target.exists() else None
    try:
        target.write_bytes(data)
    except (OSError, UnicodeError) as err:
        raise InputError(f"cannot store a file by this name ({type(err).__name__})",
                         field="filename", value=body.filename) from None
    store = open_kb(svc.config.kb_location(principal.tenant))
    report = ingest([target], store, principal.tenant)
    if report.failed:
        # Nothing half-stored: put back the previous upload (or none).
        if previous is None:
            target.unlink()
        else:
            target.write_bytes(previous)
        raise InputError(report.failed[0][1].replace(str(target), body.filename),
                         field="filename", value=body.filename)
    if report.added or report.updated:
        embed_in_background(store)
    svc.record(principal, "knowledge-ingest", {"filename": body.filename, "size": len(data)},
               shown=[{"filename": body.filename, "chunks": report.chunks}])
    return IngestOut(filename=body.filename, added=report.added, updated=report.updated,
                     unchanged=report.unchanged, chunks=report.chunks)


@router.post("/rare/rank", summary="Rank rare diseases for HPO-coded phenotypes")
def rare_rank(body: RareRankIn, principal: Principal = Depends(api_client),
              svc: Service = Depends(service)) -> dict[str, Any]:
    from huizhen.reasoning.rare import RareQuery, load_ranker

    ranker = load_ranker()
    # Alternative and obsolete ids map to current ones; unknown ids are a 422 naming the item.
    terms = {name: [ranker.onto.resolve(t, field=f"{name}[{i}]")[0]
                    for i, t in enumerate(getattr(body, name))]
             for name in ("present", "excluded")}
    ranked = ranker.rank(RareQuery(present=terms["present"], excluded=terms["excluded"],
                                          sex=body.sex, onset_years=body.onset_years),
                                top=body.top)
    svc.record(principal, "rare-rank", body.model_dump(mode="json"), patient_id=body.patient_id,
               knowledge={"hpo": ranked.release},
               shown=[{"rank": r.rank, "id": r.id, "name": r.name} for r in ranked.results])
    return ranked.to_dict()
