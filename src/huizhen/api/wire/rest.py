"""Bodies of the plain REST API (snake_case, huizhen's own vocabulary)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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
