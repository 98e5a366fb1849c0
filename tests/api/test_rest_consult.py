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
    report: dict[str, Any] = response.json()
    assert report["lang"] == "en"
    assert report["disclaimer"].startswith("huizhen supports, and does not replace")
    assert [(a["type"], a["drugs"]) for a in report["alerts"]] == [
        ("interaction", ["Warfarin Sodium 5 MG Oral Tablet", "aspirin 100 mg qd"])]
    alert_id = report["alerts"][0]["alert_id"]
    [event] = http.get("/v1/audit/events", headers=key).json()
    assert event["action"] == "consult"
    assert event["knowledge"] == {"huizhen": "0.1.0", **report["knowledge"]}
    assert event["shown"] == [
        {"differential": [{"id": e["id"], "name": e["name"],
                           "probability": round(e["probability"], 4)}
                          for e in report["differential"]]},
        {"questions": [q["id"] for q in report["questions"]]},
        {"citations": [c["doc_id"] for c in report["citations"]]},
        {"alert_id": alert_id, "alert_type": "interaction", "indicator": "critical",
         "summary": "Interaction: Warfarin Sodium 5 MG Oral Tablet + aspirin 100 mg qd — "
                    "bleeding"}]
    decision = {"alert_id": alert_id, "outcome": "accepted", "decided_at": "2026-11-29T12:00:00Z"}
    assert http.post("/v1/feedback", headers=key, json=decision).json() == {"recorded": True}
