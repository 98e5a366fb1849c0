"""The audit trail: what huizhen showed, to whom, and what the doctor decided.

Append-only by construction (the database refuses updates and deletes, and
each event carries the hash of the one before it), scoped by tenant, with
patient identifiers stored as keyed hashes unless a tenant turns that off.
Override rates per alert type come from the same records: they are how a
hospital finds the alerts its doctors have learned to ignore.
"""

from __future__ import annotations

from huizhen.audit.model import (
    AuditEvent,
    FeedbackEntry,
    OverrideRate,
    ShownCard,
    StoredEvent,
    input_hash,
    pseudonymise,
)
from huizhen.audit.store import AuditStore, open_audit_store

__all__ = [
    "AuditEvent",
    "AuditStore",
    "FeedbackEntry",
    "OverrideRate",
    "ShownCard",
    "StoredEvent",
    "input_hash",
    "open_audit_store",
    "pseudonymise",
]
