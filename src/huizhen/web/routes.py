"""The doctor's page and the consult API it calls.

``GET /`` and ``GET /static/{name}`` serve the page (see :mod:`huizhen.web`).
``POST /v1/web/consult`` takes a note, a form case or an uploaded FHIR bundle /
phenopacket / case file, plus the doctor's answers to earlier questions and the
drugs they propose, and returns what intake understood with the ConsultReport.
Each alert and the differential itself get an id, recorded in the audit log,
so the doctor's decisions come back through ``POST /v1/feedback``.
``GET /v1/web/passages/{chunk_id}`` opens a cited passage's full text.  Both
are plain REST (``X-API-Key``), so a hospital system can drive the same
question-and-answer loop as the page.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from huizhen.api.security import api_client
from huizhen.api.state import Service, service
from huizhen.auth import Principal
from huizhen.errors import NotFoundError
from huizhen.web import view
from huizhen.web.page import page_router

router = APIRouter(tags=["web"])
router.include_router(page_router)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^E_\d{1,4}$", description="The question's id (DDXPlus evidence).")
    present: bool = Field(default=True, description="Yes / no; for a choice, whether it applies.")
    value: str | None = Field(default=None, max_length=16,
                              description="For a choice or scale question: the option's value.")


class ConsultIn(BaseModel):
    """A case and what the doctor has added to it."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=100_000, description="A free-text note "
                             "(Chinese or English).")
    case: dict[str, Any] | None = Field(default=None, description="A case in huizhen's case "
                                        "format (what the page's form builds).")
    document: str | None = Field(default=None, description="An uploaded file's text: FHIR R4 "
                                 "Bundle, phenopacket or case file (JSON / YAML).")
    filename: str | None = Field(default=None, max_length=255,
                                 description="The uploaded file's name, for messages.")
    answers: list[AnswerIn] = Field(default_factory=list, max_length=200,
                                    description="Answers to the questions asked so far.")
    proposed: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=50, description="Drugs the doctor plans to give.")
    lang: Literal["zh", "en"] | None = Field(default=None, description="Report language "
                                             "(default: the note's).")
    top: int = Field(default=10, ge=1, le=30)
    patient_id: str | None = Field(default=None, max_length=128,
                                   description="Recorded (hashed) in the audit log only.")

    @model_validator(mode="after")
    def _one_input(self) -> ConsultIn:
        given = [k for k in ("text", "case", "document") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, case or document"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self


@router.post("/v1/web/consult", summary="A whole consult: intake, differential, questions, "
             "treatments, medication alerts, citations")
def consult(body: ConsultIn, principal: Principal = Depends(api_client),
            svc: Service = Depends(service)) -> dict[str, Any]:
    from huizhen.consult import consult as run_consult

    started = time.perf_counter()
    patient, kind = view.read_input(text=body.text, case=body.case, document=body.document,
                                    filename=body.filename)
    lang = body.lang or ("zh" if patient.lang == "zh" else "en")
    answered = view.apply_answers(patient, [view.Answer(a.code, a.present, a.value)
                                            for a in body.answers], lang)
    report = run_consult(patient, knowledge=view.knowledge(), tenant=principal.tenant, lang=lang,
                         proposed=body.proposed, top=body.top,
                         kb=svc.config.kb_path(principal.tenant))
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


@router.get("/v1/web/passages/{chunk_id}", summary="A cited passage's full text and its source")
def passage(chunk_id: int = Path(ge=1, le=2**62), principal: Principal = Depends(api_client),
            svc: Service = Depends(service)) -> dict[str, Any]:
    from huizhen.retrieval import default_kb_path, open_kb

    kb = svc.config.kb_path(principal.tenant) or default_kb_path()
    chunk = open_kb(kb).chunks([chunk_id]).get(chunk_id) if kb.exists() else None
    if chunk is None or chunk.scope not in ("public", principal.tenant):
        raise NotFoundError("no such passage in this tenant's knowledge base", field="chunk_id",
                            value=chunk_id)
    return {"chunk_id": chunk.chunk_id, "doc_id": chunk.doc_id, "title": chunk.title,
            "heading": " › ".join(chunk.heading_path), "text": chunk.text,
            "source": chunk.source, "url": chunk.url, "license": chunk.license,
            "scope": chunk.scope, "language": chunk.language}
