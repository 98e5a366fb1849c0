"""CDS Hooks over HTTP: discovery, authentication on every call, 412, bad requests.

The medication cards themselves are in test_cdshooks_cards.py.
"""

from __future__ import annotations

import time

import httpx
import jwt

SIGN = "/cds-services/huizhen-order-sign"
ORDER_PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "allergies": "AllergyIntolerance?patient={{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
    "observations": "Observation?patient={{context.patientId}}&category=laboratory"
                    "&_sort=-date&_count=50",
}


def test_discovery_lists_the_services_with_prefetch_templates(http: httpx.Client, signers,
                                                               bearer) -> None:
    response = http.get("/cds-services", headers=bearer(signers["a"], "/cds-services"))
    assert response.status_code == 200
    assert response.json() == {"services": [
        {"hook": "patient-view", "title": "huizhen consult (chart open)",
         "description": "When a chart opens: cannot-miss diagnoses from the patient's conditions "
                        "and results, medication alerts on the current list, and the red-flag "
                        "questions still unanswered.",
         "id": "huizhen-patient-view", "prefetch": ORDER_PREFETCH},
        {"hook": "order-select", "title": "huizhen medication safety (order select)",
         "description": "Checks the selected draft medication orders for interactions, allergy "
                        "and cross-reactivity, duplicate therapy, contraindications, renal and "
                        "age dosing and pregnancy, against the patient's record.",
         "id": "huizhen-order-select", "prefetch": ORDER_PREFETCH},
        {"hook": "order-sign", "title": "huizhen medication safety (order sign)",
         "description": "Checks every draft medication order before signing for interactions, "
                        "allergy and cross-reactivity, duplicate therapy, contraindications, "
                        "renal and age dosing and pregnancy, and doses above the labelled "
                        "maximum; suggests cancelling the order or lowering the dose.",
         "id": "huizhen-order-sign", "prefetch": ORDER_PREFETCH},
    ]}


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]["message"]
    return message


def test_every_invalid_token_is_refused_with_401(http: httpx.Client, signers, bearer,
                                                 example) -> None:
    body = example("order-sign.json")
    a = signers["a"]
    past = int(time.time()) - 3600
    now = int(time.time())
    claims = {"iss": a.issuer, "aud": "https://cds.example.org" + SIGN, "iat": now,
              "exp": now + 60, "jti": "fixed-jti"}
    variants = {
        "missing": {},
        "expired": bearer(a, SIGN, extra={"iat": past, "exp": past + 60}),
        "wrong aud": bearer(a, "/cds-services/huizhen-order-select"),
        "hmac": {"Authorization": "Bearer " + jwt.encode(
            claims, "s" * 64, algorithm="HS384", headers={"kid": "a1"})},
        "none": {"Authorization": "Bearer " + jwt.encode(claims, None, algorithm="none")},
        "unknown issuer": {"Authorization": "Bearer " + jwt.encode(
            {**claims, "iss": "https://evil.example/"}, a.key, algorithm="ES384",
            headers={"kid": "a1"})},
    }
    messages = {name: _error(http.post(SIGN, json=body, headers=headers), 401)
                for name, headers in variants.items()}
    assert messages == {
        "missing": "Authorization: missing bearer token; CDS Hooks requires a JWT on every call",
        "expired": f"exp={past + 60}: token has expired",
        "wrong aud": "aud='https://cds.example.org/cds-services/huizhen-order-select': aud must "
                     "be this endpoint's URL, https://cds.example.org/cds-services/huizhen-order-sign",
        "hmac": "alg='HS384': signing algorithm refused; only asymmetric ES384 or RS384 are accepted",
        "none": "alg='none': signing algorithm refused; only asymmetric ES384 or RS384 are accepted",
        "unknown issuer": "iss='https://evil.example/': issuer is not on the allowlist",
    }
    replayed = bearer(a, SIGN)
    first = http.post(SIGN, json={**body, "prefetch": {}}, headers=replayed)
    assert first.status_code == 412  # authenticated, then refused for missing data
    jti = jwt.decode(replayed["Authorization"][7:], options={"verify_signature": False})["jti"]
    assert _error(http.post(SIGN, json=body, headers=replayed), 401) == \
        f"jti={jti!r}: token was already used (jti replayed)"


def test_missing_prefetch_is_412_naming_the_templates(http: httpx.Client, signers, bearer,
                                                      example) -> None:
    body = example("order-sign.json")
    del body["prefetch"]["allergies"]
    del body["prefetch"]["medications"]
    response = http.post(SIGN, json=body, headers=bearer(signers["a"], SIGN))
    assert response.status_code == 412
    assert response.json() == {"error": {
        "type": "PrefetchMissingError", "field": "prefetch", "value": ["medications", "allergies"],
        "message": "prefetch=['medications', 'allergies']: required prefetch data is missing and "
                   "no fhirAuthorization was given to fetch it with; prefetch medications: "
                   "MedicationRequest?patient={{context.patientId}}&status=active; allergies: "
                   "AllergyIntolerance?patient={{context.patientId}}"}}


def test_malformed_hook_requests_are_precise_4xx_and_audit_nothing(
        http: httpx.Client, signers, bearer, example, api_keys) -> None:
    def post(body: dict) -> str:
        return _error(http.post(SIGN, json=body, headers=bearer(signers["a"], SIGN)), 422)

    good = example("order-sign.json")
    assert post({**good, "hook": "patient-view"}) == \
        "hook='patient-view': service huizhen-order-sign answers the order-sign hook"
    assert post({k: v for k, v in good.items() if k != "hookInstance"}) == \
        "body.hookInstance: Field required"
    context = dict(good["context"])
    del context["patientId"]
    assert post({**good, "context": context}) == "context.patientId: Field required"
    bad_order = example("order-sign.json")
    bad_order["context"]["draftOrders"]["entry"][1]["resource"]["status"] = "signed-ish"
    assert "status='signed-ish'" in post(bad_order)
    wrong_patient = example("order-sign.json")
    wrong_patient["prefetch"]["patient"]["id"] = "someone-else"
    assert post(wrong_patient) == \
        "prefetch.patient.id='someone-else': prefetched Patient is not the patient in context"
    bad_obs = example("order-sign.json")
    bad_obs["prefetch"]["observations"]["entry"][0]["resource"]["status"] = "done"
    message = post(bad_obs)
    assert message.startswith("prefetch.observations") and "status='done'" in message
    events = http.get("/v1/audit/events", headers={"X-API-Key": api_keys["hospital-a"]}).json()
    assert events == []


def test_unknown_service_feedback_is_404(http: httpx.Client, signers, bearer) -> None:
    path = "/cds-services/nope/feedback"
    response = http.post(path, headers=bearer(signers["a"], path), json={"feedback": [
        {"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-11-29T10:00:00Z"}]})
    assert _error(response, 404) == "service='nope': no such CDS service"
