"""A real huizhen server on loopback and a real headless Chromium driving the page.

Chromium and its driver come from Debian (``chromium``, ``chromium-driver``;
``scripts/ci_setup.sh`` installs them); without them these tests are skipped
with the reason.  The server is uvicorn in a thread on an ephemeral port, with
one hospital, an API key and a knowledge base holding one document.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from live_server import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
KEY = "hz-web-0123456789abcdef"
DOC = """# Acute bronchitis

## Treatment

Acute bronchitis is usually viral: treat the symptoms (fluids, rest, paracetamol for fever);
antibiotics are not recommended unless pneumonia is suspected.
"""


def _browser_missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).exists():
            return f"{path} not found: install Debian's {package} (scripts/ci_setup.sh)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@dataclass
class Site:
    url: str
    key: str
    app: Any


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import os

    missing = _browser_missing()
    if missing and os.environ.get("HUIZHEN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (HUIZHEN_REQUIRE_BROWSER=1) but {missing}")
    if missing:
        pytest.skip(missing)

    from huizhen.api import create_app
    from huizhen.knowledge.corpus import ingest
    from huizhen.retrieval import open_kb
    from huizhen.retrieval.search import close_all
    from huizhen.tenants import build_config, hash_api_key

    base = tmp_path_factory.mktemp("web")
    # Module-scoped, so set the cache/data dirs here too (tests/conftest.py does it per test).
    saved = {k: os.environ.get(k) for k in ("HUIZHEN_CACHE_DIR", "HUIZHEN_DATA_DIR")}
    os.environ["HUIZHEN_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "huizhen-cache")
    os.environ["HUIZHEN_DATA_DIR"] = str(tmp_path_factory.getbasetemp() / "huizhen-data")
    (base / "bronchitis.md").write_text(DOC, encoding="utf-8")
    config = build_config({
        "service_url": "http://127.0.0.1", "audit": {"url": "audit.db"},
        "tenants": [{"id": "clinic", "name": "村卫生室", "knowledge_base": "kb.sqlite",
                     "api_keys": [{"id": "doctor", "sha256": hash_api_key(KEY)}]}],
    }, base_dir=base)
    ingest([base / "bronchitis.md"], open_kb(config.kb_path("clinic")), "clinic")
    from huizhen.api.consult_view import knowledge

    knowledge()  # loaded before the browser's first consult, whatever the machine's load
    app = create_app(config)
    try:
        with LiveServer(app) as url:
            yield Site(url=url, key=KEY, app=app)
    finally:
        app.state.huizhen.audit.close()
        close_all()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def browser(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1280,900", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
