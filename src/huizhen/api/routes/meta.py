"""Health and version: unauthenticated, for load balancers and operators."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from huizhen import __version__
from huizhen.api.state import Service, service

router = APIRouter(tags=["service"])


class Health(BaseModel):
    status: str
    audit_events: int | None = None


class Version(BaseModel):
    huizhen: str
    api: str
    cds_hooks: str
    tenants: int


@router.get("/health", response_model=Health, summary="Liveness: the process answers and its audit store opens")
def health(svc: Service = Depends(service)) -> Health:
    svc.audit.events("__health__", limit=1)  # touches the database; raises if it is gone
    return Health(status="ok")


@router.get("/version", response_model=Version, summary="Software and protocol versions")
def version(svc: Service = Depends(service)) -> Version:
    return Version(huizhen=__version__, api="1", cds_hooks="2.0", tenants=len(svc.config.tenants))
