"""REST: the whole consult — intake, differential, next questions, treatment options,
medication alerts, citations from the tenant's knowledge — in one call.

The doctor's page and a hospital system call the same endpoint.  The body is a
case plus the doctor's answers to earlier questions and the drugs they propose
(:mod:`huizhen.api.wire.consult`); the answer carries what intake understood and
the ConsultReport.  Each alert and the differential itself get an id, recorded
in the audit log, so the doctor's decisions come back through ``POST /v1/feedback``.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends

from huizhen.api import consult_view as view
from huizhen.api.security import api_client
from huizhen.api.state import Service, service
from huizhen.api.wire.consult import ConsultIn
from huizhen.auth import Principal

router = APIRouter(prefix="/v1", tags=["REST"])


@router.post("/consult", summary="A whole consult: intake, differential, questions, "
             "treatments, medication alerts, citations")
def consult_endpoint(body: ConsultIn, principal: Principal = Depends(api_client),
                     svc: Service = Depends(service)) -> dict[str, Any]:
    from huizhen.consult import consult

    started = time.perf_counter()
    patient, kind = view.read_input(text=body.text, case=body.case, patient=body.patient,
                                    document=body.document, filename=body.filename)
    lang = body.lang or ("zh" if patient.lang == "zh" else "en")
    answered = view.apply_answers(patient, [view.Answer(a.code, a.present, a.value)
                                            for a in body.answers], lang)
    report = consult(patient, knowledge=view.knowledge(), tenant=principal.tenant, lang=lang,
                     proposed=body.proposed, top=body.top,
                     kb=svc.config.kb_location(principal.tenant))
    result = report.to_dict()
    result["questions"] = view.question_options(report)
    consult_id, cards = view.shown_cards(report, result)
    event = svc.record(principal, "consult", body.model_dump(mode="json"),
                       patient_id=body.patient_id or patient.id, knowledge=report.knowledge,
                       shown=view.audit_shown(result), cards=cards)
    intake = result.pop("patient")
    return {"consult_id": consult_id, "audit_event": event.id, "format": kind,
            "intake": intake, "answers": answered, "report": result,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1)}
