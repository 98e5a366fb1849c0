"""Health, version, OpenAPI, error mapping, body limits — over a real server."""

from __future__ import annotations

import httpx


def test_health_and_version_need_no_credentials(http: httpx.Client) -> None:
    assert http.get("/health").json() == {"status": "ok", "audit_events": None}
    assert http.get("/version").json() == {"huizhen": "0.1.0", "api": "1", "cds_hooks": "2.0",
                                           "tenants": 2}


def test_openapi_documents_every_endpoint(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    assert spec["info"]["title"] == "huizhen"
    assert {"/health", "/version", "/cds-services", "/cds-services/huizhen-order-sign",
            "/cds-services/huizhen-order-select", "/cds-services/huizhen-patient-view",
            "/cds-services/{service_id}/feedback",
            "/v1/feedback", "/v1/audit/events", "/v1/audit/override-rates", "/v1/medication-check",
            "/v1/rare/rank", "/v1/knowledge/search", "/v1/knowledge/documents"} <= set(spec["paths"])


def test_unknown_paths_and_methods_are_json_errors(http: httpx.Client) -> None:
    response = http.get("/nope")
    assert (response.status_code, response.json()) == (
        404, {"error": {"type": "HTTPError", "message": "Not Found"}})
    assert http.delete("/health").status_code == 405


def test_oversized_bodies_are_refused_before_reading(http: httpx.Client, api_keys) -> None:
    big = b"{" + b" " * 300_000 + b"}"
    response = http.post("/v1/feedback", content=big, headers={
        "X-API-Key": api_keys["hospital-a"], "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"error": {
        "type": "PayloadTooLargeError",
        "message": "request body of 300002 bytes exceeds the limit of 200000",
        "field": "Content-Length", "value": 300002}}

    def chunks():
        for _ in range(30):
            yield b" " * 10_000

    response = http.post("/v1/feedback", content=chunks(), headers={
        "X-API-Key": api_keys["hospital-a"], "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "request body exceeds the limit of 200000 bytes"
    assert http.get("/health").status_code == 200  # still serving


def test_rest_calls_need_a_known_api_key(http: httpx.Client) -> None:
    response = http.get("/v1/audit/events")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"error": {
        "type": "AuthError", "field": "X-API-Key",
        "message": "X-API-Key: missing API key; send it in the X-API-Key header"}}
    response = http.get("/v1/audit/events", headers={"X-API-Key": "guess"})
    assert response.json()["error"]["message"] == "X-API-Key: unknown API key"


def test_malformed_json_and_invalid_fields_name_the_problem(http: httpx.Client, api_keys) -> None:
    headers = {"X-API-Key": api_keys["hospital-a"], "Content-Type": "application/json"}
    response = http.post("/v1/feedback", content=b'{"alert_id": ', headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "InputError"
    response = http.post("/v1/feedback", headers=headers, json={
        "alert_id": "c1", "outcome": "ignored", "decided_at": "2026-11-29T10:00:00Z"})
    assert response.status_code == 422
    assert response.json() == {"error": {
        "type": "InputError", "field": "body.outcome", "value": "ignored", "problems": 1,
        "message": "body.outcome='ignored': Input should be 'accepted' or 'overridden'"}}
