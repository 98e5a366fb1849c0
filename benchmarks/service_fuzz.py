"""Schema-driven fuzzing: every operation of the OpenAPI spec, valid and invalid inputs.

    .venv/bin/pip install schemathesis   # a benchmark tool, not a dependency
    .venv/bin/python benchmarks/service_fuzz.py --examples 60

Schemathesis derives hypothesis strategies from ``/openapi.json`` (positive:
bodies and parameters that fit the schema; negative: ones that do not); each
case is sent to ``huizhen serve`` on loopback with valid credentials (a fresh
CDS Hooks JWT per call, or the tenant's API key) so that it reaches the
handlers.  The target is no 5xx at all; the status counts are printed.  A
final pass sends each recorded CDS Hooks example with every invalid JWT
variant and expects 401 for each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service_env import API_KEY, ServiceUnderTest, example

from huizhen.auth.client import generate_key


def _headers(svc: ServiceUnderTest, path: str, given: dict[str, str] | None) -> dict[str, str]:
    headers = {k: v for k, v in (given or {}).items()
               if k.lower() not in ("authorization", "x-api-key", "content-length")}
    if path.startswith("/cds-services"):
        headers.update(svc.bearer(path))
    else:
        headers["X-API-Key"] = API_KEY
    return headers


def fuzz(svc: ServiceUnderTest, examples: int) -> dict[str, object]:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(svc.url + "/openapi.json")
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    with httpx.Client(base_url=svc.url, timeout=60) as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(max_examples=examples, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck),
                          phases=[Phase.explicit, Phase.generate])  # count, don't shrink
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case: schemathesis.Case) -> None:
                    path = case.formatted_path
                    kwargs: dict[str, object] = {"params": case.query or None}
                    if case.body is not None and not (case.body is None):
                        try:
                            kwargs["content"] = json.dumps(case.body).encode()
                        except TypeError:
                            kwargs["content"] = str(case.body).encode()
                    headers = _headers(svc, path, case.headers)
                    headers["Content-Type"] = "application/json"
                    try:
                        response = http.request(case.method, path, headers=headers, **kwargs)
                    except (httpx.HTTPError, ValueError, UnicodeError) as err:
                        # httpx itself refuses some negative cases (bad header bytes, ...).
                        statuses[f"{operation.label} (not sendable: {type(err).__name__})"] += 1
                        return
                    statuses[f"{operation.label} {response.status_code}"] += 1
                    if response.status_code >= 500:
                        failures.append(f"{case.method} {path}: {response.status_code} "
                                        f"{response.text[:200]}")

                print(f"fuzzing {operation.label} ({mode.value})", file=sys.stderr, flush=True)
                try:
                    run()
                except Exception as err:  # hypothesis found nothing to generate, etc.
                    statuses[f"{operation.label} (generation: {type(err).__name__}: "
                             f"{str(err).splitlines()[0][:80]})"] += 1
    return {"cases": sum(v for k, v in statuses.items() if "(" not in k),
            "server_errors": len(failures), "failures": failures[:10],
            "statuses": dict(sorted(statuses.items()))}


def jwt_refusals(svc: ServiceUnderTest) -> dict[str, int]:
    """Each invalid JWT variant against order-sign: the status it got."""
    path = "/cds-services/huizhen-order-sign"
    body = example("order-sign.json")
    signer = svc.signer
    now = int(time.time())
    claims = {"iss": signer.issuer, "aud": svc.url + path, "iat": now, "exp": now + 60,
              "jti": f"fuzz-{now}"}
    replayed = svc.bearer(path)
    variants = {
        "expired": svc.bearer(path) | {"Authorization": "Bearer " + signer.token(
            svc.url + path, extra={"iat": now - 3600, "exp": now - 3000})},
        "wrong aud": svc.bearer("/cds-services/huizhen-order-select"),
        "hmac": {"Authorization": "Bearer " + jwt.encode(claims, "k" * 64, algorithm="HS384",
                                                         headers={"kid": signer.kid})},
        "none": {"Authorization": "Bearer " + jwt.encode(claims, None, algorithm="none")},
        "unknown issuer": {"Authorization": "Bearer " + jwt.encode(
            {**claims, "iss": "https://evil.example/"}, signer.key, algorithm="ES384",
            headers={"kid": signer.kid})},
        "forged signature": {"Authorization": "Bearer " + jwt.encode(
            claims, generate_key("ES384"), algorithm="ES384", headers={"kid": signer.kid})},
        "unknown kid": {"Authorization": "Bearer " + jwt.encode(
            claims, signer.key, algorithm="ES384", headers={"kid": "not-a-key"})},
        "missing jti": {"Authorization": "Bearer " + jwt.encode(
            {k: v for k, v in claims.items() if k != "jti"}, signer.key, algorithm="ES384",
            headers={"kid": signer.kid})},
        "over-long lifetime": {"Authorization": "Bearer " + signer.token(
            svc.url + path, lifetime_s=7200)},
        "malformed (two segments)": {"Authorization": "Bearer " + ".".join(
            signer.token(svc.url + path).split(".")[:2])},
        "no token": {},
    }
    out = {}
    with httpx.Client(base_url=svc.url, timeout=60) as http:
        for name, headers in variants.items():
            out[name] = http.post(path, json=body, headers=headers).status_code
        out["first use (accepted)"] = http.post(path, json=body, headers=replayed).status_code
        out["replayed jti"] = http.post(path, json=body, headers=replayed).status_code
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="cases per operation and mode")
    args = parser.parse_args()
    with ServiceUnderTest() as svc:
        httpx.post(svc.url + "/v1/knowledge/documents", headers={"X-API-Key": API_KEY}, json={
            "filename": "protocol.md", "text": "# Anticoagulation\n\nBridge warfarin with "
            "enoxaparin when the CHA2DS2-VASc score is 5 or more."}).raise_for_status()
        report = fuzz(svc, args.examples)
        report["jwt"] = jwt_refusals(svc)
        alive = httpx.get(svc.url + "/health").status_code
        log = svc.log.read_text(encoding="utf-8", errors="replace")
    report["alive_after"] = alive
    report["server_log_incidents"] = log.count("incident ")
    report["server_log_tail"] = log.splitlines()[-15:]
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
