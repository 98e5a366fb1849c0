"""A throw-away huizhen service for the service benchmarks: keys, tenants file, process.

``ServiceUnderTest`` writes a tenants file with one EHR issuer (a fresh ES384
key) and one API key into a temporary directory, starts ``huizhen serve`` on a
free loopback port (``workers`` processes), waits for ``/health`` and stops it
afterwards.  Callers sign CDS Hooks JWTs with ``.signer`` exactly as an EHR.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from huizhen.auth.client import CDSClientSigner, generate_key
from huizhen.tenants import hash_api_key

API_KEY = "hz_bench_key_0123456789"
EXAMPLES = Path(__file__).resolve().parents[1] / "tests" / "data" / "cds-hooks"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceUnderTest:
    def __init__(self, workers: int = 1, audit_url: str | None = None) -> None:
        self.workers = workers
        self.audit_url = audit_url
        self.dir = Path(tempfile.mkdtemp(prefix="huizhen-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.signer = CDSClientSigner("https://ehr.bench.example/", generate_key("ES384"), "k1")
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServiceUnderTest:
        (self.dir / "ehr.jwks.json").write_text(json.dumps(self.signer.jwks()))
        config = {
            "service_url": self.url,
            "audit": {"url": self.audit_url or "sqlite:///audit.db"},
            "tenants": [{"id": "bench", "knowledge_base": "kb.sqlite",
                         "api_keys": [{"id": "bench", "sha256": hash_api_key(API_KEY)}],
                         "issuers": [{"iss": self.signer.issuer, "jwks_file": "ehr.jwks.json"}]}],
        }
        (self.dir / "tenants.yaml").write_text(yaml.safe_dump(config))
        # The server's log goes to a file: a pipe nobody reads fills up and blocks it.
        self.log = self.dir / "server.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from huizhen.cli import main; main()", "serve",
                 "--port", str(self.port), "--config", str(self.dir / "tenants.yaml"),
                 "--workers", str(self.workers), "--log-level", "warning"],
                stdout=log, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 60
        while True:
            try:
                httpx.get(self.url + "/health", timeout=2).raise_for_status()
                return self
            except httpx.TransportError:
                if self.process.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"huizhen serve did not start: {self.log.read_text()}")
                time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def bearer(self, path: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.signer.token(self.url + path)}"}


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data
