"""CPU cost per request, per scenario: the load-independent side of the load benchmark.

    .venv/bin/python benchmarks/service_cpu.py --requests 200

Runs the real app in-process (httpx over ASGI, no sockets), sequentially, and
divides the process CPU time by the request count, so the figure does not move
with whatever else the machine is running.  It includes the client's JWT
signing (~0.5 ms).  On a machine with C free cores, sustained throughput is at
most C × 1000 / cpu_ms requests per second, and 20 closed-loop clients see a
mean latency of about 20 × cpu_ms / C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import service_load
from service_env import API_KEY

from huizhen.api import create_app
from huizhen.auth.client import CDSClientSigner, generate_key
from huizhen.tenants import build_config, hash_api_key


class InProcess:
    """Quacks like ServiceUnderTest for the scenario builders."""

    def __init__(self) -> None:
        self.url = "https://cds.bench.example"
        self.signer = CDSClientSigner("https://ehr.bench.example/", generate_key("ES384"), "k1")

    def bearer(self, path: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.signer.token(self.url + path)}"}


async def measure(requests: int) -> dict[str, float]:
    svc = InProcess()
    work = Path(tempfile.mkdtemp(prefix="huizhen-cpu-"))
    app = create_app(build_config({
        "service_url": svc.url, "audit": {"url": str(work / "audit.db")},
        "tenants": [{"id": "bench", "knowledge_base": str(work / "kb.sqlite"),
                     "api_keys": [{"id": "bench", "sha256": hash_api_key(API_KEY)}],
                     "issuers": [{"iss": svc.signer.issuer, "jwks": svc.signer.jwks()}]}],
    }))
    out: dict[str, float] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=svc.url) as http:
        for name, make in service_load.SCENARIOS.items():
            for i in range(requests // 10 + 3):  # warm-up
                method, path, headers, body = make(svc)  # type: ignore[arg-type]
                response = await http.request(method, path, headers=headers, json=body)
                assert response.status_code == 200, (name, response.text[:300])
            start = time.process_time()
            for _ in range(requests):
                method, path, headers, body = make(svc)  # type: ignore[arg-type]
                await http.request(method, path, headers=headers, json=body)
            out[name] = round((time.process_time() - start) * 1000 / requests, 2)
    app.state.huizhen.audit.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps({"cpu_ms_per_request": asyncio.run(measure(args.requests))}))


if __name__ == "__main__":
    main()
