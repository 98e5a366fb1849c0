"""Prefetch data the EHR did not send, read from its FHIR server (a real one on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException, Request

from huizhen.api import create_app
from huizhen.tenants import build_config

SIGN = "/cds-services/huizhen-order-sign"


def _fhir_server(prefetch: dict[str, Any], seen: list[tuple[str, str | None]]) -> FastAPI:
    """A minimal FHIR server answering exactly the discovery's prefetch queries."""
    fhir = FastAPI()
    by_type = {"Patient": prefetch["patient"], "MedicationRequest": prefetch["medications"],
               "AllergyIntolerance": prefetch["allergies"], "Condition": prefetch["conditions"],
               "Observation": prefetch["observations"]}

    @fhir.get("/fhir/{resource}")
    def search(resource: str, request: Request,
               authorization: str | None = Header(default=None)) -> dict[str, Any]:
        seen.append((f"{resource}?{request.url.query}", authorization))
        if request.query_params.get("patient") != "1288992":
            raise HTTPException(404)
        return by_type[resource]

    @fhir.get("/fhir/Patient/{pid}")
    def read(pid: str, authorization: str | None = Header(default=None)) -> dict[str, Any]:
        seen.append((f"Patient/{pid}", authorization))
        if pid != "1288992":
            raise HTTPException(404)
        return by_type["Patient"]

    return fhir


@pytest.fixture()
def fhir(example: Any, live_server: Any) -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    seen: list[tuple[str, str | None]] = []
    with live_server(_fhir_server(example("order-sign.json")["prefetch"], seen)) as url:
        yield url + "/fhir", seen


def test_missing_prefetch_is_fetched_from_a_listed_fhir_server(
        fhir, signers, bearer, example, tmp_path: Path, live_server: Any, config: Any) -> None:
    fhir_url, seen = fhir
    data = config.model.model_dump()
    data["tenants"][0]["fhir_servers"] = [fhir_url]
    app = create_app(build_config(data, base_dir=tmp_path))
    body = example("order-sign.json")
    expected_cards = None
    try:
        with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            full = http.post(SIGN, json=body, headers=bearer(signers["a"], SIGN))
            expected_cards = [c["summary"] for c in full.json()["cards"]]
            assert seen == []  # everything was prefetched: nothing fetched
            del body["prefetch"]
            body["fhirServer"] = fhir_url
            body["fhirAuthorization"] = {"access_token": "ehr-issued-token", "token_type": "Bearer",
                                         "expires_in": 300, "scope": "user/*.read",
                                         "subject": "huizhen"}
            fetched = http.post(SIGN, json=body, headers=bearer(signers["a"], SIGN))
            assert fetched.status_code == 200, fetched.text
            assert [c["summary"] for c in fetched.json()["cards"]] == expected_cards
            assert sorted(seen) == sorted([
                ("Patient/1288992", "Bearer ehr-issued-token"),
                ("MedicationRequest?patient=1288992&status=active", "Bearer ehr-issued-token"),
                ("AllergyIntolerance?patient=1288992", "Bearer ehr-issued-token"),
                ("Condition?patient=1288992&clinical-status=active", "Bearer ehr-issued-token"),
                ("Observation?patient=1288992&category=laboratory&_sort=-date&_count=50",
                 "Bearer ehr-issued-token")])
            # A server the tenant did not list is never called.
            seen.clear()
            body["fhirServer"] = fhir_url.replace("127.0.0.1", "localhost")
            refused = http.post(SIGN, json=body, headers=bearer(signers["a"], SIGN))
            assert refused.status_code == 412
            assert "the fhirServer is not on this tenant's fhir_servers list" in \
                refused.json()["error"]["message"]
            assert seen == []
    finally:
        app.state.huizhen.audit.close()
