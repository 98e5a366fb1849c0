"""Bodies of the plain REST API (snake_case, huizhen's own vocabulary)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeedbackIn(_Body):
    """A doctor's decision on an alert huizhen showed (``alert_id`` = the card uuid)."""

    alert_id: str = Field(min_length=1, max_length=128)
    outcome: Literal["accepted", "overridden"]
    decided_at: datetime = Field(description="When the doctor decided; with alert_id and outcome, "
                                             "the key that makes a resend a no-op.")
    accepted_suggestions: list[str] = Field(default_factory=list, max_length=20)
    reason_code: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=512, description="Reason as displayed.")
    comment: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _consistent(self) -> FeedbackIn:
        if self.outcome == "overridden" and self.accepted_suggestions:
            raise ValueError("an overridden alert has no accepted_suggestions")
        return self


class FeedbackOut(_Body):
    recorded: bool


class AuditEventOut(_Body):
    seq: int
    id: str
    at: str
    tenant: str
    actor: str
    action: str
    service: str | None
    input_hash: str
    patient: str | None
    knowledge: dict[str, Any]
    shown: list[dict[str, Any]]
    decided: dict[str, Any] | None
    hash: str


class OverrideRateOut(_Body):
    alert_type: str
    shown: int
    accepted: int
    overridden: int
    override_rate: float | None
    reasons: dict[str, int]


HpoId = Annotated[str, Field(pattern=r"^HP:\d{7}$")]


class RareRankIn(_Body):
    present: list[HpoId] = Field(min_length=1, max_length=200,
                                 description="HPO ids of present phenotypes (HP:0001250 ...).")
    excluded: list[HpoId] = Field(default_factory=list, max_length=200)
    sex: Literal["male", "female", "unknown"] = "unknown"
    onset_years: float | None = Field(default=None, ge=-1, le=130)
    top: int = Field(default=10, ge=1, le=100)
    patient_id: str | None = Field(default=None, max_length=128,
                                   description="Recorded (hashed) in the audit log only.")


class DocumentIn(_Body):
    filename: str = Field(min_length=3, max_length=128, pattern=r"^[\w\u4e00-\u9fff][\w.\- \u4e00-\u9fff]*\.(md|markdown|txt|html|htm|pdf|docx)$",
                          description="Name with its format's suffix; re-sending a name replaces "
                                      "that document.")
    text: str | None = Field(default=None, max_length=1_500_000,
                             description="The content of a text format (.md .txt .html).")
    content_base64: str | None = Field(default=None, max_length=2_000_000,
                                       description="The bytes of a .pdf or .docx, base64.")

    @field_validator("filename")
    @classmethod
    def _fits_a_file_system(cls, value: str) -> str:
        if len(value.encode("utf-8", "surrogatepass")) > 200:
            raise ValueError("must be at most 200 bytes in UTF-8")
        return value

    @model_validator(mode="after")
    def _one_content(self) -> DocumentIn:
        if (self.text is None) == (self.content_base64 is None):
            raise ValueError("give exactly one of text or content_base64")
        return self


class IngestOut(_Body):
    filename: str
    added: int
    updated: int
    unchanged: int
    chunks: int


class MedicationCheckIn(_Body):
    """A patient (FHIR R4 Bundle, phenopacket or huizhen case JSON, or free text) and the
    drugs proposed for them."""

    patient: dict[str, Any] | None = Field(default=None, description="FHIR Bundle, phenopacket "
                                           "or case file, as JSON.")
    text: str | None = Field(default=None, max_length=100_000, description="Or: a free-text note.")
    proposed: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=50, description="Drugs as written, e.g. 'amoxicillin "
        "500 mg tid'.")
    patient_id: str | None = Field(default=None, max_length=128,
                                   description="Recorded (hashed) in the audit log only.")

    @model_validator(mode="after")
    def _one_patient(self) -> MedicationCheckIn:
        if (self.patient is None) == (self.text is None):
            raise ValueError("give exactly one of patient or text")
        return self
