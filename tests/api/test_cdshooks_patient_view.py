"""patient-view: the consult's cannot-miss diagnoses, alerts and questions as cards."""

from __future__ import annotations

from typing import Any

import httpx

VIEW = "/cds-services/huizhen-patient-view"
CONSULT_SOURCE = {"label": "huizhen consult (common-disease model and HPO phenotype engine)"}


def _consult(body: dict[str, Any]) -> Any:
    from huizhen.api.hookdata import patient_from_prefetch
    from huizhen.consult import consult

    return consult(patient_from_prefetch(body["prefetch"], body["context"]["patientId"]),
                   tenant="hospital-a")


def test_patient_view_answers_the_recorded_request(http: httpx.Client, signers, bearer, example,
                                                   api_keys) -> None:
    body = example("patient-view.json")
    response = http.post(VIEW, json=body, headers=bearer(signers["a"], VIEW))
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    report = _consult(body)
    flagged = [q for q in report.questions if q.red_flag][:3]
    cannot_miss = [e for e in report.differential if e.cannot_miss]
    assert [c["summary"] for c in cards] == (
        [c["summary"] for c in cards[: len(cannot_miss)]] + [f"Ask next: {flagged[0].text}"])
    ask = cards[-1]
    assert ask == {
        "uuid": ask["uuid"], "summary": f"Ask next: {flagged[0].text}", "indicator": "info",
        "source": CONSULT_SOURCE,
        "detail": "Unanswered questions that would change the differential most:\n\n" + "\n".join(
            f"- {q.text} _(rules out: {q.reason})_" for q in flagged)}
    assert all(len(c["summary"]) < 140 for c in cards)
    [event] = http.get("/v1/audit/events", headers={"X-API-Key": api_keys["hospital-a"]}).json()
    assert event["action"] == "cds-hook:patient-view"
    assert event["knowledge"] == {"huizhen": "0.1.0", **report.knowledge}
    assert event["shown"][-2] == {"card": ask["uuid"], "alert_type": "next-question",
                                  "indicator": "info", "summary": ask["summary"]}
    assert event["shown"][-1] == {"differential": [
        {"id": e.id, "name": e.name, "probability": round(e.probability, 4)}
        for e in report.differential]}


def test_patient_view_needs_conditions_and_results(http: httpx.Client, signers, bearer,
                                                   example) -> None:
    body = example("patient-view.json")
    del body["prefetch"]["observations"]
    response = http.post(VIEW, json=body, headers=bearer(signers["a"], VIEW))
    assert response.status_code == 412
    assert response.json()["error"]["value"] == ["observations"]
