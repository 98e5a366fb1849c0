"""The REST API for hospital systems: one call over the library per endpoint.

Authenticated by a tenant's API key (``X-API-Key``); every result is scoped
to that tenant, and every call that shows clinical output is audited.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query

from huizhen.api.security import api_client
from huizhen.api.state import Service, service
from huizhen.api.wire.rest import AuditEventOut, FeedbackIn, FeedbackOut, OverrideRateOut
from huizhen.audit import FeedbackEntry
from huizhen.auth import Principal

router = APIRouter(prefix="/v1", tags=["REST"])


@router.post("/feedback", response_model=FeedbackOut,
             summary="Record a decision on an alert (idempotent on alert, outcome and time)")
def feedback(body: FeedbackIn, principal: Principal = Depends(api_client),
             svc: Service = Depends(service)) -> FeedbackOut:
    entry = FeedbackEntry(
        card=body.alert_id, outcome=body.outcome,
        outcome_at=body.decided_at.isoformat().replace("+00:00", "Z"),
        accepted_suggestions=body.accepted_suggestions, reason_code=body.reason_code,
        reason_display=body.reason, comment=body.comment,
    )
    [fresh] = svc.audit.record_feedback(principal.tenant, principal.actor, None, [entry])
    return FeedbackOut(recorded=fresh)


@router.get("/audit/events", response_model=list[AuditEventOut],
            summary="The tenant's audit log, newest first")
def audit_events(action: str | None = Query(default=None, max_length=64),
                 limit: int = Query(default=100, ge=1, le=1000),
                 principal: Principal = Depends(api_client),
                 svc: Service = Depends(service)) -> list[AuditEventOut]:
    return [AuditEventOut(**e.to_dict())
            for e in svc.audit.events(principal.tenant, action=action, limit=limit)]


@router.get("/audit/override-rates", response_model=list[OverrideRateOut],
            summary="Per alert type: shown, accepted, overridden, override rate, top reasons")
def override_rates(since: datetime | None = Query(default=None),
                   principal: Principal = Depends(api_client),
                   svc: Service = Depends(service)) -> list[OverrideRateOut]:
    start = since.isoformat().replace("+00:00", "Z") if since else None
    return [OverrideRateOut(**r.to_dict())
            for r in svc.audit.override_rates(principal.tenant, since=start)]
