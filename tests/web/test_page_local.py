"""The page on a single-clinic laptop (``huizhen serve --local``): no key field, no key sent,
the consult still audited under the local tenant — in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import LiveServer
from web.test_page_browser import NOTE, _by_id, _consult, _css, _wait


@pytest.fixture()
def local_url(site: Any, tmp_path: Path) -> Iterator[str]:
    """A second server whose one tenant is open to this machine (``site`` brings the browser
    check and the loaded knowledge)."""
    from huizhen.api import create_app
    from huizhen.tenants import build_config

    config = build_config({"service_url": "http://127.0.0.1", "audit": {"url": "audit.db"},
                           "tenants": [{"id": "local", "knowledge_base": "kb.sqlite"}],
                           "local_tenant": "local"}, base_dir=tmp_path)
    app = create_app(config)
    try:
        with LiveServer(app) as url:
            yield url
    finally:
        app.state.huizhen.audit.close()


def test_local_page_needs_no_key(browser: Any, local_url: str) -> None:
    d = browser
    d.get(local_url + "/")
    d.execute_script("sessionStorage.clear(); sessionStorage.setItem('hz.lang', 'zh')")
    d.get(local_url + "/")
    _wait(d, lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    _wait(d, lambda d: not _by_id(d, "key-box").is_displayed())
    _by_id(d, "note").send_keys(NOTE)
    assert _consult(d) > 0, _by_id(d, "error").text
    assert _css(d, "#ddx li.dx")
    import httpx

    events = httpx.get(local_url + "/v1/audit/events").json()
    assert [(e["action"], e["tenant"], e["actor"]) for e in events] == [
        ("consult", "local", "local-user")]
