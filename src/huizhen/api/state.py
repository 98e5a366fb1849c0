"""What every request handler shares: configuration, verifiers, the audit store.

Kept on ``app.state.huizhen`` and reached through :func:`service`, so handlers
stay one call over the library and tests can build the app around any store.
"""

from __future__ import annotations

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
    ) -> StoredEvent:
        """Append one audit event for a call: who, tenant, input hash, versions, what was shown."""
        return self.audit.append(
            AuditEvent(
                tenant=principal.tenant, actor=principal.actor, action=action,
                input_hash=input_hash(payload), patient=self.patient_ref(principal.tenant, patient_id),
                service=service, knowledge={"huizhen": __version__, **(knowledge or {})},
                shown=shown or [],
            ),
            cards,
        )


async def service(request: Request) -> Service:
    """The shared state (``async``: a plain ``def`` dependency runs in the thread pool)."""
    svc: Service = request.app.state.huizhen
    return svc
