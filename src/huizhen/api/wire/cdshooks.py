"""CDS Hooks 2.0 request, response and feedback bodies, validated at the edge.

Field names follow the specification exactly (camelCase); unknown fields are
allowed where the spec allows extensions, refused elsewhere so a typo in a
hand-written integration fails loudly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_UUIDISH = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Coding(_Spec):
    system: str | None = None
    code: str = Field(min_length=1, max_length=256)
    display: str | None = Field(default=None, max_length=1024)


class FhirAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow")  # later spec versions add fields (e.g. patient)

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str


class HookRequest(BaseModel):
    """The POST body of a CDS service call."""

    model_config = ConfigDict(extra="allow")  # `extension` and future fields

    hook: str = Field(min_length=1, max_length=64)
    hookInstance: str = Field(pattern=_UUIDISH)
    fhirServer: str | None = Field(default=None, max_length=2048)
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, dict[str, Any] | None] | None = None


class OrderContext(BaseModel):
    """Context of order-select and order-sign (R4)."""

    model_config = ConfigDict(extra="allow")

    userId: str = Field(pattern=r"^[A-Za-z]+/[A-Za-z0-9.\-]{1,64}$")
    patientId: str = Field(pattern=r"^[A-Za-z0-9.\-]{1,64}$")
    encounterId: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.\-]{1,64}$")
    selections: list[str] | None = None
    draftOrders: dict[str, Any]

    @field_validator("draftOrders")
    @classmethod
    def _bundle(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("resourceType") != "Bundle":
            raise ValueError("draftOrders must be a FHIR Bundle")
        return value


class PatientViewContext(BaseModel):
    """Context of patient-view."""

    model_config = ConfigDict(extra="allow")

    userId: str = Field(pattern=r"^[A-Za-z]+/[A-Za-z0-9.\-]{1,64}$")
    patientId: str = Field(pattern=r"^[A-Za-z0-9.\-]{1,64}$")
    encounterId: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.\-]{1,64}$")


class Source(_Spec):
    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(_Spec):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Spec):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_Spec):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Card(_Spec):
    uuid: str | None = None
    summary: str = Field(max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None


class HookResponse(_Spec):
    cards: list[Card]
    systemActions: list[Action] | None = None


class ServiceDescription(_Spec):
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(_Spec):
    services: list[ServiceDescription]


class AcceptedSuggestion(_Spec):
    id: str = Field(min_length=1, max_length=128)


class OverrideReason(_Spec):
    reason: Coding | None = None
    userComment: str | None = Field(default=None, max_length=4000)


class Feedback(_Spec):
    card: str = Field(pattern=_UUIDISH)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: datetime

    @field_validator("acceptedSuggestions")
    @classmethod
    def _not_empty(cls, value: list[AcceptedSuggestion] | None) -> list[AcceptedSuggestion] | None:
        if value is not None and not value:
            raise ValueError("must not be empty; omit it instead")
        return value


    @model_validator(mode="after")
    def _outcome_fields(self) -> Feedback:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("an accepted outcome needs acceptedSuggestions")
        if self.outcome == "overridden" and self.acceptedSuggestions:
            raise ValueError("an overridden outcome has no acceptedSuggestions")
        return self


class FeedbackRequest(_Spec):
    feedback: list[Feedback] = Field(min_length=1, max_length=200)


class FeedbackResponse(_Spec):
    recorded: int
    duplicates: int
