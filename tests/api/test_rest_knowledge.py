"""REST knowledge search and ingest, tenant isolation, and the rare-disease ranker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from huizhen.retrieval.background import worker

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


@pytest.fixture()
def embedding_held(http: httpx.Client) -> Iterator[Any]:
    """The background worker's model, held: the worker blocks at its first batch until
    the test lets go (it depends on ``http`` so it lets go before the app is closed)."""
    model = worker()._model()
    model._lock.acquire()
    try:
        yield model
    finally:
        model._lock.release()
    assert worker().wait_idle(120)


def test_ingested_documents_are_embedded_in_the_background(http: httpx.Client, api_keys,
                                                          embedding_held, config) -> None:
    from huizhen.retrieval import open_kb

    a = {"X-API-Key": api_keys["hospital-a"]}
    response = http.post("/v1/knowledge/documents", headers=a,
                         json={"filename": "ward3-anticoagulation.md", "text": PROTOCOL})
    assert response.status_code == 201, response.text
    kb = open_kb(config.kb_path("hospital-a"))
    # the answer came while the worker is still at its first batch: searchable lexically,
    # hybrid is lexical until every chunk the tenant sees has a vector, dense has none yet
    assert worker().status().current == kb.location and kb.count_missing_embeddings() == 1
    params = {"q": "bridging enoxaparin warfarin"}
    lexical = http.get("/v1/knowledge/search", headers=a, params={**params, "mode": "lexical"})
    hybrid = http.get("/v1/knowledge/search", headers=a, params=params)
    assert hybrid.json() == lexical.json()
    assert [h["heading_path"] for h in hybrid.json()["hits"]] == [
        ["Ward 3 anticoagulation protocol", "Bridging"]]
    dense = http.get("/v1/knowledge/search", headers=a, params={**params, "mode": "dense"})
    assert dense.status_code == 422

    embedding_held._lock.release()  # the real model embeds the document now
    try:
        assert worker().wait_idle(120)
    finally:
        embedding_held._lock.acquire()
    assert kb.count_missing_embeddings() == 0
    assert worker().status().errors == []
    found = http.get("/v1/knowledge/search", headers=a,
                     params={"q": "stopping an anticoagulant before an operation", "mode": "dense",
                             "top": 1}).json()
    assert [(h["title"], h["scope"]) for h in found["hits"]] == [
        ("Ward 3 anticoagulation protocol", "hospital-a")]


def test_the_service_resumes_unfinished_embedding_when_it_starts(config, tmp_path: Path) -> None:
    import asyncio

    from huizhen.api import create_app
    from huizhen.knowledge.corpus import ingest
    from huizhen.retrieval import open_kb
    from huizhen.retrieval.search import close_all

    # an ingest whose embedding never ran (a service stopped before its worker got to it)
    doc = tmp_path / "sepsis.md"
    doc.write_text("# Sepsis bundle\n\n## First hour\n\nMeasure lactate; take blood cultures "
                   "before antibiotics.\n", encoding="utf-8")
    kb = open_kb(config.kb_path("hospital-b"))
    assert ingest([doc], kb, "hospital-b").added == 1
    assert kb.count_missing_embeddings() == 1
    app = create_app(config)

    async def serve() -> tuple[int, list[str]]:
        # the app's lifespan, as a server runs it: startup hands the base to the worker
        async with app.router.lifespan_context(app):
            assert await asyncio.to_thread(worker().wait_idle, 120)
            return kb.count_missing_embeddings(), worker().status().errors

    try:
        assert asyncio.run(serve()) == (0, [])
    finally:
        app.state.huizhen.audit.close()
        close_all()


def test_fuzz_findings_are_4xx(http: httpx.Client, api_keys, embedding_held) -> None:
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
