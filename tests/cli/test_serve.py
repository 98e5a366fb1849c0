"""``huizhen serve`` as a real process: starts, answers, authenticates, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from huizhen.auth.client import CDSClientSigner, generate_key
from huizhen.tenants import hash_api_key

HUIZHEN = [sys.executable, "-c", "from huizhen.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _first_answer(http: httpx.Client, process: subprocess.Popen[str], path: str) -> httpx.Response:
    """GET ``path`` once the server listens (it has 30 s to start)."""
    deadline = time.time() + 30
    while True:
        try:
            return http.get(path)
        except httpx.TransportError:
            assert process.poll() is None, process.communicate()
            assert time.time() < deadline, "huizhen serve did not start in 30 s"
            time.sleep(0.1)


def test_serve_runs_the_configured_service(tmp_path: Path) -> None:
    signer = CDSClientSigner("https://ehr.example/", generate_key("ES384"), "k1")
    (tmp_path / "ehr.jwks.json").write_text(json.dumps(signer.jwks()))
    port = _free_port()
    service_url = f"http://127.0.0.1:{port}"
    (tmp_path / "tenants.yaml").write_text(yaml.safe_dump({
        "service_url": service_url,
        "audit": {"url": "sqlite:///audit.db"},
        "tenants": [{"id": "clinic", "api_keys": [{"id": "desk", "sha256": hash_api_key("k-1")}],
                     "issuers": [{"iss": signer.issuer, "jwks_file": "ehr.jwks.json"}]}],
    }))
    process = subprocess.Popen(
        [*HUIZHEN, "serve", "--port", str(port), "--config", str(tmp_path / "tenants.yaml"),
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with httpx.Client(base_url=service_url, timeout=5) as http:
            health = _first_answer(http, process, "/health")
            assert health.json() == {"status": "ok", "audit_events": None}
            token = signer.token(f"{service_url}/cds-services")
            found = http.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
            assert [s["id"] for s in found.json()["services"]] == [
                "huizhen-patient-view", "huizhen-order-select", "huizhen-order-sign"]
            assert http.get("/v1/audit/events", headers={"X-API-Key": "k-1"}).json() == []
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert f"huizhen serving 1 tenant(s) on http://127.0.0.1:{port}" in err
    assert (tmp_path / "audit.db").is_file()


def test_serve_refuses_a_bad_tenants_file_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "tenants.yaml"
    config.write_text("service_url: https://cds.example.org\ntenants:\n  - id: 'bad id!'\n")
    result = subprocess.run([*HUIZHEN, "serve", "--config", str(config)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr == (
        f"huizhen: {config}: tenants[0].id='bad id!': Value error, must be 1-64 letters, digits, "
        "'.', '_' or '-', starting alphanumeric\n")


def test_api_key_prints_the_key_and_its_config_line() -> None:
    result = subprocess.run([*HUIZHEN, "api-key", "clinic", "--name", "desk"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    key_line, config_line = result.stdout.splitlines()
    key = key_line.split(": ", 1)[1]
    assert key.startswith("hz_")
    assert config_line == ("tenants file, under tenant 'clinic' api_keys:  "
                           f"- {{id: desk, sha256: {hash_api_key(key)}}}")


def test_serve_local_answers_this_machine_without_a_key(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "HUIZHEN_DATA_DIR": str(tmp_path)}
    env.pop("HUIZHEN_SERVICE_CONFIG", None)
    process = subprocess.Popen([*HUIZHEN, "serve", "--local", "--port", str(port),
                                "--log-level", "warning"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            access = _first_answer(http, process, "/v1/web/access")
            assert access.json() == {"api_key_required": False, "tenant": "local"}
            assert http.get("/v1/audit/events").json() == []
            # A request a proxy forwarded is not "this machine", whatever its peer address.
            proxied = http.get("/v1/audit/events", headers={"X-Forwarded-For": "10.0.0.7"})
            assert proxied.status_code == 401
            assert http.get("/v1/web/access", headers={"Forwarded": "for=10.0.0.7"}).json() == {
                "api_key_required": True, "tenant": None}
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert (f"huizhen serving 1 tenant(s) on http://127.0.0.1:{port} (CDS Hooks audience base "
            f"http://127.0.0.1:{port}); open it in a browser on this machine, no API key "
            "needed") in err
    assert (tmp_path / "audit.db").is_file()


def test_serve_local_refuses_a_public_interface_and_a_tenants_file(tmp_path: Path) -> None:
    public = subprocess.run([*HUIZHEN, "serve", "--local", "--host", "0.0.0.0"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert (public.returncode, public.stderr) == (
        2, "huizhen: --host='0.0.0.0': --local answers without an API key, so it binds to this "
           "machine only\n")
    config = tmp_path / "tenants.yaml"
    config.write_text("service_url: https://cds.example.org\n")
    both = subprocess.run([*HUIZHEN, "serve", "--local", "--config", str(config)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (both.returncode, both.stderr) == (
        2, "huizhen: --local: --local serves one clinic without a tenants file; drop --config (or "
           "give the tenants file a local_tenant)\n")
