"""The whole service over each audit backend, as two API processes sharing one store.

Two app instances on one store stand for two ``huizhen serve`` workers (or two
hosts on one PostgreSQL): a token used on one is refused on the other, and
cards shown by one take feedback through the other.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from huizhen.api import create_app
from huizhen.auth.client import CDSClientSigner, generate_key
from huizhen.tenants import build_config, hash_api_key

SERVICE = "https://cds.example.org"
SIGN = "/cds-services/huizhen-order-sign"
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "cds-hooks" / "order-sign.json"


async def _scenario(audit_url: str) -> dict[str, Any]:
    signer = CDSClientSigner("https://ehr.example/", generate_key("ES384"), "k1")
    config = build_config({"service_url": SERVICE, "audit": {"url": audit_url}, "tenants": [
        {"id": "a", "api_keys": [{"id": "his", "sha256": hash_api_key("key-a")}],
         "issuers": [{"iss": signer.issuer, "jwks": signer.jwks()}]},
        {"id": "b", "api_keys": [{"id": "his", "sha256": hash_api_key("key-b")}]}]})
    apps = [create_app(config), create_app(config)]
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    try:
        one, two = (httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SERVICE)
                    for app in apps)
        async with one, two:
            token = {"Authorization": f"Bearer {signer.token(SERVICE + SIGN)}"}
            shown = await one.post(SIGN, json=body, headers=token)
            out["first"] = shown.status_code
            out["replay_elsewhere"] = (await two.post(SIGN, json=body, headers=token)).status_code
            cards = shown.json()["cards"]
            path = SIGN + "/feedback"
            feedback = {"feedback": [{"card": cards[0]["uuid"], "outcome": "overridden",
                                      "outcomeTimestamp": "2026-11-29T10:00:00Z"}]}
            sent = [await client.post(path, json=feedback, headers={
                "Authorization": f"Bearer {signer.token(SERVICE + path)}"}) for client in (two, one)]
            out["feedback"] = [r.json() for r in sent]
            out["rates_a"] = (await one.get("/v1/audit/override-rates",
                                            headers={"X-API-Key": "key-a"})).json()
            out["events_b"] = (await two.get("/v1/audit/events",
                                             headers={"X-API-Key": "key-b"})).json()
        out["chain"] = apps[0].state.huizhen.audit.verify_chain()
    finally:
        for app in apps:
            app.state.huizhen.audit.close()
    return out


def test_two_processes_share_nonces_cards_and_feedback(audit_url: str) -> None:
    result = asyncio.run(_scenario(audit_url))
    assert result == {
        "first": 200,
        "replay_elsewhere": 401,
        "feedback": [{"recorded": 1, "duplicates": 0}, {"recorded": 0, "duplicates": 1}],
        "rates_a": [
            {"alert_type": "allergy", "shown": 1, "accepted": 0, "overridden": 1,
             "override_rate": 1.0, "reasons": {"(no reason)": 1}},
            {"alert_type": "interaction", "shown": 1, "accepted": 0, "overridden": 0,
             "override_rate": None, "reasons": {}}],
        "events_b": [],
        "chain": 2,
    }
