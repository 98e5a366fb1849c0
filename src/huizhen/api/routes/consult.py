"""REST: the whole consult — differential, next questions, treatment options, alerts,
citations from the tenant's knowledge — one call over ``huizhen.consult.consult``.

Medication alerts get an ``alert_id`` for ``POST /v1/feedback``, like the
medication check; the audit event keeps the differential and what was shown.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends

from huizhen.api import cards as cardlib
from huizhen.api.routes.medication import patient_content
from huizhen.api.security import api_client
from huizhen.api.state import Service, service
from huizhen.api.wire.rest import ConsultIn
from huizhen.audit import ShownCard
from huizhen.auth import Principal

router = APIRouter(prefix="/v1", tags=["REST"])


@router.post("/consult", summary="A whole consult: differential, questions, treatments, alerts")
def consult_endpoint(body: ConsultIn, principal: Principal = Depends(api_client),
                     svc: Service = Depends(service)) -> dict[str, Any]:
    from huizhen.consult import consult
    from huizhen.patient.parse import load_patient

    patient = load_patient(patient_content(body), strict=True)
    report = consult(patient, tenant=principal.tenant, lang=body.lang, proposed=body.proposed,
                     kb=svc.config.kb_path(principal.tenant))
    result = report.to_dict()
    shown: list[ShownCard] = []
    for alert, out in zip(report.alerts, result["alerts"], strict=True):
        out["alert_id"] = str(uuid.uuid4())
        shown.append(ShownCard(uuid=out["alert_id"], alert_type=alert.type,
                               indicator=cardlib.indicator(alert), summary=cardlib.summary(alert)))
    summary: list[dict[str, Any]] = [
        {"differential": [{"id": e.id, "name": e.name, "probability": round(e.probability, 4)}
                          for e in report.differential]},
        {"questions": [q.id for q in report.questions]},
        {"citations": [c.doc_id for c in report.citations]}]
    summary += [{"alert_id": s.uuid, "alert_type": s.alert_type, "indicator": s.indicator,
                 "summary": s.summary} for s in shown]
    svc.record(principal, "consult", body.model_dump(mode="json"),
               patient_id=body.patient_id or patient.id, knowledge=dict(report.knowledge),
               shown=summary, cards=shown)
    return result
