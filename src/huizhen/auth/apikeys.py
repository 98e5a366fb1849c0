"""API keys for the plain REST API: one or more per tenant.

Keys are configured as SHA-256 digests; a presented key is hashed and looked
up, so the configuration file never holds a usable secret and the lookup
does not leak timing about partial matches.
"""

from __future__ import annotations

from huizhen.auth.principal import Principal
from huizhen.errors import AuthError
from huizhen.tenants import ServiceConfig, hash_api_key


class ApiKeyVerifier:
    def __init__(self, config: ServiceConfig) -> None:
        self._keys = dict(config.api_keys)

    def verify(self, key: str | None) -> Principal:
        if not key:
            raise AuthError("missing API key; send it in the X-API-Key header", field="X-API-Key")
        found = self._keys.get(hash_api_key(key.strip()))
        if found is None:
            raise AuthError("unknown API key", field="X-API-Key")
        tenant, key_id = found
        return Principal(tenant=tenant, kind="api-key", actor=f"api-key:{key_id}")
