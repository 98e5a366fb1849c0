"""REST knowledge search and ingest, tenant isolation, and the rare-disease ranker."""

from __future__ import annotations

import httpx

PROTOCOL = """# Ward 3 anticoagulation protocol

## Bridging

Stop warfarin five days before elective surgery and bridge with enoxaparin when the
CHA2DS2-VASc score is 5 or more. Restart warfarin on the evening of the operation.
"""


def test_ingested_documents_are_searchable_only_by_their_tenant(http: httpx.Client,
                                                               api_keys) -> None:
    a = {"X-API-Key": api_keys["hospital-a"]}
    b = {"X-API-Key": api_keys["hospital-b"]}
    response = http.post("/v1/knowledge/documents", headers=a,
                         json={"filename": "ward3-anticoagulation.md", "text": PROTOCOL})
    assert response.status_code == 201, response.text
    assert response.json() == {"filename": "ward3-anticoagulation.md", "added": 1, "updated": 0,
                               "unchanged": 0, "chunks": 1}
    again = http.post("/v1/knowledge/documents", headers=a,
                      json={"filename": "ward3-anticoagulation.md", "text": PROTOCOL})
    assert again.json()["unchanged"] == 1

    found = http.get("/v1/knowledge/search", headers=a,
                     params={"q": "bridging enoxaparin warfarin", "mode": "lexical"}).json()
    assert [(h["title"], h["scope"], h["heading_path"]) for h in found["hits"]] == [
        ("Ward 3 anticoagulation protocol", "hospital-a",
         ["Ward 3 anticoagulation protocol", "Bridging"])]
    other = http.get("/v1/knowledge/search", headers=b,
                     params={"q": "bridging enoxaparin warfarin", "mode": "lexical"}).json()
    assert other == {"query": "bridging enoxaparin warfarin", "hits": []}

    events = http.get("/v1/audit/events", headers=a).json()
    assert [e["action"] for e in events] == ["knowledge-search", "knowledge-ingest",
                                             "knowledge-ingest"]
    assert [e["action"] for e in http.get("/v1/audit/events", headers=b).json()] == [
        "knowledge-search"]


def test_bad_documents_are_refused_and_nothing_is_stored(http: httpx.Client, api_keys) -> None:
    a = {"X-API-Key": api_keys["hospital-a"]}
    response = http.post("/v1/knowledge/documents", headers=a,
                         json={"filename": "../../etc/passwd.md", "text": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body.filename"
    response = http.post("/v1/knowledge/documents", headers=a,
                         json={"filename": "empty.md", "text": "   "})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("filename='empty.md': ")
    response = http.post("/v1/knowledge/documents", headers=a,
                         json={"filename": "scan.pdf", "content_base64": "***"})
    assert response.json()["error"]["message"] == "content_base64: not valid base64"
    assert http.get("/v1/audit/events", headers=a).json() == []


def test_rare_ranking_is_thin_over_the_ranker_and_audited(http: httpx.Client, api_keys) -> None:
    a = {"X-API-Key": api_keys["hospital-a"]}
    response = http.post("/v1/rare/rank", headers=a, json={
        "present": ["HP:0001250", "HP:0001263", "HP:0000252"], "top": 3, "patient_id": "p-77"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["hpo_release"] == "2025-01-16"
    assert result["used_present"] == ["HP:0001250", "HP:0001263", "HP:0000252"]
    assert [r["rank"] for r in result["results"]] == [1, 2, 3]
    [event] = http.get("/v1/audit/events", headers=a).json()
    assert event["action"] == "rare-rank"
    assert event["knowledge"] == {"huizhen": "0.1.0", "hpo": "2025-01-16"}
    assert event["patient"].startswith("hmac-sha256:") and "p-77" not in event["patient"]
    assert event["shown"] == [{"rank": r["rank"], "id": r["id"], "name": r["name"]}
                              for r in result["results"]]
    bad = http.post("/v1/rare/rank", headers=a, json={"present": ["seizures"]})
    assert bad.status_code == 422
    assert bad.json()["error"]["message"] == (
        "body.present[0]='seizures': String should match pattern '^HP:\\d{7}$'")


def test_search_before_any_ingest_is_404_not_a_server_error(http: httpx.Client, api_keys) -> None:
    response = http.get("/v1/knowledge/search", headers={"X-API-Key": api_keys["hospital-a"]},
                        params={"q": "warfarin"})
    assert response.status_code == 404
    assert response.json() == {"error": {
        "type": "NotFoundError", "field": "knowledge_base", "value": "kb.sqlite",
        "message": "knowledge_base='kb.sqlite': this tenant has no knowledge base yet; "
                   "ingest documents first"}}


def test_fuzz_findings_are_4xx(http: httpx.Client, api_keys) -> None:
    """Inputs schema-driven fuzzing found answered with 500 before."""
    a = {"X-API-Key": api_keys["hospital-a"]}
    unknown = http.post("/v1/rare/rank", headers=a, json={"present": ["HP:7650520"]})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "present[0]"
    assert unknown.json()["error"]["value"] == "HP:7650520"
    bad64 = http.post("/v1/knowledge/documents", headers=a,
                      json={"filename": "scan.pdf", "content_base64": "\u00b3\u00b3\u00b3\u00b3"})
    assert bad64.status_code == 422
    assert bad64.json()["error"]["message"] == "content_base64: not valid base64"
    http.post("/v1/knowledge/documents", headers=a, json={"filename": "p.md", "text": "# P\n\nText."})
    dense = http.get("/v1/knowledge/search", headers=a, params={"q": "text", "mode": "dense"})
    assert dense.status_code == 422
    assert dense.json()["error"]["message"] == (
        "mode='dense': this knowledge base has no embeddings; use mode=lexical or hybrid")
