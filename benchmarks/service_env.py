"""A throw-away huizhen service for the service benchmarks: keys, tenants file, process.

``ServiceUnderTest`` writes a tenants file with one EHR issuer (a fresh ES384
key) and one API key into a temporary directory, starts ``huizhen serve`` on a
free loopback port (``workers`` processes), waits for ``/health`` and stops it
afterwards.  Callers sign CDS Hooks JWTs with ``.signer`` exactly as an EHR.
"""

from __future__ import annotations

import asyncio
import json
import os
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


def _stat(pid: int) -> list[str]:
    # Fields after the command name, which is in parentheses and may contain spaces.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (Linux ``/proc``)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process and all its descendants (uvicorn's worker processes)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in family:
                family.add(child)
                frontier.append(child)
    total = 0.0
    for member in family:
        try:
            total += process_cpu_s(member)
        except OSError:
            continue
    return total


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


class RawConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: a load generator that costs
    the shared cores little.

    httpx spends several milliseconds of CPU per call on its own machinery, as
    much as the server spends answering an order-sign; on a two-core machine
    that shares the cores with the server, the load generator would then be half
    of what is measured.  This sends the same bytes (request line, headers,
    ``Content-Length`` body) and reads a ``Content-Length`` response; anything
    else (a closed connection, a chunked body) is an error and reconnects.
    """

    def __init__(self, url: str) -> None:
        parts = httpx.URL(url)
        self.host, self.port = parts.host, parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str],
                      content: bytes | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if content is not None:
            lines.append(f"Content-Length: {len(content)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (content or b""))
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            status = int(status_line.split(" ", 2)[1])
            length = None
            for line in header_lines:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                raise ConnectionError("response without Content-Length")
            body = await self.reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
            await self.close()
            raise
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
            self.reader = None


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data
