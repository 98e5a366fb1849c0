"""``huizhen serve`` as a real process serves the page, its files and its consult API."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from huizhen.tenants import hash_api_key

HUIZHEN = [sys.executable, "-c", "from huizhen.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_serves_the_page(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    (tmp_path / "tenants.yaml").write_text(yaml.safe_dump({
        "service_url": url, "audit": {"url": "sqlite:///audit.db"},
        "tenants": [{"id": "clinic", "api_keys": [{"id": "doctor", "sha256": hash_api_key("k")}]}],
    }))
    process = subprocess.Popen(
        [*HUIZHEN, "serve", "--port", str(port), "--config", str(tmp_path / "tenants.yaml"),
         "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            deadline = time.time() + 30
            while True:
                try:
                    page = http.get("/")
                    break
                except httpx.TransportError:
                    assert process.poll() is None, process.communicate()
                    assert time.time() < deadline, "huizhen serve did not start in 30 s"
                    time.sleep(0.1)
            assert page.status_code == 200 and "<title>会诊 huizhen</title>" in page.text
            for name in ("app.js", "style.css"):
                assert http.get(f"/static/{name}").status_code == 200
            empty = http.post("/v1/consult", json={"case": {}}, headers={"X-API-Key": "k"})
            assert empty.status_code == 422
            assert empty.json()["error"]["field"] == "case"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
