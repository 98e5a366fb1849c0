"""The authenticated caller, as the rest of the service sees it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller bound to exactly one tenant.

    ``actor`` is what the audit log records as *who*: the API key's name, or
    the JWT's issuer (plus its ``sub`` when the client sends one).
    """

    tenant: str
    kind: str  # "jwt", "api-key" or "local" (serve --local, a caller on this machine)
    actor: str
