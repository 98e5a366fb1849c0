"""The doctor's page and the passage view it opens.

``GET /`` and ``GET /static/{name}`` serve the page (see :mod:`huizhen.web`);
the page's consult is the service's own ``POST /v1/consult``
(:mod:`huizhen.api.routes.consult`).  ``GET /v1/web/passages/{chunk_id}``
opens a cited passage's full text; it is plain REST (``X-API-Key``) too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from huizhen.api.security import api_client, local_principal
from huizhen.api.state import Service, service
from huizhen.auth import Principal
from huizhen.errors import NotFoundError
from huizhen.web.page import page_router

router = APIRouter(tags=["web"])
router.include_router(page_router)


@router.get("/v1/web/access", summary="Whether this caller needs an API key (the page asks "
            "once, to show or hide its key field)")
def access(request: Request, svc: Service = Depends(service)) -> dict[str, Any]:
    local = local_principal(svc, request)
    return {"api_key_required": local is None,
            "tenant": local.tenant if local is not None else None}


@router.get("/v1/web/passages/{chunk_id}", summary="A cited passage's full text and its source")
def passage(chunk_id: int = Path(ge=1, le=2**62), principal: Principal = Depends(api_client),
            svc: Service = Depends(service)) -> dict[str, Any]:
    from huizhen.retrieval import default_kb_path, open_kb
    from huizhen.retrieval.search import filters_for
    from huizhen.store import store_exists

    kb = svc.config.kb_location(principal.tenant) or default_kb_path()
    chunk = open_kb(kb).chunks([chunk_id]).get(chunk_id) if store_exists(kb) else None
    if chunk is None or chunk.scope not in filters_for(principal.tenant).scopes:
        raise NotFoundError("no such passage in this tenant's knowledge base", field="chunk_id",
                            value=chunk_id)
    return {"chunk_id": chunk.chunk_id, "doc_id": chunk.doc_id, "title": chunk.title,
            "heading": " › ".join(chunk.heading_path), "text": chunk.text,
            "source": chunk.source, "url": chunk.url, "license": chunk.license,
            "scope": chunk.scope, "language": chunk.language}
