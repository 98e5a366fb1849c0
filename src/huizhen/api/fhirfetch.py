"""Fetching prefetch data the EHR did not send, from the EHR's own FHIR server.

CDS Hooks lets a client send ``fhirServer`` and ``fhirAuthorization`` instead
of (or besides) prefetched data; the service then reads what it needs itself.
huizhen does this only for FHIR servers the tenant has listed in
``fhir_servers`` — otherwise any authenticated caller could make the service
request an arbitrary URL — and only with the access token the client gave.
Whatever cannot be obtained stays missing, and the hook answers 412.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from huizhen.api.errors import PrefetchMissingError

TIMEOUT_S = 5.0
_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z]+)\s*\}\}")


def render(template: str, context: dict[str, Any]) -> str:
    """Fill ``{{context.x}}`` tokens; a token with no primitive value is an error."""

    def value(match: re.Match[str]) -> str:
        got = context.get(match.group(1))
        if not isinstance(got, str | int | float) or isinstance(got, bool):
            raise PrefetchMissingError("prefetch template needs a context value that is absent",
                                       field=f"context.{match.group(1)}")
        return str(got)

    return _TOKEN.sub(value, template)


def allowed(fhir_server: str, allowlist: list[str]) -> bool:
    base = fhir_server.rstrip("/")
    return any(base == entry.rstrip("/") for entry in allowlist)


def fetch(fhir_server: str, access_token: str, queries: dict[str, str]) -> dict[str, Any]:
    """GET each relative query from the server; key -> resource or Bundle (None on 404).

    Any other failure raises 412 naming the key: the data was neither
    prefetched nor fetchable.
    """
    out: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/fhir+json"}
    with httpx.Client(base_url=fhir_server.rstrip("/") + "/", headers=headers,
                      timeout=TIMEOUT_S, follow_redirects=False) as client:
        for key, query in queries.items():
            try:
                response = client.get(query)
            except httpx.HTTPError as err:
                raise PrefetchMissingError(f"could not fetch it from the FHIR server "
                                           f"({type(err).__name__})",
                                           field=f"prefetch.{key}", value=query) from None
            if response.status_code == 404:
                out[key] = None
                continue
            if response.status_code != 200:
                raise PrefetchMissingError(f"the FHIR server answered {response.status_code}",
                                           field=f"prefetch.{key}", value=query)
            try:
                data = response.json()
            except ValueError:
                raise PrefetchMissingError("the FHIR server's answer is not JSON",
                                           field=f"prefetch.{key}", value=query) from None
            if not isinstance(data, dict) or "resourceType" not in data:
                raise PrefetchMissingError("the FHIR server's answer is not a FHIR resource",
                                           field=f"prefetch.{key}", value=query)
            out[key] = data
    return out
