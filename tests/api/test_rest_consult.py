"""REST consult: one call over huizhen.consult, audited, alerts addressable by feedback."""

from __future__ import annotations

from typing import Any

import httpx


def test_consult_returns_the_report_and_records_it(http: httpx.Client, api_keys,
                                                   example) -> None:
    prefetch = example("order-sign.json")["prefetch"]
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": prefetch["patient"]}] + prefetch["medications"]["entry"]
              + prefetch["allergies"]["entry"]}
    key = {"X-API-Key": api_keys["hospital-a"]}
    response = http.post("/v1/consult", headers=key, json={
        "patient": bundle, "proposed": ["aspirin 100 mg qd"], "lang": "en", "patient_id": "p-9"})
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    report = out["report"]
    assert (out["format"], out["answers"], report["lang"]) == ("fhir", [], "en")
    assert out["intake"]["medications"] == ["Warfarin Sodium 5 MG Oral Tablet"]
    assert report["disclaimer"].startswith("huizhen supports, and does not replace")
    assert [(a["type"], a["drugs"]) for a in report["alerts"]] == [
        ("interaction", ["Warfarin Sodium 5 MG Oral Tablet", "aspirin 100 mg qd"])]
    alert_id = report["alerts"][0]["alert_id"]
    [event] = http.get("/v1/audit/events", headers=key).json()
    assert (event["id"], event["action"]) == (out["audit_event"], "consult")
    assert event["knowledge"] == {"huizhen": "0.1.0", **report["knowledge"]}
    assert event["shown"] == (
        [{"differential": d["id"], "probability": round(d["probability"], 4)}
         for d in report["differential"]]
        + [{"question": q["id"]} for q in report["questions"]]
        + [{"alert_id": alert_id, "alert_type": "interaction", "severity": "major"}]
        + [{"treatment": t["diagnosis_id"], "safe": t["safe"]} for t in report["treatments"]]
        + [{"citation": c["n"], "doc_id": c["doc_id"], "chunk_id": c["chunk_id"]}
           for c in report["citations"]])
    decision = {"alert_id": alert_id, "outcome": "accepted", "decided_at": "2026-11-29T12:00:00Z"}
    assert http.post("/v1/feedback", headers=key, json=decision).json() == {"recorded": True}


def test_a_patient_object_is_held_to_the_fhir_checks(http: httpx.Client, api_keys) -> None:
    key = {"X-API-Key": api_keys["hospital-a"]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Observation", "id": "t1", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                            "observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "valueQuantity": {"value": 80, "unit": "Cel", "system": "http://unitsofmeasure.org",
                          "code": "Cel"}}}]}
    r = http.post("/v1/consult", headers=key, json={"patient": bundle})
    assert r.status_code == 422, r.text
    print(r.json())
    two = http.post("/v1/consult", headers=key, json={"patient": bundle, "text": "fever"})
    assert two.status_code == 422
    assert "give exactly one of text, case, patient or document (got text, patient)" in two.text
