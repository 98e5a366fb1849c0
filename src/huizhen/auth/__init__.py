"""Who is calling: CDS Hooks JWTs from EHRs, API keys for the plain REST API.

Both resolve to a :class:`Principal` naming the tenant; nothing downstream
sees a token or a key.
"""

from __future__ import annotations

from huizhen.auth.apikeys import ApiKeyVerifier
from huizhen.auth.cdshooks import ALLOWED_ALGORITHMS, JWTVerifier
from huizhen.auth.principal import Principal
from huizhen.auth.replay import MemoryReplayGuard, ReplayGuard

__all__ = [
    "ALLOWED_ALGORITHMS",
    "ApiKeyVerifier",
    "JWTVerifier",
    "MemoryReplayGuard",
    "Principal",
    "ReplayGuard",
]
