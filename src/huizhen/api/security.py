"""FastAPI dependencies that authenticate a call and name its tenant.

They are ``async``: a JWT verification is about a millisecond of CPU (one
signature, one nonce insert), and a plain ``def`` dependency would cost a
hand-off to the thread pool and back on every call.  Only when the nonce goes
to a networked store (``Service.inline`` false) is the verification waited for
in a thread, so the event loop serves others during the round trips.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from huizhen.api.state import Service, service
from huizhen.auth import Principal

_bearer = HTTPBearer(auto_error=False, description="CDS Hooks JWT signed by the EHR (ES384/RS384)")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A tenant's REST API key")


def endpoint_url(svc: Service, request: Request) -> str:
    """The public URL of the endpoint being called: what the JWT's ``aud`` must say.

    Built from the configured service URL, not the Host header, so a proxy in
    front (or a spoofed Host) cannot change what audience is accepted; the path
    is taken as it was sent (percent-encoding kept), which is what the client
    signed.
    """
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    return svc.config.service_url + path


async def cds_client(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    svc: Service = Depends(service),
) -> Principal:
    """A CDS Hooks caller: a valid JWT whose ``aud`` is this endpoint."""
    token = credentials.credentials if credentials else None
    return await _verify(svc, token, endpoint_url(svc, request))


async def cds_feedback_client(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    svc: Service = Depends(service),
) -> Principal:
    """Feedback: ``aud`` is the feedback URL, or (as some EHRs send) its service's URL."""
    token = credentials.credentials if credentials else None
    url = endpoint_url(svc, request)
    return await _verify(svc, token, [url, url.removesuffix("/feedback")])


async def _verify(svc: Service, token: str | None, audience: str | list[str]) -> Principal:
    if svc.inline:
        return svc.jwt.verify(token, audience)
    return await run_in_threadpool(svc.jwt.verify, token, audience)


#: Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever its peer.
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
_LOOPBACK = ("127.0.0.1", "::1")


def local_principal(svc: Service, request: Request) -> Principal | None:
    """The single-clinic laptop's caller (``local_tenant`` set, ``huizhen serve --local``):
    a peer on this machine whose request no proxy has forwarded; else None."""
    local = svc.config.model.local_tenant
    if (local is None or request.client is None or request.client.host not in _LOOPBACK
            or any(h in request.headers for h in _PROXY_HEADERS)):
        return None
    return Principal(tenant=local, kind="local", actor="local-user")


async def api_client(request: Request, key: str | None = Depends(_api_key),
                     svc: Service = Depends(service)) -> Principal:
    """A REST caller: one of its tenant's API keys — or, without a key, the local caller
    of a single-clinic laptop (:func:`local_principal`)."""
    if not key:
        local = local_principal(svc, request)
        if local is not None:
            return local
    return svc.api_keys.verify(key)
