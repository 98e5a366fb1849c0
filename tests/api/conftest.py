"""A real huizhen service on loopback, two hospitals, and EHR signers for them.

The app runs under uvicorn in a thread (a real HTTP server, real sockets) and
is called with httpx, exactly as an EHR or a hospital system would call it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer

from huizhen.api import create_app
from huizhen.auth.client import CDSClientSigner, generate_key
from huizhen.tenants import ServiceConfig, build_config, hash_api_key

SERVICE_URL = "https://cds.example.org"
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "cds-hooks"
KEY_A, KEY_B = "hz-a-0123456789abcdef", "hz-b-fedcba9876543210"


@pytest.fixture(scope="session")
def signers() -> dict[str, CDSClientSigner]:
    return {
        "a": CDSClientSigner("https://ehr.hospital-a.example/", generate_key("ES384"), "a1", "ES384"),
        "b": CDSClientSigner("https://ehr.hospital-b.example/", generate_key("RS384"), "b1", "RS384"),
    }


@pytest.fixture()
def config(signers: dict[str, CDSClientSigner], tmp_path: Path) -> ServiceConfig:
    (tmp_path / "b.jwks.json").write_text(json.dumps(signers["b"].jwks()))
    return build_config({
        "service_url": SERVICE_URL,
        "audit": {"url": "audit.db"},
        "limits": {"max_body_bytes": 200_000},
        "tenants": [
            {"id": "hospital-a", "name": "第一人民医院", "knowledge_base": "kb.sqlite", "api_keys": [
                {"id": "his", "sha256": hash_api_key(KEY_A)}],
             "issuers": [{"iss": signers["a"].issuer, "jwks": signers["a"].jwks()}]},
            {"id": "hospital-b", "hash_patient_ids": False, "knowledge_base": "kb.sqlite",
             "api_keys": [
                {"id": "lab", "sha256": hash_api_key(KEY_B)}],
             "issuers": [{"iss": signers["b"].issuer, "jwks_file": "b.jwks.json"}]},
        ],
    }, base_dir=tmp_path)


@pytest.fixture()
def app(config: ServiceConfig) -> Iterator[Any]:
    app = create_app(config)
    yield app
    app.state.huizhen.audit.close()
    from huizhen.retrieval.search import close_all

    close_all()


@pytest.fixture()
def base_url(app: Any) -> Iterator[str]:
    with LiveServer(app) as url:
        yield url


@pytest.fixture()
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def bearer(signer: CDSClientSigner, path: str, **kwargs: Any) -> dict[str, str]:
    """Headers of one CDS Hooks call: a fresh JWT whose aud is the endpoint's public URL."""
    return {"Authorization": f"Bearer {signer.token(SERVICE_URL + path, **kwargs)}"}


@pytest.fixture(name="example")
def _example() -> Any:
    return example


@pytest.fixture(name="bearer")
def _bearer() -> Any:
    return bearer


@pytest.fixture()
def api_keys() -> dict[str, str]:
    return {"hospital-a": KEY_A, "hospital-b": KEY_B}


@pytest.fixture()
def live_server() -> Any:
    """Serve another app (a second service, a stand-in FHIR server) on loopback."""
    return LiveServer
