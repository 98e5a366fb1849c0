"""The audit store interface, and choosing a backend from a URL.

Handlers and hooks talk to this interface only; the SQLite backend serves a
clinic laptop and several processes on one host, the PostgreSQL backend a
network of hosts.  The store is also the
service's shared JWT replay guard (``claim_nonce``), so that API processes
behind one load balancer refuse a token replayed to a sibling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from huizhen.audit.model import AuditEvent, FeedbackEntry, OverrideRate, ShownCard, StoredEvent
from huizhen.errors import ConfigError


class AuditStore(Protocol):
    def append(self, event: AuditEvent, cards: list[ShownCard] | None = None) -> StoredEvent:
        """Append one event and register the cards it showed, atomically."""
        ...

    def record_feedback(
        self, tenant: str, actor: str, service: str | None, entries: list[FeedbackEntry]
    ) -> list[bool]:
        """Store feedback; True per entry that was new, False for a repeat (idempotent).

        Every entry's card must have been shown to ``tenant``; otherwise nothing
        is stored and :class:`~huizhen.errors.NotFoundError` names the card.
        """
        ...

    def card(self, tenant: str, uuid: str) -> ShownCard | None: ...

    def events(self, tenant: str, *, action: str | None = None, limit: int = 100) -> list[StoredEvent]:
        ...

    def override_rates(self, tenant: str, *, since: str | None = None) -> list[OverrideRate]: ...

    def pseudonym_key(self) -> bytes:
        """The store's own secret for patient-id hashes (used when a tenant sets none)."""
        ...

    def verify_chain(self) -> int:
        """Re-hash the whole log; the number of events, or KnowledgeError at a break."""
        ...

    def claim_nonce(self, issuer: str, jti: str, expires_at: float) -> bool: ...

    def close(self) -> None: ...


def open_audit_store(location: str | Path) -> AuditStore:
    """Open the store a URL or path names: ``postgresql://...``, ``sqlite:///path`` or a path."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        from huizhen.audit.postgres import PostgresAuditStore

        return PostgresAuditStore(text)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    elif "://" in text:
        raise ConfigError("unknown audit store URL scheme", field="audit.url", value=text)
    from huizhen.audit.sqlite import SQLiteAuditStore

    return SQLiteAuditStore(Path(text))
