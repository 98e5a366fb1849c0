"""What an audit record holds, independent of where it is stored."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any


def canonical_json(value: object) -> str:
    """One spelling per value, so equal inputs hash equal whatever their key order."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def input_hash(payload: object) -> str:
    """SHA-256 of the request as received: proves later what was asked without storing it."""
    return "sha256:" + hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def pseudonymise(patient_id: str, key: bytes) -> str:
    """A keyed hash of a patient identifier.

    Keyed (HMAC) rather than a plain hash because record numbers are short
    and a plain SHA-256 of every possible number is quickly tabulated.
    """
    digest = hmac.new(key, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return "hmac-sha256:" + digest[:32]


@dataclass(frozen=True, slots=True)
class ShownCard:
    """One alert or card put in front of a doctor; feedback refers to it by uuid."""

    uuid: str
    alert_type: str
    indicator: str
    summary: str
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One thing that happened: a consult, a hook call, a medication check, a feedback."""

    tenant: str
    actor: str
    action: str
    input_hash: str
    #: Patient reference as it is to be stored (already pseudonymised when required).
    patient: str | None = None
    service: str | None = None
    knowledge: dict[str, Any] = field(default_factory=dict)
    shown: list[dict[str, Any]] = field(default_factory=list)
    decided: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    id: str
    at: str
    event: AuditEvent
    hash: str

    def to_dict(self) -> dict[str, Any]:
        e = self.event
        return {
            "seq": self.seq, "id": self.id, "at": self.at, "tenant": e.tenant, "actor": e.actor,
            "action": e.action, "service": e.service, "input_hash": e.input_hash,
            "patient": e.patient, "knowledge": e.knowledge, "shown": e.shown,
            "decided": e.decided, "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """A doctor's decision on a card: accepted (which suggestions) or overridden (why)."""

    card: str
    outcome: str  # "accepted" | "overridden"
    outcome_at: str
    accepted_suggestions: list[str] = field(default_factory=list)
    reason_code: str | None = None
    reason_system: str | None = None
    reason_display: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class OverrideRate:
    alert_type: str
    shown: int
    accepted: int
    overridden: int
    #: overridden / (accepted + overridden); None before any feedback.
    override_rate: float | None
    reasons: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert_type": self.alert_type, "shown": self.shown, "accepted": self.accepted,
            "overridden": self.overridden, "override_rate": self.override_rate,
            "reasons": self.reasons,
        }
