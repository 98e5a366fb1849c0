"""Load benchmark: N concurrent clients against ``huizhen serve`` on loopback.

    .venv/bin/python benchmarks/service_load.py --clients 20 --seconds 20 [--workers 2]

Each client loops over its scenario for the duration, sending a fresh CDS
Hooks JWT with every call as an EHR does; the report gives per scenario the
request count, errors (any non-2xx or transport failure), throughput and
p50 / p95 / max latency.

An EHR signs its tokens and encodes its requests on its own machine, so the
clients here do both before the timed loop (``--presign``, default 1000
tokens per second of the run): every token is still unique, used once, and
verified by the server; only the clients' signing CPU no longer competes with
the server on the shared cores.  Should the pool run out, the rest are
signed in the loop, and ``signed_in_loop`` says how many.  ``--sign-in-loop``
restores the old behaviour (a signature per call inside the timed loop).
Each client has its own keep-alive connection (``RawConnection``, cheap on
CPU); ``--client httpx`` uses one shared httpx client instead, as before.

Scenarios: ``order-sign`` (the recorded order-sign request: three draft
orders against a prefetched record), ``discovery``, the REST ``rare-rank``,
``patient-view`` (the recorded chart-open request) and the REST ``consult``
(the same patient as a FHIR bundle, one drug proposed).  Clients and server
share the machine, so figures on a 2-core laptop include the clients' own CPU
use; each result gives the CPU per call of both, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service_env import API_KEY, RawConnection, ServiceUnderTest, example, tree_cpu_s


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


class Presigned:
    """Hands out tokens signed before the timed loop, one per call, never twice.

    Quacks like ``ServiceUnderTest`` for the scenario builders (``url``,
    ``signer``, ``bearer``).
    """

    def __init__(self, svc: ServiceUnderTest, paths: list[str], count: int) -> None:
        self.svc = svc
        self.url = svc.url
        self.signer = svc.signer
        self.pool = {path: [svc.bearer(path) for _ in range(count)] for path in paths}
        self.signed_in_loop = 0

    def bearer(self, path: str) -> dict[str, str]:
        tokens = self.pool.get(path)
        if tokens:
            return tokens.pop()
        self.signed_in_loop += 1
        return self.svc.bearer(path)


_ENCODED: dict[int, bytes] = {}


def encoded(body: Any) -> bytes:
    """The JSON of one of the constant request bodies, encoded once (as an EHR would)."""
    key = id(body)
    if key not in _ENCODED:
        _ENCODED[key] = json.dumps(body).encode()
    return _ENCODED[key]


Request = Callable[[ServiceUnderTest], tuple[str, str, dict[str, str], Any]]


def _order_sign(svc: ServiceUnderTest) -> tuple[str, str, dict[str, str], Any]:
    path = "/cds-services/huizhen-order-sign"
    return "POST", path, svc.bearer(path), ORDER_SIGN


def _patient_view(svc: ServiceUnderTest) -> tuple[str, str, dict[str, str], Any]:
    path = "/cds-services/huizhen-patient-view"
    return "POST", path, svc.bearer(path), PATIENT_VIEW


def _consult(svc: ServiceUnderTest) -> tuple[str, str, dict[str, str], Any]:
    return "POST", "/v1/consult", {"X-API-Key": API_KEY}, CONSULT


def _discovery(svc: ServiceUnderTest) -> tuple[str, str, dict[str, str], Any]:
    return "GET", "/cds-services", svc.bearer("/cds-services"), None


def _rare(svc: ServiceUnderTest) -> tuple[str, str, dict[str, str], Any]:
    return "POST", "/v1/rare/rank", {"X-API-Key": API_KEY}, {
        "present": ["HP:0001250", "HP:0001263", "HP:0000252"], "top": 5}


ORDER_SIGN = example("order-sign.json")
PATIENT_VIEW = example("patient-view.json")
_PREFETCH = ORDER_SIGN["prefetch"]
CONSULT = {"patient": {"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": _PREFETCH["patient"]}]
                       + _PREFETCH["medications"]["entry"] + _PREFETCH["allergies"]["entry"]
                       + _PREFETCH["conditions"]["entry"] + _PREFETCH["observations"]["entry"]},
           "proposed": ["aspirin 100 mg qd"]}
SCENARIOS: dict[str, Request] = {"order-sign": _order_sign, "patient-view": _patient_view,
                                 "consult": _consult, "discovery": _discovery, "rare-rank": _rare}


async def _client(svc: Any, make: Request, until: float, tally: Tally,
                  http: httpx.AsyncClient | None) -> None:
    """One closed-loop client: a call, the answer, the next call.  Over its own keep-alive
    connection (``RawConnection``), or over the shared httpx client when ``http`` is given."""
    raw = RawConnection(svc.url) if http is None else None
    try:
        while time.perf_counter() < until:
            method, path, headers, body = make(svc)
            content = None if body is None else encoded(body)
            if content is not None:
                headers = {**headers, "Content-Type": "application/json"}
            start = time.perf_counter()
            try:
                if raw is not None:
                    status, _ = await raw.request(method, path, headers, content)
                else:
                    assert http is not None
                    status = (await http.request(method, path, headers=headers,
                                                 content=content)).status_code
            except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, ValueError,
                    IndexError):
                tally.errors += 1
                continue
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status >= 300:
                tally.errors += 1
                continue
            tally.latencies.append(time.perf_counter() - start)
    finally:
        if raw is not None:
            await raw.close()


#: The CDS Hooks path each scenario calls (the REST scenarios use an API key).
JWT_PATHS = {"order-sign": "/cds-services/huizhen-order-sign",
             "patient-view": "/cds-services/huizhen-patient-view",
             "discovery": "/cds-services"}


async def run_scenario(svc: ServiceUnderTest, name: str, clients: int, seconds: float,
                       presign: int = 0, client: str = "raw") -> dict[str, Any]:
    tally = Tally()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=svc.url, timeout=30, limits=limits) as http:
        # Warm-up: every worker loads its engines once, outside the measurement.
        async def warm_once() -> None:
            method, path, headers, body = SCENARIOS[name](svc)
            warm = await http.request(method, path, headers=headers, json=body)
            if warm.status_code >= 300:
                raise RuntimeError(f"{name}: warm-up answered {warm.status_code}: "
                                   f"{warm.text[:300]}")

        for _ in range(2):
            await asyncio.gather(*(warm_once() for _ in range(clients)))
        caller: Any = svc
        if presign and name in JWT_PATHS:
            caller = Presigned(svc, [JWT_PATHS[name]], presign)
        load_before = os.getloadavg()[0]
        assert svc.process is not None
        server_cpu, client_cpu = tree_cpu_s(svc.process.pid), time.process_time()
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(_client(caller, SCENARIOS[name], until, tally,
                                       http if client == "httpx" else None)
                               for _ in range(clients)))
        elapsed = time.perf_counter() - start
        server_cpu = tree_cpu_s(svc.process.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
    lat = sorted(tally.latencies)

    def pct(p: float) -> float:
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else float("nan")

    return {"scenario": name, "clients": clients, "requests": len(lat) + tally.errors,
            "errors": tally.errors, "statuses": tally.statuses,
            "throughput_rps": round(len(lat) / elapsed, 1), "p50_ms": pct(0.50),
            "p95_ms": pct(0.95), "max_ms": round(1000 * lat[-1], 1) if lat else None,
            "mean_ms": round(1000 * statistics.fmean(lat), 1) if lat else None,
            "cpu_ms_per_request": {
                "server": round(1000 * server_cpu / max(1, len(lat) + tally.errors), 2),
                "clients": round(1000 * client_cpu / max(1, len(lat) + tally.errors), 2)},
            "load_avg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "signed_in_loop": (caller.signed_in_loop if isinstance(caller, Presigned)
                               else (len(lat) + tally.errors if name in JWT_PATHS else 0))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--audit-url", default=None, help="e.g. a postgresql:// URL")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--presign", type=int, default=None,
                        help="tokens signed before each scenario (default 1000 per second)")
    parser.add_argument("--sign-in-loop", action="store_true",
                        help="sign every token inside the timed loop instead")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw",
                        help="raw: one asyncio keep-alive connection per client (cheap); "
                             "httpx: one shared httpx.AsyncClient (the old load generator)")
    args = parser.parse_args()
    presign = 0 if args.sign_in_loop else (args.presign if args.presign is not None
                                           else int(1000 * args.seconds))
    results = []
    with ServiceUnderTest(workers=args.workers, audit_url=args.audit_url) as svc:
        for name in args.scenarios.split(","):
            result = asyncio.run(run_scenario(svc, name, args.clients, args.seconds, presign,
                                              args.client))
            results.append(result)
            print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "workers": args.workers,
                                         "client": args.client,
                                         "presigned": presign, "load_average": os.getloadavg(),
                                         "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
