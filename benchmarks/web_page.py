"""Measure the doctor's page: weight, first paint, and the consult round trip as shown.

Starts the real server (uvicorn, loopback) with a throwaway tenant, drives
Debian's headless Chromium with Selenium, and prints a Markdown table for
``BENCHMARKS.md``::

    .venv/bin/python benchmarks/web_page.py [--loads 15] [--consults 30]

* page weight: bytes of ``/``, ``/static/app.js``, ``/static/style.css`` (raw and gzip);
* first contentful paint (the first meaningful paint: the case form) over fresh,
  uncached loads;
* consult round trip: from pressing 会诊 to the report rendered, as the page
  measures it (``performance.now()``), for a Chinese note with a dangerous pair.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

NOTE = "男，68岁，发热3天，咳嗽，咳黄痰，气促。正在服用华法林 3mg qd，布洛芬 400mg tid。"
KEY = "bench-key-0123456789"


def _serve(base: Path) -> tuple[uvicorn.Server, threading.Thread, str]:
    from huizhen.api import create_app
    from huizhen.tenants import build_config, hash_api_key

    config = build_config({"service_url": "http://127.0.0.1", "audit": {"url": "audit.db"},
                           "tenants": [{"id": "bench", "api_keys": [
                               {"id": "bench", "sha256": hash_api_key(KEY)}]}]}, base_dir=base)
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.0f} ms, p95 {_pct(values, 0.95):.0f} ms"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loads", type=int, default=15)
    ap.add_argument("--consults", type=int, default=30)
    args = ap.parse_args()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from huizhen.api.consult_view import knowledge

    knowledge()
    with tempfile.TemporaryDirectory() as tmp:
        server, thread, url = _serve(Path(tmp))
        rows = []
        with httpx.Client(base_url=url) as http:
            raw = gz = 0
            for path in ("/", "/static/app.js", "/static/style.css"):
                body = http.get(path, headers={"Accept-Encoding": "identity"}).content
                zipped = http.get(path, headers={"Accept-Encoding": "gzip"})
                raw += len(body)
                gz += int(zipped.headers.get("content-length", len(body)))
            weight = f"{raw / 1024:.1f} KB raw, {gz / 1024:.1f} KB gzip"
            rows.append(("page weight (HTML + JS + CSS)", weight, "≤ 300 KB"))
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                     f"--user-data-dir={tmp}/profile"):
            opts.add_argument(flag)
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        try:
            d.execute_cdp_cmd("Network.enable", {})
            d.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
            paints = []
            for _ in range(args.loads):
                d.get(url + "/")
                WebDriverWait(d, 30).until(lambda d: d.execute_script(
                    "return performance.getEntriesByName('first-contentful-paint').length"))
                paints.append(d.execute_script(
                    "return performance.getEntriesByName('first-contentful-paint')[0].startTime"))
            rows.append(("first contentful paint (uncached)", _summary(paints), "≤ 1000 ms"))
            # A slow clinic line: Chrome's "slow 3G" profile (400 ms RTT, ~400 kbit/s).
            d.execute_cdp_cmd("Network.emulateNetworkConditions", {
                "offline": False, "latency": 400, "downloadThroughput": 50_000,
                "uploadThroughput": 50_000})
            slow = []
            for _ in range(max(3, args.loads // 3)):
                d.get(url + "/")
                WebDriverWait(d, 60).until(lambda d: d.execute_script(
                    "return performance.getEntriesByName('first-contentful-paint').length"))
                slow.append(d.execute_script(
                    "return performance.getEntriesByName('first-contentful-paint')[0].startTime"))
            rows.append(("first contentful paint, slow 3G (400 ms RTT, 400 kbit/s)",
                         f"median {statistics.median(slow):.0f} ms", ""))
            d.execute_cdp_cmd("Network.emulateNetworkConditions", {
                "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
            d.execute_script("sessionStorage.clear()")
            d.find_element(By.ID, "api-key").send_keys(KEY)
            d.find_element(By.ID, "note").send_keys(NOTE)
            trips, server_ms = [], []
            for _ in range(args.consults):
                d.execute_script("document.getElementById('status').dataset.ms = ''")
                d.find_element(By.ID, "run").click()
                WebDriverWait(d, 30).until(lambda d: d.find_element(By.ID, "status")
                                           .get_attribute("data-ms"))
                trips.append(float(d.find_element(By.ID, "status").get_attribute("data-ms")))
            with httpx.Client(base_url=url, headers={"X-API-Key": KEY}) as http:
                for _ in range(args.consults):
                    out = http.post("/v1/consult", json={"text": NOTE}).json()
                    server_ms.append(out["elapsed_ms"])
            rows.append(("consult round trip shown (click → rendered)", _summary(trips),
                         "≤ 500 ms"))
            rows.append(("of which server (intake + consult + audit)", _summary(server_ms), ""))
        finally:
            d.quit()
            server.should_exit = True
            thread.join(timeout=10)
    print("| measure | result | target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
