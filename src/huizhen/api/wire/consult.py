"""The body of ``POST /v1/consult``: a case, the doctor's answers so far, proposed drugs.

One body for every caller: the doctor's page (a note, the form's case or an
uploaded file) and a hospital system (a FHIR Bundle, phenopacket or case as a
JSON object, or a note).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

INPUTS = ("text", "case", "patient", "document")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^E_\d{1,4}$", description="The question's id (DDXPlus evidence).")
    present: bool = Field(default=True, description="Yes / no; for a choice, whether it applies.")
    value: str | None = Field(default=None, max_length=16,
                              description="For a choice or scale question: the option's value.")


class ConsultIn(BaseModel):
    """A case (exactly one of ``text``, ``case``, ``patient``, ``document``) and what the
    doctor has added to it."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=100_000, description="A free-text note "
                             "(Chinese or English).")
    case: dict[str, Any] | None = Field(default=None, description="A case in huizhen's case "
                                        "format (what the page's form builds).")
    patient: dict[str, Any] | None = Field(default=None, description="A FHIR R4 Bundle, a "
                                           "phenopacket or a case file, as a JSON object; a FHIR "
                                           "resource that fails validation is refused (422).")
    document: str | None = Field(default=None, description="An uploaded file's text: FHIR R4 "
                                 "Bundle, phenopacket or case file (JSON / YAML); resources that "
                                 "fail validation are listed as not understood.")
    filename: str | None = Field(default=None, max_length=255,
                                 description="The uploaded file's name, for messages.")
    answers: list[AnswerIn] = Field(default_factory=list, max_length=200,
                                    description="Answers to the questions asked so far.")
    proposed: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=50, description="Drugs the doctor plans to give, as "
        "written, e.g. 'amoxicillin 500 mg tid'.")
    lang: Literal["zh", "en"] | None = Field(default=None, description="Report language "
                                             "(default: the patient's).")
    top: int = Field(default=10, ge=1, le=30)
    patient_id: str | None = Field(default=None, max_length=128,
                                   description="Recorded (hashed) in the audit log only.")

    @model_validator(mode="after")
    def _one_input(self) -> ConsultIn:
        given = [k for k in INPUTS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(INPUTS[:-1])} or {INPUTS[-1]}"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self
