"""CDS Hooks 2.0: discovery, the medication services, and feedback.

order-select fires as a clinician picks orders, order-sign just before they
are signed; both run the medication safety engine over the draft
MedicationRequests against the prefetched record and answer with cards.
Every call is authenticated by the EHR's JWT (the tenant comes from it) and
recorded in the tenant's audit log with the cards it showed; feedback on
those cards is recorded idempotently against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from huizhen.api import cards as cardlib
from huizhen.api.hookdata import (
    ORDER_PREFETCH,
    ORDER_REQUIRED,
    VIEW_PREFETCH,
    VIEW_REQUIRED,
    complete_prefetch,
    draft_orders,
    patient_from_prefetch,
    split_selected,
)
from huizhen.api.security import cds_client, cds_feedback_client
from huizhen.api.state import Service, body_digest, service
from huizhen.api.wire.cdshooks import (
    Discovery,
    FeedbackRequest,
    FeedbackResponse,
    HookRequest,
    HookResponse,
    OrderContext,
    PatientViewContext,
    ServiceDescription,
)
from huizhen.audit import FeedbackEntry
from huizhen.auth import Principal
from huizhen.errors import InputError, NotFoundError

router = APIRouter(prefix="/cds-services", tags=["CDS Hooks"])


@dataclass(frozen=True, slots=True)
class HookService:
    id: str
    hook: str
    title: str
    description: str
    prefetch: dict[str, str]
    required: tuple[str, ...]


SERVICES: dict[str, HookService] = {
    s.id: s for s in (
        HookService(
            id="huizhen-patient-view", hook="patient-view",
            title="huizhen consult (chart open)",
            description="When a chart opens: cannot-miss diagnoses from the patient's conditions "
                        "and results, medication alerts on the current list, and the red-flag "
                        "questions still unanswered.",
            prefetch=VIEW_PREFETCH, required=VIEW_REQUIRED),
        HookService(
            id="huizhen-order-select", hook="order-select",
            title="huizhen medication safety (order select)",
            description="Checks the selected draft medication orders for interactions, allergy "
                        "and cross-reactivity, duplicate therapy, contraindications, renal and "
                        "age dosing and pregnancy, against the patient's record.",
            prefetch=ORDER_PREFETCH, required=ORDER_REQUIRED),
        HookService(
            id="huizhen-order-sign", hook="order-sign",
            title="huizhen medication safety (order sign)",
            description="Checks every draft medication order before signing for interactions, "
                        "allergy and cross-reactivity, duplicate therapy, contraindications, "
                        "renal and age dosing and pregnancy, and doses above the labelled "
                        "maximum; suggests cancelling the order or lowering the dose.",
            prefetch=ORDER_PREFETCH, required=ORDER_REQUIRED),
    )
}


def _json(model: BaseModel) -> Response:
    """The response body, serialised once.

    Handlers return this instead of the model so that FastAPI does not validate
    and serialise it a second time against ``response_model`` (which stays on
    each route for the OpenAPI document); ``None`` fields are left out, as
    ``response_model_exclude_none`` would.
    """
    return Response(content=model.model_dump_json(exclude_none=True),
                    media_type="application/json")


_DISCOVERY = Discovery(services=[
    ServiceDescription(hook=s.hook, title=s.title, description=s.description, id=s.id,
                       prefetch=s.prefetch)
    for s in SERVICES.values()
]).model_dump_json(exclude_none=True)


@router.get("", response_model=Discovery, response_model_exclude_none=True,
            summary="CDS Hooks discovery: the services and their prefetch templates")
async def discovery(principal: Principal = Depends(cds_client)) -> Response:
    return Response(content=_DISCOVERY, media_type="application/json")


def _context(body: HookRequest, spec: HookService,
             model: type[OrderContext | PatientViewContext] = OrderContext) -> Any:
    if body.hook != spec.hook:
        raise InputError(f"service {spec.id} answers the {spec.hook} hook", field="hook",
                         value=body.hook)
    try:
        return model.model_validate(body.context)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        value = None if first["type"] == "missing" else first.get("input")
        raise InputError(first["msg"], field=f"context.{where}" if where else "context",
                         value=value) from None


def _prefetch(body: HookRequest, spec: HookService, principal: Principal,
              svc: Service) -> dict[str, Any]:
    token = body.fhirAuthorization.access_token if body.fhirAuthorization else None
    return complete_prefetch(body.prefetch, spec.required, spec.prefetch, body.context,
                             body.fhirServer, token,
                             svc.config.tenant(principal.tenant).fhir_servers)


def _may_fetch(body: HookRequest, spec: HookService) -> bool:
    """Could answering this call wait on the EHR's FHIR server (an absent prefetch key with
    a server and token to fetch it)?  Only then does the hook leave the event loop."""
    prefetch = body.prefetch or {}
    return (any(key not in prefetch for key in spec.prefetch)
            and bool(body.fhirServer) and body.fhirAuthorization is not None)


async def _answer_order_hook(spec: HookService, body: HookRequest, request: Request,
                             principal: Principal, svc: Service) -> Response:
    """order-select / order-sign on the event loop, or in a worker thread if it may wait.

    The check is a few milliseconds of CPU and one local audit append, so it
    runs where the request arrived: handing it to a thread and back costs a
    large share of that again, and under load the threads only contend for the
    interpreter lock.  A call that may wait on the network (a FHIR fetch from
    the EHR, or a networked audit store) goes to a thread, so the worker keeps
    answering others meanwhile.
    """
    digest = body_digest(await request.body())
    if not svc.inline or _may_fetch(body, spec):
        return _json(await run_in_threadpool(_order_hook, spec, body, digest, principal, svc))
    return _json(_order_hook(spec, body, digest, principal, svc))


def _order_hook(spec: HookService, body: HookRequest, digest: str, principal: Principal,
                svc: Service) -> HookResponse:
    from huizhen import safety

    context = _context(body, spec)
    prefetch = _prefetch(body, spec, principal, svc)
    patient = patient_from_prefetch(prefetch, context.patientId)
    drafts = draft_orders(context.draftOrders)
    if spec.hook == "order-select" and context.selections is not None:
        drafts, others = split_selected(drafts, context.selections)
        patient.medications.extend(d.medication for d in others)
    report = safety.check(patient, proposed=[d.medication for d in drafts])
    result = cardlib.report_cards(report, drafts)
    svc.record(
        principal, f"cds-hook:{spec.hook}", None, input_digest=digest,
        patient_id=context.patientId, service=spec.id,
        knowledge=_knowledge(report),
        shown=[{"card": s.uuid, "alert_type": s.alert_type, "indicator": s.indicator,
                "summary": s.summary} for s in result.shown],
        cards=result.shown,
    )
    return HookResponse(cards=result.cards)


def _knowledge(report: Any) -> dict[str, Any]:
    """The drug-pack release (and a hospital's local rules file) that produced the cards."""
    out: dict[str, Any] = {"drugs": report.knowledge_version}
    if report.local_rules:
        out["local_rules"] = report.local_rules
    return out


@router.post("/huizhen-patient-view", response_model=HookResponse,
             response_model_exclude_none=True,
             summary="patient-view: cannot-miss diagnoses, medication alerts, questions to ask",
             responses={412: {"description": "Required prefetch data missing"}})
async def patient_view(body: HookRequest, request: Request,
                       principal: Principal = Depends(cds_client),
                       svc: Service = Depends(service)) -> Response:
    # A consult is ~10 ms of CPU and its first call loads all the knowledge: a worker
    # thread, so the event loop keeps accepting (and /health keeps answering) meanwhile.
    digest = body_digest(await request.body())
    return _json(await run_in_threadpool(_patient_view, body, digest, principal, svc))


def _patient_view(body: HookRequest, digest: str, principal: Principal,
                  svc: Service) -> HookResponse:
    from huizhen.consult import consult

    spec = SERVICES["huizhen-patient-view"]
    context = _context(body, spec, PatientViewContext)
    prefetch = _prefetch(body, spec, principal, svc)
    patient = patient_from_prefetch(prefetch, context.patientId)
    report = consult(patient, tenant=principal.tenant,
                     kb=svc.config.kb_location(principal.tenant))
    result = cardlib.consult_cards(report)
    svc.record(
        principal, "cds-hook:patient-view", None, input_digest=digest,
        patient_id=context.patientId, service=spec.id, knowledge=dict(report.knowledge),
        shown=[{"card": s.uuid, "alert_type": s.alert_type, "indicator": s.indicator,
                "summary": s.summary} for s in result.shown]
              + [{"differential": [{"id": e.id, "name": e.name,
                                    "probability": round(e.probability, 4)}
                                   for e in report.differential]}],
        cards=result.shown,
    )
    return HookResponse(cards=result.cards)


@router.post("/huizhen-order-select", response_model=HookResponse,
             response_model_exclude_none=True, summary="order-select: medication alerts as cards",
             responses={412: {"description": "Required prefetch data missing"}})
async def order_select(body: HookRequest, request: Request,
                       principal: Principal = Depends(cds_client),
                       svc: Service = Depends(service)) -> Response:
    return await _answer_order_hook(SERVICES["huizhen-order-select"], body, request, principal,
                                    svc)


@router.post("/huizhen-order-sign", response_model=HookResponse,
             response_model_exclude_none=True, summary="order-sign: medication alerts as cards",
             responses={412: {"description": "Required prefetch data missing"}})
async def order_sign(body: HookRequest, request: Request,
                     principal: Principal = Depends(cds_client),
                     svc: Service = Depends(service)) -> Response:
    return await _answer_order_hook(SERVICES["huizhen-order-sign"], body, request, principal, svc)


@router.post("/{service_id}/feedback", response_model=FeedbackResponse,
             summary="Feedback: a card accepted or overridden (idempotent)")
def feedback(service_id: str, body: FeedbackRequest, request: Request,
             principal: Principal = Depends(cds_feedback_client),
             svc: Service = Depends(service)) -> FeedbackResponse:
    if service_id not in SERVICES:
        raise NotFoundError("no such CDS service", field="service", value=service_id)
    entries = [
        FeedbackEntry(
            card=f.card, outcome=f.outcome,
            outcome_at=f.outcomeTimestamp.isoformat().replace("+00:00", "Z"),
            accepted_suggestions=[s.id for s in f.acceptedSuggestions or []],
            reason_code=f.overrideReason.reason.code if f.overrideReason and f.overrideReason.reason else None,
            reason_system=f.overrideReason.reason.system if f.overrideReason and f.overrideReason.reason else None,
            reason_display=f.overrideReason.reason.display if f.overrideReason and f.overrideReason.reason else None,
            comment=f.overrideReason.userComment if f.overrideReason else None,
        )
        for f in body.feedback
    ]
    fresh = svc.audit.record_feedback(principal.tenant, principal.actor, service_id, entries)
    return FeedbackResponse(recorded=sum(fresh), duplicates=len(fresh) - sum(fresh))
