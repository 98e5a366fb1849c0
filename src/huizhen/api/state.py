"""What every request handler shares: configuration, verifiers, the audit store.

Kept on ``app.state.huizhen`` and reached through :func:`service`, so handlers
stay one call over the library and tests can build the app around any store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from huizhen import __version__
from huizhen.audit import AuditEvent, AuditStore, ShownCard, StoredEvent, input_hash, pseudonymise
from huizhen.auth import ApiKeyVerifier, JWTVerifier, Principal
from huizhen.tenants import ServiceConfig


@dataclass
class Service:
    config: ServiceConfig
    audit: AuditStore
    jwt: JWTVerifier
    api_keys: ApiKeyVerifier
    #: The audit store answers in microseconds (a local SQLite file), so work that only
    #: touches it may run on the event loop.  False for a networked store (PostgreSQL),
    #: whose round trips are better waited for in a worker thread while others run.
    inline: bool = False

    def patient_ref(self, tenant: str, patient_id: str | None) -> str | None:
        """The patient reference as the audit log stores it (hashed unless configured)."""
        if not patient_id:
            return None
        settings = self.config.tenant(tenant)
        if not settings.hash_patient_ids:
            return patient_id
        key = settings.pseudonym_key.encode() if settings.pseudonym_key else self.audit.pseudonym_key()
        return pseudonymise(patient_id, key)

    def record(
        self,
        principal: Principal,
        action: str,
        payload: object,
        *,
        patient_id: str | None = None,
        service: str | None = None,
        knowledge: dict[str, Any] | None = None,
        shown: list[dict[str, Any]] | None = None,
        cards: list[ShownCard] | None = None,
        input_digest: str | None = None,
    ) -> StoredEvent:
        """Append one audit event for a call: who, tenant, input hash, versions, what was shown.

        ``input_digest``, when given, is the input hash already made (``body_digest``
        of the raw body); otherwise ``payload`` is hashed in its canonical JSON form.
        """
        return self.audit.append(
            AuditEvent(
                tenant=principal.tenant, actor=principal.actor, action=action,
                input_hash=input_digest or input_hash(payload),
                patient=self.patient_ref(principal.tenant, patient_id),
                service=service, knowledge={"huizhen": __version__, **(knowledge or {})},
                shown=shown or [],
            ),
            cards,
        )


def body_digest(raw: bytes) -> str:
    """The input hash of a request body exactly as received (the bytes the client sent).

    Used for CDS Hooks calls: each carries its own ``hookInstance``, so two
    calls never share a body and canonicalising the JSON first would only cost
    a re-serialisation of the whole prefetched record per call.
    """
    return "sha256:" + hashlib.sha256(raw).hexdigest()


async def service(request: Request) -> Service:
    """The shared state (``async``: a plain ``def`` dependency runs in the thread pool)."""
    svc: Service = request.app.state.huizhen
    return svc
