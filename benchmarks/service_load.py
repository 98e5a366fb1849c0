"""Load benchmark: N concurrent clients against ``huizhen serve`` on loopback.

    .venv/bin/python benchmarks/service_load.py --clients 20 --seconds 20 [--workers 2]

Each client loops over its scenario for the duration, signing a fresh CDS
Hooks JWT per call as an EHR does; the report gives per scenario the request
count, errors (any non-2xx or transport failure), throughput and p50 / p95 /
max latency.  Scenarios: ``order-sign`` (the recorded order-sign request:
three draft orders against a prefetched record), ``discovery``, the REST
``rare-rank``, ``patient-view`` (the recorded chart-open request) and the REST
``consult`` (the same patient as a FHIR bundle, one drug proposed).  Clients
and server share the machine, so figures on a 2-core laptop include the
clients' own CPU use.
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
from service_env import API_KEY, ServiceUnderTest, example


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


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


async def _client(svc: ServiceUnderTest, make: Request, until: float, tally: Tally,
                  http: httpx.AsyncClient) -> None:
    while time.perf_counter() < until:
        method, path, headers, body = make(svc)
        start = time.perf_counter()
        try:
            response = await http.request(method, path, headers=headers, json=body)
            tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
            if response.status_code >= 300:
                tally.errors += 1
        except httpx.HTTPError:
            tally.errors += 1
            continue
        tally.latencies.append(time.perf_counter() - start)


async def run_scenario(svc: ServiceUnderTest, name: str, clients: int, seconds: float
                       ) -> dict[str, Any]:
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
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(_client(svc, SCENARIOS[name], until, tally, http)
                               for _ in range(clients)))
        elapsed = time.perf_counter() - start
    lat = sorted(tally.latencies)

    def pct(p: float) -> float:
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else float("nan")

    return {"scenario": name, "clients": clients, "requests": len(lat) + tally.errors,
            "errors": tally.errors, "statuses": tally.statuses,
            "throughput_rps": round(len(lat) / elapsed, 1), "p50_ms": pct(0.50),
            "p95_ms": pct(0.95), "max_ms": round(1000 * lat[-1], 1) if lat else None,
            "mean_ms": round(1000 * statistics.fmean(lat), 1) if lat else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--audit-url", default=None, help="e.g. a postgresql:// URL")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()
    results = []
    with ServiceUnderTest(workers=args.workers, audit_url=args.audit_url) as svc:
        for name in args.scenarios.split(","):
            result = asyncio.run(run_scenario(svc, name, args.clients, args.seconds))
            results.append(result)
            print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "workers": args.workers,
                                         "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
