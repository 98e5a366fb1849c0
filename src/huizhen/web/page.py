"""The doctor's web page: one HTML file, hand-written JS and CSS, served by ``huizhen serve``.

Why no framework and no build step: the page must load fast on a slow clinic
connection and be served by the same process as the API, offline.  The files
are read once, kept in memory (gzip too) and served with an ETag and a strict
Content-Security-Policy (nothing but this origin).  Serving the page also starts
loading the consult's knowledge in the background, so it is ready by the time
the doctor has typed the case.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_SECURITY = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
             "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str
    etag: str


def _load() -> dict[str, Asset]:
    out = {}
    for path in sorted(STATIC.iterdir()):
        if path.suffix in _TYPES and path.is_file():
            body = path.read_bytes()
            out[path.name] = Asset(body, gzip.compress(body, 9, mtime=0), _TYPES[path.suffix],
                                   '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
    return out


ASSETS = _load()
page_router = APIRouter(include_in_schema=False)
_warm = threading.Event()


def _warm_up() -> None:
    """Load the consult's knowledge off the request path, while the doctor types."""
    from huizhen.api.consult_view import knowledge

    knowledge()


def _serve(name: str, request: Request) -> Response:
    asset = ASSETS.get(name)
    if asset is None:
        from huizhen.errors import NotFoundError

        raise NotFoundError("no such file", field="path", value=name)
    headers = dict(_SECURITY, ETag=asset.etag, Vary="Accept-Encoding")
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(asset.gzipped, media_type=asset.media_type,
                        headers=dict(headers, **{"Content-Encoding": "gzip"}))
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@page_router.get("/")
def index(request: Request) -> Response:
    if not _warm.is_set():
        _warm.set()
        threading.Thread(target=_warm_up, name="huizhen-warm-up", daemon=True).start()
    return _serve("index.html", request)


@page_router.get("/static/{name}")
def static(name: str, request: Request) -> Response:
    return _serve(name, request)
