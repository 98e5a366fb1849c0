"""CPU cost per request, per scenario: the load-independent side of the load benchmark.

    .venv/bin/python benchmarks/service_cpu.py --requests 300             # server CPU
    .venv/bin/python benchmarks/service_cpu.py --requests 150 --in-process

Default (``server``): starts ``huizhen serve`` (one worker, uvicorn with
httptools and uvloop, the same tenants file as the load benchmark), sends the
requests one after another over one keep-alive connection and reads the
server process's own CPU time (user + system, ``/proc/<pid>/stat``) before
and after.  That is the cost of a call on the server alone: HTTP parsing,
JWT verification, the engines, the audit append, the response.  The client
signs its JWTs and encodes its bodies before the timed part (an EHR does
both on its own machine); every token is still unique, used once and
verified by the server.  ``order-sign-new`` is the recorded order-sign with
fresh draft-order ids on every call, so the server cannot reuse the drafts
it validated before (the recorded request, sent unchanged, can).

``--in-process`` runs the app in this process (httpx over ASGI, no sockets)
and divides this process's CPU time by the request count: server plus the
client's own work, signing included.

On a machine with C free cores, sustained throughput is at most
C × 1000 / (server + client ms) requests per second, and N closed-loop
clients see a mean latency of about N × (server + client ms) / C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import service_load
from service_env import API_KEY, ServiceUnderTest, process_cpu_s

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
    """In-process: this process's CPU per request (client and server together)."""
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


def _fresh_drafts(body: dict[str, Any], n: int) -> dict[str, Any]:
    """The order-sign request with draft-order ids no call has used before."""
    copy = json.loads(json.dumps(body))
    for entry in copy["context"]["draftOrders"]["entry"]:
        entry["resource"]["id"] = f"{entry['resource']['id']}-{n}"
    return copy


def measure_server(requests: int, scenarios: list[str], batch: int = 100
                   ) -> dict[str, dict[str, float]]:
    """Server only: the ``huizhen serve`` process's CPU per request, calls made in order.

    Timed in batches of ``batch`` calls; the minimum and the median over the
    batches are reported.  On a machine shared with other work, the same
    instructions take more CPU time while a sibling hyper-thread is busy, so
    the minimum is the closer figure for the code itself and the median shows
    the spread.
    """
    out: dict[str, dict[str, float]] = {}
    with ServiceUnderTest(workers=1) as svc, httpx.Client(base_url=svc.url, timeout=60) as http:
        assert svc.process is not None
        for name in scenarios:
            base = "order-sign" if name == "order-sign-new" else name
            calls = []
            for i in range(requests + requests // 10 + 3):
                method, path, headers, body = service_load.SCENARIOS[base](svc)  # type: ignore[arg-type]
                if name == "order-sign-new":
                    body = _fresh_drafts(body, i)
                calls.append((method, path, headers, None if body is None
                              else json.dumps(body).encode()))
            warm, timed = calls[:requests // 10 + 3], calls[requests // 10 + 3:]
            for method, path, headers, content in warm:
                response = http.request(method, path, headers={**headers, **_JSON},
                                        content=content)
                assert response.status_code == 200, (name, response.text[:300])
            per_batch = []
            for first in range(0, len(timed), batch):
                start = process_cpu_s(svc.process.pid)
                for method, path, headers, content in timed[first:first + batch]:
                    response = http.request(method, path, headers={**headers, **_JSON},
                                            content=content)
                    assert response.status_code == 200, (name, response.text[:300])
                used = process_cpu_s(svc.process.pid) - start
                per_batch.append(used * 1000 / len(timed[first:first + batch]))
            out[name] = {"min": round(min(per_batch), 2),
                         "median": round(statistics.median(per_batch), 2)}
    return out


_JSON = {"Content-Type": "application/json"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--batch", type=int, default=100, help="server mode: calls per timing")
    parser.add_argument("--in-process", action="store_true",
                        help="client and server in this process; CPU of both")
    parser.add_argument("--scenarios", default=",".join([*service_load.SCENARIOS,
                                                         "order-sign-new"]))
    args = parser.parse_args()
    if args.in_process:
        print(json.dumps({"cpu_ms_per_request_client_and_server":
                          asyncio.run(measure(args.requests))}))
    else:
        print(json.dumps({"server_cpu_ms_per_request":
                          measure_server(args.requests, args.scenarios.split(","), args.batch)}))


if __name__ == "__main__":
    main()
