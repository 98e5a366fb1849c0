"""Token accounting in the audit trail: one audit event per model request.

Why through the audit store's own interface: the hospital's audit log is where
an administrator already looks for who asked what and when; a request to an
outside model (and what it cost in tokens) belongs next to the consult it
served.  The event carries no prompt text, only its hash.
"""

from __future__ import annotations

from collections.abc import Callable

from huizhen.audit import AuditStore
from huizhen.audit.model import AuditEvent, input_hash
from huizhen.llm.client import Usage

ACTION = "llm.request"


def audit_usage(store: AuditStore, *, tenant: str, actor: str, request: object
                ) -> Callable[[Usage], None]:
    """A ``ChatClient(on_usage=...)`` callback that appends each request's usage to ``store``.

    ``request`` is what the user asked (question, patient reference...): only its hash is kept."""
    digest = input_hash(request)

    def record(u: Usage) -> None:
        store.append(AuditEvent(tenant=tenant, actor=actor, action=ACTION, input_hash=digest,
                                service=f"llm:{u.purpose}",
                                knowledge={"llm_model": u.model, "usage": u.to_dict()}))

    return record
