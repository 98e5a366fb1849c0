"""Shared test settings: every test gets its own cache and data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep per-user caches out of the real home, but share the cache across a session
    so the parsed HPO release is built once per test run."""
    cache = tmp_path_factory.getbasetemp() / "huizhen-cache"
    cache.mkdir(exist_ok=True)
    monkeypatch.setenv("HUIZHEN_CACHE_DIR", str(cache))
    data = tmp_path_factory.getbasetemp() / "huizhen-data"
    data.mkdir(exist_ok=True)
    monkeypatch.setenv("HUIZHEN_DATA_DIR", str(data))
